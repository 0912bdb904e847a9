import type { Clock } from '../clock';
import { type Caller, OWNER, type RulesGate } from './access';
import { NamespaceDatabase } from './database';
import type { ListenSink } from './listens';
import { OnDisconnectQueue } from './on-disconnect';
import { pathToString } from './path';

let now = 1000;
const clock: Clock = { now: () => now };
const alice: Caller = { kind: 'user', auth: { uid: 'alice' } };

/** Writes allowed under /status/<uid> only. */
const statusRules: RulesGate = {
  canRead: () => ({ allowed: true }),
  canWrite: (w) => ({
    allowed: w.paths.every((p) => p[0] === 'status' && p[1] === (w.auth as { uid?: string } | null)?.uid),
  }),
};

function run(
  queue: OnDisconnectQueue,
  caller: Caller = OWNER,
  rules?: RulesGate,
): { db: NamespaceDatabase; log: string[] } {
  const db = new NamespaceDatabase('ns', { clock, ...(rules ? { rules } : {}) });
  const log: string[] = [];
  queue.run(db, caller, (line) => log.push(line));
  return { db, log };
}

describe('OnDisconnectQueue bookkeeping (mirrors the client SparseSnapshotTree)', () => {
  it.each<[string, (q: OnDisconnectQueue) => void, unknown]>([
    [
      'a later set at the same path replaces the earlier one',
      (q) => {
        q.set(['a'], 1);
        q.set(['a'], 2);
      },
      { a: 2 },
    ],
    [
      'a set replaces queued writes below it',
      (q) => {
        q.set(['a', 'b'], 1);
        q.set(['a'], { c: 2 });
      },
      { a: { c: 2 } },
    ],
    [
      'a set below a queued set refines it',
      (q) => {
        q.set(['a'], { b: 1, c: 1 });
        q.set(['a', 'b'], 2);
      },
      { a: { b: 2, c: 1 } },
    ],
    [
      'updates at one path accumulate their keys',
      (q) => {
        q.update(['a'], { x: 1 });
        q.update(['a'], { y: 2 });
      },
      { a: { x: 1, y: 2 } },
    ],
    [
      'an update key replaces the same key of an earlier update',
      (q) => {
        q.update(['a'], { x: 1, y: 1 });
        q.update(['a'], { x: 2 });
      },
      { a: { x: 2, y: 1 } },
    ],
    [
      'cancel drops writes at the path',
      (q) => {
        q.set(['a'], 1);
        q.set(['b'], 2);
        q.cancel(['a']);
      },
      { b: 2 },
    ],
    [
      'cancel drops writes below the path',
      (q) => {
        q.set(['a', 'x'], 1);
        q.update(['a', 'y'], { z: 1 });
        q.set(['b'], 2);
        q.cancel(['a']);
      },
      { b: 2 },
    ],
    [
      'cancel below a queued set removes that part of its value',
      (q) => {
        q.set(['a'], { b: 1, c: 1 });
        q.cancel(['a', 'b']);
      },
      { a: { c: 1 } },
    ],
    [
      'cancel below a queued update removes that key',
      (q) => {
        q.update(['a'], { b: 1, 'c/d': 1 });
        q.cancel(['a', 'c']);
      },
      { a: { b: 1 } },
    ],
    [
      'cancel inside an update value removes the nested part',
      (q) => {
        q.update(['a'], { b: { x: 1, y: 1 } });
        q.cancel(['a', 'b', 'x']);
      },
      { a: { b: { y: 1 } } },
    ],
    [
      'cancel elsewhere keeps everything',
      (q) => {
        q.set(['a'], 1);
        q.cancel(['ab']);
      },
      { a: 1 },
    ],
    [
      'cancel at the root drops everything',
      (q) => {
        q.set(['a'], 1);
        q.update([], { b: 1 });
        q.cancel([]);
      },
      null,
    ],
    [
      'remove is a set of null',
      (q) => {
        q.set(['gone'], null);
      },
      null,
    ],
  ])('%s', (_name, register, expected) => {
    const queue = new OnDisconnectQueue();
    register(queue);
    expect(run(queue).db.get(OWNER, [])).toEqual(expected);
  });
});

describe('OnDisconnectQueue.run', () => {
  it('runs in registration order, resolves server values at run time, then empties', () => {
    const queue = new OnDisconnectQueue();
    now = 1000;
    queue.set(['status', 'alice'], { state: 'offline', at: { '.sv': 'timestamp' } });
    queue.update(['status'], { 'alice/seen': { '.sv': 'timestamp' } });
    now = 5000;
    const db = new NamespaceDatabase('ns', { clock });
    const writes: string[] = [];
    db.onChange((change) => writes.push(change.paths.map(pathToString).join(',')));
    queue.run(db, alice);
    expect(db.get(OWNER, [])).toEqual({ status: { alice: { state: 'offline', at: 5000, seen: 5000 } } });
    expect(writes).toEqual(['/status/alice', '/status/alice/seen']);
    expect(queue.size).toBe(0);
    queue.run(db, alice);
    expect(writes).toHaveLength(2);
  });

  it('re-checks each op with the caller at run time and skips (and logs) the denied ones', () => {
    const queue = new OnDisconnectQueue();
    queue.set(['status', 'alice'], 'offline');
    queue.set(['status', 'bob'], 'offline');
    queue.update([], { 'status/alice/x': 1, 'status/bob/x': 1 }); // atomic: denied as a whole
    const { db, log } = run(queue, alice, statusRules);
    expect(db.get(OWNER, [])).toEqual({ status: { alice: 'offline' } });
    expect(log).toEqual([
      'onDisconnect set at /status/bob skipped: permission_denied Permission denied',
      'onDisconnect update at / skipped: permission_denied Permission denied',
    ]);
  });

  it('pushes its writes to other listeners like normal writes', () => {
    const queue = new OnDisconnectQueue();
    queue.set(['presence', 'alice'], null);
    const db = new NamespaceDatabase('ns', { clock });
    db.set(OWNER, ['presence'], { alice: true, bob: true });
    const seen: Array<[string, unknown]> = [];
    const sink: ListenSink = { data: (p, v) => seen.push([pathToString(p), v]), revoked: () => undefined };
    db.listen(OWNER, ['presence'], undefined, sink);
    queue.run(db, alice);
    expect(seen).toEqual([
      ['/presence', { alice: true, bob: true }],
      ['/presence/alice', null],
    ]);
  });
});
