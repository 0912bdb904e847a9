import { DeviceGateUnavailableError } from './refusal';
import { SlotView, type GateClock, type PresenceSource } from './slot-view';

/** A clock whose timers fire only when the test advances it. */
class FakeClock implements GateClock {
  private time = 1_000_000;
  private nextHandle = 1;
  private readonly timers = new Map<number, { at: number; callback: () => void }>();

  now(): number {
    return this.time;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const handle = this.nextHandle++;
    this.timers.set(handle, { at: this.time + ms, callback });
    return handle;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  get pending(): number {
    return this.timers.size;
  }

  advance(ms: number): void {
    const until = this.time + ms;
    for (;;) {
      const due = [...this.timers.entries()].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.time = due[1].at;
      due[1].callback();
    }
    this.time = until;
  }
}

/** A database stand-in: listeners per uid, values pushed by the test. */
class FakeSource implements PresenceSource {
  readonly listening = new Map<string, { onValue: (value: unknown) => void; onError: (error: Error) => void }>();
  readonly attaches: string[] = [];
  readonly detaches: string[] = [];
  /** Deliver the current value at once on listen (as the SDK does from its cache). */
  immediate = new Map<string, unknown>();
  lostAt: number | null = null;

  listen(uid: string, onValue: (value: unknown) => void, onError: (error: Error) => void): () => void {
    this.attaches.push(uid);
    this.listening.set(uid, { onValue, onError });
    if (this.immediate.has(uid)) onValue(this.immediate.get(uid));
    return () => {
      this.detaches.push(uid);
      this.listening.delete(uid);
    };
  }

  push(uid: string, value: unknown): void {
    const listener = this.listening.get(uid);
    if (!listener) throw new Error(`nobody listens to ${uid}`);
    listener.onValue(value);
  }

  cancel(uid: string): void {
    this.listening.get(uid)?.onError(new Error('permission_denied'));
  }

