/**
 * Which writes become which events, checked against the consumer: firebase-functions' own
 * `onValueWritten`/`onValueCreated`/`onValueDeleted` wrappers decode every event built here, so
 * `params`, `before` and `after` are what a deployed handler would see.
 */
import { onValueCreated, onValueDeleted, onValueUpdated, onValueWritten } from 'firebase-functions/v2/database';
import {
  OWNER,
  type Caller,
  type DbNode,
  EMPTY_NODE,
  nodeFromJSON,
  nodeGetAt,
  nodeToJSON,
  parsePath,
} from '../database';
import {
  DATABASE_EVENT_TYPES,
  type DatabaseCloudEvent,
  type DatabaseEventType,
  databaseCloudEvent,
  eventTypeFires,
} from './cloud-event';
import { changedLocations } from './locations';
import { PathPattern, PathPatternError } from './path-pattern';

const NOW = Date.UTC(2026, 0, 2, 3, 4, 5);

describe('PathPattern (Eventarc path patterns, as firebase-functions parses them)', () => {
  const rows: Array<[pattern: string, path: string, params: Record<string, string> | null]> = [
    ['/presence/{uid}', 'presence/u1', { uid: 'u1' }],
    ['presence/{uid}', 'presence/u1/count', null],
    ['/presence/{uid}', 'presence', null],
    ['/presence/{uid=*}', 'presence/u1', { uid: 'u1' }],
    ['/a/*/c', 'a/b/c', {}],
    ['/a/*/c', 'a/b/d', null],
    ['/logs/{rest=**}', 'logs/x/y/z', { rest: 'x/y/z' }],
    ['/logs/{rest=**}', 'logs', { rest: '' }],
    ['/a/**/end', 'a/x/y/end', {}],
    ['/a/**/end', 'a/end', {}],
    ['/a/**/end', 'a/x/y', null],
    ['/', '', {}],
  ];
  it.each(rows)('%s against /%s', (pattern, path, params) => {
    expect(new PathPattern(pattern).match(parsePath(path))).toEqual(params);
  });

  it('refuses two multi-segment wildcards', () => {
    expect(() => new PathPattern('/a/**/b/**')).toThrow(PathPatternError);
  });

  it('a single-segment instance pattern matches namespaces', () => {
    expect(new PathPattern('*').matches(['my-ns'])).toBe(true);
    expect(new PathPattern('my-ns').matches(['other'])).toBe(false);
    expect(new PathPattern('{instance}').match(['my-ns'])).toEqual({ instance: 'my-ns' });
  });
});

describe('changedLocations', () => {
  const presence = new PathPattern('/presence/{uid}');
  const root = (json: unknown): DbNode => nodeFromJSON(json);
  const paths = (...list: string[]): string[][] => list.map(parsePath);
  const refs = (before: unknown, after: unknown, written: string[][], pattern = presence): string[] =>
    changedLocations(pattern, written, root(before), root(after)).map((location) => `/${location.path.join('/')}`);

  it('a write below the location fires at its ancestor', () => {
    expect(refs(null, { presence: { u1: { count: 1 } } }, paths('presence/u1/count'))).toEqual(['/presence/u1']);
  });

  it('a write above the location fires at every child that changed, and only those', () => {
    const before = { presence: { u1: { count: 1 }, u2: { count: 2 } } };
    const after = { presence: { u1: { count: 1 }, u2: { count: 3 }, u3: { count: 1 } } };
    expect(refs(before, after, paths('')).sort()).toEqual(['/presence/u2', '/presence/u3']);
  });

  it('deleting a parent fires at every location that held data', () => {
    expect(refs({ presence: { u1: { count: 1 }, u2: { count: 1 } } }, null, paths('presence')).sort()).toEqual([
      '/presence/u1',
      '/presence/u2',
    ]);
  });

  it('an update touching two locations fires once for each', () => {
    const before = { presence: { u1: { count: 1 } } };
    const after = { presence: { u1: { count: 2 }, u2: { count: 1 } } };
    expect(refs(before, after, paths('presence/u1/count', 'presence/u2/count')).sort()).toEqual([
      '/presence/u1',
      '/presence/u2',
    ]);
  });

  it('two child paths of one location fire once', () => {
    const after = { presence: { u1: { a: 1, b: 2 } } };
    expect(refs(null, after, paths('presence/u1/a', 'presence/u1/b'))).toEqual(['/presence/u1']);
  });

  it('a write that changes nothing, or only a priority, fires nothing', () => {
    const same = { presence: { u1: { count: 1 } } };
    expect(refs(same, same, paths('presence/u1/count'))).toEqual([]);
    const withPriority = nodeFromJSON({ presence: { u1: { count: 1, '.priority': 5 } } });
    expect(changedLocations(presence, paths('presence/u1/.priority'), root(same), withPriority)).toEqual([]);
  });

  it('writes elsewhere fire nothing', () => {
    expect(refs(null, { limits: { u1: 3 } }, paths('limits/u1'))).toEqual([]);
  });

  it('a multi-segment pattern fires at the written path', () => {
    const logs = new PathPattern('/logs/{rest=**}');
    expect(refs(null, { logs: { a: { b: 1 } } }, paths('logs/a/b'), logs)).toEqual(['/logs/a/b']);
  });
});

