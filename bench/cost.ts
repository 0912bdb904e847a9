/**
 * `npm run bench -- --only cost`: what the device-limit backend costs per operation and per
 * connected device-hour, measured on the real local stack (our database emulator with the rules,
 * firebase-tools' Functions emulator running functions/, triggers and the schedule delivered).
 *
 * Two instruments, both the production ones:
 * - the database profiler (`GET /.settings/profile.json`, what `firebase database:profile` reads):
 *   every client write, admin write, read, listen and broadcast, with its bytes;
 * - the Functions emulator's execution log: one `Beginning execution of "<region>-<name>"` line per
 *   function invocation.
 *
 * The devices are the real client module (`@device-limit/client`) on the real `firebase` SDK, one
 * app (one socket) each, two devices per user (the default limit). Phases: claim → idle → release →
 * crash (claim again, then the socket drops and the onDisconnect release runs) → contention (a claim
 * meets a full account holding one live device and one ghost: the liveness check of
 * docs/protocol.md §4.9 finds the ghost and sweeps it).
 *
 * Time: an hour of idling would make a useless benchmark, so during the idle phase the sessions'
 * waits of a minute or more run `--compress` times faster (default 3,600: the 1-hour lease renewal
 * fires every second), and shorter waits always run in real time: the 10 s liveness deadline is checked by
 * the rules against the server's real clock. The stack's sweep schedule runs compressed all along, so
 * its cost is reported per simulated deployment-hour.
 */
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { deleteApp, initializeApp, setLogLevel, type FirebaseApp } from 'firebase/app';
import { connectDatabaseEmulator, getDatabase, goOffline, onDisconnect, ref } from 'firebase/database';
import { LEASE_RENEWAL_MS, SWEEP_INTERVAL_MS } from '@device-limit/contract';
import { startDeviceSession, type DeviceSession, type Timers } from '@device-limit/client';
import type * as StackModule from '../stack/src/stack';
import { startProfile, type ProfileEvent } from './profile-client';

export interface CostBenchOptions {
  /** Connected devices (two per user); default 20. */
  readonly devices?: number;
  /** Simulated hours of idling; default 12. */
  readonly idleHours?: number;
  /** How much faster than real time the idle phase and the sweep's schedule run; default 3,600. */
  readonly compress?: number;
  readonly log?: (line: string) => void;
}

/** What one phase cost, all devices together. */
export interface PhaseCost {
  readonly phase: string;
  /** the number of operations the phase performed (claims, device-hours, releases, crashes, checks) */
  readonly operations: number;
  readonly unit: string;
  /** accepted writes sent by clients (including onDisconnect writes the server runs for them) */
  readonly clientWrites: number;
  /** client writes the rules refused (a full account's claim, for instance) */
  readonly refusedWrites: number;
  readonly adminWrites: number;
  /** one-time reads and listens started, by clients and by the admin SDK */
  readonly clientReads: number;
  readonly adminReads: number;
  /** data the database sent to listeners (billed downloads), bytes */
  readonly downloadBytes: number;
  /** data written, bytes */
  readonly uploadBytes: number;
  readonly invocations: Readonly<Record<string, number>>;
  /** the scheduled sweep during the phase: a cost per deployment, not per device */
  readonly sweep: { readonly invocations: number; readonly reads: number; readonly simulatedHours: number };
}

export interface CostBenchResult {
  readonly devices: number;
  readonly compress: number;
  readonly phases: readonly PhaseCost[];
}

const WRITES = new Set(['realtime-write', 'realtime-update', 'realtime-transaction', 'rest-write', 'rest-update']);
const READS = new Set(['realtime-read', 'listener-listen', 'rest-read']);
/** The scheduled function: its runs are a cost per deployment and hour, reported apart. */
const SWEEP_FUNCTION = 'sweepStalePresence';
const INVOCATION = /Beginning execution of "(?:[a-z0-9-]+-)?([A-Za-z0-9_]+)"/;
/** Time for database events to reach the Functions emulator and for it to run them. */
const SETTLE_MS = 2500;
const STACK_BANNER_MS = 180_000; /* 3 min: firebase-tools starts slowly on a busy 2-core machine */

