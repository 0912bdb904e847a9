import { EVICTION_NOTICE_TTL_MS, SERVER_TIMESTAMP } from './contract';
import { planSignOutDevice } from './sign-out-plan';

const NOW = 1_700_000_000_000;

describe('planSignOutDevice', () => {
  const entry = { claimedAt: 1, lastSeen: 1, generation: 2, platform: 'web', label: 'x' };
  const input = { deviceId: 'gone0000', stamp: SERVER_TIMESTAMP, now: NOW };

  it('removes the entry, recounts, names it in op and leaves a signed-out notice', () => {
    const current = {
      count: 2,
      generation: 2,
      op: 'keep0000',
      lastActive: 5,
      devices: { keep0000: entry, gone0000: entry },
    };
    expect(planSignOutDevice(current, input)).toEqual({
      kind: 'applied',
      next: {
        count: 1,
        generation: 2,
        op: 'gone0000',
        lastActive: 5,
        devices: { keep0000: entry },
        evicted: { gone0000: { reason: 'signed-out', at: SERVER_TIMESTAMP, generation: 2 } },
      },
    });
  });

  it('recounts from the entries even when count had drifted', () => {
    const plan = planSignOutDevice({ count: 9, devices: { gone0000: entry } }, input);
    expect(plan).toMatchObject({ kind: 'applied', next: { count: 0 } });
    if (plan.kind === 'applied') expect(plan.next).not.toHaveProperty('devices');
  });

  it('drops notices older than the TTL and keeps recent ones (docs/protocol.md §5)', () => {
    const old = { reason: 'swept', at: NOW - EVICTION_NOTICE_TTL_MS - 1, generation: 0 };
    const recent = { reason: 'swept', at: NOW - 1, generation: 0 };
    const plan = planSignOutDevice(
      { count: 1, devices: { gone0000: entry }, evicted: { old00000: old, new00000: recent } },
      input,
    );
    if (plan.kind !== 'applied') throw new Error(plan.kind);
    expect(Object.keys(plan.next.evicted as object).sort()).toEqual(['gone0000', 'new00000']);
  });

  it.each([null, 'junk', { count: 0 }, { count: 1, devices: { other000: entry } }])(
    'reports not-found for %p',
    (current) => {
      expect(planSignOutDevice(current, input)).toEqual({ kind: 'not-found' });
    },
  );
});
