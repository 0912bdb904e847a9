import { DEVICE_ID_PATTERN } from './contract';
import { DeviceLimitError } from './errors';
import {
  DEVICE_ID_STORAGE_KEY,
  generateDeviceId,
  getOrCreateDeviceId,
  memoryStorage,
  type DeviceIdStorage,
} from './storage';

/** The shape of React Native's AsyncStorage: every call is a promise. */
function asyncStorage(): DeviceIdStorage & { values: Map<string, string> } {
  const values = new Map<string, string>();
  return {
    values,
    getItem: async (key) => values.get(key) ?? null,
    setItem: async (key, value) => {
      values.set(key, value);
    },
  };
}

describe('generateDeviceId', () => {
  it('makes 22 base64url characters that match the contract', () => {
    const ids = new Set(Array.from({ length: 200 }, generateDeviceId));
    expect(ids.size).toBe(200);
    for (const id of ids) {
      expect(id).toHaveLength(22);
      expect(id).toMatch(DEVICE_ID_PATTERN);
    }
  });
});

describe('getOrCreateDeviceId', () => {
  it('creates an id once and returns the same one afterwards (one slot per install)', async () => {
    const storage = memoryStorage();
    const first = await getOrCreateDeviceId(storage);
    expect(await getOrCreateDeviceId(storage)).toBe(first);
    expect(storage.getItem(DEVICE_ID_STORAGE_KEY)).toBe(first);
  });

  it('works with an asynchronous storage such as AsyncStorage', async () => {
    const storage = asyncStorage();
    const first = await getOrCreateDeviceId(storage, 'app:device');
    expect(storage.values.get('app:device')).toBe(first);
    expect(await getOrCreateDeviceId(storage, 'app:device')).toBe(first);
  });

  it('replaces a stored value that is not a valid deviceId', async () => {
    const storage = memoryStorage({ [DEVICE_ID_STORAGE_KEY]: 'bad/id' });
    const id = await getOrCreateDeviceId(storage, DEVICE_ID_STORAGE_KEY, () => 'replacement01');
    expect(id).toBe('replacement01');
    expect(storage.getItem(DEVICE_ID_STORAGE_KEY)).toBe('replacement01');
  });

  it('reports storage failures as device-limit/storage-unavailable', async () => {
    const failing: DeviceIdStorage = {
      getItem: () => Promise.reject(new Error('disk')),
      setItem: () => undefined,
    };
    await expect(getOrCreateDeviceId(failing)).rejects.toEqual(
      expect.objectContaining({ code: 'device-limit/storage-unavailable' }),
    );
    const readOnly: DeviceIdStorage = {
      getItem: () => null,
      setItem: () => {
        throw new Error('QuotaExceededError');
      },
    };
    await expect(getOrCreateDeviceId(readOnly)).rejects.toBeInstanceOf(DeviceLimitError);
  });

  it('refuses a generator that breaks the contract', async () => {
    await expect(getOrCreateDeviceId(memoryStorage(), DEVICE_ID_STORAGE_KEY, () => 'short')).rejects.toEqual(
      expect.objectContaining({ code: 'device-limit/invalid-argument' }),
    );
  });
});
