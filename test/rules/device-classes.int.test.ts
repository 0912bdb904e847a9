/**
 * Device classes (docs/protocol.md §11.3): per-class counters `classCount/{class}` kept exact like
 * `count` and bounded by the per-user `classLimits/{class}` an admin sets, alongside the total. Every
 * attack is followed by a check that nothing of the user changed; the races show each class limit
 * stays exact.
 */
import { assertFails, assertSucceeds } from '@firebase/rules-unit-testing';
import type { RulesTestEnvironment } from '@firebase/rules-unit-testing';
import type { Database, DeviceInfo } from '../helpers/presence';
import {
  adminSet,
  adminUpdate,
  entryCount,
  increment,
  newDeviceId,
  newUid,
  presenceRef,
  startRulesEnvironment,
} from '../helpers/presence';
import {
  ageEntry,
  claimWrite,
  expectUnchanged,
  presenceV2,
  releaseWrite,
  renewWrite,
  replaceWrite,
  send,
  stateOf,
  sweepWrite,
  withClasses,
  type Write,
  STALE_AFTER_MS,
} from './support';

let env: RulesTestEnvironment;

beforeAll(async () => {
  env = await startRulesEnvironment('demo-rules-classes');
});
afterAll(async () => {
  await env.cleanup();
});

const PHONE: DeviceInfo = { platform: 'ios', label: 'iPhone' };
const ANDROID: DeviceInfo = { platform: 'android', label: 'Pixel' };
const BROWSER: DeviceInfo = { platform: 'web', label: 'Chrome' };
const LAPTOP: DeviceInfo = { platform: 'macos', label: 'MacBook' };

/** A user with a total of `total` and the class limits `limits`, set as the server sets them. */
async function user(limits: Record<string, number>, total = 5): Promise<{ uid: string; db: Database }> {
  const uid = newUid();
  await adminSet(env, `limits/${uid}`, total);
  await adminUpdate(env, `presence/${uid}`, { classLimits: limits });
  return { uid, db: env.authenticatedContext(uid).database() };
}

/** docs/protocol.md §11.3: the claim of `deviceId` of class `deviceClass`, its counter +1. */
function classedClaim(uid: string, deviceId: string, info: DeviceInfo, deviceClass: string): Write {
  return withClasses(uid, claimWrite(uid, deviceId, 0, info), { [deviceId]: deviceClass }, { [deviceClass]: 1 });
}

function classedRelease(uid: string, deviceId: string, deviceClass: string): Write {
  return withClasses(uid, releaseWrite(uid, deviceId), {}, { [deviceClass]: -1 });
}

describe('claims and releases keep each class counter exact', () => {
  test('one phone (mobile: 1), one TV (tv: 1), unlimited web; the class and the total both bound', async () => {
    const { uid, db } = await user({ mobile: 1, tv: 1 }, 3);
    await assertSucceeds(send(db, classedClaim(uid, newDeviceId('p'), PHONE, 'mobile')));
    await assertFails(send(db, classedClaim(uid, newDeviceId('q'), ANDROID, 'mobile')));
    await assertSucceeds(send(db, classedClaim(uid, newDeviceId('t'), ANDROID, 'tv')));
    await assertSucceeds(send(db, classedClaim(uid, newDeviceId('w'), BROWSER, 'web')));
    await assertFails(send(db, classedClaim(uid, newDeviceId('x'), LAPTOP, 'desktop'))); // total 3
    const state = await presenceV2(env, uid);
    expect(state).toMatchObject({ count: 3, classCount: { mobile: 1, tv: 1, web: 1 } });
  });

  test('a release gives its class slot back', async () => {
    const { uid, db } = await user({ mobile: 1 });
    const phone = newDeviceId('p');
    await send(db, classedClaim(uid, phone, PHONE, 'mobile'));
    await assertSucceeds(send(db, classedRelease(uid, phone, 'mobile')));
    await assertSucceeds(send(db, classedClaim(uid, newDeviceId('q'), ANDROID, 'mobile')));
    expect((await presenceV2(env, uid)).classCount).toEqual({ mobile: 1 });
  });

  test('a sweep of a stale entry takes its class counter down with it', async () => {
    const { uid, db } = await user({ mobile: 1 });
    const phone = newDeviceId('p');
    await send(db, classedClaim(uid, phone, PHONE, 'mobile'));
    await ageEntry(env, uid, phone, STALE_AFTER_MS + 60_000);
    await assertSucceeds(send(db, withClasses(uid, sweepWrite(uid, phone), {}, { mobile: -1 })));
    expect((await presenceV2(env, uid)).classCount).toEqual({ mobile: 0 });
  });

  test('a TV app may declare the class tv on any platform', async () => {
    const { uid, db } = await user({ tv: 2 });
    await assertSucceeds(send(db, classedClaim(uid, newDeviceId('a'), ANDROID, 'tv')));
    await assertSucceeds(send(db, classedClaim(uid, newDeviceId('w'), BROWSER, 'tv')));
  });

  test('without class limits, claims without classes (docs/protocol.md §4.2) stay valid and count nothing', async () => {
    const uid = newUid();
    const db = env.authenticatedContext(uid).database();
    const a = newDeviceId('a');
    await assertSucceeds(send(db, claimWrite(uid, a)));
    await assertSucceeds(send(db, releaseWrite(uid, a)));
    expect((await presenceV2(env, uid)).classCount).toBeUndefined();
  });

  test('renewals and label changes keep working on a classed entry', async () => {
    const { uid, db } = await user({ mobile: 1 });
    const phone = newDeviceId('p');
    await send(db, classedClaim(uid, phone, PHONE, 'mobile'));
    await assertSucceeds(send(db, renewWrite(uid, phone)));
    await assertSucceeds(send(db, { [`presence/${uid}/devices/${phone}/label`]: 'My phone' }));
  });
});

