import { SERVER_TIMESTAMP } from './contract';
import { planSignOutDevice } from './sign-out-plan';

describe('planSignOutDevice', () => {
  const entry = { claimedAt: 1, lastSeen: 1, generation: 2, platform: 'web', label: 'x' };

  it('removes the entry, recounts, names it in op and leaves a signed-out notice', () => {
    const current = { count: 2, generation: 2, op: 'keep0000', devices: { keep0000: entry, gone0000: entry } };
    expect(planSignOutDevice(current, 'gone0000', SERVER_TIMESTAMP)).toEqual({
      kind: 'applied',
      next: {
        count: 1,
        generation: 2,
        op: 'gone0000',
        devices: { keep0000: entry },
        evicted: { gone0000: { reason: 'signed-out', at: SERVER_TIMESTAMP, generation: 2 } },
      },
    });
  });

  it('recounts from the entries even when count had drifted', () => {
    const plan = planSignOutDevice({ count: 9, devices: { gone0000: entry } }, 'gone0000', 5);
    expect(plan).toMatchObject({ kind: 'applied', next: { count: 0 } });
    if (plan.kind === 'applied') expect(plan.next).not.toHaveProperty('devices');
  });

  it.each([null, 'junk', { count: 0 }, { count: 1, devices: { other000: entry } }])(
    'reports not-found for %p',
    (current) => {
      expect(planSignOutDevice(current, 'gone0000', 5)).toEqual({ kind: 'not-found' });
    },
  );
});
