/**
 * `rtdb-emulator` command-line parsing, kept apart from `cli.ts` so it is testable without a process.
 * Flags mirror firebase-tools' emulator flags where they overlap (`--import`, `--export-on-exit`).
 */
import { type FunctionsEmulatorAddress, FunctionsHostError, parseFunctionsHost } from './triggers';

export interface CliOptions {
  readonly host: string;
  readonly port: number;
  readonly rulesFile?: string;
  readonly project?: string;
  readonly importFile?: string;
  readonly exportOnExit?: string;
  /** `--functions host:port`: deliver database triggers to firebase-tools' Functions emulator */
  readonly functions?: FunctionsEmulatorAddress;
  readonly explainDenials: boolean;
  readonly help: boolean;
}

export class CliUsageError extends Error {
  readonly code = 'usage';
  constructor(message: string) {
    super(message);
    this.name = 'CliUsageError';
  }
}

export const USAGE = `Usage: rtdb-emulator [options]

A Realtime Database emulator for the unmodified Firebase SDKs.

Options:
  --host <host>              interface to listen on (default 127.0.0.1)
  --port <port>              port to listen on (default 9000; 0 picks a free port)
  --rules <file>             security rules (database.rules.json) for every namespace
                             (default: open rules, as firebase-tools' emulator)
  --project <id>             project id; a plain-tree --import goes to <id>-default-rtdb
  --import <file.json>       data to load at start: one tree in export format (for the project's
                             namespace, or fake-server), or {".namespaces": {"<ns>": tree, ...}}
  --export-on-exit <file>    on SIGINT/SIGTERM write every non-empty namespace to <file> as
                             {".namespaces": {...}} (importable with --import)
  --functions <host:port>    firebase-tools' Functions emulator: post every write that matches one
                             of its database triggers to it (also env FUNCTIONS_EMULATOR_HOST)
  --explain-denials          log why the rules denied each refused operation
                             (also env RTDB_EMULATOR_EXPLAIN_DENIALS=1)
  -h, --help                 show this help

Clients select a namespace with ?ns=<name> (default fake-server). Env RTDB_EMULATOR_QUIET=1 logs less.
`;

const VALUE_FLAGS = new Set([
  '--host',
  '--port',
  '--rules',
  '--project',
  '--import',
  '--export-on-exit',
  '--functions',
]);

export function parseCliArgs(argv: readonly string[]): CliOptions {
  const values = new Map<string, string>();
  let explainDenials = false;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--help' || arg === '-h') {
      help = true;
      continue;
    }
    if (arg === '--explain-denials') {
      explainDenials = true;
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    if (!VALUE_FLAGS.has(flag)) throw new CliUsageError(`Unknown option ${flag}`);
    let value: string | undefined;
    if (eq > 0) value = arg.slice(eq + 1);
    else {
      value = argv[i + 1];
      i += 1;
    }
    if (value === undefined || value === '' || (eq < 0 && value.startsWith('--'))) {
      throw new CliUsageError(`${flag} needs a value`);
    }
    values.set(flag, value);
  }
  const portText = values.get('--port') ?? '9000';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new CliUsageError(`--port must be an integer from 0 to 65535, got "${portText}"`);
  }
  const project = values.get('--project');
  if (project !== undefined && !/^[a-z0-9][a-z0-9-]{0,62}$/.test(project)) {
    throw new CliUsageError(`--project must be a project id (lower-case letters, digits and dashes), got "${project}"`);
  }
  return {
    host: values.get('--host') ?? '127.0.0.1',
    port,
    ...optional('rulesFile', values.get('--rules')),
    ...optional('project', project),
    ...optional('importFile', values.get('--import')),
    ...optional('exportOnExit', values.get('--export-on-exit')),
    ...functionsOption(values.get('--functions')),
    explainDenials,
    help,
  };
}

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}

function functionsOption(value: string | undefined): { functions?: FunctionsEmulatorAddress } {
  if (value === undefined) return {};
  try {
    return { functions: parseFunctionsHost(value) };
  } catch (error) {
    if (error instanceof FunctionsHostError) throw new CliUsageError(`--functions: ${error.message}`);
    throw error;
  }
}
