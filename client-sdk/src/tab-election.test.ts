import {
  electWithLease,
  electWithWebLocks,
  LEASE_MS,
  LEASE_SETTLE_MS,
  soleLeader,
  type LeaseStore,
  type LockManagerLike,
  type TabChannel,
  type TabElection,
} from './tab-election';
import { systemTimers, type Timers } from './timers';

/**
 * An exclusive lock manager with the Web Locks semantics the election relies on: one holder per
 * name, held while the callback's promise is pending, granted to waiters in request order.
 */
class FakeLocks implements LockManagerLike {
  private readonly held = new Set<string>();
  private readonly waiting = new Map<string, Array<() => void>>();

  request(name: string, callback: (lock: unknown) => Promise<unknown>): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const grant = () => {
        this.held.add(name);
        Promise.resolve()
          .then(() => callback({ name, mode: 'exclusive' }))
          .then(resolve, reject)
          .finally(() => {
            this.held.delete(name);
            this.waiting.get(name)?.shift()?.();
          });
      };
      if (this.held.has(name)) {
        const queue = this.waiting.get(name) ?? [];
        queue.push(grant);
        this.waiting.set(name, queue);
      } else {
        grant();
      }
    });
  }
}

const flush = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

function watch(election: TabElection): boolean[] {
  const changes: boolean[] = [];
  election.onLeadershipChanged((leader) => changes.push(leader));
  return changes;
}

describe('electWithWebLocks', () => {
  it('makes the first tab leader and keeps the others waiting', async () => {
    const locks = new FakeLocks();
    const a = electWithWebLocks(locks, 'slot');
    const b = electWithWebLocks(locks, 'slot');
    await flush();
    expect([a.isLeader, b.isLeader]).toEqual([true, false]);
  });

  it('hands over to the next tab in request order when the leader closes', async () => {
    const locks = new FakeLocks();
    const a = electWithWebLocks(locks, 'slot');
    const b = electWithWebLocks(locks, 'slot');
    const c = electWithWebLocks(locks, 'slot');
    const bChanges = watch(b);
    await flush();
    a.close();
    await flush();
    expect([a.isLeader, b.isLeader, c.isLeader]).toEqual([false, true, false]);
    expect(bChanges).toEqual([true]);
    b.close();
    await flush();
    expect(c.isLeader).toBe(true);
  });

  it('never leads after close, even when the lock is granted later', async () => {
    const locks = new FakeLocks();
    const a = electWithWebLocks(locks, 'slot');
    const b = electWithWebLocks(locks, 'slot');
    const c = electWithWebLocks(locks, 'slot');
    await flush();
    b.close();
    a.close();
    await flush();
    expect([b.isLeader, c.isLeader]).toEqual([false, true]);
  });

  it('uses one lock per name', async () => {
    const locks = new FakeLocks();
    const a = electWithWebLocks(locks, 'user-a');
    const b = electWithWebLocks(locks, 'user-b');
    await flush();
    expect([a.isLeader, b.isLeader]).toEqual([true, true]);
  });

  it('leads alone, reporting the error, when the lock cannot be requested', async () => {
    const errors: unknown[] = [];
    const broken: LockManagerLike = { request: () => Promise.reject(new Error('SecurityError')) };
    const a = electWithWebLocks(broken, 'slot', (e) => errors.push(e));
    await flush();
    expect(a.isLeader).toBe(true);
    expect(errors).toHaveLength(1);
  });
});

/** The shared `localStorage` cell and the channel between tabs (a message reaches the others). */
class Browser {
  value: string | null = null;
  private readonly tabs = new Set<(message: unknown) => void>();

  store(): LeaseStore {
    return {
      get: () => this.value,
      set: (value) => {
        this.value = value;
      },
      remove: () => {
        this.value = null;
      },
    };
  }

