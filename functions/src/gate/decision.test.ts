import { decideSlot, EMPTY_SNAPSHOT, slotSnapshot } from './decision';

const entry = (generation?: number) => ({
  claimedAt: 1_000,
  lastSeen: 1_000,
  ...(generation === undefined ? {} : { generation }),
  platform: 'web',
  label: 'Chrome on Mac',
});

describe('slotSnapshot', () => {
  test('keeps the generation, the cut-off, each entry generation and each notice reason', () => {
    const snapshot = slotSnapshot({
      count: 2,
      generation: 3,
      notBefore: 1_700_000_000,
      devices: { laptop001: entry(3), phone0001: entry(2) },
      evicted: { tablet001: { reason: 'signed-out', at: 5, generation: 3 } },
    });
    expect(snapshot).toEqual({
      generation: 3,
      notBefore: 1_700_000_000,
      devices: new Map([
        ['laptop001', 3],
        ['phone0001', 2],
      ]),
      notices: new Map([['tablet001', 'signed-out']]),
    });
  });

  test.each([
    ['null (no presence yet)', null],
    ['a number', 5],
    ['an array', [1, 2]],
  ])('reads %s as no slots at generation 0', (_name, value) => {
    expect(slotSnapshot(value)).toBe(EMPTY_SNAPSHOT);
  });

  test('is lenient with what an admin may have written by hand', () => {
    const snapshot = slotSnapshot({ generation: 'x', devices: { a: 'junk', b: entry() }, evicted: { c: 7 } });
    expect(snapshot).toEqual({
      generation: 0,
      notBefore: null,
      devices: new Map([
        ['a', 0],
        ['b', 0],
      ]),
      notices: new Map([['c', 'unknown']]),
    });
  });
});

describe('decideSlot', () => {
  const presence = {
    count: 2,
    generation: 2,
    notBefore: 1_000,
    devices: { holder001: entry(2), stale0001: entry(1) },
    evicted: { swept0001: { reason: 'swept', at: 1, generation: 2 }, forced001: { reason: 'force-login', at: 1 } },
  };
  const snapshot = slotSnapshot(presence);

  // [case, deviceId, auth_time, expected code or null, expected reason]
  test.each<[string, string, number | undefined, string | null, string | undefined]>([
    ['the holder, signed in after the cut-off', 'holder001', 1_001, null, undefined],
    ['the holder, signed in in the same second as the cut-off', 'holder001', 1_000, null, undefined],
    ['the holder with a session older than the cut-off', 'holder001', 999, 'device-limit/evicted', 'force-login'],
    ['a token without auth_time while a cut-off exists', 'holder001', undefined, 'device-limit/evicted', 'force-login'],
    ['an entry of an older generation', 'stale0001', 2_000, 'device-limit/evicted', 'force-login'],
    ['a device removed with a notice', 'swept0001', 2_000, 'device-limit/evicted', 'swept'],
    ['a device evicted by force login', 'forced001', 2_000, 'device-limit/evicted', 'force-login'],
    [
      'a device id that holds nothing here (forged, or another user’s)',
      'someone01',
      2_000,
      'device-limit/no-slot',
      undefined,
    ],
  ])('%s', (_case, deviceId, authTime, code, reason) => {
    const decision = decideSlot(snapshot, { deviceId, authTime });
    if (code === null) {
      expect(decision).toBeNull();
    } else {
      expect(decision).toMatchObject({ httpStatus: 403, status: 'PERMISSION_DENIED', code });
      expect(decision?.reason).toBe(reason);
    }
  });

  test('without a cut-off, a token without auth_time is judged by the entry alone', () => {
    const open = slotSnapshot({ devices: { holder001: entry(0) } });
    expect(decideSlot(open, { deviceId: 'holder001', authTime: undefined })).toBeNull();
  });

  test('an entry without a generation matches an absent root generation (both mean 0)', () => {
    expect(
      decideSlot(slotSnapshot({ devices: { holder001: entry() } }), { deviceId: 'holder001', authTime: 5 }),
    ).toBeNull();
  });

  test('an empty presence holds no slot for anyone', () => {
    expect(decideSlot(EMPTY_SNAPSHOT, { deviceId: 'holder001', authTime: 5 })?.code).toBe('device-limit/no-slot');
  });
});
