import type { Clock } from '../clock';
import { type Caller, OWNER, type ReadRequest, type RulesGate, type WriteRequest } from './access';
import { type DatabaseChange, NamespaceDatabase } from './database';
import { nodeHash } from './hash';
import type { ListenSink } from './listens';
import { nodeGetAt, nodeToJSON } from './node';
import { pathContains, pathToString } from './path';
import { errorCodeOf } from '../../../test/helpers/database-errors';

/** `code: message` of the DatabaseError `fn` throws. */
const codeOf = (fn: () => unknown): string | undefined => errorCodeOf(fn, true);

const clock: Clock = { now: () => 1_700_000_000_000 };
const alice: Caller = { kind: 'user', auth: { uid: 'alice' } };
const bob: Caller = { kind: 'user', auth: { uid: 'bob' } };
const anonymous: Caller = { kind: 'user', auth: null };

type Event = readonly [kind: 'data' | 'merge' | 'revoked', path?: string, value?: unknown];

/** Records what the router would send, in order. */
class RecordingSink implements ListenSink {
  readonly events: Event[] = [];
  data(path: readonly string[], value: unknown): void {
    this.events.push(['data', pathToString(path), value]);
  }
  revoked(): void {
    this.events.push(['revoked']);
  }
  take(): Event[] {
    return this.events.splice(0);
  }
}

class MergingSink extends RecordingSink {
  merge(path: readonly string[], children: Readonly<Record<string, unknown>>): void {
    this.events.push(['merge', pathToString(path), children]);
  }
}

/** Rules as plain functions: the database only talks to the RulesGate seam. */
function gate(rules: {
  read?: (r: ReadRequest) => boolean;
  write?: (w: WriteRequest) => boolean;
  warnings?: string[];
}): RulesGate {
  return {
    canRead: (request) => ({
      allowed: rules.read?.(request) ?? true,
      ...(rules.warnings ? { warnings: rules.warnings } : {}),
    }),
    canWrite: (request) => ({ allowed: rules.write?.(request) ?? true, explanation: 'test rule' }),
  };
}

const uidOf = (auth: Readonly<Record<string, unknown>> | null): unknown => auth?.['uid'];
/** alice may read everything; others only /public. Writes only under /public or /users/<uid>. */
const ownership = gate({
  read: (r) => uidOf(r.auth) === 'alice' || pathContains(['public'], r.path),
  write: (w) => w.paths.every((p) => pathContains(['public'], p) || (p[0] === 'users' && p[1] === uidOf(w.auth))),
});

function newDatabase(rules?: RulesGate, log: string[] = []): NamespaceDatabase {
  return new NamespaceDatabase('test-ns', { clock, ...(rules ? { rules } : {}), log: (line) => log.push(line) });
}

