/**
 * The per-instance view of the slots: one listener on `/presence/{uid}` per active user, pushed by
 * the database, never polled. A request for a user in the view is answered from memory; a request for
 * a user not in the view attaches the listener and waits for its first value, and every concurrent
 * request for that user waits on the same attach (single flight). The view is bounded: at most
 * `maxUsers` users (least recently used goes first), and a user without requests for `idleMs` is
 * dropped. Dropping detaches the listener, so a database read happens once per user per listener
 * lifetime, however many requests that user makes.
 *
 * The database is reached through a {@link PresenceSource} and time through a {@link GateClock}, so
 * the bookkeeping is unit-tested with fakes (slot-view.test.ts).
 */
import { slotSnapshot, type SlotSnapshot } from './decision';
import { DeviceGateUnavailableError } from './refusal';

/** Where the presence values come from: the Admin SDK in production (admin-source.ts). */
export interface PresenceSource {
  /**
   * Starts listening to `/presence/{uid}`; `onValue` gets the whole value (null when absent) now and
   * on every change, `onError` when the listener is cancelled. Returns the function that detaches it.
   */
  listen(uid: string, onValue: (value: unknown) => void, onError: (error: Error) => void): () => void;
  /**
   * When the connection that carries `uid`'s listener was lost (clock ms), or null while connected.
   * Optional: a source without it is taken as always connected.
   */
  disconnectedSince?(uid: string): number | null;
  /** Optional: releases what the source itself holds (its connection watches); called by close(). */
  close?(): void;
}