describe('replaces (docs/protocol.md §11.2) with classes', () => {
  test('within a full class, on an account with room in total: counters unchanged', async () => {
    const { uid, db } = await user({ mobile: 1 });
    const old = newDeviceId('o');
    await send(db, classedClaim(uid, old, PHONE, 'mobile'));
    const next = newDeviceId('n');
    await assertSucceeds(
      send(db, withClasses(uid, replaceWrite(uid, next, old, 0, ANDROID), { [next]: 'mobile' }, {})),
    );
    expect(await presenceV2(env, uid)).toMatchObject({ count: 1, classCount: { mobile: 1 } });
  });

  test('across classes on a full account: the new class +1, the old −1', async () => {
    const { uid, db } = await user({ tv: 1 }, 2);
    const laptop = newDeviceId('l');
    await send(db, classedClaim(uid, laptop, LAPTOP, 'desktop'));
    await send(db, classedClaim(uid, newDeviceId('w'), BROWSER, 'web'));
    const tv = newDeviceId('t');
    await assertSucceeds(
      send(db, withClasses(uid, replaceWrite(uid, tv, laptop, 0, ANDROID), { [tv]: 'tv' }, { tv: 1, desktop: -1 })),
    );
    expect((await presenceV2(env, uid)).classCount).toEqual({ desktop: 0, web: 1, tv: 1 });
  });
});

/** [name, attack, the total limit (default 5; 1 makes the account full, so a replace is in order)] */
type Attack = [string, (uid: string, db: Database, phone: string) => Promise<unknown>, number?];

const attacks: Attack[] = [
  ['a web entry forged as mobile', (uid, db) => send(db, classedClaim(uid, newDeviceId('f'), BROWSER, 'mobile'))],
  [
    'an android entry forged as desktop',
    (uid, db) => send(db, classedClaim(uid, newDeviceId('f'), ANDROID, 'desktop')),
  ],
  ['an unknown class', (uid, db) => send(db, classedClaim(uid, newDeviceId('f'), ANDROID, 'car'))],
  [
    'a class that is not a string',
    (uid, db) => {
      const id = newDeviceId('f');
      return send(db, withClasses(uid, claimWrite(uid, id, 0, ANDROID), { [id]: 7 }, { mobile: 1 }));
    },
  ],
  [
    'a claim without a class while the user has class limits',
    (uid, db) => send(db, claimWrite(uid, newDeviceId('f'), 0, BROWSER)),
  ],
  [
    'a claim of a limited class without its counter',
    (uid, db) => {
      const id = newDeviceId('l');
      return send(db, withClasses(uid, claimWrite(uid, id, 0, LAPTOP), { [id]: 'desktop' }, {}));
    },
  ],
  [
    'a replace whose new entry has no class while the user has class limits',
    (uid, db, phone) => send(db, replaceWrite(uid, newDeviceId('n'), phone, 0, ANDROID)),
    1,
  ],
  [
    'a tv claim that leaves its counter alone',
    (uid, db) => {
      const id = newDeviceId('t');
      return send(db, withClasses(uid, claimWrite(uid, id, 0, ANDROID), { [id]: 'tv' }, {}));
    },
  ],
  [
    'a claim moving its counter by 2',
    (uid, db) => {
      const id = newDeviceId('w');
      return send(db, withClasses(uid, claimWrite(uid, id, 0, BROWSER), { [id]: 'web' }, { web: 2 }));
    },
  ],
  [
    'a claim moving another class counter',
    (uid, db) => {
      const id = newDeviceId('w');
      return send(db, withClasses(uid, claimWrite(uid, id, 0, BROWSER), { [id]: 'web' }, { tv: 1 }));
    },
  ],
  ['a counter moved alone', (uid, db) => send(db, { [`presence/${uid}/classCount/mobile`]: increment(-1) })],
  ['a counter set to 0 alone', (uid, db) => send(db, { [`presence/${uid}/classCount/mobile`]: 0 })],
  ['a counter removed', (uid, db) => send(db, { [`presence/${uid}/classCount/mobile`]: null })],
  ['a release that leaves its counter', (uid, db, phone) => send(db, releaseWrite(uid, phone))],
  ['a release moving another class counter', (uid, db, phone) => send(db, classedRelease(uid, phone, 'web'))],
  [
    'a renewal that changes the class',
    (uid, db, phone) => send(db, { [`presence/${uid}/devices/${phone}/class`]: 'tv' }),
  ],
  ['the owner sets its own class limits', (uid, db) => send(db, { [`presence/${uid}/classLimits/mobile`]: 9 })],
  [
    'a replace within the class that moves the counter',
    (uid, db, phone) => {
      const id = newDeviceId('n');
      return send(db, withClasses(uid, replaceWrite(uid, id, phone, 0, ANDROID), { [id]: 'mobile' }, { mobile: 1 }));
    },
    1,
  ],
  [
    'a replace across classes that moves nothing',
    (uid, db, phone) => {
      const id = newDeviceId('n');
      return send(db, withClasses(uid, replaceWrite(uid, id, phone, 0, ANDROID), { [id]: 'tv' }, {}));
    },
    1,
  ],
  [
    'a replace across classes that moves only the new class',
    (uid, db, phone) => {
      const id = newDeviceId('n');
      return send(db, withClasses(uid, replaceWrite(uid, id, phone, 0, ANDROID), { [id]: 'tv' }, { tv: 1 }));
    },
    1,
  ],
  [
    'another user moving the counter with a claim of its own shape',
    (uid, _db, phone) => send(env.authenticatedContext(newUid()).database(), classedRelease(uid, phone, 'mobile')),
  ],
  [
    'a second phone over the class limit with a forged counter',
    (uid, db) => {
      const id = newDeviceId('q');
      return send(db, withClasses(uid, claimWrite(uid, id, 0, ANDROID), { [id]: 'mobile' }, {}), {
        [`presence/${uid}/classCount/mobile`]: 1,
      });
    },
  ],
];

