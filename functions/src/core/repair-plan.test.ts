import { EVICTION_NOTICE_TTL_MS, SERVER_TIMESTAMP } from './contract';
import { countMatches, keepRecentNotices, planRepair, type RepairOptions } from './repair-plan';

const NOW = 1_700_000_000_000;
const base: RepairOptions = { limit: 2, now: NOW, stamp: SERVER_TIMESTAMP };

function entry(claimedAt: number, lastSeen = claimedAt, generation = 0) {
  return { claimedAt, lastSeen, generation, platform: 'web', label: 'Chrome' };
}

describe('planRepair (docs/protocol.md §5.4)', () => {
  it('leaves a consistent presence alone (the transaction aborts: convergence)', () => {
    const presence = { count: 2, op: 'deviceAAA', devices: { deviceAAA: entry(1), deviceBBB: entry(2) } };
    const plan = planRepair(presence, base);
    expect(plan.changed).toBe(false);
    expect(plan.removed).toEqual([]);
  });

  it('treats null (no presence yet) as nothing to do', () => {
    expect(planRepair(null, base)).toMatchObject({ changed: false, next: null, countAfter: 0 });
  });

  it.each([
    ['corrupted upward', 7, 2],
    ['corrupted downward', 0, 2],
    ['negative', -3, 1],
    ['not a number', 'two', 2],
    ['missing with entries', undefined, 1],
  ])('recomputes count when %s', (_name, count, entries) => {
    const devices = Object.fromEntries(Array.from({ length: entries }, (_, i) => [`device00${i}`, entry(i + 1)]));
    const plan = planRepair({ count, devices }, base);
    expect(plan.changed).toBe(true);
    expect(plan.next).toMatchObject({ count: entries });
    expect(plan.removed).toEqual([]);
  });

  it('accepts an absent count with no entries (absent means 0)', () => {
    expect(planRepair({ generation: 3 }, base).changed).toBe(false);
  });

  it('evicts the most recently claimed extras beyond the limit, with notices in the same write', () => {
    const presence = {
      count: 4,
      generation: 5,
      devices: { oldest00: entry(10), newest00: entry(40), middle00: entry(20), newer000: entry(30) },
    };
    const plan = planRepair(presence, base);
    expect(plan.removed).toEqual([
      { deviceId: 'newest00', reason: 'over-limit' },
      { deviceId: 'newer000', reason: 'over-limit' },
    ]);
    expect(plan.next).toEqual({
      count: 2,
      generation: 5,
      devices: { oldest00: entry(10), middle00: entry(20) },
      evicted: {
        newest00: { reason: 'over-limit', at: SERVER_TIMESTAMP, generation: 5 },
        newer000: { reason: 'over-limit', at: SERVER_TIMESTAMP, generation: 5 },
      },
    });
  });

  it('uses the configured reason when setDeviceLimit lowers the limit', () => {
    const presence = { count: 2, devices: { aaaaaaaa: entry(1), bbbbbbbb: entry(2) } };
    const plan = planRepair(presence, { ...base, limit: 1, overLimitReason: 'limit-lowered' });
    expect(plan.removed).toEqual([{ deviceId: 'bbbbbbbb', reason: 'limit-lowered' }]);
  });

  it('evicts everything at limit 0', () => {
    const plan = planRepair({ count: 1, devices: { aaaaaaaa: entry(1) } }, { ...base, limit: 0 });
    expect(plan.next).toMatchObject({ count: 0, evicted: { aaaaaaaa: { reason: 'over-limit' } } });
    expect(plan.next).not.toHaveProperty('devices');
  });

  it('is idempotent: planning its own result changes nothing', () => {
    const presence = { count: 9, devices: { a0000000: entry(1), b0000000: entry(2), c0000000: entry(3) } };
    const first = planRepair(presence, base);
    // The server resolves the timestamp; plan again on what the database would then hold.
    const stored = JSON.parse(JSON.stringify(first.next).replace(/\{".sv":"timestamp"\}/g, String(NOW)));
    expect(planRepair(stored, base).changed).toBe(false);
  });

  it('drops eviction notices older than the TTL and keeps recent ones', () => {
    const presence = {
      count: 0,
      evicted: {
        old00000: { reason: 'swept', at: NOW - EVICTION_NOTICE_TTL_MS - 1, generation: 0 },
        new00000: { reason: 'swept', at: NOW - 1000, generation: 0 },
        bad00000: 'not a notice',
      },
    };
    const plan = planRepair(presence, base);
    expect(plan.changed).toBe(true);
    expect(plan.noticesDropped).toBe(2);
    expect(plan.next).toEqual({ count: 0, evicted: { new00000: presence.evicted.new00000 } });
  });
});

