/**
 * `npm run bench`: runs every benchmark below in order and prints each one's Markdown table (and its
 * JSON with --json). `npm run bench -- --only <name>[,<name>…]` runs some of them.
 * Options: --clients N, --phase-ms MS, --in-flight N, --emulator host:port, --json.
 *
 * To add a benchmark, add one line to BENCHMARKS: its name, and a function that runs it with the
 * command-line options and returns its table and its result.
 */
import { formatRulesBench, runRulesBench } from './rules';
import { formatShardsBench, runShardsBenchmark, shardsOptionsFrom } from './shards';
import { formatThroughputTable, runThroughputBench } from './throughput';
import { formatWideNodeBench, runWideNodeBench } from './wide-nodes';

/** The command line, parsed once, for every benchmark. */
export interface BenchOptions {
  /** `--name value`, or undefined */
  flag(name: string): string | undefined;
  /** `--name value` as a number, or undefined */
  number(name: string): number | undefined;
  /** where progress lines go (stderr; stdout is the report) */
  log(line: string): void;
}

export interface BenchReport {
  /** Markdown, printed as is */
  readonly table: string;
  /** printed as JSON with --json */
  readonly result: unknown;
}

export type Benchmark = (options: BenchOptions) => BenchReport | Promise<BenchReport>;

const report = <T>(result: T, format: (result: T) => string): BenchReport => ({ table: format(result), result });

const BENCHMARKS: ReadonlyArray<readonly [name: string, run: Benchmark]> = [
  ['rules', () => report(runRulesBench(), formatRulesBench)],
  ['wide', () => report(runWideNodeBench(), formatWideNodeBench)],
  ['shards', (o) => report(runShardsBenchmark(shardsOptionsFrom(o)), formatShardsBench)],
  [
    'throughput',
    async (o) =>
      report(
        await runThroughputBench({
          log: o.log,
          ...optional('clients', o.number('--clients')),
          ...optional('phaseMs', o.number('--phase-ms')),
          ...optional('inFlight', o.number('--in-flight')),
          ...optional('emulatorHost', o.flag('--emulator')),
        }),
        formatThroughputTable,
      ),
  ],
  [
    'cost',
    (o) =>
      import('./cost').then(async (c) =>
        report(
          await c.runCostBench({
            log: o.log,
            ...optional('devices', o.number('--devices')),
            ...optional('idleHours', o.number('--idle-hours')),
            ...optional('compress', o.number('--compress')),
          }),
          c.formatCostBench,
        ),
      ),
  ],
  ['gate', (o) => import('./gate').then(async (g) => report(await g.runGateBench({ log: o.log }), g.formatGateBench))],
];

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function commandLine(argv: readonly string[]): BenchOptions {
  const flag = (name: string): string | undefined => {
    const index = argv.indexOf(name);
    return index >= 0 ? argv[index + 1] : undefined;
  };
  return {
    flag,
    number: (name) => {
      const value = flag(name);
      return value === undefined ? undefined : Number(value);
    },
    log: (line) => process.stderr.write(`${line}\n`),
  };
}

async function main(): Promise<void> {
  const options = commandLine(process.argv.slice(2));
  const only = options.flag('--only')?.split(',');
  const unknown = only?.filter((name) => !BENCHMARKS.some(([known]) => known === name)) ?? [];
  if (unknown.length > 0) {
    const names = BENCHMARKS.map(([name]) => name).join(', ');
    throw new Error(`--only: unknown benchmark ${unknown.join(', ')} (known: ${names})`);
  }
  for (const [name, run] of BENCHMARKS) {
    if (only !== undefined && !only.includes(name)) continue;
    const { table, result } = await run(options);
    process.stdout.write(`${table}\n\n`);
    if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  }
  // SDK clients and timers of a finished benchmark must not keep the process alive.
  process.exit(0);
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
