/**
 * The audit trail stays bounded when the OWNER grows it (docs/protocol.md §6, docs/security.md):
 * the rules let a signed-in user push `denied` events under `/presenceEvents/{uid}` without limit,
 * and the `trimPresenceEvents` trigger cuts the trail back to PRESENCE_EVENTS_MAX, keeping the newest.
 *
 * The events are pushed through `database.rules.json` by an authenticated client
 * (`@firebase/rules-unit-testing`, loaded into this file's namespace), then the real exported
 * trigger runs through its entry point with the raw CloudEvent the database sends for each creation
 * (`google.firebase.database.ref.v1.created`: `data.data` null, `data.delta` the new value).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { initializeTestEnvironment, assertFails, type RulesTestEnvironment } from '@firebase/rules-unit-testing';
import { PRESENCE_EVENTS_MAX } from '../../functions/src/core/contract';
import { emulatorAddress } from '../helpers/emulator';
import { RULES_FILE, newDeviceId, newUid, serverTimestamp, type Database } from '../helpers/presence';
import { functions, startFunctionsContext, stopFunctionsContext, type FunctionsTestContext } from './support';

let ctx: FunctionsTestContext;
let env: RulesTestEnvironment;

beforeAll(async () => {
  ctx = startFunctionsContext('demo-fn-trim');
  const { host, port } = emulatorAddress();
  // rules-unit-testing loads the rules into, and connects its clients to, the namespace `projectId`:
  // the same namespace the functions' admin app uses.
  env = await initializeTestEnvironment({
    projectId: ctx.ns,
    database: { host, port, rules: readFileSync(RULES_FILE, 'utf8') },
  });
});
afterAll(async () => {
  await env.cleanup();
  await stopFunctionsContext();
});

/** The raw CloudEvent for the creation of `/presenceEvents/{uid}/{eventId}` by the signed-in owner. */
function eventCreated(uid: string, eventId: string, value: unknown): unknown {
  return {
    specversion: '1.0',
    id: randomUUID(),
    source: `//firebasedatabase.googleapis.com/projects/_/locations/us-central1/instances/${ctx.ns}`,
    type: 'google.firebase.database.ref.v1.created',
    time: new Date().toISOString(),
    instance: ctx.ns,
    ref: `/presenceEvents/${uid}/${eventId}`,
    firebasedatabasehost: emulatorAddress().hostAndPort,
    location: 'us-central1',
    authtype: 'app_user',
    authid: uid,
    data: { data: null, delta: value },
  };
}

/**
 * Runs the exported trigger for the creation of each of `eventIds`, `concurrency` at a time. `written`
 * holds each event's value as it was written: a redelivered event carries that value even after a trim
 * removed it.
 */
async function deliverCreations(
  uid: string,
  eventIds: readonly string[],
  written: Readonly<Record<string, unknown>>,
  concurrency: number,
): Promise<void> {
  const entry = functions.trimPresenceEvents as unknown as (raw: unknown) => Promise<unknown>;
  for (let i = 0; i < eventIds.length; i += concurrency) {
    const batch = eventIds.slice(i, i + concurrency);
    await Promise.all(batch.map((id) => entry(eventCreated(uid, id, written[id]))));
  }
}

async function readTrail(uid: string): Promise<Record<string, Record<string, unknown>>> {
  const value = (await ctx.db.ref(`presenceEvents/${uid}`).get()).val() as Record<
    string,
    Record<string, unknown>
  > | null;
  return value ?? {};
}

function deniedEvent(deviceId: string): Record<string, unknown> {
  return { type: 'denied', deviceId, reason: 'limit-reached', at: serverTimestamp() };
}

/** The owner pushes `n` `denied` events through the rules; returns their keys in push order. */
async function pushDenied(db: Database, uid: string, n: number): Promise<string[]> {
  const ref = db.ref(`presenceEvents/${uid}`);
  const keys: string[] = [];
  const writes: Array<Promise<unknown>> = [];
  for (let i = 0; i < n; i++) {
    const child = ref.push();
    keys.push(child.key as string);
    writes.push(child.set(deniedEvent(newDeviceId('spam'))));
  }
  await Promise.all(writes);
  return keys;
}

test('the owner can push more than the bound through the rules, and the trigger trims back to the newest', async () => {
  const uid = newUid('spammer');
  const db = env.authenticatedContext(uid).database();
  const total = PRESENCE_EVENTS_MAX + 25;

  // Two rounds, the second pushed while the first round's trigger runs are still going.
  const first = await pushDenied(db, uid, 60);
  const written = await readTrail(uid);
  const [second] = await Promise.all([pushDenied(db, uid, total - 60), deliverCreations(uid, first, written, 5)]);
  Object.assign(written, await readTrail(uid));
  const pushed = [...first, ...second];
  // Push ids from one client sort in creation order (docs/protocol.md §6).
  expect([...pushed].sort()).toEqual(pushed);

  await deliverCreations(uid, second, written, 10);
  const trail = await readTrail(uid);
  expect(Object.keys(trail).sort()).toEqual(pushed.slice(-PRESENCE_EVENTS_MAX));
  for (const event of Object.values(trail)) {
    expect(event).toMatchObject({ type: 'denied', reason: 'limit-reached', at: expect.any(Number) });
  }

  // Redelivered and overlapping runs (the platform delivers at least once) delete nothing more:
  // removing keys another run already removed is harmless.
  await deliverCreations(uid, [...pushed.slice(0, 5), ...pushed.slice(-5)], written, 10);
  expect(Object.keys(await readTrail(uid)).sort()).toEqual(pushed.slice(-PRESENCE_EVENTS_MAX));

  // The owner cannot undo the trim's work by rewriting or deleting its events (append only).
  const kept = pushed[pushed.length - 1] as string;
  await assertFails(db.ref(`presenceEvents/${uid}/${kept}`).remove());
  await assertFails(db.ref(`presenceEvents/${uid}/${kept}`).set(deniedEvent(newDeviceId('spam'))));
}, 60_000);

test('a trail within the bound is left alone', async () => {
  const uid = newUid('denied');
  const db = env.authenticatedContext(uid).database();
  const pushed = await pushDenied(db, uid, 3);
  await deliverCreations(uid, pushed, await readTrail(uid), 3);
  expect(Object.keys(await readTrail(uid)).sort()).toEqual(pushed);
});

test('a backlog left by failed trims is cleared by the next creation', async () => {
  const uid = newUid('backlog');
  const db = env.authenticatedContext(uid).database();
  const pushed = await pushDenied(db, uid, PRESENCE_EVENTS_MAX + 10);
  // Nothing in the rules bounds the trail: only the trigger does.
  expect(Object.keys(await readTrail(uid))).toHaveLength(PRESENCE_EVENTS_MAX + 10);
  // Only the last creation is delivered (the earlier runs were lost or dropped as too old).
  await deliverCreations(uid, pushed.slice(-1), await readTrail(uid), 1);
  expect(Object.keys(await readTrail(uid)).sort()).toEqual(pushed.slice(-PRESENCE_EVENTS_MAX));
});
