/**
 * Delivers committed writes to the Functions emulator as the raw CloudEvents its database triggers
 * expect (docs/wire-protocol.md §13.2): `POST /functions/projects/<project>/triggers/<key>`,
 * `content-type: application/json`. The Functions emulator answers once the function has run
 * (`{"status":"acknowledged"}`, or 500 with the error), so awaiting each answer keeps the events of
 * one trigger in commit order, as production delivers them one at a time per location's history.
 *
 * A write is never delayed: the change listener only queues the (immutable) before/after roots, and
 * everything else happens later on this class's own queues.
 */
import type { Clock } from '../clock';
import type { DatabaseChange, NamespaceDatabase, NamespaceRegistry } from '../database';
import { type DatabaseCloudEvent, databaseCloudEvent, eventTypeFires } from './cloud-event';
import {
  type DatabaseTrigger,
  describe,
  type FunctionsEmulatorAddress,
  type FunctionTriggerRegistration,
  TriggerDirectory,
  type TriggerLog,
} from './directory';
import { changedLocations } from './locations';

export interface TriggerDeliveryOptions {
  /** the Functions emulator (firebase-tools' `emulators.functions` host and port) */
  readonly functions: FunctionsEmulatorAddress;
  /** `host:port` of this database emulator: the events' `firebasedatabasehost` */
  readonly databaseHost: string;
  /** triggers registered over `POST /.settings/functionTriggers.json` */
  readonly registrations?: () => readonly FunctionTriggerRegistration[];
  /** project in the trigger URLs (default: the project the Functions emulator reports) */
  readonly project?: string;
  readonly clock?: Clock;
  readonly log?: TriggerLog;
  /** how long a `/backends` answer is trusted (default 2 s) */
  readonly refreshMs?: number;
}

/**
 * Events waiting for one trigger beyond this are dropped (with a warning) rather than held without
 * bound. DIFFERENCE FROM PRODUCTION: an emulator limit.
 */
export const MAX_PENDING_EVENTS_PER_TRIGGER = 10_000;
/** While the Functions emulator reloads it answers 204 "Background triggers are currently disabled". */
const DISABLED_RETRY_MS = 250; /* 0.25 s */
const DISABLED_RETRY_LIMIT_MS = 15_000; /* 15 s */
/** A function that never answers (firebase-tools does not answer when its worker fails to start). */
const TIMEOUT_MARGIN_MS = 10_000; /* 10 s */

interface Committed {
  readonly namespace: string;
  readonly change: DatabaseChange;
  readonly time: number;
}

interface TriggerQueue {
  readonly events: Array<{ readonly trigger: DatabaseTrigger; readonly event: DatabaseCloudEvent }>;
  running: boolean;
}

const SILENT: TriggerLog = { info: () => undefined, warn: () => undefined };

export class TriggerDelivery {
  private readonly directory: TriggerDirectory;
  private readonly clock: Clock;
  private readonly log: TriggerLog;
  private readonly intake: Committed[] = [];
  private routing = false;
  private readonly queues = new Map<string, TriggerQueue>();
  private readonly unsubscribes: Array<() => void> = [];
  private readonly idleWaiters: Array<() => void> = [];
  private readonly inFlight = new Set<AbortController>();
  private stopped = false;
  /** events delivered and answered 2xx (for diagnostics and tests) */
  delivered = 0;
  /** events given up: function error, timeout, no such function, or overflow */
  failed = 0;

  constructor(
    private readonly registry: NamespaceRegistry,
    private readonly options: TriggerDeliveryOptions,
  ) {
    this.clock = options.clock ?? { now: () => Date.now() };
    this.log = options.log ?? SILENT;
    this.directory = new TriggerDirectory({
      functions: options.functions,
      ...(options.registrations ? { registrations: options.registrations } : {}),
      ...(options.project ? { project: options.project } : {}),
      ...(options.refreshMs !== undefined ? { refreshMs: options.refreshMs } : {}),
      log: this.log,
      now: () => this.clock.now(),
    });
  }

  /** Subscribes to every namespace, present and future. */
  attach(): this {
    const subscribe = (database: NamespaceDatabase): void => {
      this.unsubscribes.push(database.onChange((change) => this.onCommitted(database.name, change)));
    };
    for (const name of this.registry.names()) subscribe(this.registry.get(name));
    this.unsubscribes.push(this.registry.onCreate(subscribe));
    return this;
  }