describe('planRepair as the sweep (docs/protocol.md §5.3)', () => {
  it('sweeps entries whose lastSeen is below the cut-off and names the last one in op', () => {
    const presence = {
      count: 3,
      op: 'fresh000',
      devices: { stale000: entry(1, 100), fresh000: entry(2, 5000), stale001: entry(3, 200) },
    };
    const plan = planRepair(presence, { ...base, staleBefore: 1000 });
    expect(plan.removed.map((r) => [r.deviceId, r.reason])).toEqual([
      ['stale000', 'swept'],
      ['stale001', 'swept'],
    ]);
    expect(plan.next).toMatchObject({ count: 1, op: 'stale001', devices: { fresh000: entry(2, 5000) } });
  });

  it('keeps an entry whose lastSeen equals the cut-off (stale means strictly older)', () => {
    const presence = { count: 1, lastActive: 1000, devices: { edge0000: entry(1, 1000) } };
    expect(planRepair(presence, { ...base, staleBefore: 1000 }).changed).toBe(false);
  });

  it('removes lastActive when no entry remains, so the user is not visited again', () => {
    const released = { count: 0, op: 'gone0000', lastActive: 500 };
    const plan = planRepair(released, { ...base, staleBefore: 1000 });
    expect(plan).toMatchObject({ changed: true, removed: [], next: { count: 0, op: 'gone0000' } });
    expect(plan.next).not.toHaveProperty('lastActive');
    // Visiting the result again changes nothing.
    expect(planRepair(plan.next, { ...base, staleBefore: 1000 }).changed).toBe(false);
  });

  it('removes lastActive together with the last stale entry', () => {
    const plan = planRepair(
      { count: 1, lastActive: 100, devices: { stale000: entry(1, 100) } },
      {
        ...base,
        staleBefore: 1000,
      },
    );
    expect(plan.next).toEqual({
      count: 0,
      op: 'stale000',
      evicted: { stale000: { reason: 'swept', at: SERVER_TIMESTAMP, generation: 0 } },
    });
  });

  it('raises a lastActive older than a fresh entry, so the user leaves the query until it goes stale', () => {
    // A label change (docs/protocol.md §4.5) moves lastSeen without lastActive.
    const presence = { count: 1, lastActive: 100, devices: { fresh000: entry(1, 5000) } };
    const plan = planRepair(presence, { ...base, staleBefore: 1000 });
    expect(plan).toMatchObject({ changed: true, removed: [], next: { count: 1, lastActive: 5000 } });
    expect(plan.next).not.toHaveProperty('op');
  });

  it('sets an absent lastActive when entries remain (a version 1 claim), making the user visible', () => {
    const plan = planRepair({ count: 1, devices: { fresh000: entry(1, 5000) } }, { ...base, staleBefore: 1000 });
    expect(plan).toMatchObject({ changed: true, next: { lastActive: 5000 } });
  });

  it('leaves a lastActive newer than every entry alone', () => {
    const presence = { count: 1, lastActive: 9000, devices: { fresh000: entry(1, 5000) } };
    expect(planRepair(presence, { ...base, staleBefore: 1000 }).changed).toBe(false);
  });

  it('applies the repair too: count, over-limit extras', () => {
    const presence = {
      count: 0,
      lastActive: 100,
      devices: { a0000000: entry(1, 5000), b0000000: entry(2, 5000), c0000000: entry(3, 5000) },
    };
    const plan = planRepair(presence, { ...base, staleBefore: 1000 });
    expect(plan.removed).toEqual([{ deviceId: 'c0000000', reason: 'over-limit' }]);
    expect(plan.next).toMatchObject({ count: 2, op: 'c0000000', lastActive: 5000 });
  });

  it('does not touch lastActive outside a sweep', () => {
    expect(planRepair({ count: 0, lastActive: 1 }, base).changed).toBe(false);
  });
});