test.each(attacks.map(([name, attack, total]) => ({ name, attack, total })))(
  'refused: $name',
  async ({ attack, total }) => {
    const { uid, db } = await user({ mobile: 1, tv: 1, desktop: 1 }, total ?? 5);
    const phone = newDeviceId('p');
    await send(db, classedClaim(uid, phone, PHONE, 'mobile'));
    const before = await stateOf(env, uid);
    await assertFails(attack(uid, db, phone));
    await expectUnchanged(env, uid, before);
    const after = await presenceV2(env, uid);
    expect(after.classCount).toEqual({ mobile: 1 });
  },
);

describe('races stay exact per class', () => {
  test('8 phones claim at once under mobile: 2 (total 5), 10 rounds: exactly 2', async () => {
    const { uid } = await user({ mobile: 2 });
    const dbs = Array.from({ length: 8 }, () => env.authenticatedContext(uid).database());
    await Promise.all(dbs.map((db) => presenceRef(db, uid).get()));
    for (let round = 0; round < 10; round++) {
      await adminUpdate(env, `presence/${uid}`, { count: null, devices: null, classCount: null });
      const results = await Promise.allSettled(
        dbs.map((db, i) => send(db, classedClaim(uid, newDeviceId(`r${round}d${i}`), ANDROID, 'mobile'))),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(2);
      const state = await presenceV2(env, uid);
      expect({ count: state.count, entries: entryCount(state), mobile: state.classCount?.mobile }).toEqual({
        count: 2,
        entries: 2,
        mobile: 2,
      });
    }
  });

  test('4 phones and 4 TVs at once under mobile: 2, tv: 1 (total 5), 10 rounds: 2 and 1', async () => {
    const { uid } = await user({ mobile: 2, tv: 1 });
    const dbs = Array.from({ length: 8 }, () => env.authenticatedContext(uid).database());
    await Promise.all(dbs.map((db) => presenceRef(db, uid).get()));
    for (let round = 0; round < 10; round++) {
      await adminUpdate(env, `presence/${uid}`, { count: null, devices: null, classCount: null });
      await Promise.allSettled(
        dbs.map((db, i) =>
          send(db, classedClaim(uid, newDeviceId(`r${round}d${i}`), ANDROID, i % 2 === 0 ? 'mobile' : 'tv')),
        ),
      );
      const state = await presenceV2(env, uid);
      const classes = Object.values(state.devices ?? {}).map((e) => (e as unknown as { class: string }).class);
      expect(classes.filter((c) => c === 'mobile')).toHaveLength(2);
      expect(classes.filter((c) => c === 'tv')).toHaveLength(1);
      expect(state).toMatchObject({ count: 3, classCount: { mobile: 2, tv: 1 } });
    }
  });
});