  disconnectedSince(): number | null {
    return this.lostAt;
  }
}

const presence = (generation: number) => ({ generation, devices: { device001: { generation } } });
const MINUTE = 60_000;

function setup(options: { maxUsers?: number; idleMs?: number; firstValueTimeoutMs?: number } = {}) {
  const clock = new FakeClock();
  const source = new FakeSource();
  const view = new SlotView({ source, clock, maxUsers: 3, idleMs: 10 * MINUTE, ...options });
  return { clock, source, view };
}

/** Lets promise callbacks run (the view's awaits). */
const flush = () => new Promise((resolve) => setImmediate(resolve));

test('concurrent requests for a new user share one listener and its first value (single flight)', async () => {
  const { source, view } = setup();
  const requests = Array.from({ length: 50 }, () => view.snapshot('alice'));
  expect(source.attaches).toEqual(['alice']);
  source.push('alice', presence(4));
  const snapshots = await Promise.all(requests);
  expect(new Set(snapshots).size).toBe(1);
  expect(snapshots[0]?.generation).toBe(4);
  expect(view.stats).toMatchObject({ attaches: 1, values: 1, waits: 50, hits: 0 });
});

test('later requests are answered from the pushed value, which updates in place', async () => {
  const { source, view } = setup();
  const first = view.snapshot('alice');
  source.push('alice', presence(1));
  await first;
  expect((await view.snapshot('alice')).generation).toBe(1);
  source.push('alice', presence(2));
  expect((await view.snapshot('alice')).generation).toBe(2);
  expect(source.attaches).toEqual(['alice']);
  expect(view.stats).toMatchObject({ attaches: 1, values: 2, hits: 2 });
});

test('a value delivered synchronously on listen is used at once', async () => {
  const { source, view } = setup();
  source.immediate.set('alice', presence(7));
  expect((await view.snapshot('alice')).generation).toBe(7);
  expect(view.stats).toMatchObject({ attaches: 1, values: 1 });
});

test('the least recently used user is dropped, and its listener detached, beyond maxUsers', async () => {
  const { source, view } = setup({ maxUsers: 3 });
  for (const uid of ['a', 'b', 'c']) {
    const pending = view.snapshot(uid);
    source.push(uid, presence(0));
    await pending;
  }
  await view.snapshot('a'); // a is now the most recently used; b is the LRU
  const pending = view.snapshot('d');
  source.push('d', presence(0));
  await pending;
  expect(source.detaches).toEqual(['b']);
  expect(['a', 'b', 'c', 'd'].filter((uid) => view.has(uid))).toEqual(['a', 'c', 'd']);
  expect(view.stats).toMatchObject({ users: 3, evictedLru: 1, attaches: 4, detaches: 1 });
  // b comes back: a new listener, and c (now the LRU) goes.
  const back = view.snapshot('b');
  source.push('b', presence(0));
  await back;
  expect(source.detaches).toEqual(['b', 'c']);
});

test('a user dropped while its first value is pending still answers its waiting requests, then detaches', async () => {
  const { source, view } = setup({ maxUsers: 1 });
  const waiting = view.snapshot('a');
  const other = view.snapshot('b'); // pushes a out before its first value
  expect(view.has('a')).toBe(false);
  expect(source.detaches).toEqual([]);
  source.push('a', presence(3));
  expect((await waiting).generation).toBe(3);
  expect(source.detaches).toEqual(['a']);
  source.push('b', presence(0));
  await other;
});

test('a user without requests for idleMs is dropped by the expiry timer; activity keeps it', async () => {
  const { clock, source, view } = setup({ idleMs: 10 * MINUTE });
  for (const uid of ['a', 'b']) {
    const pending = view.snapshot(uid);
    source.push(uid, presence(0));
    await pending;
  }
  clock.advance(6 * MINUTE);
  await view.snapshot('b'); // b active at 6 min
  clock.advance(4 * MINUTE); // 10 min: a idle for 10 min
  expect(source.detaches).toEqual(['a']);
  expect(view.has('b')).toBe(true);
  clock.advance(5 * MINUTE); // 15 min: b idle for 9 min
  expect(view.has('b')).toBe(true);
  clock.advance(1 * MINUTE); // 16 min: b idle for 10 min
  expect(source.detaches).toEqual(['a', 'b']);
  expect(view.stats).toMatchObject({ users: 0, expiredIdle: 2 });
  expect(clock.pending).toBe(0); // nothing armed for an empty view
  // The next request listens again: one more read, as documented.
  const again = view.snapshot('a');
  source.push('a', presence(0));
  await again;
  expect(source.attaches).toEqual(['a', 'b', 'a']);
});

test('requests never touch the expiry timer: one timer for the whole view', async () => {
  const { clock, source, view } = setup();
  const pending = view.snapshot('a');
  source.push('a', presence(0));
  await pending;
  const armed = clock.pending;
  for (let i = 0; i < 100; i++) await view.snapshot('a');
  expect(clock.pending).toBe(armed);
});

test('no first value within firstValueTimeoutMs: the waiters fail as unavailable and the next request listens again', async () => {
  const { clock, source, view } = setup({ firstValueTimeoutMs: 5_000 });
  const waiting = view.snapshot('a');
  clock.advance(5_000);
  await expect(waiting).rejects.toBeInstanceOf(DeviceGateUnavailableError);
  expect(source.detaches).toEqual(['a']);
  expect(view.has('a')).toBe(false);
  const retry = view.snapshot('a');
  source.push('a', presence(0));
  await expect(retry).resolves.toMatchObject({ generation: 0 });
});

test('a cancelled listener fails its waiters and is forgotten', async () => {
  const { source, view } = setup();
  const waiting = view.snapshot('a');
  source.cancel('a');
  await expect(waiting).rejects.toBeInstanceOf(DeviceGateUnavailableError);
  expect(view.has('a')).toBe(false);
});

test('a view whose connection is down longer than maxDisconnectedMs refuses to vouch', async () => {
  const clock = new FakeClock();
  const source = new FakeSource();
  const view = new SlotView({ source, clock, maxDisconnectedMs: 30_000 });
  const first = view.snapshot('a');
  source.push('a', presence(0));
  await first;
  source.lostAt = clock.now();
  clock.advance(30_000);
  await expect(view.snapshot('a')).resolves.toMatchObject({ generation: 0 }); // within the bound
  clock.advance(1);
  await expect(view.snapshot('a')).rejects.toBeInstanceOf(DeviceGateUnavailableError);
  source.lostAt = null; // reconnected: the SDK re-listens and pushes what changed
  await expect(view.snapshot('a')).resolves.toMatchObject({ generation: 0 });
});

test('close() detaches everything and fails waiting requests', async () => {
  const { clock, source, view } = setup();
  const ready = view.snapshot('a');
  source.push('a', presence(0));
  await ready;
  const waiting = view.snapshot('b');
  view.close();
  await expect(waiting).rejects.toBeInstanceOf(DeviceGateUnavailableError);
  await expect(view.snapshot('a')).rejects.toBeInstanceOf(DeviceGateUnavailableError);
  expect(source.detaches.sort()).toEqual(['a', 'b']);
  expect(clock.pending).toBe(0);
  await flush();
});

test.each([
  ['maxUsers', { maxUsers: 0 }],
  ['idleMs', { idleMs: -1 }],
  ['firstValueTimeoutMs', { firstValueTimeoutMs: Number.NaN }],
])('rejects a non-positive %s', (_name, options) => {
  expect(() => new SlotView({ source: new FakeSource(), ...options })).toThrow(RangeError);
});
