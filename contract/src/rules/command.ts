/**
 * The `device-limit rules …` commands, with the file system and the output streams handed in so
 * tests run them in-process; contract/src/cli.ts wires them to Node. Exit codes: 0 done (or, with
 * `--check`, nothing to complain about), 1 refused or out of date, 2 a usage or file error.
 */
import { formatProblem } from '../merge/errors';
import { planMerge } from '../merge/merge';
import { isRulesOptionsError } from './errors';
import { EXAMPLE_APP_DATA_PATH, type RulesOptionsInput } from './options';
import { renderRulesFile } from './render';

export interface CommandIo {
  /** throws (e.g. ENOENT) when the file cannot be read */
  readFile(path: string): string;
  writeFile(path: string, text: string): void;
  stdout(text: string): void;
  stderr(text: string): void;
}

export const USAGE = `Usage:
  device-limit rules generate [--out <file>] [--check] [options]
      Prints the device-limit security rules as a standalone, commented database.rules.json, or writes
      them to <file>. With --check, writes nothing and exits 1 when <file> differs from what it would
      write (use it in CI).
      --app-data-path <key>   the example owner-only, force-login-gated path (default ${EXAMPLE_APP_DATA_PATH})
      --no-app-data           leave the example path out

  device-limit rules merge <rules file> [--write | --out <file>] [--check] [options]
      Adds the device-limit rules to an existing rules file and leaves everything else in it as it was,
      comments and formatting included. Prints the merged file on stdout unless --write (rewrite
      <rules file> in place) or --out <file> is given. Refuses, naming the path, when a .read/.write
      on "/" would override our rules, or when the file already uses one of our paths. Running it again
      updates the block it wrote. With --check, writes nothing and exits 0 when the merge would succeed.

Options (both commands; the defaults are the data contract's):
  --presence-path <key>   root of /{key}/{uid}, the device counter and entries (default presence)
  --limits-path <key>     root of /{key}/{uid}, per-user limits (default limits)
  --events-path <key>     root of /{key}/{uid}/{pushId}, the audit trail (default presenceEvents)
  --default-limit <n>     devices per user when /limits/{uid} is absent (default 2)
  --platforms <a,b,...>   accepted values of an entry's platform (default web,ios,android,macos,windows,linux,other)
  -h, --help              this text

Exit codes: 0 done, 1 refused (or --check found a difference), 2 usage or file error.
`;

export class CliUsageError extends Error {
  readonly code = 'cli/usage';
  constructor(message: string) {
    super(message);
    this.name = 'CliUsageError';
  }
}

interface Parsed {
  readonly command: 'generate' | 'merge' | 'help';
  readonly file?: string;
  readonly out?: string;
  readonly write: boolean;
  readonly check: boolean;
  readonly options: RulesOptionsInput;
}

const VALUE_FLAGS = new Set([
  '--out',
  '--presence-path',
  '--limits-path',
  '--events-path',
  '--default-limit',
  '--platforms',
  '--app-data-path',
]);

export function parseArgs(argv: readonly string[]): Parsed {
  const empty = { write: false, check: false, options: {} };
  if (argv.length === 0 || argv.includes('-h') || argv.includes('--help')) return { command: 'help', ...empty };
  const [group, command, ...rest] = argv;
  if (group !== 'rules')
    throw new CliUsageError(`unknown command "${group}": expected "rules generate" or "rules merge"`);
  if (command !== 'generate' && command !== 'merge') {
    throw new CliUsageError(`unknown command "rules ${command ?? ''}": expected "rules generate" or "rules merge"`);
  }
  const values = new Map<string, string>();
  const positional: string[] = [];
  let write = false;
  let check = false;
  let appData = true;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i] as string;
    const eq = arg.indexOf('=');
    const flag = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    if (VALUE_FLAGS.has(flag)) {
      const value = flag !== arg ? arg.slice(eq + 1) : rest[++i];
      if (value === undefined || value === '') throw new CliUsageError(`${flag} needs a value`);
      values.set(flag, value);
    } else if (arg === '--write') write = true;
    else if (arg === '--check') check = true;
    else if (arg === '--no-app-data') appData = false;
    else if (arg.startsWith('-')) throw new CliUsageError(`unknown option ${arg}`);
    else positional.push(arg);
  }

  const limit = values.get('--default-limit');
  const platforms = values.get('--platforms');
  const paths = {
    ...(values.has('--presence-path') ? { presence: values.get('--presence-path') } : {}),
    ...(values.has('--limits-path') ? { limits: values.get('--limits-path') } : {}),
    ...(values.has('--events-path') ? { presenceEvents: values.get('--events-path') } : {}),
  };
  const options: RulesOptionsInput = {
    ...(Object.keys(paths).length > 0 ? { paths } : {}),
    ...(limit !== undefined ? { defaultLimit: /^-?\d+$/.test(limit) ? Number(limit) : Number.NaN } : {}),
    ...(platforms !== undefined ? { platforms: platforms.split(',').map((p) => p.trim()) } : {}),
  };
  const out = values.get('--out');

  if (command === 'generate') {
    if (positional.length > 0)
      throw new CliUsageError(`rules generate takes no file argument (got ${positional[0]}); use --out`);
    if (write) throw new CliUsageError('rules generate has no --write; use --out <file>');
    if (check && out === undefined)
      throw new CliUsageError('rules generate --check needs --out <file>: the file to compare');
    if (!appData && values.has('--app-data-path'))
      throw new CliUsageError('--no-app-data and --app-data-path contradict each other');
    const appDataPath = appData ? (values.get('--app-data-path') ?? EXAMPLE_APP_DATA_PATH) : undefined;
    return {
      command,
      ...(out !== undefined ? { out } : {}),
      write,
      check,
      options: { ...options, ...(appDataPath ? { appDataPath } : {}) },
    };
  }

  if (values.has('--app-data-path') || !appData) {
    throw new CliUsageError('--app-data-path and --no-app-data belong to rules generate: a merge adds no example path');
  }
  if (positional.length !== 1) {
    throw new CliUsageError(
      positional.length === 0
        ? 'rules merge needs the rules file to merge into, e.g. database.rules.json'
        : `rules merge takes one file, got ${positional.join(' ')}`,
    );
  }
  if (write && out !== undefined) throw new CliUsageError('--write and --out contradict each other: pick one');
  if (check && (write || out !== undefined))
    throw new CliUsageError('--check writes nothing: leave out --write and --out');
  return { command, file: positional[0] as string, ...(out !== undefined ? { out } : {}), write, check, options };
}