/** Runs firebase-functions' real wrapper for `type` on `event`; returns what the handler saw. */
async function decode(
  type: DatabaseEventType,
  ref: string,
  event: DatabaseCloudEvent,
): Promise<Record<string, unknown>> {
  let seen: Record<string, unknown> = {};
  const record =
    (extra: Record<string, unknown>) => (e: { params: Record<string, string>; authType: string; authId?: string }) => {
      seen = { params: e.params, authType: e.authType, authId: e.authId, ...extra };
    };
  switch (type) {
    case DATABASE_EVENT_TYPES.written:
      await onValueWritten(ref, (e) => record({ before: e.data.before.val(), after: e.data.after.val() })(e))(
        event as never,
      );
      break;
    case DATABASE_EVENT_TYPES.updated:
      await onValueUpdated(ref, (e) => record({ before: e.data.before.val(), after: e.data.after.val() })(e))(
        event as never,
      );
      break;
    case DATABASE_EVENT_TYPES.created:
      await onValueCreated(ref, (e) => record({ value: e.data.val() })(e))(event as never);
      break;
    case DATABASE_EVENT_TYPES.deleted:
      await onValueDeleted(ref, (e) => record({ value: e.data.val() })(e))(event as never);
      break;
  }
  return seen;
}

function eventsFor(
  type: DatabaseEventType,
  ref: string,
  before: unknown,
  after: unknown,
  written: string,
  caller: Caller = OWNER,
) {
  const beforeRoot = nodeFromJSON(before);
  const afterRoot = nodeFromJSON(after);
  return changedLocations(new PathPattern(ref), [parsePath(written)], beforeRoot, afterRoot)
    .filter((location) => eventTypeFires(type, location.before, location.after))
    .map((location) =>
      databaseCloudEvent({ type, namespace: 'ns-1', location, caller, time: NOW, databaseHost: '127.0.0.1:9000' }),
    );
}

