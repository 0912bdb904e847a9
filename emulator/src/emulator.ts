/**
 * `startEmulator`: wires the database, the settings (rules, triggers) and the transports together,
 * listens, and stops cleanly (exporting first when asked).
 */
import { promises as fs } from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { systemClock } from './clock';
import type { Clock } from './clock';
import { exportNode, importNode, isValidNamespace, NamespaceRegistry, PushIdGenerator } from './database';
import { DEFAULT_NAMESPACE } from './protocol/constants';
import { isJsonObject } from './protocol/messages';
import { Profiler } from './profiler/profiler';
import { RulesRegistry } from './rules';
import type { DatabaseProvider } from './rules';
import { attachTriggerDelivery, FunctionTriggerRegistry, type FunctionsEmulatorAddress } from './triggers';
import { createServerLog } from './log';
import { createEmulatorHttpServer } from './server/http-server';
import { RealtimeServer } from './server/realtime';

export interface EmulatorOptions {
  /** default 127.0.0.1 */
  readonly host?: string;
  /** default 9000; 0 picks a free port */
  readonly port?: number;
  /** rules source text for every namespace (wins over `rulesFile`) */
  readonly rules?: string;
  /** a rules file (JSON with comments) for every namespace */
  readonly rulesFile?: string;
  /** the project id: a plain-tree `importFile` goes to `<project>-default-rtdb` (else `fake-server`) */
  readonly project?: string;
  /** JSON to load at start: a tree in export format, or `{".namespaces": {"<ns>": tree}}` */
  readonly importFile?: string;
  /** where `stop()` writes every non-empty namespace as `{".namespaces": {"<ns>": tree}}` */
  readonly exportOnExit?: string;
  /** log the rules' explanation of each denied operation (also env RTDB_EMULATOR_EXPLAIN_DENIALS=1) */
  readonly explainDenials?: boolean;
  /** where log lines go (default stderr); `false` for none. Env RTDB_EMULATOR_QUIET=1 logs less. */
  readonly log?: ((line: string) => void) | false;
  /** how often dead sockets are looked for (default 15 s; a dead one is closed within two periods) */
  readonly heartbeatMs?: number;
  /** time source for server timestamps and the handshake (default: the system clock) */
  readonly clock?: Clock;
  /**
   * firebase-tools' Functions emulator: every committed write that matches one of its database
   * triggers is posted to it as a CloudEvent (`../triggers`; CLI `--functions host:port`).
   */
  readonly functions?: FunctionsEmulatorAddress;
}

export interface EmulatorHandle {
  readonly host: string;
  readonly port: number;
  /** Exports (when `exportOnExit` is set), closes every connection (running their onDisconnect) and stops listening. */
  stop(): Promise<void>;
}

/** The key of a multi-namespace import/export file; no database key can start with ".". */
export const NAMESPACES_KEY = '.namespaces';

/** Why `startEmulator` could not start: an option at fault (unreadable or invalid file, port in use). */
export class EmulatorStartError extends Error {
  readonly code = 'emulator_start_failed';
  constructor(
    message: string,
    /** the option at fault, so the CLI can name its flag */
    readonly option: keyof EmulatorOptions,
  ) {
    super(message);
    this.name = 'EmulatorStartError';
  }
}

