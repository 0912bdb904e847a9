/**
 * The rejoin reservation (docs/protocol.md §4.11): the onDisconnect release of a device writes
 * `rejoin: { deviceId, at: now }`, and for REJOIN_WINDOW_MS the slot it freed is kept for that device
 * (another tab of the same browser, or the same app on its next connection). Another device's claim
 * that would take that slot is refused; the reserved device's own claim is accepted and clears it.
 * Time is moved by ageing the reservation through the admin context (support.ts, "Time").
 */
import { assertFails, assertSucceeds } from '@firebase/rules-unit-testing';
import type { RulesTestEnvironment } from '@firebase/rules-unit-testing';
import { REJOIN_WINDOW_MS } from '@device-limit/contract';
import type { Database } from '../helpers/presence';
import {
  adminSet,
  adminUpdate,
  closeAndSettle,
  newDeviceId,
  newUid,
  serverTimestamp,
  startRulesEnvironment,
} from '../helpers/presence';
import { MARGIN_MS, claimWrite, expectUnchanged, presenceV2, releaseWrite, send, stateOf, type Write } from './support';

let env: RulesTestEnvironment;

beforeAll(async () => {
  env = await startRulesEnvironment('demo-rules-rejoin');
});
afterAll(async () => {
  await env.cleanup();
});

/** docs/protocol.md §4.11: what the onDisconnect release adds to §4.6. */
function rejoinWrite(uid: string, deviceId: string, at: unknown = serverTimestamp()): Write {
  return { [`presence/${uid}/rejoin`]: { deviceId, at } };
}

/** docs/protocol.md §4.2 with the removal of this device's own reservation. */
function rejoinClaim(uid: string, deviceId: string): Write {
  return { ...claimWrite(uid, deviceId), [`presence/${uid}/rejoin`]: null };
}

/**
 * A full account (limit 2) whose device `a` just lost its connection: `b` still holds a slot, and the
 * slot `a` held is reserved for it. `c` is a third device of the same user.
 */
async function reservedForA(): Promise<{ uid: string; db: Database; a: string; b: string; c: string }> {
  const uid = newUid();
  const db = env.authenticatedContext(uid).database();
  const [a, b, c] = [newDeviceId('a'), newDeviceId('b'), newDeviceId('c')];
  await send(db, claimWrite(uid, a));
  await send(db, claimWrite(uid, b));
  await send(db, releaseWrite(uid, a), rejoinWrite(uid, a));
  return { uid, db, a, b, c };
}

/** Makes the reservation `ageMs` old, as if `a` had dropped that long ago. */
function ageRejoin(uid: string, ageMs: number): Promise<void> {
  return adminUpdate(env, `presence/${uid}/rejoin`, { at: Date.now() - ageMs });
}

describe('the reservation a release leaves', () => {
  test('is written with the release of the device it names, stamped now', async () => {
    const { uid, a } = await reservedForA();
    const state = await presenceV2(env, uid);
    expect(state.count).toBe(1);
    expect(state.devices?.[a]).toBeUndefined();
    expect(state.rejoin?.deviceId).toBe(a);
    expect(state.rejoin?.at).toBeGreaterThan(Date.now() - MARGIN_MS);
  });

  test('is written by the onDisconnect release when the socket closes, checked at registration and when it runs', async () => {
    const uid = newUid();
    const device = env.authenticatedContext(uid).database();
    const a = newDeviceId('a');
    await send(device, claimWrite(uid, a));
    await assertSucceeds(
      device
        .ref()
        .onDisconnect()
        .update({ ...releaseWrite(uid, a), ...rejoinWrite(uid, a) }),
    );
    await closeAndSettle(env, device, uid);
    const state = await presenceV2(env, uid);
    expect(state.count).toBe(0);
    expect(state.rejoin?.deviceId).toBe(a);
  });

  test('a newer release replaces an older reservation', async () => {
    const { uid, db, b } = await reservedForA();
    await assertSucceeds(send(db, releaseWrite(uid, b), rejoinWrite(uid, b)));
    expect((await presenceV2(env, uid)).rejoin?.deviceId).toBe(b);
  });

  const forgeries: Array<[string, (uid: string, ids: { a: string; b: string; c: string }) => Write[]]> = [
    ['alone, without a release', (uid, { b }) => [rejoinWrite(uid, b)]],
    ['naming another device than the one released', (uid, { b, c }) => [releaseWrite(uid, b), rejoinWrite(uid, c)]],
    ['with a claim', (uid, { c }) => [claimWrite(uid, c), rejoinWrite(uid, c)]],
    ['with a past time', (uid, { b }) => [releaseWrite(uid, b), rejoinWrite(uid, b, Date.now() - 1000)]],
    ['with a future time', (uid, { b }) => [releaseWrite(uid, b), rejoinWrite(uid, b, Date.now() + 60_000)]],
    ['without its time', (uid, { b }) => [releaseWrite(uid, b), { [`presence/${uid}/rejoin`]: { deviceId: b } }]],
    [
      'with another field',
      (uid, { b }) => [
        releaseWrite(uid, b),
        { [`presence/${uid}/rejoin`]: { deviceId: b, at: serverTimestamp(), until: 1 } },
      ],
    ],
    ['with a malformed deviceId', (uid) => [rejoinWrite(uid, 'bad/id')]],
  ];
  test.each(forgeries)('cannot be written %s', async (_name, write) => {
    const { uid, db, a, b, c } = await reservedForA();
    const before = await stateOf(env, uid);
    await assertFails(send(db, ...write(uid, { a, b, c })));
    await expectUnchanged(env, uid, before);
  });

  test("is not the owner's to write for another user", async () => {
    const { uid, a } = await reservedForA();
    const stranger = env.authenticatedContext(newUid()).database();
    const before = await stateOf(env, uid);
    await assertFails(send(stranger, { [`presence/${uid}/rejoin`]: null }));
    await assertFails(send(stranger, rejoinWrite(uid, a)));
    await expectUnchanged(env, uid, before);
  });
});

