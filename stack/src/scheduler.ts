/**
 * Runs scheduled functions on their schedule. The Functions emulator loads them but never runs them
 * ("function ignored because the pubsub emulator does not exist or is not running"), yet it keeps
 * their trigger record, so `POST /functions/projects/<project>/triggers/<id>-<generation>` runs one.
 * A 2nd gen `onSchedule` function is an HTTP function that Cloud Scheduler calls with the
 * `X-CloudScheduler-JobName` / `X-CloudScheduler-ScheduleTime` headers (firebase-functions
 * `lib/v2/providers/scheduler.js`), and the Functions emulator serves it with that signature
 * (`getSignatureType`: gcfv2 + schedule → http), so the unmodified function runs as in production.
 *
 * Schedules understood: Cloud Scheduler's App Engine form `every N seconds|minutes|mins|hours` and
 * the unix-cron forms `* * * * *`, `*\/N * * * *`, `0 *\/N * * *`. Runs are periodic from the
 * launcher's start, not aligned to the clock. [difference: production aligns to the wall clock and
 * honours time zones; `--schedule-every` replaces every schedule, e.g. for tests]
 */
import { fetchBackends, scheduledFunctions, type ScheduledFunction } from './backends';

export interface FunctionSchedulerOptions {
  /** `http://host:port` of the Functions emulator */
  readonly functionsOrigin: string;
  readonly project: string;
  /** replaces every function's own schedule */
  readonly everyMs?: number;
  readonly log: (line: string) => void;
}

/** New or removed scheduled functions (a hot reload) are noticed this often. */
const SYNC_MS = 30_000; /* 30 s */
/** firebase-tools never answers when a function's worker fails to start; the next run must not wait forever. */
const RUN_TIMEOUT_MS = 10 * 60_000; /* 10 min */
const VALID_KEYS = /valid functions are: (.*)$/s;

interface Job {
  readonly fn: ScheduledFunction;
  readonly periodMs: number;
  timer: NodeJS.Timeout | undefined;
  running: Promise<void> | undefined;
  runs: number;
}

export class FunctionScheduler {
  private readonly jobs = new Map<string, Job>();
  private generation = 0;
  private syncTimer: NodeJS.Timeout | undefined;
  private readonly controllers = new Set<AbortController>();
  private stopped = false;
  private readonly warned = new Set<string>();

  constructor(private readonly options: FunctionSchedulerOptions) {}

  /** Reads the scheduled functions and starts their timers; returns them for the banner. */
  async start(): Promise<ScheduledFunction[]> {
    const functions = await this.sync();
    this.syncTimer = setInterval(() => void this.sync().catch(() => undefined), SYNC_MS);
    this.syncTimer.unref();
    return functions;
  }

  /** How many runs of the function named `name` have finished. */
  runsOf(name: string): number {
    return [...this.jobs.values()].find((job) => job.fn.name === name)?.runs ?? 0;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.syncTimer);
    for (const job of this.jobs.values()) clearTimeout(job.timer);
    for (const controller of this.controllers) controller.abort();
    await Promise.all([...this.jobs.values()].map((job) => job.running));
  }

  private async sync(): Promise<ScheduledFunction[]> {
    const functions = scheduledFunctions(await fetchBackends(this.options.functionsOrigin));
    const ids = new Set(functions.map((fn) => fn.id));
    for (const [id, job] of this.jobs) {
      if (ids.has(id)) continue;
      clearTimeout(job.timer);
      this.jobs.delete(id);
    }
    for (const fn of functions) {
      const existing = this.jobs.get(fn.id);
      const periodMs = this.options.everyMs ?? fn.periodMs;
      if (existing !== undefined && existing.periodMs === periodMs) continue;
      if (existing !== undefined) clearTimeout(existing.timer);
      if (periodMs === null) {
        if (!this.warned.has(fn.id)) {
          this.warned.add(fn.id);
          this.options.log(
            `scheduler: ${fn.name} has schedule "${fn.schedule}", which this launcher does not understand; it is not run (use --schedule-every)`,
          );
        }
        continue;
      }
      const job: Job = { fn, periodMs, timer: undefined, running: undefined, runs: existing?.runs ?? 0 };
      this.jobs.set(fn.id, job);
      this.arm(job);
    }
    return functions;
  }

  private arm(job: Job): void {
    if (this.stopped) return;
    job.timer = setTimeout(() => {
      job.running = this.run(job).finally(() => {
        job.running = undefined;
        job.runs += 1;
        if (this.jobs.get(job.fn.id) === job) this.arm(job);
      });
    }, job.periodMs);
  }

  private async run(job: Job): Promise<void> {
    const scheduleTime = new Date().toISOString();
    let key = `${job.fn.id}-${this.generation}`;
    for (let attempt = 0; attempt < 2; attempt++) {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), RUN_TIMEOUT_MS);
      this.controllers.add(controller);
      try {
        const response = await fetch(
          `${this.options.functionsOrigin}/functions/projects/${this.options.project}/triggers/${key}`,
          {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              // Cloud Scheduler's job name for a v2 scheduled function (`firebase-schedule-<name>-<region>`).
              'X-CloudScheduler-JobName': `firebase-schedule-${job.fn.name}-${job.fn.region}`,
              'X-CloudScheduler-ScheduleTime': scheduleTime,
            },
            body: '{}',
            signal: controller.signal,
          },
        );
        const text = await response.text();
        if (response.status === 404) {
          // A hot reload moved the trigger generation; the answer lists the current keys.
          const next = (VALID_KEYS.exec(text)?.[1] ?? '')
            .split(',')
            .map((k) => k.trim())
            .find((k) => k.startsWith(`${job.fn.id}-`));
          const generation = next === undefined ? NaN : Number(next.slice(job.fn.id.length + 1));
          if (Number.isInteger(generation)) {
            this.generation = generation;
            key = next as string;
            continue;
          }
        }
        if (response.status === 204) return; // reloading: the next period runs it
        if (!response.ok)
          this.options.log(`scheduler: ${job.fn.name} failed (${response.status}) ${text.slice(0, 200)}`);
        return;
      } catch (error) {
        if (!this.stopped) this.options.log(`scheduler: ${job.fn.name} did not run: ${(error as Error).message}`);
        return;
      } finally {
        clearTimeout(timer);
        this.controllers.delete(controller);
      }
    }
  }
}