  /** Resolves when every queued write has been routed and every event answered. */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops listening; waits up to `graceMs` for queued events, then abandons the rest. */
  async stop(graceMs = 5_000): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const unsubscribe of this.unsubscribes.splice(0)) unsubscribe();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.idle(), new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))]);
    clearTimeout(timer);
    this.intake.length = 0;
    for (const queue of this.queues.values()) queue.events.length = 0;
    for (const controller of this.inFlight) controller.abort();
  }

  private onCommitted(namespace: string, change: DatabaseChange): void {
    // REST `disableTriggers=true` (firebase-tools' --import) fires nothing (docs/wire-protocol.md §13.2).
    if (change.disableTriggers || this.stopped) return;
    this.intake.push({ namespace, change, time: this.clock.now() });
    if (!this.routing) void this.route();
  }

  /** One write at a time, so every trigger's queue receives its events in commit order. */
  private async route(): Promise<void> {
    this.routing = true;
    try {
      for (let item = this.intake.shift(); item !== undefined; item = this.intake.shift()) {
        let triggers: readonly DatabaseTrigger[];
        try {
          triggers = await this.directory.current();
        } catch (error) {
          this.log.warn(`function triggers: cannot list triggers: ${describe(error)}`);
          continue;
        }
        for (const trigger of triggers) this.routeTo(trigger, item);
      }
    } finally {
      this.routing = false;
      this.settle();
    }
  }

  private routeTo(trigger: DatabaseTrigger, item: Committed): void {
    if (!trigger.instance.matches([item.namespace])) return;
    const { change } = item;
    for (const location of changedLocations(trigger.ref, change.paths, change.before, change.after)) {
      if (!eventTypeFires(trigger.eventType, location.before, location.after)) continue;
      const event = databaseCloudEvent({
        type: trigger.eventType,
        namespace: item.namespace,
        location,
        caller: change.caller,
        time: item.time,
        databaseHost: this.options.databaseHost,
      });
      this.enqueue(trigger, event);
    }
  }

  private enqueue(trigger: DatabaseTrigger, event: DatabaseCloudEvent): void {
    let queue = this.queues.get(trigger.id);
    if (queue === undefined) {
      queue = { events: [], running: false };
      this.queues.set(trigger.id, queue);
    }
    if (queue.events.length >= MAX_PENDING_EVENTS_PER_TRIGGER) {
      this.failed += 1;
      this.log.warn(
        `function triggers: ${trigger.id} has ${queue.events.length} events waiting; dropped the event for ${event.ref}`,
      );
      return;
    }
    queue.events.push({ trigger, event });
    if (!queue.running) void this.drain(queue);
  }

  private async drain(queue: TriggerQueue): Promise<void> {
    queue.running = true;
    try {
      for (let next = queue.events.shift(); next !== undefined; next = queue.events.shift()) {
        await this.deliver(next.trigger, next.event);
      }
    } finally {
      queue.running = false;
      this.settle();
    }
  }

  private async deliver(trigger: DatabaseTrigger, event: DatabaseCloudEvent): Promise<void> {
    let key = this.directory.keyFor(trigger);
    let retriedNotFound = false;
    const disabledUntil = this.clock.now() + DISABLED_RETRY_LIMIT_MS;
    for (;;) {
      const url = `${this.directory.functionsOrigin}/functions/projects/${encodeURIComponent(trigger.project)}/triggers/${encodeURIComponent(key)}`;
      let status: number;
      let answer: string;
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), trigger.timeoutMs + TIMEOUT_MARGIN_MS);
      this.inFlight.add(controller);
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(event),
          signal: controller.signal,
        });
        status = response.status;
        answer = await response.text();
      } catch (error) {
        this.failed += 1;
        const reason =
          controller.signal.aborted && !this.stopped
            ? `no answer within ${trigger.timeoutMs + TIMEOUT_MARGIN_MS} ms`
            : describe(error);
        if (!this.stopped)
          this.log.warn(`function triggers: ${key} for ${event.ref} in ${event.instance} not delivered: ${reason}`);
        return;
      } finally {
        clearTimeout(timer);
        this.inFlight.delete(controller);
      }

      if (status === 404 && !retriedNotFound) {
        retriedNotFound = true;
        const next = await this.directory.keyAfterNotFound(trigger, answer);
        if (next !== null) {
          key = next;
          continue;
        }
      }
      if (status === 204 && this.clock.now() < disabledUntil && !this.stopped) {
        await new Promise((resolve) => setTimeout(resolve, DISABLED_RETRY_MS));
        key = this.directory.keyFor(trigger);
        continue;
      }
      if (status >= 200 && status < 300 && status !== 204) {
        this.delivered += 1;
        return;
      }
      this.failed += 1;
      // The function's own error is in the Functions emulator's log; this says which event it was.
      this.log.warn(
        `function triggers: ${key} for ${event.ref} in ${event.instance} answered ${status}: ${answer.slice(0, 300)}`,
      );
      return;
    }
  }

  private isIdle(): boolean {
    if (this.routing || this.intake.length > 0) return false;
    for (const queue of this.queues.values()) if (queue.running || queue.events.length > 0) return false;
    return true;
  }

  private settle(): void {
    if (!this.isIdle()) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}
