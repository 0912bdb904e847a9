import { selectSweepCandidates, staleCutoff } from './sweep-selection';

describe('staleCutoff', () => {
  it('is now minus the threshold', () => {
    expect(staleCutoff({ now: 10_000, staleAfterMs: 1_000 })).toBe(9_000);
  });

  it.each([
    [Number.NaN, 1],
    [1, 0],
    [1, -5],
    [1, Number.POSITIVE_INFINITY],
  ])('refuses now=%p staleAfterMs=%p', (now, staleAfterMs) => {
    expect(() => staleCutoff({ now, staleAfterMs })).toThrow(RangeError);
  });
});

describe('selectSweepCandidates', () => {
  it('returns unvisited uids at or below the cut-off in query order (value, then key)', () => {
    const page = { u3: 50, u1: 10, u2: 10, u4: 'junk', u5: 200 };
    expect(selectSweepCandidates(page, 100, new Set())).toEqual(['u1', 'u2', 'u3']);
  });

  it('skips visited users', () => {
    expect(selectSweepCandidates({ u1: 1, u2: 2 }, 100, new Set(['u1']))).toEqual(['u2']);
  });

  it('handles an empty page', () => {
    expect(selectSweepCandidates(null, 100, new Set())).toEqual([]);
  });
});
