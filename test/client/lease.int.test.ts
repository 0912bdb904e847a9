/**
 * The lease (docs/protocol.md §4.4, §4.10) against the real rules, hours at a time: a holder writes
 * nothing but one renewal per interval (`lastSeen` and `lastActive`, both the server's `now`), and a
 * sibling whose lease ran out is swept by a live holder within STALE_AFTER_MS + LEASE_RENEWAL_MS.
 * Time is virtual (virtual-time.ts) and moves our in-process emulator's clock with the sessions'.
 */
import { LEASE_RENEWAL_MS, STALE_AFTER_MS } from '../../client-sdk/src';
import { ownEmulatorSuite } from './own-emulator';
import {
  entries,
  eventuallyPresence,
  readAuditEvents,
  readPresence,
  sleep,
  startDevice,
  uniqueUid,
  writeGhost,
} from './support';

const { ns, time } = ownEmulatorSuite('demo-client-lease');

const MINUTE = 60_000;
/** Real time for a write that should not happen to show up if it did. */
const QUIET_MS = 300;

describe('the lease (docs/protocol.md §4.4)', () => {
  it('is renewed once per hour with lastSeen and lastActive, and nothing is written in between', async () => {
    const uid = uniqueUid();
    const device = await startDevice(ns, uid, { timers: time });
    await device.session.whenClaimed();
    const id = device.session.deviceId!;
    const claimed = await readPresence(ns, uid);
    const claimedAt = claimed.devices![id]!.claimedAt;
    expect(claimed.lastActive).toBe(claimedAt); // the claim writes lastActive too (docs/protocol.md §4.2)

    time.advance(LEASE_RENEWAL_MS - MINUTE);
    await sleep(QUIET_MS);
    expect(await readPresence(ns, uid)).toEqual(claimed);

    time.advance(MINUTE);
    const first = await eventuallyPresence(ns, uid, (p) => (p.devices?.[id]?.lastSeen ?? 0) > claimedAt);
    const renewedAt = first.devices![id]!.lastSeen;
    expect(renewedAt - claimedAt).toBeGreaterThanOrEqual(LEASE_RENEWAL_MS);
    expect(first.lastActive).toBe(renewedAt);
    expect({ ...first.devices![id], lastSeen: 0 }).toEqual({ ...claimed.devices![id], lastSeen: 0 });

    time.advance(LEASE_RENEWAL_MS);
    const second = await eventuallyPresence(ns, uid, (p) => (p.devices?.[id]?.lastSeen ?? 0) > renewedAt);
    expect(second.devices![id]!.lastSeen - renewedAt).toBeGreaterThanOrEqual(LEASE_RENEWAL_MS);
    expect(device.session.state.status).toBe('active');
  });

  it('follows leaseRenewalMs', async () => {
    const uid = uniqueUid();
    const device = await startDevice(ns, uid, { timers: time, leaseRenewalMs: 10 * MINUTE });
    await device.session.whenClaimed();
    const id = device.session.deviceId!;
    const claimedAt = (await readPresence(ns, uid)).devices![id]!.claimedAt;
    time.advance(10 * MINUTE);
    await eventuallyPresence(ns, uid, (p) => (p.devices?.[id]?.lastSeen ?? 0) >= claimedAt + 10 * MINUTE);
  });

  it('writes nothing when the app resumes within the interval', async () => {
    const uid = uniqueUid();
    const device = await startDevice(ns, uid, { timers: time });
    await device.session.whenClaimed();
    const before = await readPresence(ns, uid);
    time.advance(30 * MINUTE);
    device.session.pause();
    device.session.resume();
    await sleep(QUIET_MS);
    expect(await readPresence(ns, uid)).toEqual(before);
  });

  it('refuses a leaseRenewalMs outside 1 minute to 1 hour', async () => {
    await expect(startDevice(ns, uniqueUid(), { leaseRenewalMs: 30_000 })).rejects.toMatchObject({
      code: 'device-limit/invalid-argument',
    });
    await expect(startDevice(ns, uniqueUid(), { leaseRenewalMs: LEASE_RENEWAL_MS + 1 })).rejects.toMatchObject({
      code: 'device-limit/invalid-argument',
    });
  });
});

describe('the sibling sweep (docs/protocol.md §4.10)', () => {
  it('removes a ghost next to a live holder once its lease ran out, on the holder’s renewal', async () => {
    const uid = uniqueUid();
    const ghost = await writeGhost(ns, uid);
    const holder = await startDevice(ns, uid, { timers: time });
    await holder.session.whenClaimed();
    const id = holder.session.deviceId!;

    // Two hours on, both entries are within their lease: nothing is swept.
    time.advance(LEASE_RENEWAL_MS);
    time.advance(LEASE_RENEWAL_MS);
    await sleep(QUIET_MS);
    expect(entries(await readPresence(ns, uid))).toEqual([ghost, id].sort());

    // The third renewal finds the ghost's lastSeen more than STALE_AFTER_MS old.
    time.advance(STALE_AFTER_MS - 2 * LEASE_RENEWAL_MS + MINUTE);
    const after = await eventuallyPresence(ns, uid, (p) => p.devices?.[ghost] === undefined);
    expect(after.count).toBe(1);
    expect(entries(after)).toEqual([id]);
    expect(after.evicted?.[ghost]).toMatchObject({ reason: 'swept', generation: 0 });
    const swept = (await readAuditEvents(ns, uid)).filter((e) => e.type === 'swept');
    expect(swept).toEqual([expect.objectContaining({ type: 'swept', deviceId: ghost })]);
    expect(holder.session.state.status).toBe('active');
  });
});
