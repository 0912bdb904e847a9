/**
 * The state machine and the plan limit of the ID token (docs/protocol.md §11.1): it waits for the
 * token before deciding, judges a full account by override > plan > default, records the plan with
 * its claim, and records a changed plan while holding (repairing when it leaves too many devices).
 */
import { EMPTY_PRESENCE, type DeviceEntry, type PresenceView } from './presence';
import { claimUpdate } from './database';
import {
  publicState,
  reduceSession,
  startSession,
  type SessionContext,
  type SessionEffect,
  type SessionEvent,
} from './state-machine';

const D = 'thisDevice01';

function presence(ids: readonly string[], planLimit: number | null = null): PresenceView {
  const devices = new Map<string, DeviceEntry>(
    ids.map((deviceId) => [
      deviceId,
      { deviceId, platform: 'web', label: deviceId, claimedAt: 1000, lastSeen: 1000, generation: 0 },
    ]),
  );
  return { ...EMPTY_PRESENCE, count: devices.size, planLimit, devices };
}

class Harness {
  ctx: SessionContext;

  constructor(options: { canRepair?: boolean } = {}) {
    this.ctx = startSession({ ...options, readsPlanLimit: true }).context;
  }

  send(...events: SessionEvent[]): SessionEffect[] {
    const produced: SessionEffect[] = [];
    for (const event of events) {
      const step = reduceSession(this.ctx, event, 1_000_000);
      this.ctx = step.context;
      produced.push(...step.effects);
    }
    return produced;
  }

  boot(p: PresenceView, limit: number | null = null): SessionEffect[] {
    return this.send(
      { type: 'device-id', deviceId: D },
      { type: 'connection', connected: true },
      { type: 'limit', limit },
      { type: 'presence', presence: p },
    );
  }

  /** Claimed and acknowledged, with the plan `plan`, next to `others`. */
  active(plan: number | null, others: readonly string[]): void {
    this.boot(presence(others, plan));
    this.send({ type: 'plan-limit', planLimit: plan });
    const id = this.ctx.pending?.id ?? 0;
    this.send({ type: 'presence', presence: presence([...others, D], plan) }, { type: 'write-succeeded', id });
    expect(publicState(this.ctx).status).toBe('active');
  }
}

const types = (effects: readonly SessionEffect[]) => effects.map((e) => e.type);

describe('deciding with the plan limit', () => {
  it('waits for the token before deciding, so a plan is never mistaken for the default', () => {
    const h = new Harness();
    expect(h.boot(presence(['otherDevice1', 'thirdDevice1']))).toEqual([]);
    expect(h.send({ type: 'plan-limit', planLimit: 3 })).toEqual([
      { type: 'claim', id: 1, generation: 0, planLimit: 3 },
    ]);
  });

  it.each<[string, number | null, number | null, number]>([
    ['the plan when there is no override', null, 4, 4],
    ['the override over the plan', 1, 4, 1],
    ['the default without either', null, null, 2],
  ])('reports %s as the limit', (_name, override, plan, limit) => {
    const h = new Harness();
    h.boot(presence([]), override);
    h.send({ type: 'plan-limit', planLimit: plan });
    h.send({ type: 'presence', presence: presence([D]) }, { type: 'write-succeeded', id: 1 });
    expect(publicState(h.ctx)).toMatchObject({ status: 'active', limit });
  });

  it('a full account by its plan goes on with the liveness check, not a claim', () => {
    const h = new Harness();
    h.boot(presence(['a0000001', 'a0000002', 'a0000003']));
    expect(types(h.send({ type: 'plan-limit', planLimit: 3 }))).toEqual(['ping']);
  });

  it('a claim without a plan removes a copy left by an earlier plan, and leaves out an absent one', () => {
    const h = new Harness();
    h.boot(presence([], 5));
    expect(h.send({ type: 'plan-limit', planLimit: null })).toEqual([
      { type: 'claim', id: 1, generation: 0, planLimit: null },
    ]);
    const plain = new Harness();
    plain.boot(presence([]));
    expect(plain.send({ type: 'plan-limit', planLimit: null })).toEqual([{ type: 'claim', id: 1, generation: 0 }]);
  });

  it('the claim write carries the copy only when asked to', () => {
    const device = { generation: 0, platform: 'web' as const, label: 'x' };
    expect(claimUpdate('u1', D, device, null, 3)).toMatchObject({ 'presence/u1/planLimit': 3 });
    expect(claimUpdate('u1', D, device, null, null)).toHaveProperty(['presence/u1/planLimit'], null);
    expect(claimUpdate('u1', D, device, null)).not.toHaveProperty(['presence/u1/planLimit']);
  });
});

describe('a plan read while holding (a refreshed token, §11.1)', () => {
  it('records a plan that differs from the copy', () => {
    const h = new Harness();
    h.active(3, ['otherDevice1']);
    expect(h.send({ type: 'plan-limit', planLimit: 5 })).toEqual([{ type: 'record-plan-limit', planLimit: 5 }]);
  });

  it('writes nothing when the copy already says the same', () => {
    const h = new Harness();
    h.active(3, ['otherDevice1']);
    expect(h.send({ type: 'plan-limit', planLimit: 3 })).toEqual([]);
  });

  it('a lowered plan that leaves too many devices asks repairPresence when it can', () => {
    const h = new Harness({ canRepair: true });
    h.active(3, ['otherDevice1', 'thirdDevice1']);
    expect(h.send({ type: 'plan-limit', planLimit: 1 })).toEqual([
      { type: 'record-plan-limit', planLimit: 1 },
      { type: 'repair' },
    ]);
    expect(publicState(h.ctx)).toMatchObject({ status: 'active', limit: 1 });
  });

  it('without Functions it only records the plan (the extras stay until they leave)', () => {
    const h = new Harness();
    h.active(3, ['otherDevice1', 'thirdDevice1']);
    expect(types(h.send({ type: 'plan-limit', planLimit: 1 }))).toEqual(['record-plan-limit']);
  });

  it('records nothing while offline', () => {
    const h = new Harness();
    h.active(3, ['otherDevice1']);
    h.send({ type: 'connection', connected: false });
    expect(types(h.send({ type: 'plan-limit', planLimit: 5 }))).not.toContain('record-plan-limit');
  });
});