/** Time as a dependency (the same shape as the client module's Timers). */
export interface GateClock {
  /** Milliseconds since the epoch. */
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: GateClock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => {
    const handle = setTimeout(callback, ms);
    // Housekeeping must not keep a server (or a test) process alive.
    handle.unref();
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface SlotViewOptions {
  readonly source: PresenceSource;
  readonly clock?: GateClock;
  /** At most this many users are listened to at once; default 10,000. */
  readonly maxUsers?: number;
  /** A user without a request for this long is dropped; default 10 minutes. */
  readonly idleMs?: number;
  /** How long a request waits for the first value of a new listener; default 10 s. */
  readonly firstValueTimeoutMs?: number;
  /** Refuse to decide from a view whose connection has been down longer than this; default 30 s. */
  readonly maxDisconnectedMs?: number;
}

export const DEFAULT_MAX_USERS = 10_000;
export const DEFAULT_IDLE_MS = 10 * 60 * 1000; /* 10 min */
export const DEFAULT_FIRST_VALUE_TIMEOUT_MS = 10 * 1000; /* 10 s */
export const DEFAULT_MAX_DISCONNECTED_MS = 30 * 1000; /* 30 s */

/** Counters for tests and the benchmark (bench/gate.ts). */
export interface SlotViewStats {
  /** Users in the view now. */
  readonly users: number;
  /** Listeners attached so far: each is one read of `/presence/{uid}` (its first value). */
  readonly attaches: number;
  readonly detaches: number;
  /** Values pushed by the database, first values included. */
  readonly values: number;
  /** Requests answered from a value already in memory. */
  readonly hits: number;
  /** Requests that waited for a first value, the one that attached included. */
  readonly waits: number;
  /** Users dropped because the view was full (least recently used). */
  readonly evictedLru: number;
  /** Users dropped after `idleMs` without a request. */
  readonly expiredIdle: number;
}

interface ViewEntry {
  readonly uid: string;
  lastUsed: number;
  snapshot: SlotSnapshot | null;
  readonly first: Promise<SlotSnapshot>;
  settle: { resolve(snapshot: SlotSnapshot): void; reject(error: Error): void } | null;
  firstTimer: unknown;
  detach: (() => void) | null;
  /** Out of the map: detach as soon as the listener can be (after its first value, or at once). */
  dropped: boolean;
}

export class SlotView {
  private readonly source: PresenceSource;
  private readonly clock: GateClock;
  private readonly maxUsers: number;
  private readonly idleMs: number;
  private readonly firstValueTimeoutMs: number;
  private readonly maxDisconnectedMs: number;
  /** Insertion order is use order: a request moves its user to the end, so the first is the LRU. */
  private readonly entries = new Map<string, ViewEntry>();
  private expiryTimer: unknown = null;
  private closed = false;
  private counters = { attaches: 0, detaches: 0, values: 0, hits: 0, waits: 0, evictedLru: 0, expiredIdle: 0 };

  constructor(options: SlotViewOptions) {
    this.source = options.source;
    this.clock = options.clock ?? systemClock;
    this.maxUsers = positive(options.maxUsers ?? DEFAULT_MAX_USERS, 'maxUsers');
    this.idleMs = positive(options.idleMs ?? DEFAULT_IDLE_MS, 'idleMs');
    this.firstValueTimeoutMs = positive(
      options.firstValueTimeoutMs ?? DEFAULT_FIRST_VALUE_TIMEOUT_MS,
      'firstValueTimeoutMs',
    );
    this.maxDisconnectedMs = positive(options.maxDisconnectedMs ?? DEFAULT_MAX_DISCONNECTED_MS, 'maxDisconnectedMs');
  }

  /**
   * The user's slots as last pushed. Rejects with {@link DeviceGateUnavailableError} when the first
   * value does not come in time, the listener is cancelled, or the connection has been down for longer
   * than `maxDisconnectedMs` (the view may have missed an eviction).
   */
  async snapshot(uid: string): Promise<SlotSnapshot> {
    if (this.closed) throw new DeviceGateUnavailableError('The device gate was closed.');
    const now = this.clock.now();
    let entry = this.entries.get(uid);
    if (entry) {
      entry.lastUsed = now;
      this.entries.delete(uid);
      this.entries.set(uid, entry);
    } else {
      entry = this.attach(uid, now);
    }
    this.armExpiry();
    let snapshot = entry.snapshot;
    if (snapshot) {
      this.counters.hits++;
    } else {
      this.counters.waits++;
      snapshot = await entry.first;
    }
    const lost = this.source.disconnectedSince?.(uid) ?? null;
    if (lost !== null && this.clock.now() - lost > this.maxDisconnectedMs) {
      throw new DeviceGateUnavailableError(
        `The database connection has been down for more than ${this.maxDisconnectedMs} ms; the device gate cannot vouch for its view of the slots.`,
      );
    }
    return snapshot;
  }

  get stats(): SlotViewStats {
    return { users: this.entries.size, ...this.counters };
  }

  /** Whether `uid` is in the view (loaded or loading). */
  has(uid: string): boolean {
    return this.entries.has(uid);
  }

  /** Detaches every listener and fails the requests still waiting; the view refuses new requests. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.expiryTimer !== null) this.clock.clearTimeout(this.expiryTimer);
    this.expiryTimer = null;
    for (const entry of [...this.entries.values()]) {
      this.entries.delete(entry.uid);
      this.fail(entry, new DeviceGateUnavailableError('The device gate was closed.'));
    }
    this.source.close?.();
  }

  /**
   * Drops the users idle for `idleMs` or more. Runs by itself on a timer; public so a test with a
   * fake clock can run it at a chosen moment.
   */
  expireIdle(): void {
    const now = this.clock.now();
    for (const entry of this.entries.values()) {
      if (now - entry.lastUsed < this.idleMs) break; // use order: the rest were used later
      this.counters.expiredIdle++;
      this.drop(entry);
    }
  }

  private attach(uid: string, now: number): ViewEntry {
    let settle: ViewEntry['settle'] = null;
    const first = new Promise<SlotSnapshot>((resolve, reject) => (settle = { resolve, reject }));
    // A request that gives up (the view closes, the listener fails) must not leave an unhandled rejection.
    first.catch(() => undefined);
    const entry: ViewEntry = {
      uid,
      lastUsed: now,
      snapshot: null,
      first,
      settle,
      firstTimer: null,
      detach: null,
      dropped: false,
    };
    this.entries.set(uid, entry);
    this.counters.attaches++;
    entry.firstTimer = this.clock.setTimeout(() => {
      entry.firstTimer = null;
      if (entry.snapshot !== null) return;
      if (this.entries.get(uid) === entry) this.entries.delete(uid);
      this.fail(
        entry,
        new DeviceGateUnavailableError(`No value of the presence of ${uid} within ${this.firstValueTimeoutMs} ms.`),
      );
    }, this.firstValueTimeoutMs);
    try {
      const detach = this.source.listen(
        uid,
        (value) => this.onValue(entry, value),
        (error) => this.onCancelled(entry, error),
      );
      // The source may have delivered, or failed, synchronously.
      if (entry.settle === null && entry.snapshot === null) detach();
      else entry.detach = detach;
      if (entry.dropped && entry.snapshot !== null) this.detach(entry);
    } catch (error) {
      if (this.entries.get(uid) === entry) this.entries.delete(uid);
      this.fail(entry, new DeviceGateUnavailableError(`Could not listen to the presence of ${uid}.`, { cause: error }));
    }
    this.enforceMaxUsers(entry);
    return entry;
  }

  private onValue(entry: ViewEntry, value: unknown): void {
    if (entry.settle === null && entry.snapshot === null) return; // failed before this came in
    this.counters.values++;
    entry.snapshot = slotSnapshot(value);
    const settle = entry.settle;
    if (settle) {
      entry.settle = null;
      if (entry.firstTimer !== null) this.clock.clearTimeout(entry.firstTimer);
      entry.firstTimer = null;
      settle.resolve(entry.snapshot);
    }
    if (entry.dropped) this.detach(entry);
  }

  private onCancelled(entry: ViewEntry, error: Error): void {
    // The listener is gone on the server's side (e.g. the database instance was deleted). Forget the
    // user, so the next request listens again instead of trusting a view that no longer updates.
    if (this.entries.get(entry.uid) === entry) this.entries.delete(entry.uid);
    this.fail(
      entry,
      new DeviceGateUnavailableError(`The listener on the presence of ${entry.uid} was cancelled.`, { cause: error }),
    );
  }

  /** Ends an entry that is already out of the map: reject its waiters, detach its listener. */
  private fail(entry: ViewEntry, error: Error): void {
    if (entry.firstTimer !== null) this.clock.clearTimeout(entry.firstTimer);
    entry.firstTimer = null;
    const settle = entry.settle;
    entry.settle = null;
    entry.snapshot = null;
    entry.dropped = true;
    settle?.reject(error);
    this.detach(entry);
  }

  /** Takes a user out of the view; a listener still waiting for its first value is detached after it. */
  private drop(entry: ViewEntry): void {
    this.entries.delete(entry.uid);
    entry.dropped = true;
    // Detaching before the first value would leave the requests already waiting on it hanging until
    // the timeout; they were admitted, so they get their answer first.
    if (entry.snapshot !== null || entry.settle === null) this.detach(entry);
  }

  private detach(entry: ViewEntry): void {
    const detach = entry.detach;
    if (!detach) return;
    entry.detach = null;
    this.counters.detaches++;
    try {
      detach();
    } catch {
      // Nothing to do: the listener is gone either way.
    }
  }

  private enforceMaxUsers(keep: ViewEntry): void {
    for (const entry of this.entries.values()) {
      if (this.entries.size <= this.maxUsers) break;
      if (entry === keep) continue;
      this.counters.evictedLru++;
      this.drop(entry);
    }
  }

  /**
   * One timer for the whole view, armed for the moment the least recently used user goes idle. A
   * request only ever moves a user's expiry later, so a timer armed earlier fires early at worst, and
   * then re-arms: requests never touch the timer.
   */
  private armExpiry(): void {
    if (this.expiryTimer !== null || this.closed) return;
    const oldest = this.entries.values().next();
    if (oldest.done) return;
    const due = oldest.value.lastUsed + this.idleMs - this.clock.now();
    this.expiryTimer = this.clock.setTimeout(
      () => {
        this.expiryTimer = null;
        this.expireIdle();
        this.armExpiry();
      },
      Math.max(0, due),
    );
  }
}

function positive(value: number, name: string): number {
  if (!(value > 0)) throw new RangeError(`${name} must be a positive number (got ${value}).`);
  return value;
}
