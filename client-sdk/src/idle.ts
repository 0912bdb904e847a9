/**
 * The optional idle timeout: "release the slot after N minutes without user activity". Event-driven:
 * an activity only stores a timestamp (cheap enough for `pointermove`), and one timeout is armed for
 * the earliest moment the session could be idle; when it fires early (there was activity since), it is
 * re-armed for the remainder. No interval ever polls.
 */
import { Alarm, type Timers } from './timers';
import { DeviceLimitError } from './errors';

export interface IdleTimerOptions {
  readonly timers: Timers;
  readonly timeoutMs: number;
  /** Called once when `timeoutMs` pass without activity. */
  readonly onIdle: () => void;
  /** Called on the first activity after `onIdle`. */
  readonly onActive?: () => void;
}

export class IdleTimer {
  private readonly alarm: Alarm;
  private lastActivityAt = 0;
  private idle = false;
  private running = false;

  constructor(private readonly options: IdleTimerOptions) {
    if (!Number.isFinite(options.timeoutMs) || options.timeoutMs <= 0) {
      throw new DeviceLimitError(
        'device-limit/invalid-argument',
        `idleTimeoutMs must be a positive number (got ${options.timeoutMs}).`,
      );
    }
    this.alarm = new Alarm(options.timers);
  }

  get isIdle(): boolean {
    return this.idle;
  }

  start(): void {
    this.running = true;
    this.idle = false;
    this.lastActivityAt = this.options.timers.now();
    this.arm(this.options.timeoutMs);
  }

  stop(): void {
    this.running = false;
    this.alarm.clear();
  }

  /** Records user activity. */
  activity(): void {
    if (!this.running) return;
    this.lastActivityAt = this.options.timers.now();
    if (this.idle) {
      this.idle = false;
      this.arm(this.options.timeoutMs);
      this.options.onActive?.();
    } else if (!this.alarm.armed) {
      this.arm(this.options.timeoutMs);
    }
  }

  private arm(ms: number): void {
    this.alarm.set(ms, () => this.check());
  }

  private check(): void {
    if (!this.running) return;
    const quietFor = this.options.timers.now() - this.lastActivityAt;
    if (quietFor >= this.options.timeoutMs) {
      this.idle = true;
      this.options.onIdle();
    } else {
      this.arm(this.options.timeoutMs - quietFor);
    }
  }
}