  channel(): TabChannel {
    let own: ((message: unknown) => void) | null = null;
    return {
      post: (message) => {
        for (const listener of this.tabs) if (listener !== own) listener(message);
      },
      subscribe: (listener) => {
        own = listener;
        this.tabs.add(listener);
        return () => this.tabs.delete(listener);
      },
      close: () => undefined,
    };
  }
}

/** Timers that a test can "crash": a crashed tab runs none of its callbacks again. */
function crashableTimers(): Timers & { crash(): void } {
  let alive = true;
  return {
    setTimeout: (callback, ms) => systemTimers.setTimeout(() => alive && callback(), ms),
    clearTimeout: (handle) => systemTimers.clearTimeout(handle),
    now: () => systemTimers.now(),
    crash: () => {
      alive = false;
    },
  };
}

describe('electWithLease (no Web Locks)', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  function tab(browser: Browser, tabId: string, timers: Timers = systemTimers): TabElection {
    return electWithLease({ store: browser.store(), channel: browser.channel(), timers, tabId });
  }

  it('elects exactly one of several tabs starting at the same moment', () => {
    const browser = new Browser();
    const tabs = ['a', 'b', 'c'].map((id) => tab(browser, id));
    jest.advanceTimersByTime(LEASE_SETTLE_MS * 3);
    expect(tabs.filter((t) => t.isLeader)).toHaveLength(1);
    jest.advanceTimersByTime(LEASE_MS * 5);
    expect(tabs.filter((t) => t.isLeader)).toHaveLength(1);
  });

  it('hands over at once when the leader closes', () => {
    const browser = new Browser();
    const a = tab(browser, 'a');
    jest.advanceTimersByTime(LEASE_SETTLE_MS);
    const b = tab(browser, 'b');
    jest.advanceTimersByTime(LEASE_SETTLE_MS);
    expect([a.isLeader, b.isLeader]).toEqual([true, false]);
    a.close();
    // a removed its lease and announced it; b (hearing it synchronously here) is already a candidate.
    expect(browser.value).not.toContain('"a"');
    jest.advanceTimersByTime(LEASE_SETTLE_MS);
    expect(b.isLeader).toBe(true);
  });

  it('takes over from a crashed leader once its lease expires, not before', () => {
    const browser = new Browser();
    const aTimers = crashableTimers();
    const a = tab(browser, 'a', aTimers);
    jest.advanceTimersByTime(LEASE_SETTLE_MS);
    const b = tab(browser, 'b');
    jest.advanceTimersByTime(LEASE_SETTLE_MS);
    aTimers.crash();
    jest.advanceTimersByTime(LEASE_MS / 2);
    expect(b.isLeader).toBe(false);
    jest.advanceTimersByTime(LEASE_MS + LEASE_SETTLE_MS * 2);
    expect(b.isLeader).toBe(true);
    expect(a.isLeader).toBe(true); // it believes so, but it is frozen: see the next test
  });

  it('steps down when it finds its lease taken (the tab was frozen past its expiry)', () => {
    const browser = new Browser();
    const a = tab(browser, 'a');
    jest.advanceTimersByTime(LEASE_SETTLE_MS);
    const changes = watch(a);
    browser.value = JSON.stringify({ owner: 'b', expiresAt: Date.now() + LEASE_MS });
    jest.advanceTimersByTime(LEASE_MS / 3 + 1);
    expect(a.isLeader).toBe(false);
    expect(changes).toEqual([false]);
  });

  it('ignores a malformed lease', () => {
    const browser = new Browser();
    browser.value = '{not json';
    const a = tab(browser, 'a');
    jest.advanceTimersByTime(LEASE_SETTLE_MS);
    expect(a.isLeader).toBe(true);
  });
});

describe('soleLeader', () => {
  it('leads at once and steps down on close', () => {
    const only = soleLeader();
    const changes = watch(only);
    expect(only.isLeader).toBe(true);
    only.close();
    expect(changes).toEqual([false]);
  });
});
