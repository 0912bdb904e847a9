/**
 * Rules evaluation benchmark: our engine against `targaryen` (npm), side by side in one run, on the
 * same rules, the same data and the same reads and writes (sets, a multi-location update, denials
 * by `.write` and by `.validate`). Both do the whole job of a write: build the projected data,
 * then judge it. Plain values only: targaryen throws on increment server values.
 *
 * Run: `npm run bench -- --only rules` (results in docs/benchmarks.md).
 */
import { type AuthVariable, compileRules, type DbNode, nodeFromJSON, nodeSetAt } from './emulator-internals';

/** The part of targaryen's API the benchmark drives (it ships no types). */
interface TargaryenDatabase {
  as(auth: AuthVariable): TargaryenDatabase;
  with(options: { debug: boolean }): TargaryenDatabase;
  read(path: string, options: { now: number }): { allowed: boolean };
  write(path: string, value: unknown, options: { now: number }): { allowed: boolean };
  update(path: string, patch: Record<string, unknown>, now: number): { allowed: boolean };
}

const NOW = 1_700_000_000_000;
/** Each engine runs for about this long per measured round, so the run stays short on a shared machine. */
const ROUND_MS = 600;
const ROUNDS = 3;

/** Rules in the shape of this product's: per-user data, devices with validation, presence. */
export const BENCH_RULES = {
  rules: {
    users: {
      $uid: {
        '.read': 'auth != null && auth.uid === $uid',
        '.write': 'auth != null && auth.uid === $uid',
        profile: {
          '.validate': "newData.hasChildren(['name', 'createdAt'])",
          name: { '.validate': 'newData.isString() && newData.val().length > 0 && newData.val().length <= 50' },
          createdAt: { '.validate': 'newData.isNumber() && newData.val() <= now' },
          $other: { '.validate': false },
        },
        devices: {
          $deviceId: {
            '.validate': "newData.hasChildren(['platform', 'lastSeen']) && $deviceId.length <= 36",
            platform: { '.validate': 'newData.isString() && newData.val().matches(/^(ios|android|web)$/)' },
            lastSeen: { '.validate': 'newData.isNumber() && newData.val() <= now' },
            $other: { '.validate': false },
          },
        },
      },
    },
    presence: {
      '.read': 'auth != null',
      $uid: {
        '.write': 'auth != null && auth.uid === $uid',
        '.validate': 'newData.isBoolean()',
      },
    },
    admins: { '.read': "root.child('admins/' + auth.uid).val() === true", '.write': false },
  },
};

function benchData(): Record<string, unknown> {
  const users: Record<string, unknown> = {};
  for (let u = 0; u < 100; u++) {
    const devices: Record<string, unknown> = {};
    for (let d = 0; d < 3; d++) devices[`d${d}`] = { platform: 'ios', lastSeen: NOW - d };
    users[`u${u}`] = { profile: { name: `User ${u}`, createdAt: NOW - 1000 }, devices };
  }
  return { users, presence: { u1: true }, admins: { root: true } };
}

type Operation =
  | { readonly kind: 'read'; readonly auth: AuthVariable; readonly path: string }
  | { readonly kind: 'set'; readonly auth: AuthVariable; readonly path: string; readonly value: unknown }
  | {
      readonly kind: 'update';
      readonly auth: AuthVariable;
      readonly path: string;
      readonly patch: Record<string, unknown>;
    };

const u1 = { uid: 'u1' };

/** A mix of granted and denied operations; `expected` is checked against both engines first. */
export const BENCH_OPERATIONS: ReadonlyArray<[Operation, boolean]> = [
  [{ kind: 'set', auth: u1, path: '/users/u1/devices/d9', value: { platform: 'android', lastSeen: NOW } }, true],
  [{ kind: 'set', auth: u1, path: '/users/u2/devices/d9', value: { platform: 'android', lastSeen: NOW } }, false],
  [{ kind: 'set', auth: u1, path: '/users/u1/devices/d9', value: { platform: 'beos', lastSeen: NOW } }, false],
  [{ kind: 'set', auth: u1, path: '/users/u1/profile', value: { name: 'Ann', createdAt: NOW } }, true],
  [{ kind: 'set', auth: u1, path: '/users/u1/profile', value: { name: '', createdAt: NOW } }, false],
  [{ kind: 'set', auth: u1, path: '/presence/u1', value: false }, true],
  [{ kind: 'set', auth: null, path: '/presence/u1', value: true }, false],
  [{ kind: 'update', auth: u1, path: '/users/u1', patch: { 'profile/name': 'Bea', 'devices/d0/lastSeen': NOW } }, true],
  [{ kind: 'read', auth: u1, path: '/users/u1' }, true],
  [{ kind: 'read', auth: u1, path: '/users/u2/profile' }, false],
  [{ kind: 'read', auth: null, path: '/presence' }, false],
  [{ kind: 'read', auth: { uid: 'root' }, path: '/admins' }, true],
];

function segments(path: string): string[] {
  return path.split('/').filter((s) => s !== '');
}

