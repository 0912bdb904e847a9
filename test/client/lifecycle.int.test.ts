/**
 * The idle timeout against the real rules: an idle release gives the slot back (with its `idle` audit
 * event, docs/protocol.md §6) and takes it again on the next activity; an explicit release is final.
 * The lease renewal has its own suite (lease.int.test.ts).
 */
import {
  eventuallyPresence,
  isStatus,
  readAuditEvents,
  readPresence,
  sharedEmulatorSuite,
  startDevice,
  uniqueUid,
  waitForState,
} from './support';

const ns = sharedEmulatorSuite('demo-client-lifecycle');

describe('the app lifecycle', () => {
  it('releases the slot after the idle timeout and claims it again on the next activity', async () => {
    const uid = uniqueUid();
    const device = await startDevice(ns, uid, { idleTimeoutMs: 400 });
    await device.session.whenClaimed();
    device.session.reportActivity();

    const idle = await waitForState(device.session, isStatus('released'), 3000);
    expect(idle.reason).toBe('idle');
    await eventuallyPresence(ns, uid, (p) => (p.count ?? 0) === 0);
    expect((await readAuditEvents(ns, uid)).map((e) => [e.type, e.reason])).toEqual([
      ['claimed', undefined],
      ['released', 'idle'],
    ]);

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

  it.each([
    ['empty', ''],
    ['blank', '   '],
    ['65 characters', 'x'.repeat(65)],
  ])('refuses a label that is %s with invalid-argument, before anything is written', async (_name, label) => {
    const uid = uniqueUid();
    await expect(startDevice(ns, uid, { label })).rejects.toMatchObject({
      name: 'DeviceLimitError',
      code: 'device-limit/invalid-argument',
    });
    expect(await readPresence(ns, uid)).toEqual({});
  });

  it('writes a 64-character label exactly as given', async () => {
    const uid = uniqueUid();
    const label = 'L'.repeat(64);
    const device = await startDevice(ns, uid, { label });
    await device.session.whenClaimed();
    expect(Object.values((await readPresence(ns, uid)).devices ?? {}).map((d) => d.label)).toEqual([label]);
  });

  it('refuses to claim on a closed session', async () => {
    const device = await startDevice(ns, uniqueUid());
    await device.session.whenClaimed();
    device.session.close();
    expect(() => device.session.claim()).toThrow(expect.objectContaining({ code: 'device-limit/session-closed' }));
  });
});
