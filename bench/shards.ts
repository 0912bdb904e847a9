/**
 * `npm run bench -- --only shards`: the shard map (docs/protocol.md §10) over a synthetic population,
 * for k = 2…16 instances. For every user it computes the rendezvous score on each of 17 instances
 * once (the lists for k = 2…17 are prefixes of one list, so the instance for every k is a running
 * maximum), then reports per k: the balance of users and of peak devices over the instances, the
 * users that move when instance k+1 is added, and the busiest instance's peak connections and writes
 * under the version 2 cost model, against the published limits of one Realtime Database instance.
 *
 * Seeded and deterministic: the same options give the same numbers on every machine.
 */
import {
  DEFAULT_DEVICE_LIMIT,
  LEASE_RENEWAL_MS,
  murmur3_32,
  shardFor,
  validateInstances,
} from '@device-limit/contract';

/** https://firebase.google.com/docs/database/usage/limits: one instance, simultaneous connections. */
export const RTDB_MAX_CONNECTIONS = 200_000;
/** The same page: sustained writes per second of one instance. */
export const RTDB_MAX_WRITES_PER_SECOND = 1_000;

export interface ShardsOptions {
  /** synthetic users, Firebase Auth-like uids (28 random base62 characters); default 10,000,000 */
  readonly users?: number;
  /** share of the users online at the daily peak; default 0.1 */
  readonly peakOnlineShare?: number;
  /** connected devices of an online user at peak: P(1), P(2), P(3), …; default 0.5, 0.4, 0.1 (mean 1.6) */
  readonly devicesPerOnlineUser?: readonly number[];
  /** mean length of a device session in minutes (claim to release); default 30 */
  readonly meanSessionMinutes?: number;
  /** share of claims that meet a full account and start a liveness check; default 0.05 */
  readonly contentionShare?: number;
  /** the largest k reported; default 16 (k+1 = 17 instances are hashed, for the last move) */
  readonly maxInstances?: number;
  /** the project id in the instance names; default demo-device-limit */
  readonly project?: string;
  readonly seed?: number;
  readonly log?: (line: string) => void;
}

export interface ShardsRow {
  readonly instances: number;
  readonly meanUsers: number;
  readonly usersMaxOverMean: number;
  readonly devicesMaxOverMean: number;
  /** connected devices (one connection each) at peak on the busiest instance */
  readonly peakConnections: number;
  /** writes/s at peak on the busiest instance, audit events off or trails not yet full */
  readonly peakWritesPerSecond: number;
  /** the same with every user's audit trail full: `trimPresenceEvents` deletes one event per event */
  readonly peakWritesWithAuditTrim: number;
  /** users whose instance changes when instance k+1 is added (all of them move to it, docs/protocol.md §10.1) */
  readonly movedToNext: number;
}

export interface ShardsResult {
  readonly parameters: Required<Omit<ShardsOptions, 'log'>> & {
    readonly meanDevicesPerOnlineUser: number;
    readonly writesPerDevicePerSecond: number;
    readonly contentionWrites: number;
  };
  readonly onlineUsers: number;
  readonly peakDevices: number;
  readonly rows: readonly ShardsRow[];
  readonly cpuSeconds: number;
}

/**
 * The command line of `npm run bench -- --only shards` (bench/run.ts): --users N, --online SHARE,
 * --session-minutes M, --contention SHARE, --seed S; the defaults are ShardsOptions'.
 */
export function shardsOptionsFrom(commandLine: {
  number(name: string): number | undefined;
  log(line: string): void;
}): ShardsOptions {
  const flags: Record<string, keyof ShardsOptions> = {
    '--users': 'users',
    '--online': 'peakOnlineShare',
    '--session-minutes': 'meanSessionMinutes',
    '--contention': 'contentionShare',
    '--seed': 'seed',
  };
  const options: Record<string, unknown> = { log: commandLine.log };
  for (const [flag, key] of Object.entries(flags)) {
    const value = commandLine.number(flag);
    if (value === undefined) continue;
    if (!Number.isFinite(value) || value < 0) throw new Error(`${flag} must be a number >= 0`);
    options[key] = value;
  }
  return options as ShardsOptions;
}

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const UID_LENGTH = 28;
/** users checked against the library's `shardFor`, so the fast path below is the protocol's function */
const CROSS_CHECKED_USERS = 2_000;