/** Our engine: the same work the database does for each request. */
function oursRunner(): { run(op: Operation): boolean; evaluations(): number } {
  const ruleset = compileRules(JSON.stringify(BENCH_RULES));
  const root = nodeFromJSON(benchData());
  return {
    run(op) {
      const path = segments(op.path);
      if (op.kind === 'read') return ruleset.canRead({ auth: op.auth, root, path, now: NOW }).allowed;
      let newRoot: DbNode;
      let paths: string[][];
      if (op.kind === 'set') {
        newRoot = nodeSetAt(root, path, nodeFromJSON(op.value));
        paths = [path];
      } else {
        newRoot = root;
        paths = Object.keys(op.patch).map((key) => [...path, ...segments(key)]);
        paths.forEach((p, i) => (newRoot = nodeSetAt(newRoot, p, nodeFromJSON(Object.values(op.patch)[i]))));
      }
      return ruleset.canWrite({ auth: op.auth, root, newRoot, paths, now: NOW }).allowed;
    },
    evaluations: () => ruleset.coverage().expressions.reduce((sum, e) => sum + e.evaluations, 0),
  };
}

function targaryenRunner(): { run(op: Operation): boolean } {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const targaryen = require('targaryen') as { database(rules: unknown, data: unknown, now: number): TargaryenDatabase };
  const base = targaryen.database(BENCH_RULES, benchData(), NOW).with({ debug: false });
  const byAuth = new Map<AuthVariable, TargaryenDatabase>();
  const as = (auth: AuthVariable): TargaryenDatabase => {
    let db = byAuth.get(auth);
    if (db === undefined) byAuth.set(auth, (db = auth === null ? base : base.as(auth)));
    return db;
  };
  return {
    run(op) {
      const db = as(op.auth);
      if (op.kind === 'read') return db.read(op.path, { now: NOW }).allowed;
      if (op.kind === 'set') return db.write(op.path, op.value, { now: NOW }).allowed;
      return db.update(op.path, op.patch, NOW).allowed;
    },
  };
}

/** Runs the whole operation list until `ms` have passed; returns operations per second. */
function measure(run: (op: Operation) => boolean, ms: number): { ops: number; seconds: number } {
  let ops = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(ms) * 1_000_000n;
  let now = start;
  while (now < deadline) {
    for (const [op] of BENCH_OPERATIONS) run(op);
    ops += BENCH_OPERATIONS.length;
    now = process.hrtime.bigint();
  }
  return { ops, seconds: Number(now - start) / 1e9 };
}

export interface RulesBenchResult {
  readonly oursOpsPerSecond: number;
  readonly targaryenOpsPerSecond: number;
  /** rule expressions our engine evaluated per operation, on average over the mix */
  readonly evaluationsPerOperation: number;
  readonly oursEvaluationsPerSecond: number;
  readonly targaryenEvaluationsPerSecond: number;
  /** ours / targaryen, operations per second */
  readonly ratio: number;
}

export function runRulesBench(): RulesBenchResult {
  const ours = oursRunner();
  const theirs = targaryenRunner();
  for (const [op, expected] of BENCH_OPERATIONS) {
    const a = ours.run(op);
    const b = theirs.run(op);
    if (a !== expected || b !== expected) {
      throw new Error(`engines disagree on ${op.kind} ${op.path}: expected ${expected}, ours ${a}, targaryen ${b}`);
    }
  }
  // Warm both up, then alternate measured rounds so neither benefits from running last.
  measure(ours.run, 200);
  measure(theirs.run, 200);
  const evaluationsBefore = ours.evaluations();
  let oursOps = 0;
  let oursSeconds = 0;
  let theirOps = 0;
  let theirSeconds = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const a = measure(ours.run, ROUND_MS);
    oursOps += a.ops;
    oursSeconds += a.seconds;
    const b = measure(theirs.run, ROUND_MS);
    theirOps += b.ops;
    theirSeconds += b.seconds;
  }
  const evaluationsPerOperation = (ours.evaluations() - evaluationsBefore) / oursOps;
  const oursOpsPerSecond = oursOps / oursSeconds;
  const targaryenOpsPerSecond = theirOps / theirSeconds;
  return {
    oursOpsPerSecond,
    targaryenOpsPerSecond,
    evaluationsPerOperation,
    oursEvaluationsPerSecond: oursOpsPerSecond * evaluationsPerOperation,
    targaryenEvaluationsPerSecond: targaryenOpsPerSecond * evaluationsPerOperation,
    ratio: oursOpsPerSecond / targaryenOpsPerSecond,
  };
}

/** The result as the few lines `npm run bench` prints. */
export function formatRulesBench(result: RulesBenchResult): string {
  const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
  return [
    `rules evaluation (${BENCH_OPERATIONS.length}-operation mix, ${result.evaluationsPerOperation.toFixed(2)} rule evaluations per operation)`,
    `  ours       ${fmt(result.oursOpsPerSecond)} ops/s  ${fmt(result.oursEvaluationsPerSecond)} rule evaluations/s`,
    `  targaryen  ${fmt(result.targaryenOpsPerSecond)} ops/s  ${fmt(result.targaryenEvaluationsPerSecond)} rule evaluations/s`,
    `  ratio      ${result.ratio.toFixed(1)}x`,
  ].join('\n');
}

if (require.main === module) {
  console.log(formatRulesBench(runRulesBench()));
}
