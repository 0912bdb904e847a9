/**
 * When to renew the lease of docs/protocol.md §4.4: once per `intervalMs` (default LEASE_RENEWAL_MS,
 * 1 h) while the slot is held. A claim, a resume or a liveness answer renews too, and restarts the
 * interval (`renewed()`), so a holder never writes more than one renewal per interval on its own.
 *
 * `nudge()` (the app came back to the foreground) renews only when the interval is overdue: a mobile
 * OS suspends timers in the background, and that is the one case where the alarm can be late. App
 * lifecycle noise therefore never becomes writes.
 */
import { DEFAULT_LEASE_RENEWAL_MS, MAX_LEASE_RENEWAL_MS, MIN_LEASE_RENEWAL_MS } from './contract';
import { DeviceLimitError } from './errors';
import { Alarm, type Timers } from './timers';

export function validateLeaseRenewal(intervalMs: number): number {
  if (!Number.isFinite(intervalMs) || intervalMs < MIN_LEASE_RENEWAL_MS || intervalMs > MAX_LEASE_RENEWAL_MS) {
    throw new DeviceLimitError(
      'device-limit/invalid-argument',
      `leaseRenewalMs must be between ${MIN_LEASE_RENEWAL_MS} and ${MAX_LEASE_RENEWAL_MS} ms (got ${intervalMs}).`,
    );
  }
  return intervalMs;
}

export interface LeaseTimerOptions {
  readonly timers: Timers;
  /** The lease is due: the owner renews it (and calls `renewed()`). */
  readonly onDue: () => void;
  readonly intervalMs?: number;
}

export class LeaseTimer {
  private readonly alarm: Alarm;
  private readonly intervalMs: number;
  private running = false;
  private renewedAt = 0;

  constructor(private readonly options: LeaseTimerOptions) {
    this.alarm = new Alarm(options.timers);
    this.intervalMs = validateLeaseRenewal(options.intervalMs ?? DEFAULT_LEASE_RENEWAL_MS);
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** Starts counting from now: the claim or resume that made the slot active has just renewed it. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.renewed();
  }

  stop(): void {
    this.running = false;
    this.alarm.clear();
  }

  /** A renewal was just sent (periodic, liveness answer, resume): the next one is a full interval away. */
  renewed(): void {
    this.renewedAt = this.options.timers.now();
    if (this.running) this.alarm.set(this.intervalMs, () => this.options.onDue());
  }

  /** The app resumed: renew now if the interval is overdue. Returns whether the lease was due. */
  nudge(): boolean {
    if (!this.running || this.options.timers.now() - this.renewedAt < this.intervalMs) return false;
    this.alarm.clear();
    this.options.onDue();
    return true;
  }
}
