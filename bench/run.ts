/**
 * `npm run bench`: runs the rules benchmark (ours against targaryen, side by side) and the throughput
 * benchmark, and prints a Markdown table (and JSON with --json).
 * Options: --clients N, --phase-ms MS, --in-flight N, --emulator host:port, --only rules|wide|throughput.
 */
import { formatRulesBench, runRulesBench } from './rules';
import { formatWideNodeBench, runWideNodeBench } from './wide-nodes';
import { formatThroughputTable, runThroughputBench } from './throughput';
import type { ThroughputOptions } from './throughput';

function flag(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

async function main(): Promise<void> {
  const options: ThroughputOptions = {
    log: (line) => process.stderr.write(`${line}\n`),
    ...(flag('--clients') ? { clients: Number(flag('--clients')) } : {}),
    ...(flag('--phase-ms') ? { phaseMs: Number(flag('--phase-ms')) } : {}),
    ...(flag('--in-flight') ? { inFlight: Number(flag('--in-flight')) } : {}),
    ...(flag('--emulator') ? { emulatorHost: flag('--emulator') as string } : {}),
  };
  const only = flag('--only');
  if (only === undefined || only === 'rules') {
    const rules = runRulesBench();
    process.stdout.write(`${formatRulesBench(rules)}\n\n`);
    if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify(rules, null, 2)}\n`);
  }
  if (only === undefined || only === 'wide') {
    const wide = runWideNodeBench();
    process.stdout.write(`${formatWideNodeBench(wide)}\n\n`);
    if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify(wide, null, 2)}\n`);
  }
  if (only === undefined || only === 'throughput') {
    const result = await runThroughputBench(options);
    process.stdout.write(`${formatThroughputTable(result)}\n`);
    if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  }
  process.exit(0);
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