describe('listens: synchronous pushes (docs/wire-protocol.md §5.4)', () => {
  it('pushes the current data before listen() returns, priorities in export format', () => {
    const db = newDatabase();
    db.set(OWNER, ['a'], { x: 1, '.priority': 2 });
    const sink = new RecordingSink();
    db.listen(OWNER, ['a'], undefined, sink);
    expect(sink.take()).toEqual([['data', '/a', { x: 1, '.priority': 2 }]]);
  });

  it('pushes null for an empty location', () => {
    const sink = new RecordingSink();
    newDatabase().listen(OWNER, ['nothing'], undefined, sink);
    expect(sink.take()).toEqual([['data', '/nothing', null]]);
  });

  it.each<[string, string[], string[], unknown, Event[]]>([
    ['write at the listen path', ['a'], ['a'], 1, [['data', '/a', 1]]],
    ['write below: only the written location is sent', ['a'], ['a', 'b', 'c'], 1, [['data', '/a/b/c', 1]]],
    ['write above: never data above the listen', ['a', 'b'], [], { a: { b: 2, c: 3 } }, [['data', '/a/b', 2]]],
    ['unrelated write: nothing', ['a'], ['b'], 1, []],
    ['sibling prefix is not an ancestor', ['ab'], ['a'], 1, []],
    [
      'priority write notifies the node',
      ['a'],
      ['a', '.priority'],
      5,
      [['data', '/a', { '.value': 0, '.priority': 5 }]],
    ],
  ])('default listen, %s', (_name, listenPath, writePath, value, expected) => {
    const db = newDatabase();
    db.set(OWNER, ['a'], 0);
    const sink = new RecordingSink();
    db.listen(OWNER, listenPath, undefined, sink);
    sink.take();
    db.set(OWNER, writePath, value);
    expect(sink.take()).toEqual(expected);
  });

  it('skips a push when the written location did not change (deleting missing data)', () => {
    const db = newDatabase();
    const sink = new RecordingSink();
    db.listen(OWNER, ['a'], undefined, sink);
    sink.take();
    db.set(OWNER, ['a', 'missing'], null);
    expect(sink.take()).toEqual([]);
  });

  it('a multi-location update below a listen is one merge, or one data at the common ancestor', () => {
    const db = newDatabase();
    db.set(OWNER, [], { r: { u: { a: 1, b: 1, c: 1 } } });
    const merging = new MergingSink();
    const plain = new RecordingSink();
    db.listen(OWNER, ['r'], undefined, merging);
    db.listen(OWNER, ['r'], undefined, plain);
    merging.take();
    plain.take();
    db.update(OWNER, ['r', 'u'], { a: 2, b: null });
    expect(merging.take()).toEqual([['merge', '/r/u', { a: 2, b: null }]]);
    expect(plain.take()).toEqual([['data', '/r/u', { a: 2, c: 1 }]]);
  });

  it('an update covering the listen path sends the listen location once', () => {
    const db = newDatabase();
    const sink = new MergingSink();
    db.listen(OWNER, ['a', 'b'], undefined, sink);
    sink.take();
    db.update(OWNER, [], { a: { b: 1 }, c: 2 });
    expect(sink.take()).toEqual([['data', '/a/b', 1]]);
  });

  it('query listens re-send the whole filtered result, refilling a limit window', () => {
    const db = newDatabase();
    db.set(OWNER, ['scores'], { a: 1, b: 2, c: 3, d: 4 });
    const sink = new RecordingSink();
    db.listen(OWNER, ['scores'], { i: '.value', l: 2, vf: 'r' }, sink);
    expect(sink.take()).toEqual([['data', '/scores', { c: 3, d: 4 }]]);
    db.set(OWNER, ['scores', 'd'], null); // an item leaves the window: b comes back in
    expect(sink.take()).toEqual([['data', '/scores', { b: 2, c: 3 }]]);
    db.set(OWNER, ['scores', 'a'], 0); // outside the window: result unchanged, no push
    expect(sink.take()).toEqual([]);
    db.set(OWNER, ['scores'], null);
    expect(sink.take()).toEqual([['data', '/scores', null]]);
  });

  it('a query that only orders is a default listen (pushes deeper paths)', () => {
    const db = newDatabase();
    const sink = new RecordingSink();
    db.listen(OWNER, ['l'], { i: 'score' }, sink);
    sink.take();
    db.set(OWNER, ['l', 'x', 'score'], 3);
    expect(sink.take()).toEqual([['data', '/l/x/score', 3]]);
  });

  it('cancel stops pushes and is idempotent', () => {
    const db = newDatabase();
    const sink = new RecordingSink();
    const handle = db.listen(OWNER, ['a'], undefined, sink);
    handle.cancel();
    handle.cancel();
    db.set(OWNER, ['a'], 1);
    expect(sink.take()).toEqual([['data', '/a', null]]);
    expect(db.listenCount).toBe(0);
  });

  it('a throwing sink does not stop the write or the other listens', () => {
    const log: string[] = [];
    const db = newDatabase(undefined, log);
    const broken: ListenSink = {
      data: () => {
        throw new Error('socket gone');
      },
      revoked: () => undefined,
    };
    const sink = new RecordingSink();
    db.listen(OWNER, ['a'], undefined, broken);
    db.listen(OWNER, ['a'], undefined, sink);
    sink.take();
    db.set(OWNER, ['a'], 1);
    expect(sink.take()).toEqual([['data', '/a', 1]]);
    expect(db.get(OWNER, ['a'])).toBe(1);
    expect(log.some((line) => line.includes('socket gone'))).toBe(true);
  });

  it('passes rule warnings (no_index) to the handle', () => {
    const db = newDatabase(gate({ warnings: ['no_index'] }));
    expect(db.listen(alice, ['a'], { i: 'x', l: 1, vf: 'l' }, new RecordingSink()).warnings).toEqual(['no_index']);
  });
});

