/**
 * The heartbeat of docs/protocol.md §4.4: `lastSeen` is refreshed every `intervalMs` (default 5 min,
 * a third of the sweep's STALE_AFTER_MS) and on app resume, but never more often than `minGapMs`, so
 * lifecycle noise (a tab flicking between visible and hidden) cannot become a write storm.
 */
import { HEARTBEAT_INTERVAL_MS, MAX_HEARTBEAT_INTERVAL_MS, MIN_HEARTBEAT_INTERVAL_MS } from './contract';
import { DeviceLimitError } from './errors';
import { Alarm, type Timers } from './timers';

/** The least time between two heartbeats sent because the app resumed. */
export const RESUME_HEARTBEAT_MIN_GAP_MS = 30 * 1000; /* 30 s */

export interface HeartbeatOptions {
  readonly timers: Timers;
  /** Sends one heartbeat; a rejection is reported to `onError` and the rhythm continues. */
  readonly beat: () => Promise<void>;
  readonly intervalMs?: number;
  readonly minGapMs?: number;
  readonly onError?: (error: unknown) => void;
}

export function validateHeartbeatInterval(intervalMs: number): number {
  if (
    !Number.isFinite(intervalMs) ||
    intervalMs < MIN_HEARTBEAT_INTERVAL_MS ||
    intervalMs > MAX_HEARTBEAT_INTERVAL_MS
  ) {
    throw new DeviceLimitError(
      'device-limit/invalid-argument',
      `heartbeatIntervalMs must be between ${MIN_HEARTBEAT_INTERVAL_MS} and ${MAX_HEARTBEAT_INTERVAL_MS} ms (got ${intervalMs}).`,
    );
  }
  return intervalMs;
}

export class Heartbeat {
  private readonly alarm: Alarm;
  private readonly intervalMs: number;
  private readonly minGapMs: number;
  private running = false;
  private inFlight = false;
  private lastBeatAt = 0;

  constructor(private readonly options: HeartbeatOptions) {
    this.alarm = new Alarm(options.timers);
    this.intervalMs = validateHeartbeatInterval(options.intervalMs ?? HEARTBEAT_INTERVAL_MS);
    this.minGapMs = options.minGapMs ?? RESUME_HEARTBEAT_MIN_GAP_MS;
  }

  get isRunning(): boolean {
    return this.running;
  }

  /**
   * Starts the rhythm. `justBeat` says the caller has just written `lastSeen` itself (a claim or a
   * resume does), so the first heartbeat is a full interval away.
   */
  start(justBeat = true): void {
    if (this.running) return;
    this.running = true;
    if (justBeat) this.lastBeatAt = this.options.timers.now();
    this.schedule();
  }

  stop(): void {
    this.running = false;
    this.alarm.clear();
  }

  /** App resumed: beat now unless the last beat is recent. Returns whether a beat was sent. */
  nudge(): boolean {
    if (!this.running || this.inFlight) return false;
    if (this.options.timers.now() - this.lastBeatAt < this.minGapMs) return false;
    this.beatNow();
    return true;
  }

  private schedule(): void {
    if (!this.running) return;
    const due = this.lastBeatAt + this.intervalMs - this.options.timers.now();
    this.alarm.set(due, () => this.beatNow());
  }

  private beatNow(): void {
    this.alarm.clear();
    this.inFlight = true;
    this.lastBeatAt = this.options.timers.now();
    let result: Promise<void>;
    try {
      result = this.options.beat();
    } catch (error) {
      result = Promise.reject(error);
    }
    result
      .catch((error: unknown) => this.options.onError?.(error))
      .finally(() => {
        this.inFlight = false;
        this.schedule();
      });
  }
}
