/**
 * The heartbeat (docs/protocol.md §4.4) and the idle timeout against the real rules: a heartbeat
 * must pass the `lastSeen == now` rule, and an idle release must give the slot back and take it again
 * on the next activity. The session's clock is injected so "30 s later" takes no time.
 */
import { freshNamespace } from '../helpers/emulator';
import type { Timers } from '../../client-sdk/src';
import {
  disposeAll,
  eventuallyPresence,
  isStatus,
  loadRules,
  readPresence,
  startDevice,
  uniqueUid,
  waitForState,
} from './support';

const ns = freshNamespace('demo-client-lifecycle');

beforeAll(() => loadRules(ns));
afterAll(() => disposeAll());

/** Real timeouts, with a clock the test can move forward. */
function adjustableClock(): Timers & { advance(ms: number): void } {
  let offset = 0;
  return {
    setTimeout: (callback, ms) => setTimeout(callback, ms),
    clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
    now: () => Date.now() + offset,
    advance: (ms) => {
      offset += ms;
    },
  };
}

describe('the app lifecycle', () => {
  it('heartbeats lastSeen on resume once the minimum gap has passed, and not before', async () => {
    const uid = uniqueUid();
    const clock = adjustableClock();
    const device = await startDevice(ns, uid, { timers: clock });
    await device.session.whenClaimed();
    const deviceId = device.session.deviceId!;
    const claimed = (await readPresence(ns, uid)).devices![deviceId]!.lastSeen;

    device.session.pause();
    device.session.resume(); // right after the claim: nothing to refresh
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await readPresence(ns, uid)).devices![deviceId]!.lastSeen).toBe(claimed);

    clock.advance(31_000);
    device.session.resume();
    const presence = await eventuallyPresence(ns, uid, (p) => (p.devices?.[deviceId]?.lastSeen ?? 0) > claimed);
    expect(presence.devices![deviceId]!.claimedAt).toBe(claimed); // claimedAt never changes
    expect(presence.count).toBe(1);
    expect(device.session.state.status).toBe('active');
  });

  it('releases the slot after the idle timeout and claims it again on the next activity', async () => {
    const uid = uniqueUid();
    const device = await startDevice(ns, uid, { idleTimeoutMs: 400 });
    await device.session.whenClaimed();
    device.session.reportActivity();

    const idle = await waitForState(device.session, isStatus('released'), 3000);
    expect(idle.reason).toBe('idle');
    await eventuallyPresence(ns, uid, (p) => (p.count ?? 0) === 0);

    device.session.reportActivity();
    await waitForState(device.session, isStatus('active'));
    await eventuallyPresence(ns, uid, (p) => p.count === 1);
  });

  it('does not claim again on activity after an explicit release', async () => {
    const uid = uniqueUid();
    const device = await startDevice(ns, uid, { idleTimeoutMs: 60_000 });
    await device.session.whenClaimed();
    await device.session.release();
    device.session.reportActivity();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(device.session.state.status).toBe('released');
    expect((await readPresence(ns, uid)).count ?? 0).toBe(0);
  });

  it('refuses to claim on a closed session', async () => {
    const device = await startDevice(ns, uniqueUid());
    await device.session.whenClaimed();
    device.session.close();
    expect(() => device.session.claim()).toThrow(expect.objectContaining({ code: 'device-limit/session-closed' }));
  });
});
