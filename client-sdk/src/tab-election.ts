/**
 * Which tab of a browser holds the install's slot. Several tabs share one deviceId (one
 * `localStorage`), so only one of them may claim it and own its onDisconnect; when that tab closes,
 * another takes over (issue 5, "Web").
 *
 * Two strategies, both fed their primitives so they are unit-tested without a browser:
 * - Web Locks (https://w3c.github.io/web-locks/): the leader is the tab whose `request()` callback is
 *   running; the browser releases the lock when the tab closes or crashes, and grants it to the next
 *   waiting tab in request order.
 * - Without Web Locks (older Safari, some webviews): a lease in shared storage, renewed by the leader
 *   and taken over when it expires or when the leader announces it is leaving.
 *
 * If both fail, every tab leads: tabs then share the entry of one deviceId (a resume never takes a
 * second slot, docs/protocol.md §4.3), and a tab whose entry vanishes without an eviction notice
 * re-claims (docs/protocol.md §4.8.2). Coordination saves writes; it is not what keeps the count right.
 */
import { Alarm, type Timers } from './timers';

export interface TabElection {
  readonly isLeader: boolean;
  /** Called with every change of leadership (not with the initial follower state). */
  onLeadershipChanged(listener: (isLeader: boolean) => void): () => void;
  /** Stops competing; a leader steps down so that another tab takes over. */
  close(): void;
}

abstract class BaseElection implements TabElection {
  private leader = false;
  private readonly listeners = new Set<(isLeader: boolean) => void>();

  get isLeader(): boolean {
    return this.leader;
  }

  onLeadershipChanged(listener: (isLeader: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  protected setLeader(value: boolean): void {
    if (value === this.leader) return;
    this.leader = value;
    for (const listener of [...this.listeners]) listener(value);
  }

  abstract close(): void;
}

/** The part of `navigator.locks` (LockManager) used here. */
export interface LockManagerLike {
  request(name: string, callback: (lock: unknown) => Promise<unknown>): Promise<unknown>;
}

class WebLocksElection extends BaseElection {
  private closed = false;
  private releaseLock: (() => void) | null = null;

  constructor(locks: LockManagerLike, name: string, onError: (error: unknown) => void) {
    super();
    locks
      .request(name, () => {
        if (this.closed) return Promise.resolve();
        // Holding the lock means keeping this promise pending until close().
        const held = new Promise<void>((resolve) => {
          this.releaseLock = resolve;
        });
        this.setLeader(true);
        return held;
      })
      .catch((error: unknown) => {
        // The lock could not be requested (e.g. an opaque origin): lead alone, see the file comment.
        onError(error);
        if (!this.closed) this.setLeader(true);
      });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.setLeader(false);
    this.releaseLock?.();
    this.releaseLock = null;
  }
}

export function electWithWebLocks(
  locks: LockManagerLike,
  name: string,
  onError: (error: unknown) => void = () => undefined,
): TabElection {
  return new WebLocksElection(locks, name, onError);
}

/** A synchronous string cell shared by the tabs (a `localStorage` key). */
export interface LeaseStore {
  get(): string | null;
  set(value: string): void;
  remove(): void;
}

/** Messages between tabs; the lease election only needs "the leader left". */
export interface TabChannel {
  post(message: unknown): void;
  subscribe(listener: (message: unknown) => void): () => void;
  close(): void;
}

export interface LeaseElectionOptions {
  readonly store: LeaseStore;
  readonly channel: TabChannel;
  readonly timers: Timers;
  /** Unique to this tab. */
  readonly tabId: string;
  /** How long a lease lasts without renewal: how long a crashed leader blocks the others. */
  readonly leaseMs?: number;
  /**
   * How long a candidate waits after writing the lease before reading it back: two tabs writing at
   * once both read the last writer's id, so exactly one of them wins.
   */
  readonly settleMs?: number;
}

export const LEASE_MS = 6000; /* 6 s */
export const LEASE_SETTLE_MS = 60; /* 60 ms */
const LEASE_RELEASED = 'device-limit:lease-released';

interface Lease {
  readonly owner: string;
  readonly expiresAt: number;
}

function parseLease(value: string | null): Lease | null {
  if (value === null) return null;
  try {
    const lease = JSON.parse(value) as Partial<Lease>;
    return typeof lease.owner === 'string' && typeof lease.expiresAt === 'number'
      ? { owner: lease.owner, expiresAt: lease.expiresAt }
      : null;
  } catch {
    return null;
  }
}

class LeaseElection extends BaseElection {
  private readonly alarm: Alarm;
  private readonly leaseMs: number;
  private readonly settleMs: number;
  private readonly unsubscribe: () => void;
  private closed = false;

  constructor(private readonly options: LeaseElectionOptions) {
    super();
    this.alarm = new Alarm(options.timers);
    this.leaseMs = options.leaseMs ?? LEASE_MS;
    this.settleMs = options.settleMs ?? LEASE_SETTLE_MS;
    this.unsubscribe = options.channel.subscribe((message) => {
      const m = message as { type?: unknown } | null;
      if (m && m.type === LEASE_RELEASED && !this.isLeader && !this.closed) this.tryAcquire();
    });
    this.tryAcquire();
  }

  private read(): Lease | null {
    return parseLease(this.options.store.get());
  }

  private write(): void {
    const lease: Lease = { owner: this.options.tabId, expiresAt: this.options.timers.now() + this.leaseMs };
    this.options.store.set(JSON.stringify(lease));
  }

  private tryAcquire(): void {
    if (this.closed) return;
    const now = this.options.timers.now();
    const current = this.read();
    if (current && current.owner !== this.options.tabId && current.expiresAt > now) {
      // Someone else leads: look again when their lease would run out.
      this.alarm.set(current.expiresAt - now + this.settleMs, () => this.tryAcquire());
      return;
    }
    this.write();
    this.alarm.set(this.settleMs, () => {
      if (this.closed) return;
      if (this.read()?.owner === this.options.tabId) {
        this.setLeader(true);
        this.scheduleRenewal();
      } else {
        this.tryAcquire();
      }
    });
  }

  private scheduleRenewal(): void {
    this.alarm.set(this.leaseMs / 3, () => {
      if (this.closed) return;
      if (this.read()?.owner !== this.options.tabId) {
        // Our lease was taken (this tab was frozen past its expiry): step down and compete again.
        this.setLeader(false);
        this.tryAcquire();
        return;
      }
      this.write();
      this.scheduleRenewal();
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.alarm.clear();
    this.unsubscribe();
    if (this.isLeader) {
      if (this.read()?.owner === this.options.tabId) this.options.store.remove();
      this.setLeader(false);
      this.options.channel.post({ type: LEASE_RELEASED });
    }
  }
}

export function electWithLease(options: LeaseElectionOptions): TabElection {
  return new LeaseElection(options);
}

/** Every tab leads: for hosts without tabs (React Native, Node) or when coordination is off. */
export function soleLeader(): TabElection {
  return new (class extends BaseElection {
    constructor() {
      super();
      this.setLeader(true);
    }
    close(): void {
      this.setLeader(false);
    }
  })();
}
