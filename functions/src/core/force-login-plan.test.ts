import { EVICTION_NOTICE_TTL_MS, SERVER_TIMESTAMP } from './contract';
import { planForceLogin, type ForceLoginInput } from './force-login-plan';

const input: ForceLoginInput = {
  deviceId: 'caller00',
  platform: 'ios',
  label: 'iPhone',
  authTime: 1_700_000_000,
  limit: 2,
  stamp: SERVER_TIMESTAMP,
  now: 1_700_000_000_000,
};

const entry = (claimedAt: number, generation: number) => ({
  claimedAt,
  lastSeen: claimedAt,
  generation,
  platform: 'web',
  label: 'Chrome',
});

describe('planForceLogin', () => {
  it('bumps generation, keeps only the caller, sets count 1, lastActive, notBefore, op and notices in one value', () => {
    const current = {
      count: 2,
      op: 'other001',
      generation: 3,
      devices: { other001: entry(10, 3), other002: entry(20, 3) },
    };
    const plan = planForceLogin(current, input);
    expect(plan).toEqual({
      kind: 'applied',
      generation: 4,
      evicted: ['other001', 'other002'],
      claimed: true,
      next: {
        count: 1,
        op: 'caller00',
        generation: 4,
        lastActive: SERVER_TIMESTAMP,
        notBefore: input.authTime,
        devices: {
          caller00: {
            claimedAt: SERVER_TIMESTAMP,
            lastSeen: SERVER_TIMESTAMP,
            generation: 4,
            platform: 'ios',
            label: 'iPhone',
          },
        },
        evicted: {
          other001: { reason: 'force-login', at: SERVER_TIMESTAMP, generation: 4 },
          other002: { reason: 'force-login', at: SERVER_TIMESTAMP, generation: 4 },
        },
      },
    });
  });

  it('keeps the claimedAt of a caller that already held a slot', () => {
    const current = { count: 2, generation: 1, devices: { caller00: entry(5, 1), other001: entry(6, 1) } };
    const plan = planForceLogin(current, input);
    if (plan.kind !== 'applied') throw new Error(plan.kind);
    expect(plan.claimed).toBe(false);
    expect(plan.evicted).toEqual(['other001']);
    expect(plan.next.devices).toEqual({
      caller00: { claimedAt: 5, lastSeen: SERVER_TIMESTAMP, generation: 2, platform: 'ios', label: 'iPhone' },
    });
  });

  it('works on an empty presence (generation absent means 0)', () => {
    const plan = planForceLogin(null, input);
    expect(plan).toMatchObject({ kind: 'applied', generation: 1, evicted: [] });
    if (plan.kind === 'applied') expect(plan.next).not.toHaveProperty('evicted');
  });

  it('keeps recent notices of other devices and drops those older than the TTL', () => {
    const recent = { reason: 'swept', at: input.now - 1, generation: 0 };
    const old = { reason: 'swept', at: input.now - EVICTION_NOTICE_TTL_MS - 1, generation: 0 };
    const plan = planForceLogin({ count: 0, evicted: { gone0000: recent, old00000: old } }, input);
    if (plan.kind !== 'applied') throw new Error(plan.kind);
    expect(plan.next.evicted).toEqual({ gone0000: recent });
  });

  it('keeps fields it does not own, such as a pending liveness check', () => {
    const plan = planForceLogin({ count: 0, ping: 123, lastActive: 5 }, input);
    expect(plan).toMatchObject({ kind: 'applied', next: { ping: 123, lastActive: SERVER_TIMESTAMP } });
  });

  it('never lowers notBefore', () => {
    const plan = planForceLogin({ notBefore: input.authTime }, input);
    expect(plan).toMatchObject({ kind: 'applied', next: { notBefore: input.authTime } });
  });

  it('refuses a session that signed in before the current notBefore', () => {
    expect(planForceLogin({ notBefore: input.authTime + 1 }, input)).toEqual({
      kind: 'session-cut-off',
      notBefore: input.authTime + 1,
    });
  });

  it('refuses when the limit is 0', () => {
    expect(planForceLogin(null, { ...input, limit: 0 })).toEqual({ kind: 'limit-zero' });
  });
});

describe('planForceLogin records the caller plan limit (docs/protocol.md §11.1)', () => {
  it('sets the copy to the caller claim', () => {
    const plan = planForceLogin({ planLimit: 2 }, { ...input, planLimit: 5 });
    expect(plan.kind === 'applied' && plan.next.planLimit).toBe(5);
  });

  it('removes the copy when the caller token carries no plan', () => {
    const plan = planForceLogin({ planLimit: 2 }, { ...input, planLimit: null });
    expect(plan.kind === 'applied' && 'planLimit' in plan.next).toBe(false);
  });

  it('leaves the copy alone when the plan is not known', () => {
    const plan = planForceLogin({ planLimit: 2 }, input);
    expect(plan.kind === 'applied' && plan.next.planLimit).toBe(2);
  });
});
