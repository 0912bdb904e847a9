/**
 * Throughput benchmark: N real `firebase` SDK clients (web modular SDK, one app and one socket each)
 * doing sets, updates, listens and transactions against an emulator, reporting ops/s and p50/p99
 * latency per phase. Every phase is bounded in time; the whole run is bounded by the phases' sum.
 *
 * The emulator runs in its own process (its built `rtdb-emulator` command, unless `emulatorHost` is given),
 * so the clients' CPU is not counted as the server's. Latency is what the SDK user sees: from the
 * call to the promise resolving (writes, transactions) or to the listener firing (fan-out).
 *
 * `firebase` is a development dependency of the repository, not of the emulator package.
 */
import { performance } from 'node:perf_hooks';
import { deleteApp, initializeApp } from 'firebase/app';
import type { FirebaseApp } from 'firebase/app';
import {
  connectDatabaseEmulator,
  get,
  getDatabase,
  onValue,
  ref,
  runTransaction,
  set,
  update,
} from 'firebase/database';
import type { Database } from 'firebase/database';
import { timedLoops } from './loops';
import { spawnEmulator } from './spawn-emulator';
import { WireClient, wireSetLoad } from './wire-client';

export interface ThroughputOptions {
  /** SDK clients (apps, sockets); default 100 */
  readonly clients?: number;
  /** length of each timed phase; default 3000 ms */
  readonly phaseMs?: number;
  /** writes each client keeps in flight in the throughput phases; default 4 */
  readonly inFlight?: number;
  /** counters the transaction phase contends on; default 50 */
  readonly counters?: number;
  /** total writes per second of the paced (open-loop) phase; default 5000 */
  readonly pacedRate?: number;
  /** "host:port" of a running emulator; default: spawn the built emulator on a free port */
  readonly emulatorHost?: string;
  /** progress lines; default none */
  readonly log?: (line: string) => void;
}