describe('reads and rules', () => {
  it('get applies the query and checks read rules with the query', () => {
    const seen: ReadRequest[] = [];
    const db = newDatabase(gate({ read: (r) => (seen.push(r), uidOf(r.auth) === 'alice') }));
    db.set(OWNER, ['l'], { a: 1, b: 2, c: 3, '.priority': 9 });
    expect(db.get(alice, ['l'], { i: '.key', l: 2, vf: 'l' })).toEqual({ a: 1, b: 2 });
    expect(seen[0]?.query).toEqual({ i: '.key', l: 2, vf: 'l' });
    expect(seen[0]?.path).toEqual(['l']);
    expect(codeOf(() => db.get(bob, ['l']))).toBe('permission_denied: Permission denied');
    expect(db.get(OWNER, ['l'])).toEqual({ a: 1, b: 2, c: 3, '.priority': 9 });
  });

  it('a denied listen throws permission_denied and pushes nothing', () => {
    const db = newDatabase(ownership);
    const sink = new RecordingSink();
    expect(codeOf(() => db.listen(bob, ['private'], undefined, sink))).toBe('permission_denied: Permission denied');
    expect(sink.take()).toEqual([]);
    expect(db.listenCount).toBe(0);
  });

  it('setRules revokes the listens no longer readable, and only those', () => {
    const db = newDatabase();
    const kept = new RecordingSink();
    const lost = new RecordingSink();
    db.listen(bob, ['public'], undefined, kept);
    db.listen(bob, ['private'], undefined, lost);
    kept.take();
    lost.take();
    db.setRules(ownership);
    expect(lost.take()).toEqual([['revoked']]);
    expect(kept.take()).toEqual([]);
    db.set(OWNER, ['private'], 1);
    db.set(OWNER, ['public'], 2);
    expect(lost.take()).toEqual([]);
    expect(kept.take()).toEqual([['data', '/public', 2]]);
  });

  it('setCaller re-checks: a listen revoked when the auth changes to one that cannot read', () => {
    const db = newDatabase(ownership);
    const sink = new RecordingSink();
    const handle = db.listen(alice, ['private'], undefined, sink);
    sink.take();
    handle.setCaller(alice);
    expect(sink.take()).toEqual([]);
    handle.setCaller(anonymous);
    expect(sink.take()).toEqual([['revoked']]);
    handle.cancel(); // the router may still unlisten: harmless
    expect(db.listenCount).toBe(0);
  });

  it('owner callers bypass rules entirely', () => {
    const db = newDatabase(gate({ read: () => false, write: () => false }));
    db.set(OWNER, ['x'], 1);
    db.update(OWNER, [], { y: 2 });
    expect(db.get(OWNER, [])).toEqual({ x: 1, y: 2 });
    const sink = new RecordingSink();
    db.setRules(gate({ read: () => false }));
    db.listen(OWNER, ['x'], undefined, sink);
    db.setRules(gate({ read: () => false, write: () => false }));
    expect(sink.take()).toEqual([['data', '/x', 1]]);
  });
});

describe('writes and rules', () => {
  it('a denied write changes nothing, pushes nothing, emits nothing', () => {
    const db = newDatabase(ownership);
    const sink = new RecordingSink();
    const changes: DatabaseChange[] = [];
    db.onChange((change) => changes.push(change));
    db.listen(OWNER, [], undefined, sink);
    sink.take();
    const before = db.root;
    expect(codeOf(() => db.set(bob, ['users', 'alice'], 1))).toBe('permission_denied: Permission denied');
    expect(db.root).toBe(before);
    expect(sink.take()).toEqual([]);
    expect(changes).toEqual([]);
  });

  it('a multi-location update is atomic: one denied location leaves nothing written', () => {
    const db = newDatabase(ownership);
    db.set(bob, ['users', 'bob'], { n: 0 });
    expect(codeOf(() => db.update(bob, [], { 'users/bob/n': 1, 'public/feed/x': 'hi', 'users/alice/n': 1 }))).toBe(
      'permission_denied: Permission denied',
    );
    expect(db.get(OWNER, [])).toEqual({ users: { bob: { n: 0 } } });
    db.update(bob, [], { 'users/bob/n': 1, 'public/feed/x': 'hi' });
    expect(db.get(OWNER, [])).toEqual({ users: { bob: { n: 1 } }, public: { feed: { x: 'hi' } } });
  });

  it('rules see the state before as root and the projected state of every location as newRoot', () => {
    const requests: WriteRequest[] = [];
    const db = newDatabase(gate({ write: (w) => (requests.push(w), true) }));
    db.set(OWNER, ['a'], 1);
    db.update(alice, [], { a: 2, 'b/c': { '.sv': 'timestamp' } });
    const request = requests[0]!;
    expect(request.auth).toEqual({ uid: 'alice' });
    expect(request.paths).toEqual([['a'], ['b', 'c']]);
    expect(nodeToJSON(request.root)).toEqual({ a: 1 });
    expect(nodeToJSON(request.newRoot)).toEqual({ a: 2, b: { c: clock.now() } });
    expect(request.now).toBe(clock.now());
  });

  it('a validation that needs a sibling of the same update passes only because newRoot is projected', () => {
    // ".validate": "newData.parent().child('count').exists()" on /room/members/$m — needs both paths at once.
    const db = newDatabase(gate({ write: (w) => nodeGetAt(w.newRoot, ['room', 'count']).kind === 'leaf' }));
    expect(codeOf(() => db.set(alice, ['room', 'members', 'm1'], true))).toMatch(/^permission_denied/);
    db.update(alice, ['room'], { 'members/m1': true, count: 1 });
    expect(db.get(OWNER, ['room'])).toEqual({ members: { m1: true }, count: 1 });
  });

  it('checkSet / checkUpdate judge without writing', () => {
    const db = newDatabase(ownership);
    expect(codeOf(() => db.checkSet(bob, ['users', 'alice'], 1))).toMatch(/^permission_denied/);
    expect(codeOf(() => db.checkUpdate(bob, [], { 'users/bob/x': 1, 'users/alice/x': 1 }))).toMatch(
      /^permission_denied/,
    );
    db.checkSet(bob, ['users', 'bob'], 1);
    db.checkUpdate(bob, [], { 'users/bob/x': 1 });
    expect(db.get(OWNER, [])).toBeNull();
  });

  it('leaves denials to the gate: nothing is logged, the explain-denials log wraps the gate', () => {
    const log: string[] = [];
    const db = newDatabase(ownership, log);
    expect(codeOf(() => db.set(bob, ['x'], 1))).toMatch(/^permission_denied/);
    expect(log).toEqual([]);
  });
});

