/**
 * The liveness check on contention (docs/protocol.md §4.9, §4.10) with real `firebase` apps over real
 * sockets and the real rules: a ghost blocking a claim is swept within PING_DEADLINE_MS, a live holder
 * answers and keeps its slot, a frozen app loses its slot to a live claimer and learns it (`swept`)
 * when it thaws, and exactly N devices hold slots when claims race around ghosts. The deadline passes
 * in virtual time (virtual-time.ts) on our in-process emulator; nothing here sleeps 10 seconds.
 */
import { onValue, ref } from 'firebase/database';
import { PING_DEADLINE_MS, type DeviceSession, type DeviceSessionState } from '../../client-sdk/src';
import { ownEmulatorSuite } from './own-emulator';
import {
  connectDevice,
  entries,
  eventually,
  eventuallyPresence,
  isStatus,
  readAuditEvents,
  readPresence,
  sleep,
  startDevice,
  uniqueUid,
  waitForState,
  writeGhost,
  type Device,
  type PresenceJson,
} from './support';

const { ns, time } = ownEmulatorSuite('demo-client-liveness');

/** Virtual time just short of the deadline, and the rest of it (the client waits a margin past it). */
const ALMOST_MS = PING_DEADLINE_MS - 1000;
const PAST_DEADLINE_MS = 1500;
/** Real time in which an action that should not happen would have shown up. */
const QUIET_MS = 300;

async function device(uid: string, label: string): Promise<Device> {
  return startDevice(ns, uid, { timers: time, label });
}

async function active(uid: string, label: string): Promise<Device> {
  const d = await device(uid, label);
  expect((await d.session.whenClaimed()).status).toBe('active');
  return d;
}

/**
 * Waits until the ping is on the server and each of `holders` has answered it. Virtual time must not
 * jump before: a ping written after the jump would start its deadline late, and a live holder whose
 * answer was still in flight would look silent for the whole deadline.
 */
async function answered(uid: string, holders: readonly Device[]): Promise<PresenceJson> {
  return eventuallyPresence(
    ns,
    uid,
    (p) =>
      p.ping !== undefined &&
      holders.every((h) => (p.devices?.[h.session.deviceId!]?.lastSeen ?? 0) >= (p.ping ?? Infinity)),
  );
}

/** Every state a session goes through from now on. */
function record(session: DeviceSession): DeviceSessionState['status'][] {
  const seen: DeviceSessionState['status'][] = [];
  session.onStateChanged((state) => seen.push(state.status));
  return seen;
}

describe('a ghost blocking a claim (docs/protocol.md §4.9, §4.10)', () => {
  it('is swept within the deadline, and the claimer takes its slot', async () => {
    const uid = uniqueUid();
    const holder = await active(uid, 'Holder');
    const ghost = await writeGhost(ns, uid);
    const claimer = await device(uid, 'Claimer');
    await waitForState(claimer.session, isStatus('checking'));

    // The live holder answers at once; the ghost cannot.
    const { ping, devices } = await answered(uid, [holder]);
    expect(devices?.[ghost]?.lastSeen).toBeLessThan(ping!);

    // Nothing is swept before the deadline.
    time.advance(ALMOST_MS);
    await sleep(QUIET_MS);
    expect(entries(await readPresence(ns, uid))).toContain(ghost);
    expect(claimer.session.state.status).toBe('checking');

    time.advance(PAST_DEADLINE_MS);
    await waitForState(claimer.session, isStatus('active'));
    const presence = await readPresence(ns, uid);
    expect(presence.count).toBe(2);
    expect(entries(presence)).toEqual([holder.session.deviceId, claimer.session.deviceId].sort());
    expect(presence.evicted?.[ghost]).toMatchObject({ reason: 'swept', generation: 0 });
    expect(presence.evicted![ghost]!.at - ping!).toBeGreaterThanOrEqual(PING_DEADLINE_MS);
    expect(holder.session.state.status).toBe('active');
    const events = await readAuditEvents(ns, uid);
    expect(events.filter((e) => e.type === 'swept')).toEqual([expect.objectContaining({ deviceId: ghost })]);
  });
});