describe('databaseCloudEvent, decoded by firebase-functions', () => {
  beforeAll(() => {
    // The wrappers build DataSnapshots on the default admin app; the emulator host makes its URL local.
    process.env.FIREBASE_DATABASE_EMULATOR_HOST ??= '127.0.0.1:9000';
    process.env.FIREBASE_CONFIG ??= JSON.stringify({
      projectId: 'demo-test',
      databaseURL: 'https://demo-test.firebaseio.com',
    });
  });

  const before = { presence: { u1: { count: 2, entries: { d1: { at: 1 }, d2: { at: 2 } }, keep: 'x' } } };
  const after = { presence: { u1: { count: 1, entries: { d1: { at: 1 } }, keep: 'x', added: true } } };

  it('written: params, before and after (a removed child arrives as an explicit null)', async () => {
    const [event, ...rest] = eventsFor(DATABASE_EVENT_TYPES.written, '/presence/{uid}', before, after, 'presence/u1');
    expect(rest).toEqual([]);
    expect(event?.data.delta).toEqual({ count: 1, entries: { d2: null }, added: true });
    expect(event).toMatchObject({
      specversion: '1.0',
      type: DATABASE_EVENT_TYPES.written,
      instance: 'ns-1',
      ref: '/presence/u1',
      time: new Date(NOW).toISOString(),
      source: '//firebasedatabase.googleapis.com/projects/_/locations/us-central1/instances/ns-1',
    });
    expect(await decode(DATABASE_EVENT_TYPES.written, '/presence/{uid}', event as DatabaseCloudEvent)).toEqual({
      params: { uid: 'u1' },
      authType: 'admin',
      authId: undefined,
      before: before.presence.u1,
      after: after.presence.u1,
    });
  });

  it('written: a leaf replaced by an object and back', async () => {
    for (const [from, to] of [
      [{ presence: { u1: 5 } }, { presence: { u1: { a: 1 } } }],
      [{ presence: { u1: { a: 1 } } }, { presence: { u1: 'text' } }],
    ] as const) {
      const [event] = eventsFor(DATABASE_EVENT_TYPES.written, '/presence/{uid}', from, to, 'presence/u1');
      const seen = await decode(DATABASE_EVENT_TYPES.written, '/presence/{uid}', event as DatabaseCloudEvent);
      expect(seen).toMatchObject({ before: from.presence.u1, after: to.presence.u1 });
    }
  });

  it('created / updated / deleted fire only for their kind of change, with the snapshot the SDK documents', async () => {
    const created = eventsFor(DATABASE_EVENT_TYPES.created, '/presence/{uid}', null, after, 'presence/u1');
    expect(
      await decode(DATABASE_EVENT_TYPES.created, '/presence/{uid}', created[0] as DatabaseCloudEvent),
    ).toMatchObject({
      value: after.presence.u1,
    });
    expect(eventsFor(DATABASE_EVENT_TYPES.created, '/presence/{uid}', before, after, 'presence/u1')).toEqual([]);

    const updated = eventsFor(DATABASE_EVENT_TYPES.updated, '/presence/{uid}', before, after, 'presence/u1');
    expect(
      await decode(DATABASE_EVENT_TYPES.updated, '/presence/{uid}', updated[0] as DatabaseCloudEvent),
    ).toMatchObject({
      before: before.presence.u1,
      after: after.presence.u1,
    });
    expect(eventsFor(DATABASE_EVENT_TYPES.updated, '/presence/{uid}', null, after, 'presence/u1')).toEqual([]);

    const deleted = eventsFor(DATABASE_EVENT_TYPES.deleted, '/presence/{uid}', before, null, 'presence');
    expect(
      await decode(DATABASE_EVENT_TYPES.deleted, '/presence/{uid}', deleted[0] as DatabaseCloudEvent),
    ).toMatchObject({
      value: before.presence.u1,
    });
    expect(eventsFor(DATABASE_EVENT_TYPES.deleted, '/presence/{uid}', before, after, 'presence/u1')).toEqual([]);
  });

  it('a user write carries app_user and the uid; an unauthenticated one says so', async () => {
    const user: Caller = { kind: 'user', auth: { uid: 'alice', token: {} } };
    const [byUser] = eventsFor(DATABASE_EVENT_TYPES.written, '/presence/{uid}', null, after, 'presence/u1', user);
    expect(await decode(DATABASE_EVENT_TYPES.written, '/presence/{uid}', byUser as DatabaseCloudEvent)).toMatchObject({
      authType: 'app_user',
      authId: 'alice',
    });
    const [anonymous] = eventsFor(DATABASE_EVENT_TYPES.written, '/presence/{uid}', null, after, 'presence/u1', {
      kind: 'user',
      auth: null,
    });
    expect(anonymous?.authtype).toBe('unauthenticated');
  });

  it('the event location is read from the roots, not from the write', () => {
    const afterRoot = nodeFromJSON(after);
    const [location] = changedLocations(new PathPattern('/presence/{uid}'), [[]], EMPTY_NODE, afterRoot);
    expect(nodeToJSON(location?.after as DbNode)).toEqual(nodeToJSON(nodeGetAt(afterRoot, ['presence', 'u1'])));
  });
});
