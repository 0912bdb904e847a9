import {
  claimedAtOf,
  deviceSlots,
  generationOf,
  lastActiveOf,
  lastSeenOf,
  newestLastSeen,
  notBeforeOf,
} from './presence';

describe('presence readers', () => {
  it.each([
    [{ lastSeen: 5, claimedAt: 1 }, 5],
    [{ claimedAt: 3 }, 3],
    [{}, 0],
    ['junk', 0],
    [{ lastSeen: 'x', claimedAt: 7 }, 7],
  ])('lastSeenOf(%p) = %p', (entry, expected) => {
    expect(lastSeenOf(entry)).toBe(expected);
  });

  it('claimedAtOf sorts a missing claim as newest', () => {
    expect(claimedAtOf({ claimedAt: 4 })).toBe(4);
    expect(claimedAtOf({})).toBe(Number.POSITIVE_INFINITY);
    expect(claimedAtOf(null)).toBe(Number.POSITIVE_INFINITY);
  });

  it('newestLastSeen is the largest lastSeen of the slots, or undefined', () => {
    expect(newestLastSeen(deviceSlots({ devices: { a: { lastSeen: 30 }, b: { lastSeen: 10 } } }))).toBe(30);
    expect(newestLastSeen([])).toBeUndefined();
  });

  it('lastActiveOf reads a number and nothing else', () => {
    expect(lastActiveOf({ lastActive: 7 })).toBe(7);
    expect(lastActiveOf({ lastActive: '7' })).toBeUndefined();
    expect(lastActiveOf(null)).toBeUndefined();
  });

  it('generation and notBefore default as the protocol says', () => {
    expect(generationOf(null)).toBe(0);
    expect(generationOf({ generation: 'x' })).toBe(0);
    expect(generationOf({ generation: 4 })).toBe(4);
    expect(notBeforeOf({})).toBeUndefined();
    expect(notBeforeOf({ notBefore: 9 })).toBe(9);
  });

  it('deviceSlots ignores a devices field that is not an object', () => {
    expect(deviceSlots({ devices: 'x' })).toEqual([]);
    expect(deviceSlots({ devices: { a: 1 } })).toEqual([{ deviceId: 'a', entry: 1 }]);
  });
});