describe('while the window is open', () => {
  test('another device cannot claim the reserved slot', async () => {
    const { uid, db, c } = await reservedForA();
    const before = await stateOf(env, uid);
    await assertFails(send(db, claimWrite(uid, c)));
    await expectUnchanged(env, uid, before);
  });

  test('another device cannot clear the reservation to claim', async () => {
    const { uid, db, c } = await reservedForA();
    const before = await stateOf(env, uid);
    await assertFails(send(db, claimWrite(uid, c), { [`presence/${uid}/rejoin`]: null }));
    await assertFails(send(db, { [`presence/${uid}/rejoin`]: null }));
    await expectUnchanged(env, uid, before);
  });

  test('the reserved device claims its slot back and clears the reservation', async () => {
    const { uid, db, a } = await reservedForA();
    await assertSucceeds(send(db, rejoinClaim(uid, a)));
    const state = await presenceV2(env, uid);
    expect(state.count).toBe(2);
    expect(state.devices?.[a]).toBeDefined();
    expect(state.rejoin).toBeUndefined();
  });

  test('the reserved device may also claim and leave the reservation (older clients)', async () => {
    const { uid, db, a, c } = await reservedForA();
    await assertSucceeds(send(db, claimWrite(uid, a)));
    expect((await presenceV2(env, uid)).count).toBe(2);
    // Full now; the reservation names a device that holds its slot, so it keeps nothing more free.
    await assertFails(send(db, claimWrite(uid, c)));
  });

  test('a claim that leaves another slot free is not held up by the reservation', async () => {
    const { uid, db, c } = await reservedForA();
    await adminSet(env, `limits/${uid}`, 3);
    await assertSucceeds(send(db, claimWrite(uid, c)));
    expect((await presenceV2(env, uid)).count).toBe(2);
  });

  test('a release and a renewal go on as before', async () => {
    const { uid, db, b } = await reservedForA();
    await assertSucceeds(send(db, { [`presence/${uid}/devices/${b}/lastSeen`]: serverTimestamp() }));
    await assertSucceeds(send(db, releaseWrite(uid, b)));
    expect((await presenceV2(env, uid)).count).toBe(0);
  });
});

describe('once the window has passed', () => {
  test('another device claims the slot, and may clear the expired reservation with its claim', async () => {
    const { uid, db, c } = await reservedForA();
    await ageRejoin(uid, REJOIN_WINDOW_MS + MARGIN_MS);
    await assertSucceeds(send(db, claimWrite(uid, c), { [`presence/${uid}/rejoin`]: null }));
    const state = await presenceV2(env, uid);
    expect(state.count).toBe(2);
    expect(state.rejoin).toBeUndefined();
  });

  test('just before it passes, the slot is still kept', async () => {
    const { uid, db, c } = await reservedForA();
    await ageRejoin(uid, REJOIN_WINDOW_MS - MARGIN_MS);
    await assertFails(send(db, claimWrite(uid, c)));
  });
});
