/**
 * Where an install keeps its deviceId (docs/protocol.md §3: "generated once per install and kept").
 * The interface is the common shape of the Web Storage API and React Native's AsyncStorage: both can
 * be passed as they are (`storage: localStorage`, `storage: AsyncStorage`), sync or async.
 */
import { isValidDeviceId } from './contract';
import { DeviceLimitError } from './errors';

export interface DeviceIdStorage {
  getItem(key: string): string | null | Promise<string | null>;
  setItem(key: string, value: string): void | Promise<void>;
}

/** The key under which the deviceId is stored, unless `storageKey` says otherwise. */
export const DEVICE_ID_STORAGE_KEY = 'device-limit:deviceId';

/** 16 random bytes in base64url: 22 characters, inside `^[A-Za-z0-9_-]{8,64}$` (docs/protocol.md §3). */
export const DEVICE_ID_BYTES = 16;

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

interface CryptoLike {
  getRandomValues<T extends Uint8Array>(array: T): T;
}

function randomBytes(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  const crypto = (globalThis as { crypto?: Partial<CryptoLike> }).crypto;
  if (crypto && typeof crypto.getRandomValues === 'function') {
    return crypto.getRandomValues(bytes);
  }
  // React Native without a crypto polyfill: the deviceId is an identifier, not a secret (the rules
  // scope every entry to its uid), so a non-cryptographic source only needs to avoid collisions
  // among one user's installs, which 128 bits of Math.random still do.
  for (let i = 0; i < length; i++) bytes[i] = Math.floor(Math.random() * 256);
  return bytes;
}

/** A new deviceId: 128 random bits in base64url. */
export function generateDeviceId(): string {
  const bytes = randomBytes(DEVICE_ID_BYTES);
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += BASE64URL[(buffer >> bits) & 63];
    }
  }
  if (bits > 0) out += BASE64URL[(buffer << (6 - bits)) & 63];
  return out;
}

/**
 * Reads this install's deviceId, creating and storing it on first use. A stored value that does not
 * match the contract's pattern (tampered, or written by something else) is replaced.
 */
export async function getOrCreateDeviceId(
  storage: DeviceIdStorage,
  key: string = DEVICE_ID_STORAGE_KEY,
  generate: () => string = generateDeviceId,
): Promise<string> {
  let stored: string | null;
  try {
    stored = await storage.getItem(key);
  } catch (cause) {
    throw new DeviceLimitError('device-limit/storage-unavailable', `Could not read the deviceId from storage.`, {
      cause,
    });
  }
  if (isValidDeviceId(stored)) return stored;
  const created = generate();
  if (!isValidDeviceId(created)) {
    throw new DeviceLimitError(
      'device-limit/invalid-argument',
      `Generated deviceId "${created}" does not match ^[A-Za-z0-9_-]{8,64}$.`,
    );
  }
  try {
    await storage.setItem(key, created);
  } catch (cause) {
    throw new DeviceLimitError('device-limit/storage-unavailable', `Could not store the deviceId.`, { cause });
  }
  return created;
}

/** In-memory storage: one "install" per object. For tests, and for hosts that really have no disk. */
export function memoryStorage(initial: Record<string, string> = {}): DeviceIdStorage {
  const values = new Map(Object.entries(initial));
  return {
    getItem: (key) => values.get(key) ?? null,
    setItem: (key, value) => {
      values.set(key, value);
    },
  };
}

interface WebStorageLike extends DeviceIdStorage {
  removeItem(key: string): void;
}

/**
 * `window.localStorage` if this is a browser where it works, else null. Merely touching
 * `localStorage` throws in some privacy modes, hence the probe inside try/catch (the database SDK
 * does the same in `core/storage/storage.ts`).
 */
export function browserLocalStorage(): WebStorageLike | null {
  try {
    const storage = (globalThis as { localStorage?: WebStorageLike }).localStorage;
    if (!storage) return null;
    const probe = `${DEVICE_ID_STORAGE_KEY}:probe`;
    storage.setItem(probe, '1');
    storage.removeItem(probe);
    return storage;
  } catch {
    return null;
  }
}