describe('planRepair (malformed values)', () => {
  it('removes a primitive where the presence object should be', () => {
    expect(planRepair(42, base)).toMatchObject({ changed: true, next: null });
  });

  it('drops a devices field that is not an object', () => {
    const plan = planRepair({ count: 0, devices: 'junk' }, base);
    expect(plan.changed).toBe(true);
    expect(plan.next).toEqual({ count: 0 });
  });

  it('preserves fields it does not own (generation, notBefore, op)', () => {
    const presence = { count: 5, generation: 2, notBefore: 123, op: 'aaaaaaaa', devices: { aaaaaaaa: entry(1, 1, 2) } };
    expect(planRepair(presence, base).next).toEqual({ ...presence, count: 1 });
  });
});

describe('keepRecentNotices', () => {
  it('keeps notices at or after the cut-off and drops older or malformed ones', () => {
    const notices = {
      a: { reason: 'swept', at: 10 },
      b: { reason: 'swept', at: 9 },
      c: 'junk',
      d: { reason: 'swept', at: '10' },
    };
    expect(keepRecentNotices({ evicted: notices }, 10)).toEqual({ notices: { a: notices.a }, dropped: 3 });
  });
});

describe('countMatches', () => {
  it.each([
    [2, 2, true],
    [undefined, 0, true],
    [undefined, 1, false],
    [null, 0, false],
    ['2', 2, false],
  ])('count %p vs %p entries -> %p', (count, entries, expected) => {
    expect(countMatches(count, entries)).toBe(expected);
  });
});

describe('planRepair with the plan limit (docs/protocol.md §11.1)', () => {
  const three = { count: 3, devices: { aaaaaaaa: entry(1), bbbbbbbb: entry(2), cccccccc: entry(3) } };

  it("without a token, takes the server's copy planLimit when /limits has no override", () => {
    const plan = planRepair({ ...three, planLimit: 3 }, { ...base, limit: { override: null } });
    expect(plan).toMatchObject({ changed: false, limit: 3, removed: [] });
  });

  it('without a copy or an override, the default', () => {
    const plan = planRepair(three, { ...base, limit: { override: null } });
    expect(plan.limit).toBe(2);
    expect(plan.removed).toEqual([{ deviceId: 'cccccccc', reason: 'over-limit' }]);
  });

  it('the override wins over the copy', () => {
    expect(planRepair({ ...three, planLimit: 3 }, { ...base, limit: { override: 1 } }).limit).toBe(1);
  });

  it('ignores a copy that is not a valid limit, as the rules ignore a malformed claim', () => {
    expect(planRepair({ ...three, planLimit: '3' }, { ...base, limit: { override: null } }).limit).toBe(2);
  });

  it("a caller's lower plan is recorded and evicts the newest extras with limit-lowered", () => {
    const plan = planRepair(
      { ...three, planLimit: 3 },
      { ...base, limit: { override: null, planLimit: 1 }, recordPlanLimit: 1 },
    );
    expect(plan.limit).toBe(1);
    expect(plan.removed).toEqual([
      { deviceId: 'cccccccc', reason: 'limit-lowered' },
      { deviceId: 'bbbbbbbb', reason: 'limit-lowered' },
    ]);
    expect(plan.next).toMatchObject({ count: 1, planLimit: 1 });
  });

  it('recording a changed plan alone is a change (the transaction writes it)', () => {
    const plan = planRepair(
      { ...three, planLimit: 3 },
      { ...base, limit: { override: null, planLimit: 5 }, recordPlanLimit: 5 },
    );
    expect(plan).toMatchObject({ changed: true, removed: [], next: { planLimit: 5 } });
  });

  it('a caller without a plan removes the copy; over the default, extras go as over-limit', () => {
    const plan = planRepair(
      { ...three, planLimit: 3 },
      { ...base, limit: { override: null, planLimit: null }, recordPlanLimit: null },
    );
    expect(plan.next).not.toHaveProperty('planLimit');
    expect(plan.removed).toEqual([{ deviceId: 'cccccccc', reason: 'over-limit' }]);
  });

  it('recording the same plan again changes nothing', () => {
    const plan = planRepair(
      { ...three, planLimit: 3 },
      { ...base, limit: { override: null, planLimit: 3 }, recordPlanLimit: 3 },
    );
    expect(plan.changed).toBe(false);
  });
});
