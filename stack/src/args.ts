/**
 * Command-line options of the launcher. `--import` / `--export-on-exit` behave as in
 * `firebase emulators:start` (firebase-tools `emulator/commandUtils.js`): `--export-on-exit` without a
 * directory exports to the `--import` directory, and an import directory that does not exist yet is
 * allowed when it is also the export directory (the first run).
 */
export const SERVICES = ['database', 'auth', 'functions', 'demo', 'hub', 'logging', 'eventarc', 'tasks'] as const;
export type Service = (typeof SERVICES)[number];

export interface StackArgs {
  readonly project?: string;
  readonly rulesFile?: string;
  /** database instances users are spread over (docs/protocol.md §10); default 1, the default instance */
  readonly instances?: number;
  readonly importDir?: string;
  readonly exportDir?: string;
  /** `auto`: every port chosen free; otherwise per-service overrides of the defaults */
  readonly ports: 'auto' | Partial<Record<Service, number>>;
  /** run every scheduled function this often instead of on its own schedule */
  readonly scheduleEveryMs?: number;
  readonly demo: boolean;
  readonly help: boolean;
}

export class StackUsageError extends Error {
  readonly code = 'usage';
  constructor(message: string) {
    super(message);
    this.name = 'StackUsageError';
  }
}

/** More would only slow the machine down: every instance is one more namespace the sweep visits. */
export const MAX_INSTANCES = 16;

export const USAGE = `Usage: npm start -- [options]     (or: node stack/dist/cli.js [options])

Starts the local stack: our Realtime Database emulator (database.rules.json loaded and reloaded on
change), firebase-tools' Auth and Functions emulators with database triggers and schedules delivered,
and the demo app. Ctrl-C stops everything.

Options:
  --project <id>            project id (default: .firebaserc "default", else demo-device-limit)
  --rules <file>            database rules (default database.rules.json)
  --instances <n>           spread users over n database instances (namespaces <project>-default-rtdb,
                            <project>-presence-1 … -<n-1>), rules loaded and triggers delivered in each,
                            the functions' PRESENCE_INSTANCES naming them all (default 1; at most ${MAX_INSTANCES})
  --import <dir>            load auth and database data exported by --export-on-exit
  --export-on-exit [<dir>]  on Ctrl-C export auth and database data to <dir> (default: the --import dir)
  --ports <list>            "auto" (all free ports) or service=port pairs, e.g. database=19000,demo=18080
                            services: ${SERVICES.join(', ')} (also env STACK_PORTS)
  --schedule-every <time>   run scheduled functions every <time> (e.g. 30s, 2m) instead of their own
                            schedule (also env STACK_SCHEDULE_EVERY)
  --no-demo                 do not build or serve the demo app
  -h, --help                show this help
`;

export function parseStackArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): StackArgs {
  let project: string | undefined;
  let rulesFile: string | undefined;
  let instances: number | undefined;
  let importDir: string | undefined;
  let exportDir: string | undefined;
  let exportOnExit = false;
  let ports: StackArgs['ports'] = env.STACK_PORTS ? parsePorts(env.STACK_PORTS, 'STACK_PORTS') : {};
  let scheduleEveryMs = env.STACK_SCHEDULE_EVERY
    ? parseDuration(env.STACK_SCHEDULE_EVERY, 'STACK_SCHEDULE_EVERY')
    : undefined;
  let demo = true;
  let help = false;

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const inline = eq > 0 ? arg.slice(eq + 1) : undefined;
    const value = (optional = false): string | undefined => {
      if (inline !== undefined) return inline;
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('-')) {
        if (optional) return undefined;
        throw new StackUsageError(`${flag} needs a value`);
      }
      i += 1;
      return next;
    };
    switch (flag) {
      case '-h':
      case '--help':
        help = true;
        break;
      case '--project':
        project = value();
        if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(project as string)) {
          throw new StackUsageError(
            `--project must be a project id (lower-case letters, digits and dashes), got "${project}"`,
          );
        }
        break;
      case '--rules':
        rulesFile = value();
        break;
      case '--instances': {
        const text = value() as string;
        instances = Number(text);
        if (!/^\d+$/.test(text) || instances < 1 || instances > MAX_INSTANCES) {
          throw new StackUsageError(`--instances must be a whole number from 1 to ${MAX_INSTANCES}, got "${text}"`);
        }
        break;
      }
      case '--import':
        importDir = value();
        break;
      case '--export-on-exit':
        exportOnExit = true;
        exportDir = value(true);
        break;
      case '--ports':
        ports = parsePorts(value() as string, '--ports');
        break;
      case '--schedule-every':
        scheduleEveryMs = parseDuration(value() as string, '--schedule-every');
        break;
      case '--no-demo':
        demo = false;
        break;
      default:
        throw new StackUsageError(`Unknown option ${arg}`);
    }
  }
  if (exportOnExit && exportDir === undefined) {
    if (importDir === undefined)
      throw new StackUsageError('--export-on-exit needs a directory, or --import to export to');
    exportDir = importDir;
  }
  return {
    ...(project !== undefined ? { project } : {}),
    ...(rulesFile !== undefined ? { rulesFile } : {}),
    ...(instances !== undefined ? { instances } : {}),
    ...(importDir !== undefined ? { importDir } : {}),
    ...(exportDir !== undefined ? { exportDir } : {}),
    ports,
    ...(scheduleEveryMs !== undefined ? { scheduleEveryMs } : {}),
    demo,
    help,
  };
}

export function parsePorts(text: string, where: string): StackArgs['ports'] {
  if (text.trim() === 'auto') return 'auto';
  const ports: Partial<Record<Service, number>> = {};
  for (const pair of text.split(',')) {
    const match = /^\s*([a-z]+)\s*=\s*(\d{1,5})\s*$/.exec(pair);
    const service = match?.[1] as Service | undefined;
    const port = Number(match?.[2]);
    if (service === undefined || !SERVICES.includes(service) || port < 1 || port > 65535) {
      throw new StackUsageError(
        `${where}: expected "auto" or service=port pairs (${SERVICES.join(', ')}), got "${pair.trim()}"`,
      );
    }
    ports[service] = port;
  }
  return ports;
}

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export function parseDuration(text: string, where: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)\s*$/.exec(text);
  const ms = match ? Number(match[1]) * (UNITS[match[2] as string] as number) : NaN;
  if (!Number.isFinite(ms) || ms < 100) {
    throw new StackUsageError(
      `${where}: expected a duration of at least 100ms such as 500ms, 30s, 5m or 1h, got "${text}"`,
    );
  }
  return ms;
}
