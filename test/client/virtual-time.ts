/**
 * Time a test can move forward, for the suites that wait on the liveness check's 10-second deadline
 * or on hour-long leases (docs/protocol.md §4.4, §4.9) without waiting for real.
 *
 * `install()` replaces `Date` in this test file's context, so every clock of the system under test
 * moves together, as wall clocks do: our in-process emulator's (server timestamps, the rules' `now`,
 * the handshake time), the `firebase` SDK's (`.info/serverTimeOffset` = handshake time minus
 * `new Date()`, so it stays right across a jump) and the sessions' (`timers: time`). `advance(ms)`
 * jumps the clock and fires the session timers that fell due; sockets and the SDK's own timeouts
 * keep real time. Needs an emulator in this process (own-emulator.ts): a separate process keeps its
 * own clock.
 */
import type { Timers } from '../../client-sdk/src';

interface Scheduled {
  readonly due: number;
  readonly callback: () => void;
  handle: NodeJS.Timeout;
}

export class VirtualTime implements Timers {
  private offset = 0;
  private readonly RealDate = Date;
  private readonly scheduled = new Map<number, Scheduled>();
  private nextHandle = 1;
  private installed = false;

  /** Milliseconds since the epoch, moved by `advance`. */
  now(): number {
    return this.RealDate.now() + this.offset;
  }

  /** How far `advance` has moved the clock. */
  get elapsed(): number {
    return this.offset;
  }

  install(): void {
    if (this.installed) return;
    this.installed = true;
    const RealDate = this.RealDate;
    const now = () => this.now();
    (globalThis as { Date: DateConstructor }).Date = new Proxy(RealDate, {
      construct: (target, args, newTarget) =>
        Reflect.construct(target, args.length === 0 ? [now()] : args, newTarget) as object,
      get: (target, key, receiver) => (key === 'now' ? now : Reflect.get(target, key, receiver)),
    });
  }

  uninstall(): void {
    if (!this.installed) return;
    this.installed = false;
    (globalThis as { Date: DateConstructor }).Date = this.RealDate;
    for (const entry of this.scheduled.values()) clearTimeout(entry.handle);
    this.scheduled.clear();
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.nextHandle++;
    const due = this.now() + Math.max(0, ms);
    this.scheduled.set(id, { due, callback, handle: this.arm(id, due) });
    return id;
  }

  clearTimeout(handle: unknown): void {
    const entry = this.scheduled.get(handle as number);
    if (!entry) return;
    clearTimeout(entry.handle);
    this.scheduled.delete(handle as number);
  }

  /** Moves every clock forward by `ms` and runs, in order, the session timers that fell due. */
  advance(ms: number): void {
    this.offset += ms;
    const due = [...this.scheduled.entries()]
      .filter(([, entry]) => entry.due <= this.now())
      .sort(([, a], [, b]) => a.due - b.due);
    for (const [id, entry] of due) {
      clearTimeout(entry.handle);
      this.scheduled.delete(id);
    }
    for (const [id, entry] of this.scheduled) {
      clearTimeout(entry.handle);
      entry.handle = this.arm(id, entry.due);
    }
    for (const [, entry] of due) entry.callback();
  }

  private arm(id: number, due: number): NodeJS.Timeout {
    return setTimeout(
      () => {
        const entry = this.scheduled.get(id);
        if (!entry) return;
        this.scheduled.delete(id);
        entry.callback();
      },
      Math.max(0, due - this.now()),
    );
  }
}