function read(io: CommandIo, file: string): string {
  try {
    return io.readFile(file);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new CliUsageError(
      `cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : String((error as Error).message)}`,
    );
  }
}

function write(io: CommandIo, file: string, text: string): void {
  try {
    io.writeFile(file, text);
  } catch (error) {
    throw new CliUsageError(`cannot write ${file}: ${(error as Error).message}`);
  }
}

function generate(parsed: Parsed, io: CommandIo): number {
  const text = renderRulesFile(parsed.options);
  if (parsed.out === undefined) {
    io.stdout(text);
    return 0;
  }
  if (parsed.check) {
    let current: string | null = null;
    try {
      current = io.readFile(parsed.out);
    } catch {
      current = null;
    }
    if (current === text) {
      io.stderr(`${parsed.out} is up to date.\n`);
      return 0;
    }
    io.stderr(
      `${parsed.out} ${current === null ? 'does not exist' : 'differs from the generated rules'}: run \`device-limit rules generate --out ${parsed.out}\` (with the same options) to write it.\n`,
    );
    return 1;
  }
  write(io, parsed.out, text);
  io.stderr(`Wrote ${parsed.out}.\n`);
  return 0;
}

function merge(parsed: Parsed, io: CommandIo): number {
  const file = parsed.file as string;
  const result = planMerge(read(io, file), { ...parsed.options, file });
  if (!result.ok) {
    io.stderr(`${result.problems.map((p) => formatProblem(file, p)).join('\n')}\n`);
    io.stderr(`The device-limit rules were not merged into ${file}${parsed.check ? '' : '; nothing was written'}.\n`);
    return 1;
  }
  const { plan } = result;
  for (const warning of plan.warnings) io.stderr(`${file}: warning: ${warning}\n`);
  const where = `lines ${plan.blockLines.from}-${plan.blockLines.to}`;
  if (parsed.check) {
    io.stdout(
      plan.action === 'unchanged'
        ? `${file}: the device-limit rules are up to date (${where}).\n`
        : `${file}: the merge would ${plan.action === 'inserted' ? 'insert' : 'update'} the device-limit rules (${where} of the result).\n`,
    );
    return 0;
  }
  const target = parsed.write ? file : parsed.out;
  if (target === undefined) {
    io.stdout(plan.text);
    return 0;
  }
  if (plan.action === 'unchanged' && target === file) {
    io.stderr(`${file}: the device-limit rules are up to date; nothing written.\n`);
    return 0;
  }
  write(io, target, plan.text);
  io.stderr(`${target}: ${plan.action === 'updated' ? 'updated' : 'added'} the device-limit rules (${where}).\n`);
  return 0;
}

/** Runs one command line (without `node` and the script) and returns the exit code. */
export function runRulesCommand(argv: readonly string[], io: CommandIo): number {
  try {
    const parsed = parseArgs(argv);
    if (parsed.command === 'help') {
      io.stdout(USAGE);
      return 0;
    }
    return parsed.command === 'generate' ? generate(parsed, io) : merge(parsed, io);
  } catch (error) {
    if (error instanceof CliUsageError || isRulesOptionsError(error)) {
      io.stderr(`device-limit: ${error.message}\n`);
      const aboutFiles = /^cannot (read|write) /.test(error.message);
      if (error instanceof CliUsageError && !aboutFiles) io.stderr('Run `device-limit --help` for the usage.\n');
      return 2;
    }
    throw error;
  }
}
