#!/usr/bin/env node
/**
 * `rtdb-emulator`: starts the emulator and prints exactly one ready line on stdout,
 * `rtdb-emulator listening on http://HOST:PORT`, which test harnesses wait for. Logs go to stderr.
 */
import { accessSync, constants, statSync } from 'node:fs';
import * as path from 'node:path';
import { isEmulatorStartError, startEmulator } from './index';
import type { EmulatorHandle } from './index';
import { CliUsageError, parseCliArgs, USAGE } from './cli-args';
import type { CliOptions } from './cli-args';
import { parseFunctionsHost } from './triggers';

/** startEmulator option → the flag that sets it, to name it in errors. */
const OPTION_FLAGS: Readonly<Record<string, string>> = {
  rulesFile: '--rules',
  importFile: '--import',
  exportOnExit: '--export-on-exit',
  port: '--port',
  host: '--host',
  functions: '--functions',
};

function fail(message: string): never {
  process.stderr.write(`rtdb-emulator: ${message}\n`);
  process.exit(1);
}

/** Bad files are named by their flag before anything starts. */
function checkFiles(options: CliOptions): void {
  const readable = (flag: string, file: string | undefined): void => {
    if (file === undefined) return;
    try {
      accessSync(file, constants.R_OK);
      if (!statSync(file).isFile()) fail(`${flag} ${file}: not a file`);
    } catch {
      fail(`${flag} ${file}: cannot read the file`);
    }
  };
  readable('--rules', options.rulesFile);
  readable('--import', options.importFile);
  if (options.exportOnExit !== undefined) {
    const directory = path.dirname(path.resolve(options.exportOnExit));
    try {
      accessSync(directory, constants.W_OK);
    } catch {
      fail(`--export-on-exit ${options.exportOnExit}: cannot write to ${directory}`);
    }
  }
}

async function main(): Promise<void> {
  let options: CliOptions;
  try {
    options = parseCliArgs(process.argv.slice(2));
  } catch (error) {
    if (error instanceof CliUsageError) fail(`${error.message}\n\n${USAGE}`);
    throw error;
  }
  if (options.help) {
    process.stdout.write(USAGE);
    return;
  }
  checkFiles(options);
  // firebase-tools' name for where its Functions emulator listens (`emulators:exec` sets it).
  const functionsHost = process.env.FUNCTIONS_EMULATOR_HOST;
  let functions = options.functions;
  if (functions === undefined && functionsHost) {
    try {
      functions = parseFunctionsHost(functionsHost);
    } catch (error) {
      fail(`FUNCTIONS_EMULATOR_HOST: ${(error as Error).message}`);
    }
  }

  let handle: EmulatorHandle;
  try {
    handle = await startEmulator({
      host: options.host,
      port: options.port,
      explainDenials: options.explainDenials || process.env.RTDB_EMULATOR_EXPLAIN_DENIALS === '1',
      ...(options.rulesFile !== undefined ? { rulesFile: options.rulesFile } : {}),
      ...(options.project !== undefined ? { project: options.project } : {}),
      ...(options.importFile !== undefined ? { importFile: options.importFile } : {}),
      ...(options.exportOnExit !== undefined ? { exportOnExit: options.exportOnExit } : {}),
      ...(functions !== undefined ? { functions } : {}),
    });
  } catch (error) {
    const flag = isEmulatorStartError(error) ? OPTION_FLAGS[error.option] : undefined;
    fail(flag ? `${flag}: ${(error as Error).message}` : (error as Error).message);
  }

  // The process must survive anything a client sends; a bug surfaces in the log, not as an exit.
  // A parent that went away leaves stdout/stderr as broken pipes: their EPIPE must not feed back into
  // the handler below (an error written to a dead stderr would raise another one, forever).
  const ignore = (): void => undefined;
  process.stdout.on('error', ignore);
  process.stderr.on('error', ignore);
  const report = (line: string): void => {
    if (!process.stderr.destroyed && process.stderr.writable) process.stderr.write(line);
  };
  process.on('uncaughtException', (error) => report(`[error] uncaught: ${error.stack ?? error.message}\n`));
  process.on('unhandledRejection', (reason) => report(`[error] unhandled rejection: ${String(reason)}\n`));

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) {
      process.stderr.write(`rtdb-emulator: ${signal} again, exiting now\n`);
      process.exit(1);
    }
    stopping = true;
    if (process.env.RTDB_EMULATOR_QUIET !== '1') process.stderr.write(`rtdb-emulator: ${signal}, stopping\n`);
    handle.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`rtdb-emulator: stop failed: ${(error as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  // A harness that spawns us (the jest global setup, the local-stack launcher) sets this and keeps our
  // stdin open: if it dies without stopping us, stdin ends and we stop too instead of lingering.
  if (process.env.RTDB_EMULATOR_STOP_WITH_PARENT === '1') {
    process.stdin.on('end', () => shutdown('parent gone'));
    process.stdin.on('error', () => shutdown('parent gone'));
    process.stdin.resume();
  }

  const shownHost = handle.host.includes(':') ? `[${handle.host}]` : handle.host;
  process.stdout.write(`rtdb-emulator listening on http://${shownHost}:${handle.port}\n`);
}

main().catch((error: unknown) => fail((error as Error).stack ?? String(error)));
