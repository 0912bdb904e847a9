import { chooseOverLimitEvictions, compareByClaim } from './eviction';

const slot = (deviceId: string, claimedAt?: unknown) => ({
  deviceId,
  entry: claimedAt === undefined ? { lastSeen: 1 } : { claimedAt },
});

describe('chooseOverLimitEvictions', () => {
  it.each([
    ['under the limit', [slot('a', 1)], 2, []],
    ['at the limit', [slot('a', 1), slot('b', 2)], 2, []],
    ['one extra: the newest goes', [slot('a', 1), slot('c', 3), slot('b', 2)], 2, ['c']],
    ['newest first', [slot('a', 1), slot('b', 2), slot('c', 3)], 1, ['c', 'b']],
    ['equal claims: larger deviceId goes', [slot('y', 5), slot('x', 5)], 1, ['y']],
    ['no claimedAt counts as newest', [slot('old', 1), slot('weird')], 1, ['weird']],
    ['limit 0 evicts all', [slot('a', 1), slot('b', 2)], 0, ['b', 'a']],
  ])('%s', (_name, slots, limit, expected) => {
    expect(chooseOverLimitEvictions(slots, limit)).toEqual(expected);
  });

  it('does not depend on the order the entries arrive in', () => {
    const slots = [slot('d', 4), slot('a', 1), slot('c', 3), slot('b', 2)];
    const reversed = [...slots].reverse();
    expect(chooseOverLimitEvictions(slots, 2)).toEqual(chooseOverLimitEvictions(reversed, 2));
  });

  it('orders by claim then key', () => {
    expect(compareByClaim(slot('b', 1), slot('a', 2))).toBeLessThan(0);
    expect(compareByClaim(slot('b', 1), slot('a', 1))).toBeGreaterThan(0);
  });
});
