/**
 * The options of the rules generator (`--presence-path`, `--limits-path`, `--events-path`,
 * `--default-limit`, `--platforms`) change what the rules enforce, not only their text: generated
 * with other roots, a default limit of 1 and two platforms, the rules keep the protocol at the new
 * roots on the emulator, through the real SDK, and the default roots are closed.
 */
import { assertFails, assertSucceeds, initializeTestEnvironment } from '@firebase/rules-unit-testing';
import type { RulesTestEnvironment } from '@firebase/rules-unit-testing';
import { renderRulesFile } from '../../contract/src/rules';
import { emulatorAddress, freshNamespace } from '../helpers/emulator';
import {
  type Database,
  adminSet,
  claimUpdate,
  increment,
  newDeviceId,
  newUid,
  releaseUpdate,
  serverTimestamp,
} from '../helpers/presence';

const PRESENCE = 'dl_presence';
const LIMITS = 'dl_limits';
const EVENTS = 'dl_events';

let env: RulesTestEnvironment;

beforeAll(async () => {
  const { host, port } = emulatorAddress();
  env = await initializeTestEnvironment({
    projectId: freshNamespace('demo-rules-options'),
    database: {
      host,
      port,
      rules: renderRulesFile({
        paths: { presence: PRESENCE, limits: LIMITS, presenceEvents: EVENTS },
        defaultLimit: 1,
        platforms: ['web', 'tv'],
      }),
    },
  });
});
afterAll(async () => {
  await env.cleanup();
});

const TV = { platform: 'tv', label: 'Living room' };

function user(): { uid: string; db: Database } {
  const uid = newUid();
  return { uid, db: env.authenticatedContext(uid).database() };
}

test('a claim and a release at the configured presence root', async () => {
  const { uid, db } = user();
  const id = newDeviceId();
  await assertSucceeds(db.ref(`${PRESENCE}/${uid}`).update(claimUpdate(id, 0, TV)));
  await assertSucceeds(db.ref(`${PRESENCE}/${uid}/count`).get());
  await assertSucceeds(db.ref(`${PRESENCE}/${uid}`).update(releaseUpdate(id)));
});

test('the configured default limit (1), and a per-user limit at the configured limits root', async () => {
  const { uid, db } = user();
  await assertSucceeds(db.ref(`${PRESENCE}/${uid}`).update(claimUpdate(newDeviceId(), 0, TV)));
  await assertFails(db.ref(`${PRESENCE}/${uid}`).update(claimUpdate(newDeviceId(), 0, TV)));
  await adminSet(env, `${LIMITS}/${uid}`, 2);
  await assertSucceeds(db.ref(`${PRESENCE}/${uid}`).update(claimUpdate(newDeviceId(), 0, TV)));
  await assertSucceeds(db.ref(`${LIMITS}/${uid}`).get());
});

test('only the configured platforms', async () => {
  const { uid, db } = user();
  await assertFails(
    db.ref(`${PRESENCE}/${uid}`).update(claimUpdate(newDeviceId(), 0, { platform: 'ios', label: 'x' })),
  );
});

test('an audit event at the configured events root, checked against the claim it comes with', async () => {
  const { uid, db } = user();
  const id = newDeviceId();
  const event = (deviceId: string) => ({ type: 'claimed', deviceId, at: serverTimestamp() });
  const entry = { claimedAt: serverTimestamp(), lastSeen: serverTimestamp(), generation: 0, ...TV };
  const claimWithEvent = (eventDeviceId: string) =>
    db.ref().update({
      [`${PRESENCE}/${uid}/count`]: increment(1),
      [`${PRESENCE}/${uid}/op`]: id,
      [`${PRESENCE}/${uid}/devices/${id}`]: entry,
      [`${EVENTS}/${uid}/${newDeviceId('ev')}`]: event(eventDeviceId),
    });
  // An event about another device than the one claimed does not match its write.
  await assertFails(claimWithEvent(newDeviceId()));
  await assertSucceeds(claimWithEvent(id));
});

test('the default roots are closed', async () => {
  const { uid, db } = user();
  await assertFails(db.ref(`presence/${uid}`).update(claimUpdate(newDeviceId(), 0, TV)));
  await assertFails(db.ref(`limits/${uid}`).get());
  await assertFails(db.ref(`presenceEvents/${uid}`).get());
});