export function isEmulatorStartError(error: unknown): error is EmulatorStartError {
  return error instanceof EmulatorStartError;
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<EmulatorHandle> {
  const host = options.host ?? '127.0.0.1';
  const clock = options.clock ?? systemClock;
  const sink =
    options.log === false ? undefined : (options.log ?? ((line: string) => process.stderr.write(`${line}\n`)));
  const log = createServerLog(sink, {
    quiet: process.env.RTDB_EMULATOR_QUIET === '1',
    debug: process.env.RTDB_EMULATOR_DEBUG === '1',
  });
  const explainDenials = options.explainDenials ?? process.env.RTDB_EMULATOR_EXPLAIN_DENIALS === '1';
  // The database only logs problems (a sink or change listener that threw); denials are explained by
  // the settings' gate when --explain-denials is on.
  const registry = new NamespaceRegistry({ clock, log: (line) => log.warn(line) });
  const rules = new RulesRegistry(registry, log, explainDenials);
  const functionTriggers = new FunctionTriggerRegistry(log);

  const rulesSource =
    options.rules ?? (options.rulesFile ? await readOption('rulesFile', options.rulesFile) : undefined);
  if (rulesSource !== undefined) {
    try {
      rules.setDefaultRules(rulesSource);
    } catch (error) {
      throw new EmulatorStartError(
        `Invalid rules${options.rulesFile ? ` in ${options.rulesFile}` : ''}: ${(error as Error).message}`,
        options.rules !== undefined ? 'rules' : 'rulesFile',
      );
    }
  }
  const projectNamespace = options.project ? `${options.project}-default-rtdb` : DEFAULT_NAMESPACE;
  if (options.importFile)
    importData(rules, options.importFile, await readOption('importFile', options.importFile), projectNamespace);

  const profiler = new Profiler(clock);
  const realtime = new RealtimeServer({
    databases: rules,
    clock,
    log,
    profiler,
    ...(options.heartbeatMs ? { heartbeatMs: options.heartbeatMs } : {}),
  });
  const server = createEmulatorHttpServer({
    registry,
    rules,
    functionTriggers,
    realtime,
    log,
    databases: rules,
    pushIds: new PushIdGenerator(clock),
    profiler,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new EmulatorStartError(
          `Cannot listen on ${host}:${options.port ?? 9000}: ${error.code ?? error.message}`,
          'port',
        ),
      ),
    );
    server.listen(options.port ?? 9000, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const triggers = options.functions
    ? attachTriggerDelivery(registry, {
        functions: options.functions,
        databaseHost: `${host.includes(':') ? `[${host}]` : host}:${port}`,
        registrations: () => functionTriggers.list(),
        ...(options.project ? { project: options.project } : {}),
        clock,
        log,
      })
    : undefined;
  log.info(
    `rules: ${options.rulesFile ?? (options.rules !== undefined ? 'given by the caller' : 'open (no rules file), as firebase-tools defaults')}` +
      (options.importFile ? `; imported ${options.importFile}` : '') +
      (options.exportOnExit ? `; will export to ${options.exportOnExit} on exit` : '') +
      (options.functions ? `; function triggers go to ${options.functions.host}:${options.functions.port}` : ''),
  );

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      await triggers?.stop();
      if (options.exportOnExit) await exportData(registry, options.exportOnExit);
      realtime.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    })();
    return stopping;
  };
  return { host, port, stop };
}

async function readOption(name: 'rulesFile' | 'importFile', file: string): Promise<string> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (error) {
    throw new EmulatorStartError(
      `Cannot read ${name} ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      name,
    );
  }
}

function importData(databases: DatabaseProvider, file: string, text: string, projectNamespace: string): void {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new EmulatorStartError(`Cannot import ${file}: not JSON (${(error as Error).message})`, 'importFile');
  }
  const namespaces =
    isJsonObject(json) && isJsonObject(json[NAMESPACES_KEY]) ? json[NAMESPACES_KEY] : { [projectNamespace]: json };
  for (const [namespace, tree] of Object.entries(namespaces)) {
    if (!isValidNamespace(namespace))
      throw new EmulatorStartError(`Cannot import ${file}: invalid namespace "${namespace}"`, 'importFile');
    try {
      importNode(databases.database(namespace), tree);
    } catch (error) {
      throw new EmulatorStartError(
        `Cannot import ${file} into ${namespace}: ${(error as Error).message}`,
        'importFile',
      );
    }
  }
}

/** Writes every non-empty namespace, atomically (a crash mid-write leaves the previous file). */
async function exportData(registry: NamespaceRegistry, file: string): Promise<void> {
  const namespaces: Record<string, unknown> = {};
  for (const name of registry.names().sort()) {
    const tree = exportNode(registry.get(name));
    if (tree !== null) namespaces[name] = tree;
  }
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  await fs.writeFile(temporary, JSON.stringify({ [NAMESPACES_KEY]: namespaces }));
  await fs.rename(temporary, file);
}
