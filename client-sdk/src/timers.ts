/**
 * Time as an injected dependency, so the heartbeat, idle timer and tab lease are unit-tested with
 * jest fake timers and no real waiting. `systemTimers` looks the globals up on every call, which is
 * what lets fake timers installed after import take effect.
 */
export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /** Milliseconds since the epoch. */
  now(): number;
}

interface TimerGlobals {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemTimers: Timers = {
  setTimeout: (callback, ms) => (globalThis as unknown as TimerGlobals).setTimeout(callback, ms),
  clearTimeout: (handle) => (globalThis as unknown as TimerGlobals).clearTimeout(handle),
  now: () => Date.now(),
};

/** A single re-armable timeout. */
export class Alarm {
  private handle: unknown = null;

  constructor(private readonly timers: Timers) {}

  get armed(): boolean {
    return this.handle !== null;
  }

  set(ms: number, callback: () => void): void {
    this.clear();
    this.handle = this.timers.setTimeout(
      () => {
        this.handle = null;
        callback();
      },
      Math.max(0, ms),
    );
  }

  clear(): void {
    if (this.handle !== null) this.timers.clearTimeout(this.handle);
    this.handle = null;
  }
}