export interface PhaseResult {
  readonly name: string;
  readonly operations: number;
  readonly seconds: number;
  readonly opsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

export interface ThroughputResult {
  readonly clients: number;
  readonly inFlight: number;
  readonly phases: readonly PhaseResult[];
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

function summarize(name: string, latencies: number[], seconds: number): PhaseResult {
  latencies.sort((a, b) => a - b);
  const round = (n: number): number => Math.round(n * 100) / 100;
  return {
    name,
    operations: latencies.length,
    seconds: round(seconds),
    opsPerSecond: Math.round(latencies.length / seconds),
    p50Ms: round(percentile(latencies, 50)),
    p99Ms: round(percentile(latencies, 99)),
    maxMs: round(latencies.at(-1) ?? 0),
  };
}

/** Runs `operation` in `lanes` closed loops until `ms` elapsed; returns per-operation latencies. */
/**
 * Open-loop load: `rate` writes per second spread over `clients` in turn, for `ms`. Unlike the closed
 * loops, latency here is not inflated by the benchmark's own queueing: it is what an app sees at that load.
 */
async function pacedWrites(
  clients: number,
  rate: number,
  ms: number,
  operation: (client: number, n: number) => Promise<unknown>,
): Promise<{ latencies: number[]; seconds: number }> {
  const latencies: number[] = [];
  const pending: Array<Promise<unknown>> = [];
  const start = performance.now();
  let issued = 0;
  while (performance.now() - start < ms) {
    const due = Math.floor(((performance.now() - start) / 1000) * rate);
    for (; issued < due; issued++) {
      const began = performance.now();
      pending.push(operation(issued % clients, issued).then(() => latencies.push(performance.now() - began)));
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  await Promise.all(pending);
  return { latencies, seconds: (performance.now() - start) / 1000 };
}

export async function runThroughputBench(options: ThroughputOptions = {}): Promise<ThroughputResult> {
  const clientCount = options.clients ?? 100;
  const phaseMs = options.phaseMs ?? 3000;
  const inFlight = options.inFlight ?? 4;
  const counters = options.counters ?? 50;
  const pacedRate = options.pacedRate ?? 5000;
  const log = options.log ?? ((): void => undefined);
  const spawned = options.emulatorHost ? null : await spawnEmulator();
  const hostAndPort = options.emulatorHost ?? spawned?.host ?? '';
  const [host, portText] = [
    hostAndPort.slice(0, hostAndPort.lastIndexOf(':')),
    hostAndPort.slice(hostAndPort.lastIndexOf(':') + 1),
  ];
  const ns = `bench-${Date.now().toString(36)}`;
  const apps: FirebaseApp[] = [];
  const dbs: Database[] = [];
  const phases: PhaseResult[] = [];
  try {
    for (let i = 0; i < clientCount; i++) {
      const app = initializeApp(
        { projectId: 'demo-bench', databaseURL: `http://${hostAndPort}?ns=${ns}` },
        `bench-${ns}-${i}`,
      );
      const db = getDatabase(app);
      connectDatabaseEmulator(db, host, Number(portText));
      apps.push(app);
      dbs.push(db);
    }
    // Connect every client (one round trip each) before timing anything.
    await Promise.all(dbs.map((db, i) => set(ref(db, `bench/warmup/c${i}`), true)));
    const db = (lane: number): Database => dbs[lane % clientCount] as Database;

    log('phase: latency (1 client, 1 write in flight)');
    const single = await timedLoops(1, Math.min(phaseMs, 2000), (_lane, n) => set(ref(db(0), 'bench/latency'), n));
    phases.push(summarize('small set, 1 client, sequential', single.latencies, single.seconds));

    log(`phase: paced sets (${clientCount} clients, ${pacedRate} writes/s in total)`);
    const paced = await pacedWrites(clientCount, pacedRate, Math.min(phaseMs, 2000), (client, n) =>
      set(ref(db(client), `bench/paced/c${client}`), n),
    );
    phases.push(summarize(`small set, ${clientCount} clients paced at ${pacedRate}/s`, paced.latencies, paced.seconds));

    log(`phase: sets (${clientCount} clients x ${inFlight} in flight)`);
    const sets = await timedLoops(clientCount * inFlight, phaseMs, (lane, n) =>
      set(ref(db(lane), `bench/sets/c${lane % clientCount}/s${Math.floor(lane / clientCount)}`), n),
    );
    phases.push(summarize(`small set, ${clientCount} clients`, sets.latencies, sets.seconds));

    log(`phase: updates (${clientCount} clients x ${inFlight} in flight)`);
    const updates = await timedLoops(clientCount * inFlight, phaseMs, (lane, n) =>
      update(ref(db(lane), `bench/updates/c${lane % clientCount}`), {
        [`a${Math.floor(lane / clientCount)}`]: n,
        last: n,
      }),
    );
    phases.push(summarize(`2-path update, ${clientCount} clients`, updates.latencies, updates.seconds));

    log('phase: listens (every client listens to one of 10 rooms; writes fan out)');
    const delivery: number[] = [];
    const unsubscribes = dbs.map((listener, i) =>
      onValue(ref(listener, `bench/rooms/r${i % 10}`), (snapshot) => {
        const sentAt = (snapshot.val() as { at?: number } | null)?.at;
        if (typeof sentAt === 'number') delivery.push(performance.now() - sentAt);
      }),
    );
    await Promise.all(dbs.slice(0, 10).map((listener, i) => get(ref(listener, `bench/rooms/r${i}`))));
    delivery.length = 0;
    const fanStart = performance.now();
    const fanWrites = await timedLoops(10, phaseMs, (lane) =>
      set(ref(db(lane), `bench/rooms/r${lane}`), { at: performance.now() }),
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    unsubscribes.forEach((unsubscribe) => unsubscribe());
    phases.push(
      summarize(
        `listen fan-out to ${clientCount} clients (10 writers)`,
        delivery,
        (performance.now() - fanStart) / 1000,
      ),
    );
    phases.push(summarize('fan-out write (10 writers)', fanWrites.latencies, fanWrites.seconds));

    log(`phase: transactions (${clientCount} clients on ${counters} counters)`);
    // Under heavy contention the SDK gives up after 25 datastale retries (`maxretry`), against the
    // official server too: those are counted, not fatal.
    let maxRetries = 0;
    const tx = await timedLoops(clientCount, phaseMs, (lane) =>
      runTransaction(ref(db(lane), `bench/counters/k${lane % counters}`), (value: number | null) => (value ?? 0) + 1, {
        applyLocally: false,
      }).catch((error: Error) => {
        if (error.message !== 'maxretry') throw error;
        maxRetries += 1;
      }),
    );
    phases.push(
      summarize(`contended transaction, ${clientCount} clients / ${counters} counters`, tx.latencies, tx.seconds),
    );
    const total = await get(ref(db(0), 'bench/counters'));
    const committed = Object.values((total.val() as Record<string, number> | null) ?? {}).reduce((a, b) => a + b, 0);
    if (committed !== tx.latencies.length - maxRetries) {
      throw new Error(`transactions lost updates: ${committed} != ${tx.latencies.length - maxRetries}`);
    }
    if (maxRetries > 0) log(`transactions: ${maxRetries} gave up with maxretry`);

    // The SDK apps are closed first: the wire phases measure the server without their CPU cost.
    await Promise.all(apps.splice(0).map((app) => deleteApp(app)));
    log(`phase: wire-level sets (${clientCount} connections, each listening to its own path)`);
    const wire = await Promise.all(Array.from({ length: clientCount }, () => WireClient.connect(hostAndPort, ns)));
    try {
      await Promise.all(wire.map((client, i) => client.request('q', { p: `/bench/wire/c${i}`, h: '' })));
      const light = await wireSetLoad(wire, clientCount, Math.min(phaseMs, 2000), (lane) => `/bench/wire/c${lane}/v`);
      phases.push(
        summarize(
          `wire-level set, ${clientCount} connections x 1 in flight (+1 listen each)`,
          light.latencies,
          light.seconds,
        ),
      );
      const heavy = await wireSetLoad(
        wire,
        clientCount * inFlight,
        phaseMs,
        (lane) => `/bench/wire/c${lane % clientCount}/v${Math.floor(lane / clientCount)}`,
      );
      phases.push(
        summarize(
          `wire-level set, ${clientCount} connections x ${inFlight} in flight (+1 listen each)`,
          heavy.latencies,
          heavy.seconds,
        ),
      );
    } finally {
      wire.forEach((client) => client.close());
    }
    return { clients: clientCount, inFlight, phases };
  } finally {
    await Promise.all(apps.map((app) => deleteApp(app)));
    if (spawned) {
      spawned.child.kill('SIGTERM');
      await new Promise((resolve) => spawned.child.once('exit', resolve));
    }
  }
}

/** A Markdown table of the results (docs/benchmarks.md). */
export function formatThroughputTable(result: ThroughputResult): string {
  const lines = [
    '| phase | operations | ops/s | p50 ms | p99 ms | max ms |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const phase of result.phases) {
    lines.push(
      `| ${phase.name} | ${phase.operations} | ${phase.opsPerSecond} | ${phase.p50Ms} | ${phase.p99Ms} | ${phase.maxMs} |`,
    );
  }
  return lines.join('\n');
}