/** mulberry32, as test/helpers/random.ts, but the raw 32-bit output. */
function seededUint32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/**
 * Writes per second of one connected device under docs/protocol.md version 2, averaged at peak:
 * one lease renewal an hour (docs/protocol.md §4.4), a claim and a release per session (docs/protocol.md §4.2, §4.6; the onDisconnect
 * registration is not a write), and for the share of claims that meet a full account the liveness
 * check (docs/protocol.md §4.9): the refused claim, one ping, an answer from each of the N holders, one sweep — an
 * upper bound: a check that finds every holder alive sweeps nothing.
 */
export function writesPerDevicePerSecond(meanSessionSeconds: number, contentionShare: number, auditTrim: boolean) {
  const contentionWrites = 1 + 1 + DEFAULT_DEVICE_LIMIT + 1;
  const perSession = 2 + (auditTrim ? 2 : 0) + contentionShare * contentionWrites;
  return { perSecond: 1000 / LEASE_RENEWAL_MS + perSession / meanSessionSeconds, contentionWrites };
}

export function runShardsBenchmark(options: ShardsOptions = {}): ShardsResult {
  const started = process.cpuUsage();
  const users = options.users ?? 10_000_000;
  const peakOnlineShare = options.peakOnlineShare ?? 0.1;
  const devicesPerOnlineUser = options.devicesPerOnlineUser ?? [0.5, 0.4, 0.1];
  const meanSessionMinutes = options.meanSessionMinutes ?? 30;
  const contentionShare = options.contentionShare ?? 0.05;
  const maxInstances = options.maxInstances ?? 16;
  const project = options.project ?? 'demo-device-limit';
  const seed = options.seed ?? 15;
  const log = options.log ?? (() => undefined);

  const hashed = maxInstances + 1;
  const names = validateInstances(
    Array.from({ length: hashed }, (_, i) => (i === 0 ? `${project}-default-rtdb` : `${project}-presence-${i}`)),
  );
  // Per instance, a buffer that already holds `instance + "\0"`; each user's uid is copied after it.
  const buffers = names.map((name) => {
    const buffer = new Uint8Array(name.length + 1 + UID_LENGTH);
    for (let i = 0; i < name.length; i++) buffer[i] = name.charCodeAt(i);
    return buffer;
  });
  // Cumulative distribution of devices per online user, as 32-bit thresholds.
  let cumulative = 0;
  const deviceThresholds = devicesPerOnlineUser.map((p) => (cumulative += p) * 2 ** 32);
  const onlineThreshold = peakOnlineShare * 2 ** 32;

  // Indexed [k * hashed + instance] for k = 1…hashed.
  const usersOn = new Float64Array((hashed + 1) * hashed);
  const devicesOn = new Float64Array((hashed + 1) * hashed);
  const moved = new Float64Array(hashed + 1);
  const scores = new Float64Array(hashed);
  const bestAt = new Int32Array(hashed + 1);
  const uid = new Uint8Array(UID_LENGTH);
  const random = seededUint32(seed);
  let onlineUsers = 0;
  let peakDevices = 0;

  for (let user = 0; user < users; user++) {
    for (let c = 0; c < UID_LENGTH; c++) uid[c] = BASE62.charCodeAt(random() % 62);
    let devices = 0;
    if (random() < onlineThreshold) {
      const draw = random();
      devices = 1;
      while (devices < deviceThresholds.length && draw >= (deviceThresholds[devices - 1] as number)) devices++;
      onlineUsers++;
      peakDevices += devices;
    }
    for (let i = 0; i < hashed; i++) {
      const buffer = buffers[i] as Uint8Array;
      buffer.set(uid, buffer.length - UID_LENGTH);
      scores[i] = murmur3_32(buffer);
    }
    // The instance for the first k names is the running maximum; ties go to the smaller name (docs/protocol.md §10.1).
    let best = 0;
    for (let k = 1; k <= hashed; k++) {
      const candidate = k - 1;
      const previousBest = best;
      const score = scores[candidate] as number;
      const top = scores[best] as number;
      if (score > top || (score === top && (names[candidate] as string) < (names[best] as string))) best = candidate;
      // Only the added instance can take the lead, so this counts the users it takes from the others.
      if (k > 1 && best !== previousBest) moved[k - 1] = (moved[k - 1] as number) + 1;
      bestAt[k] = best;
      const slot = k * hashed + best;
      usersOn[slot] = (usersOn[slot] as number) + 1;
      devicesOn[slot] = (devicesOn[slot] as number) + devices;
    }
    if (user < CROSS_CHECKED_USERS) crossCheck(String.fromCharCode(...uid), names, bestAt);
    if (user > 0 && user % 2_000_000 === 0) log(`shards: ${user.toLocaleString('en-US')} users hashed`);
  }

  const sessionSeconds = meanSessionMinutes * 60;
  const plain = writesPerDevicePerSecond(sessionSeconds, contentionShare, false);
  const withTrim = writesPerDevicePerSecond(sessionSeconds, contentionShare, true);
  const rows: ShardsRow[] = [];
  for (let k = 2; k <= maxInstances; k++) {
    const slice = (counts: Float64Array) => Array.from(counts.subarray(k * hashed, k * hashed + k));
    const usersPer = slice(usersOn);
    const devicesPer = slice(devicesOn);
    const peakConnections = Math.max(...devicesPer);
    rows.push({
      instances: k,
      meanUsers: users / k,
      usersMaxOverMean: Math.max(...usersPer) / (users / k),
      devicesMaxOverMean: peakConnections / (peakDevices / k),
      peakConnections,
      peakWritesPerSecond: peakConnections * plain.perSecond,
      peakWritesWithAuditTrim: peakConnections * withTrim.perSecond,
      movedToNext: moved[k] as number,
    });
  }
  const cpu = process.cpuUsage(started);
  return {
    parameters: {
      users,
      peakOnlineShare,
      devicesPerOnlineUser,
      meanSessionMinutes,
      contentionShare,
      maxInstances,
      project,
      seed,
      meanDevicesPerOnlineUser: devicesPerOnlineUser.reduce((sum, p, i) => sum + p * (i + 1), 0),
      writesPerDevicePerSecond: plain.perSecond,
      contentionWrites: plain.contentionWrites,
    },
    onlineUsers,
    peakDevices,
    rows,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
}

/** The fast path (one buffer per instance, a running maximum) must pick what `shardFor` picks, for every k. */
function crossCheck(uid: string, names: readonly string[], bestAt: Int32Array): void {
  for (let k = 1; k <= names.length; k++) {
    const expected = shardFor(uid, names.slice(0, k));
    if (expected !== names[bestAt[k] as number]) {
      throw new Error(`shards: the fast path disagrees with shardFor for ${uid} over ${k} instances`);
    }
  }
}

const percent = (part: number, whole: number) => `${((100 * part) / whole).toFixed(1)}%`;
const thousands = (value: number) => Math.round(value).toLocaleString('en-US');

export function formatShardsBench(result: ShardsResult): string {
  const p = result.parameters;
  const distribution = p.devicesPerOnlineUser.map((share, i) => `${i + 1}: ${share}`).join(', ');
  const header = [
    `shard map over ${thousands(p.users)} users (seed ${p.seed}); at peak ${percent(p.peakOnlineShare, 1)} online ` +
      `= ${thousands(result.onlineUsers)} users with ${thousands(result.peakDevices)} connected devices ` +
      `(devices per online user ${distribution}; mean ${p.meanDevicesPerOnlineUser.toFixed(2)})`,
    `cost model (protocol v2): 1 renewal/device/h, claim + release per session of ${p.meanSessionMinutes} min mean, ` +
      `${percent(p.contentionShare, 1)} of claims start a liveness check of ${p.contentionWrites} writes ` +
      `= ${(p.writesPerDevicePerSecond * 3600).toFixed(2)} writes per connected device-hour; ` +
      `limits per instance: ${thousands(RTDB_MAX_CONNECTIONS)} connections, ${thousands(RTDB_MAX_WRITES_PER_SECOND)} writes/s`,
    '',
    '| k | users per instance | users max/mean | devices max/mean | peak connections, busiest | of 200k | writes/s, busiest | of 1,000 | with full audit trails | users moved by adding 1 | share moved | 1/(k+1) |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  const rows = result.rows.map((r) =>
    [
      r.instances,
      thousands(r.meanUsers),
      r.usersMaxOverMean.toFixed(4),
      r.devicesMaxOverMean.toFixed(4),
      thousands(r.peakConnections),
      percent(r.peakConnections, RTDB_MAX_CONNECTIONS),
      thousands(r.peakWritesPerSecond),
      percent(r.peakWritesPerSecond, RTDB_MAX_WRITES_PER_SECOND),
      thousands(r.peakWritesWithAuditTrim),
      thousands(r.movedToNext),
      percent(r.movedToNext, p.users),
      percent(1, r.instances + 1),
    ].join(' | '),
  );
  return [...header, ...rows.map((row) => `| ${row} |`), '', `CPU time: ${result.cpuSeconds.toFixed(1)} s`].join('\n');
}