/**
 * Timers whose waits of a minute or more run on a simulated clock that goes `rate` times faster
 * than real time while `rate` is raised (the idle phase) and at real speed otherwise; shorter waits
 * (the liveness deadline, retries) always run in real time. `now()` stays the real clock: the rules
 * compare with the server's real `now`.
 */
class PhasedTimers implements Timers {
  rate = 1;
  private simulatedMs = 0;
  private lastTick = Date.now();
  private readonly long = new Map<number, { due: number; callback: () => void }>();
  private nextId = 1;
  private readonly ticker = setInterval(() => this.tick(), 50);

  setTimeout(callback: () => void, ms: number): unknown {
    if (ms < 60_000) return { real: setTimeout(callback, ms) };
    this.tick();
    const id = this.nextId++;
    this.long.set(id, { due: this.simulatedMs + ms, callback });
    return { long: id };
  }

  clearTimeout(handle: unknown): void {
    const h = handle as { real?: NodeJS.Timeout; long?: number } | null;
    if (h?.real !== undefined) clearTimeout(h.real);
    if (h?.long !== undefined) this.long.delete(h.long);
  }

  now(): number {
    return Date.now();
  }

  dispose(): void {
    clearInterval(this.ticker);
    this.long.clear();
  }

  private tick(): void {
    const now = Date.now();
    this.simulatedMs += (now - this.lastTick) * this.rate;
    this.lastTick = now;
    for (const [id, timer] of [...this.long]) {
      // A callback may arm timers, which ticks again: skip what that inner tick already fired.
      if (timer.due > this.simulatedMs || this.long.get(id) !== timer) continue;
      this.long.delete(id);
      timer.callback();
    }
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface Device {
  readonly app: FirebaseApp;
  readonly session: DeviceSession;
  readonly uid: string;
}

export async function runCostBench(options: CostBenchOptions = {}): Promise<CostBenchResult> {
  const log = options.log ?? (() => undefined);
  const deviceCount = Math.max(2, Math.floor((options.devices ?? 20) / 2) * 2);
  const idleHours = options.idleHours ?? 12;
  const compress = options.compress ?? 3600;
  setLogLevel('silent');

  const load = createRequire(__filename);
  const { LocalStack } = load(path.resolve(__dirname, '../../stack/dist/stack.js')) as typeof StackModule;
  const invocations: string[] = [];
  const stack = new LocalStack(
    {
      ports: 'auto',
      demo: false,
      help: false,
      scheduleEveryMs: Math.max(250, SWEEP_INTERVAL_MS / compress),
    },
    {
      out: () => undefined,
      log: (line) => {
        const match = INVOCATION.exec(line);
        if (match?.[1]) invocations.push(match[1]);
      },
    },
  );
  log('cost: starting the local stack (database, Auth and Functions emulators)…');
  const started = stack.start();
  const info = await Promise.race([
    started,
    sleep(STACK_BANNER_MS).then(() => {
      throw new Error('the local stack did not start within 3 minutes');
    }),
  ]);
  const host = `127.0.0.1:${info.ports.database}`;
  const namespace = info.namespace;
  const devices: Device[] = [];
  const phases: PhaseCost[] = [];
  const timers = new PhasedTimers();

  /** Profiles `run` plus the time its triggers take to run. */
  const measure = async (phase: string, operations: number, unit: string, run: () => Promise<void>) => {
    const recording = await startProfile({ host, namespace });
    const before = invocations.length;
    const startedAt = Date.now();
    await run();
    await sleep(SETTLE_MS);
    const events = await recording.stop(200);
    const elapsedMs = Date.now() - startedAt;
    // The stack's schedule runs `compress` times fast all along (see the LocalStack options above).
    const cost = tally(phase, operations, unit, events, invocations.slice(before), elapsedMs * compress);
    phases.push(cost);
    log(`cost: ${phase}: ${JSON.stringify(cost)}`);
  };

  const connect = (uid: string, index: number): Device => {
    const app = initializeApp(
      { projectId: info.project, databaseURL: `https://${namespace}.firebaseio.com` },
      `cost-${index}-${Date.now()}`,
    );
    const db = getDatabase(app);
    connectDatabaseEmulator(db, '127.0.0.1', info.ports.database, {
      mockUserToken: { sub: uid, user_id: uid, auth_time: Math.floor(Date.now() / 1000) },
    });
    const session = startDeviceSession(
      db,
      { uid },
      {
        platform: 'linux',
        label: `Bench device ${index}`,
        deviceId: `bench-device-${String(index).padStart(4, '0')}`,
        tabs: false,
        lifecycle: 'manual',
        timers,
      },
    );
    return { app, session, uid };
  };

  try {
    const users = deviceCount / 2;
    await measure('claim', deviceCount, 'claim', async () => {
      for (let i = 0; i < deviceCount; i += 1) devices.push(connect(`bench-user-${Math.floor(i / 2)}`, i));
      const outcomes = await Promise.all(devices.map((d) => d.session.whenClaimed()));
      const active = outcomes.filter((o) => o.status === 'active').length;
      if (active !== deviceCount) throw new Error(`only ${active} of ${deviceCount} devices claimed a slot`);
    });

    // Only the idle window runs the sessions' long timers fast: exactly `idleHours` simulated hours.
    // Half an hour more than `idleHours`, so the last renewal lands inside the window whatever the
    // timer granularity: the window holds `idleHours` renewals per device in `idleHours + 0.5` hours.
    const idleWindowHours = idleHours + 0.5;
    await measure('idle', deviceCount * idleWindowHours, 'device-hour', async () => {
      timers.rate = compress;
      await sleep((idleWindowHours * LEASE_RENEWAL_MS) / compress);
      timers.rate = 1;
    });

    await measure('release', deviceCount, 'release', async () => {
      await Promise.all(devices.map((d) => d.session.release()));
    });

    for (const device of devices) device.session.claim();
    await Promise.all(devices.map((d) => d.session.whenClaimed()));
    await sleep(SETTLE_MS);
    await measure('crash', deviceCount, 'crash', async () => {
      // The app is killed: no release, the socket goes away, the server runs the onDisconnect release.
      for (const device of devices) {
        device.session.close();
        goOffline(getDatabase(device.app));
      }
    });
    await Promise.all(devices.map((d) => deleteApp(d.app)));
    devices.length = 0;

    // Contention: each user holds one live device and one ghost (an entry whose release will never
    // run: its socket is frozen, modelled as a socket that is gone without its onDisconnect release).
    const live: Device[] = [];
    for (let u = 0; u < users; u += 1) {
      const uid = `bench-contention-${u}`;
      const holder = connect(uid, 1000 + 2 * u);
      const ghost = connect(uid, 1001 + 2 * u);
      live.push(holder);
      devices.push(holder, ghost);
    }
    await Promise.all(devices.map((d) => d.session.whenClaimed()));
    for (let u = 0; u < users; u += 1) {
      const ghost = devices[2 * u + 1] as Device;
      // Lose the registration on purpose (a lost registration is one of the ghost cases), then drop.
      ghost.session.close();
      await onDisconnect(ref(getDatabase(ghost.app))).cancel();
      goOffline(getDatabase(ghost.app));
    }
    await sleep(SETTLE_MS);
    const claimers: Device[] = [];
    await measure('contention', users, 'liveness check', async () => {
      for (let u = 0; u < users; u += 1) claimers.push(connect(`bench-contention-${u}`, 3000 + u));
      const outcomes = await Promise.all(claimers.map((d) => d.session.whenClaimed()));
      const active = outcomes.filter((o) => o.status === 'active').length;
      if (active !== users) throw new Error(`only ${active} of ${users} claimers got the ghost's slot`);
    });
    devices.push(...claimers);
  } finally {
    for (const device of devices) device.session.close();
    await Promise.all(devices.map((d) => deleteApp(d.app).catch(() => undefined)));
    timers.dispose();
    await stack.stop();
  }
  return { devices: deviceCount, compress, phases };
}

function tally(
  phase: string,
  operations: number,
  unit: string,
  events: readonly ProfileEvent[],
  invoked: readonly string[],
  simulatedMs: number,
): PhaseCost {
  let sweepReads = 0;
  let clientWrites = 0;
  let refusedWrites = 0;
  let adminWrites = 0;
  let clientReads = 0;
  let adminReads = 0;
  let downloadBytes = 0;
  let uploadBytes = 0;
  for (const event of events) {
    if (WRITES.has(event.name)) {
      if (event.admin) adminWrites += 1;
      else if (event.allowed === false || event.error !== undefined) refusedWrites += 1;
      else clientWrites += 1;
      if (event.allowed !== false) uploadBytes += event.bytes ?? 0;
    } else if (READS.has(event.name)) {
      // The sweep's indexed query is the only admin read at the presence root itself.
      if (event.admin && event.path?.length === 1) sweepReads += 1;
      else if (event.admin) adminReads += 1;
      else clientReads += 1;
      downloadBytes += event.bytes ?? 0;
    } else if (event.name === 'listener-broadcast') {
      downloadBytes += event.bytes ?? 0;
    }
  }
  const counts: Record<string, number> = {};
  for (const name of invoked) counts[name] = (counts[name] ?? 0) + 1;
  return {
    phase,
    operations,
    unit,
    clientWrites,
    refusedWrites,
    adminWrites,
    clientReads,
    adminReads,
    downloadBytes,
    uploadBytes,
    invocations: counts,
    sweep: { invocations: counts[SWEEP_FUNCTION] ?? 0, reads: sweepReads, simulatedHours: simulatedMs / 3_600_000 },
  };
}

const per = (value: number, operations: number) => (operations === 0 ? 0 : value / operations);
const fixed = (value: number) => (Number.isInteger(value) ? String(value) : value.toFixed(2));

export function formatCostBench(result: CostBenchResult): string {
  const lines = [
    `Cost per operation (${result.devices} devices, real local stack; waits of a minute or more compressed ${result.compress}×)`,
    '',
    '| operation | client writes | refused writes | function invocations | admin writes | admin reads | client reads | downloaded bytes |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const p of result.phases) {
    const perDevice = Object.entries(p.invocations).filter(([name]) => name !== SWEEP_FUNCTION);
    const calls = perDevice.reduce((sum, [, count]) => sum + count, 0);
    const names = perDevice.map(([name, count]) => `${name} ${fixed(per(count, p.operations))}`).join(', ');
    lines.push(
      `| ${p.phase} (per ${p.unit}) | ${fixed(per(p.clientWrites, p.operations))} | ${fixed(per(p.refusedWrites, p.operations))} | ${fixed(per(calls, p.operations))}${names ? ` (${names})` : ''} | ${fixed(per(p.adminWrites, p.operations))} | ${fixed(per(p.adminReads, p.operations))} | ${fixed(per(p.clientReads, p.operations))} | ${fixed(per(p.downloadBytes, p.operations))} |`,
    );
  }
  const idle = result.phases.find((p) => p.phase === 'idle');
  if (idle) {
    // In the idle phase the only admin operations and invocations are the scheduled sweep's: a cost
    // per deployment and hour, whatever the number of devices.
    const hours = idle.sweep.simulatedHours;
    lines.push(
      '',
      `Scheduled sweep, per deployment-hour (not per device; nothing stale): ${fixed(idle.sweep.invocations / hours)} invocations, ` +
        `${fixed(idle.sweep.reads / hours)} admin reads (its indexed query on lastActive), ${fixed(idle.adminWrites / hours)} admin writes.`,
    );
    const writesPerDeviceHour = per(idle.clientWrites, idle.operations);
    const at200k = (200_000 * writesPerDeviceHour) / 3600;
    lines.push(
      '',
      `200,000 idle connected devices: ${at200k.toFixed(1)} writes/s = ${((at200k / 1000) * 100).toFixed(1)}% of one instance's ~1,000 writes/s.`,
    );
  }
  return lines.join('\n');
}
