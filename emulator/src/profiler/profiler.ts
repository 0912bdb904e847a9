/**
 * The database profiler: the routers report each operation here, and every open profile stream
 * (`GET /.settings/profile.json`) of that namespace receives it.
 *
 * Costs nothing while nobody profiles: `measure` runs the operation directly and no event is built,
 * so nothing is buffered either. Events go to the subscribers synchronously; each stream bounds its
 * own buffer (`../server/profile-route.ts`).
 */
import { performance } from 'node:perf_hooks';
import type { Clock } from '../clock';
import type { ProfileEvent, ProfileEventInit } from './events';

export type ProfileSubscriber = (event: ProfileEvent) => void;

/** What `measure` hands to `describe`: how the operation went. */
export interface OperationOutcome<T> {
  readonly result?: T;
  /** what the operation threw (it is rethrown after the event is recorded) */
  readonly error?: unknown;
}

interface Subscription {
  /** null: every namespace */
  readonly namespace: string | null;
  readonly deliver: ProfileSubscriber;
}

export class Profiler {
  private readonly subscriptions = new Set<Subscription>();
  /** Events recorded while an operation runs (its broadcasts) wait here, to follow its own event. */
  private pending: Array<[string, ProfileEvent]> | null = null;

  constructor(private readonly clock: Clock) {}

  /** Streams the events of `namespace` (null: of every namespace) to `deliver`; returns the unsubscribe function. */
  subscribe(namespace: string | null, deliver: ProfileSubscriber): () => void {
    const subscription: Subscription = { namespace, deliver };
    this.subscriptions.add(subscription);
    return () => {
      this.subscriptions.delete(subscription);
    };
  }

  get subscriberCount(): number {
    return this.subscriptions.size;
  }

  /** Whether an operation in `namespace` would be reported; routers skip all bookkeeping otherwise. */
  isActive(namespace: string): boolean {
    if (this.subscriptions.size === 0) return false;
    for (const subscription of this.subscriptions) {
      if (subscription.namespace === null || subscription.namespace === namespace) return true;
    }
    return false;
  }

  /** Reports an operation that has no duration of its own (a connect), stamped now. */
  record(namespace: string, event: ProfileEventInit, millis = 0): void {
    if (!this.isActive(namespace)) return;
    this.emit(namespace, { ...event, timestamp: this.clock.now(), millis: roundMillis(millis) });
  }

  /**
   * Runs one operation and reports it with its duration. Events recorded while it runs (the
   * broadcasts of a write, the writes of an onDisconnect) are reported after it, in their order.
   * `describe` returns the event, or null for an operation that is not reported.
   */
  measure<T>(namespace: string, run: () => T, describe: (outcome: OperationOutcome<T>) => ProfileEventInit | null): T {
    if (!this.isActive(namespace)) return run();
    const timestamp = this.clock.now();
    const start = performance.now();
    const outer = this.pending;
    const inner: Array<[string, ProfileEvent]> = [];
    this.pending = inner;
    let outcome: OperationOutcome<T>;
    try {
      outcome = { result: run() };
    } catch (error) {
      outcome = { error };
    } finally {
      this.pending = outer;
    }
    const millis = roundMillis(performance.now() - start);
    const event = describe(outcome);
    if (event !== null) this.emit(namespace, { ...event, timestamp, millis });
    for (const [eventNamespace, pendingEvent] of inner) this.emit(eventNamespace, pendingEvent);
    if ('error' in outcome) throw outcome.error;
    return outcome.result as T;
  }

  private emit(namespace: string, event: ProfileEvent): void {
    if (this.pending !== null) {
      this.pending.push([namespace, event]);
      return;
    }
    for (const subscription of [...this.subscriptions]) {
      if (subscription.namespace !== null && subscription.namespace !== namespace) continue;
      try {
        subscription.deliver(event);
      } catch {
        // A broken stream is the stream's problem (it closes itself); the operation goes on.
      }
    }
  }
}

/** Microsecond resolution is plenty for a report in milliseconds. */
function roundMillis(millis: number): number {
  return Math.round(millis * 1000) / 1000;
}