describe('live holders (docs/protocol.md §4.9 step 2)', () => {
  it('answer a ping and keep their slots; the claimer settles at limit-reached without waiting', async () => {
    const uid = uniqueUid();
    const a = await active(uid, 'A');
    const b = await active(uid, 'B');
    const claimer = await device(uid, 'C');
    const seen = record(claimer.session);
    // No time.advance: settling must not need the deadline (and waitForState gives up after 5 s).
    const outcome = await waitForState(claimer.session, (s) => s.status === 'limit-reached' || s.status === 'active');
    if (outcome.status !== 'limit-reached') throw new Error(`expected limit-reached, got ${outcome.status}`);
    expect(seen).toContain('checking');
    expect(outcome.devices.map((d) => d.label)).toEqual(['A', 'B']);

    const presence = await readPresence(ns, uid);
    expect(presence.ping).toBeGreaterThan(0);
    for (const holder of [a, b])
      expect(presence.devices![holder.session.deviceId!]!.lastSeen).toBeGreaterThanOrEqual(presence.ping!);
    expect(presence.count).toBe(2);
    expect(entries(presence)).toEqual([a.session.deviceId, b.session.deviceId].sort());

    // Past the deadline nothing changes: the claim attempt is over (at most one check).
    time.advance(PING_DEADLINE_MS + PAST_DEADLINE_MS);
    await sleep(QUIET_MS);
    expect(await readPresence(ns, uid)).toEqual(presence);
    expect([a, b].map((d) => d.session.state.status)).toEqual(['active', 'active']);
  });
});

describe('a frozen app (socket open, nothing answered)', () => {
  it('loses its slot to a live claimer within the deadline, and sees `swept` when it thaws', async () => {
    const uid = uniqueUid();
    const a = await active(uid, 'A');
    const frozen = await active(uid, 'Frozen');
    const frozenId = frozen.session.deviceId!;
    frozen.link.freeze();

    const claimer = await device(uid, 'C');
    await waitForState(claimer.session, isStatus('checking'));
    await answered(uid, [a]);
    time.advance(PING_DEADLINE_MS + PAST_DEADLINE_MS);
    await waitForState(claimer.session, isStatus('active'));
    const presence = await readPresence(ns, uid);
    expect(entries(presence)).toEqual([a.session.deviceId, claimer.session.deviceId].sort());
    expect(presence.evicted?.[frozenId]?.reason).toBe('swept');
    expect(frozen.session.state.status).toBe('active'); // it has heard nothing yet

    frozen.link.thaw();
    const state = await waitForState(frozen.session, isStatus('evicted'));
    expect(state.reason).toBe('swept-stale');
    expect(a.session.state.status).toBe('active');

    // Its onDisconnect release is refused when its socket finally closes: the count stays right.
    frozen.link.cut();
    frozen.link.refuse();
    await sleep(QUIET_MS);
    const after = await readPresence(ns, uid);
    expect(after.count).toBe(2);
    expect(entries(after)).toEqual(entries(presence));
  });
});

describe('racing claims around ghosts', () => {
  it('lets exactly N of 5 clients in when 2 ghosts hold both slots', async () => {
    const uid = uniqueUid();
    const ghosts = [await writeGhost(ns, uid, 'Ghost 1'), await writeGhost(ns, uid, 'Ghost 2')];
    const observer = await connectDevice(ns, uid);
    const counts: number[] = [];
    const sizes: number[] = [];
    onValue(ref(observer.db, `presence/${uid}`), (snapshot) => {
      const value = (snapshot.val() ?? {}) as { count?: number; devices?: Record<string, unknown> };
      counts.push(value.count ?? 0);
      sizes.push(Object.keys(value.devices ?? {}).length);
    });

    const racers = await Promise.all([1, 2, 3, 4, 5].map((i) => device(uid, `Racer ${i}`)));
    const settled = () => racers.every((r) => ['active', 'limit-reached'].includes(r.session.state.status));
    // Each round passes a deadline: a racer that joined late may have asked a check of its own.
    for (let round = 0; round < 5 && !settled(); round++) {
      await eventually(() => racers.every((r) => r.session.state.status !== 'claiming'), 5000);
      await sleep(QUIET_MS); // let pings in flight land, then their answers
      await answered(
        uid,
        racers.filter((r) => r.session.state.status === 'active'),
      );
      time.advance(PING_DEADLINE_MS + PAST_DEADLINE_MS);
      await sleep(QUIET_MS);
    }
    await eventually(settled, 5000);

    const statuses = racers.map((r) => r.session.state.status).sort();
    expect(statuses).toEqual(['active', 'active', 'limit-reached', 'limit-reached', 'limit-reached']);
    const presence = await readPresence(ns, uid);
    const winners = racers.filter((r) => r.session.state.status === 'active').map((r) => r.session.deviceId);
    expect(presence.count).toBe(2);
    expect(entries(presence)).toEqual(winners.sort());
    expect(Math.max(...counts)).toBe(2);
    expect(Math.max(...sizes)).toBe(2);
    const swept = (await readAuditEvents(ns, uid)).filter((e) => e.type === 'swept').map((e) => e.deviceId);
    expect(swept.sort()).toEqual([...ghosts].sort()); // each ghost swept exactly once
  });
});