describe('transactions (hash compare, docs/wire-protocol.md §8)', () => {
  it('writes when the hash matches the current value and answers datastale otherwise', () => {
    const db = newDatabase();
    db.set(OWNER, ['counter'], 1);
    expect(codeOf(() => db.set(alice, ['counter'], 2, { hash: '' }))).toBe('datastale: datastale');
    expect(db.get(OWNER, ['counter'])).toBe(1);
    db.set(alice, ['counter'], 2, { hash: nodeHash(nodeGetAt(db.root, ['counter'])) });
    expect(db.get(OWNER, ['counter'])).toBe(2);
  });

  it('the hash of missing data is "" (first attempt of a transaction on new data)', () => {
    const db = newDatabase();
    db.set(alice, ['fresh'], { n: 1 }, { hash: '' });
    expect(db.get(OWNER, ['fresh'])).toEqual({ n: 1 });
  });

  it('uses the client hash: "hello" and 42 hash to the known vectors', () => {
    const db = newDatabase();
    db.set(OWNER, [], { s: 'hello', n: 42 });
    db.set(alice, ['s'], 'bye', { hash: 'z6sRbrNLwbHX5fdjpvsTtWgXUFc=' });
    db.set(alice, ['n'], 43, { hash: 'bQ5XV5L9riGZgerGMb/8Z87RxeI=' });
    expect(db.get(OWNER, [])).toEqual({ s: 'bye', n: 43 });
  });

  it('the transaction push reaches listeners before set() returns', () => {
    const db = newDatabase();
    const sink = new RecordingSink();
    db.listen(alice, ['c'], undefined, sink);
    sink.take();
    db.set(alice, ['c'], 1, { hash: '' });
    expect(sink.take()).toEqual([['data', '/c', 1]]);
  });
});

describe('change feed (function triggers)', () => {
  it('reports paths, before, after, caller and disableTriggers; unsubscribe stops it', () => {
    const db = newDatabase();
    const changes: DatabaseChange[] = [];
    const unsubscribe = db.onChange((change) => changes.push(change));
    db.set(alice, ['a'], 1);
    db.update(OWNER, [], { b: 2, 'c/.priority': 1 }, { disableTriggers: true });
    unsubscribe();
    db.set(OWNER, ['z'], 1);
    expect(
      changes.map((c) => [c.paths, nodeToJSON(c.before), nodeToJSON(c.after), c.caller, c.disableTriggers]),
    ).toEqual([
      [[['a']], null, { a: 1 }, alice, false],
      [[['b'], ['c']], { a: 1 }, { a: 1, b: 2 }, OWNER, true],
    ]);
  });

  it('server timestamps come from the injected clock', () => {
    let now = 5;
    const db = new NamespaceDatabase('t', { clock: { now: () => now } });
    db.set(OWNER, ['t'], { '.sv': 'timestamp' });
    now = 6;
    db.update(OWNER, [], { u: { '.sv': 'timestamp' } });
    expect(db.get(OWNER, [])).toEqual({ t: 5, u: 6 });
  });
});
