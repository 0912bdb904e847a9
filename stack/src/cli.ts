#!/usr/bin/env node
/**
 * `npm start`: the local stack (see stack.ts and docs/local-stack.md). Prints one banner with every
 * URL once everything is up; the first Ctrl-C (SIGINT, or SIGTERM/SIGHUP) stops everything and
 * exports when asked, a second one kills what is left at once.
 */
import { parseStackArgs, StackUsageError, USAGE } from './args';
import { type StackInfo, LocalStack } from './stack';

/** The banner's first line; test harnesses wait for it. */
export const READY_LINE = 'Local stack ready';
const REPEAT_SIGNAL_MS = 1_000;

function banner(info: StackInfo, args: ReturnType<typeof parseStackArgs>): string {
  const at = (port: number, pathname = '/') => `http://127.0.0.1:${port}${pathname}`;
  const triggers = [
    ...info.triggers.map((t) => `${t.name} on ${t.ref}${t.eventType === 'written' ? '' : ` (${t.eventType})`}`),
    ...info.scheduled.map(
      (s) =>
        `${s.name} ${args.scheduleEveryMs !== undefined ? `every ${args.scheduleEveryMs / 1000}s (--schedule-every)` : s.schedule}`,
    ),
  ];
  const data = [
    args.importDir !== undefined ? `import ${args.importDir}` : undefined,
    args.exportDir !== undefined ? `export on exit to ${args.exportDir}` : undefined,
  ].filter((part) => part !== undefined);
  const rows: Array<[string, string]> = [
    ...(info.demo ? [['Demo app', at(info.ports.demo)] as [string, string]] : []),
    ['Database', `${at(info.ports.database, `/?ns=${info.namespace}`)}  (rules: reloaded on change)`],
    ...(info.instances.length > 1
      ? [['Instances', `${info.instances.join(', ')}  (PRESENCE_INSTANCES; ?ns=<instance>)`] as [string, string]]
      : []),
    ['Auth', at(info.ports.auth)],
    ['Functions', at(info.ports.functions, `/${info.project}/us-central1/<name>`)],
    ['Triggers', triggers.join('; ') || 'none'],
    ...(data.length > 0 ? [['Data', data.join(', ')] as [string, string]] : []),
  ];
  return [
    '',
    `${READY_LINE} — project ${info.project}. Ctrl-C stops everything.`,
    ...rows.map(([label, value]) => `  ${label.padEnd(10)} ${value}`),
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  let args: ReturnType<typeof parseStackArgs>;
  try {
    args = parseStackArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof StackUsageError)) throw error;
    process.stderr.write(`stack: ${error.message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (args.help) {
    process.stdout.write(USAGE);
    return;
  }

  const out = (line: string): void => void process.stdout.write(`${line}\n`);
  const stack = new LocalStack(args, { out, log: out });
  let stopping = false;
  let firstSignalAt = 0;
  const stop = (signal: string): void => {
    // A terminal's Ctrl-C reaches the whole foreground group, and `npm start` may forward it again:
    // a repeat within a second is the same Ctrl-C (firebase-tools ignores repeats within 100 ms too).
    if (stopping && Date.now() - firstSignalAt < REPEAT_SIGNAL_MS) return;
    if (stopping) {
      out(`stack: ${signal} again: killing everything now`);
      stack.killNow();
      process.exit(130);
    }
    stopping = true;
    firstSignalAt = Date.now();
    out(`stack: ${signal}: stopping (again to kill at once)…`);
    stack.stop().then(
      () => {
        out('stack: stopped');
        process.exit(0);
      },
      (error: unknown) => {
        process.stderr.write(`stack: stop failed: ${(error as Error).message}\n`);
        stack.killNow();
        process.exit(1);
      },
    );
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => stop(signal));
  // Whatever ends this process, no child outlives it.
  process.on('exit', () => stack.killNow());

  let info: StackInfo;
  try {
    info = await stack.start();
  } catch (error) {
    if (stopping) return; // Ctrl-C during start: stop() is already running
    stopping = true;
    process.stderr.write(`stack: ${(error as Error).message}\n`);
    await stack.stop().catch(() => undefined);
    process.exit(1);
  }
  if (!stopping) out(banner(info, args));
}

main().catch((error: unknown) => {
  process.stderr.write(`stack: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
