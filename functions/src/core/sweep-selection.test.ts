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
  it('returns unvisited users at or below the cut-off in query order (lastActive, then key)', () => {
    const page = {
      u3: { lastActive: 50 },
      u1: { lastActive: 10, count: 0 },
      u2: { lastActive: 10 },
      u4: { lastActive: 'junk' },
      u5: { lastActive: 200 },
      u6: { count: 1 },
      u7: 'not an object',
    };
    expect(selectSweepCandidates(page, 100, new Set())).toEqual([
      { uid: 'u1', lastActive: 10 },
      { uid: 'u2', lastActive: 10 },
      { uid: 'u3', lastActive: 50 },
    ]);
  });

  it('skips visited users', () => {
    const page = { u1: { lastActive: 1 }, u2: { lastActive: 2 } };
    expect(selectSweepCandidates(page, 100, new Set(['u1']))).toEqual([{ uid: 'u2', lastActive: 2 }]);
  });

  it('handles an empty page', () => {
    expect(selectSweepCandidates(null, 100, new Set())).toEqual([]);
  });
});
