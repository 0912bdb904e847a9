/**
 * The database triggers to deliver to, and the key the Functions emulator runs each one under.
 *
 * Two sources, because firebase-tools 15 registers database triggers with a database emulator only
 * when it started that emulator itself (`functionsEmulator.js` `addRealtimeDatabaseTrigger` returns
 * early unless `EmulatorRegistry.isRunning(DATABASE)`; with ours it logs "function ignored because
 * the database emulator does not exist or is not running"):
 * - registrations: `POST /.settings/functionTriggers.json` (docs/wire-protocol.md §13.1, v2 form with
 *   `namespacePattern`), when the Functions emulator does register with us;
 * - discovery: the Functions emulator's `GET /backends`, which lists every loaded definition with its
 *   `eventTrigger` (`eventType`, `eventFilters.instance` or `eventFilterPathPatterns.{ref,instance}`).
 *   DIFFERENCE FROM PRODUCTION: the official database emulator only learns triggers by registration.
 *
 * The key in `POST /functions/projects/<project>/triggers/<key>` is `<id>-<generation>`
 * (`getTriggerKey`); the generation grows on every hot reload. A 404 answer lists the valid keys
 * ("Function X does not exist, valid functions are: a-1, b-1"), which is how a new generation is
 * learnt.
 */
import { type DatabaseEventType, isDatabaseEventType } from './cloud-event';
import { PathPattern, PathPatternError } from './path-pattern';

/** A trigger as the Functions emulator registers it (docs/wire-protocol.md §13.1; `./registrations.ts`). */
export interface FunctionTriggerRegistration {
  readonly name: string;
  readonly path: string;
  readonly event: string;
  readonly topic?: string;
  readonly namespacePattern?: string;
  /** the `ns` of the registration request (v1 triggers) */
  readonly namespace?: string;
}

export interface FunctionsEmulatorAddress {
  readonly host: string;
  readonly port: number;
}

export interface TriggerLog {
  info(line: string): void;
  warn(line: string): void;
}

export interface DatabaseTrigger {
  /** the function's id, `<region>-<name>` (`us-central1-reconcilePresence`) */
  readonly id: string;
  readonly eventType: DatabaseEventType;
  readonly ref: PathPattern;
  /** matched against the namespace, as one path segment */
  readonly instance: PathPattern;
  /** the project in the trigger URL */
  readonly project: string;
  /** the function's own timeout, after which a delivery is given up */
  readonly timeoutMs: number;
  /** the key a registration named; discovered triggers use the directory's generation */
  readonly registeredKey?: string;
}

/** Cloud Functions' default timeout (60 s), for a definition that names none. */
export const DEFAULT_FUNCTION_TIMEOUT_MS = 60_000; /* 60 s */
/** How long a `/backends` answer is trusted before a write makes us ask again. */
export const DEFAULT_REFRESH_MS = 2_000; /* 2 s */
const BACKENDS_TIMEOUT_MS = 5_000; /* 5 s */
/** firebase-tools' answer to an unknown key (`handleHttpsTrigger`). */
const VALID_KEYS = /valid functions are: (.*)$/s;

export interface TriggerDirectoryOptions {
  readonly functions: FunctionsEmulatorAddress;
  readonly registrations?: () => readonly FunctionTriggerRegistration[];
  /** the project in trigger URLs for discovered triggers (default: read from the definitions' labels) */
  readonly project?: string;
  readonly refreshMs?: number;
  readonly log: TriggerLog;
  readonly now: () => number;
}

export class TriggerDirectory {
  private discovered: DatabaseTrigger[] = [];
  private fetchedAt = Number.NEGATIVE_INFINITY;
  private refreshing: Promise<void> | undefined;
  private generation = 0;
  private reachable: boolean | undefined;
  private lastSummary = '';
  private readonly warned = new Set<string>();

  constructor(private readonly options: TriggerDirectoryOptions) {}

  get functionsOrigin(): string {
    const { host, port } = this.options.functions;
    return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  }

  /** Registered and discovered triggers; asks `/backends` again when the last answer is stale. */
  async current(): Promise<readonly DatabaseTrigger[]> {
    if (this.options.now() - this.fetchedAt >= (this.options.refreshMs ?? DEFAULT_REFRESH_MS)) await this.refresh();
    const registered = this.registered();
    const ids = new Set(registered.map((trigger) => trigger.id));
    return [...registered, ...this.discovered.filter((trigger) => !ids.has(trigger.id))];
  }

  keyFor(trigger: DatabaseTrigger): string {
    return trigger.registeredKey ?? `${trigger.id}-${this.generation}`;
  }

  /**
   * After a 404 for `trigger`: learns the current key from the answer's list of valid keys (a hot
   * reload moved the generation), or failing that asks `/backends` again. Returns the key to retry
   * with, or null when the Functions emulator no longer has the function.
   */
  async keyAfterNotFound(trigger: DatabaseTrigger, answer: string): Promise<string | null> {
    const valid =
      VALID_KEYS.exec(answer)?.[1]
        ?.split(',')
        .map((key) => key.trim()) ?? [];
    const pattern = new RegExp(`^${escapeRegExp(trigger.id)}-(\\d+)$`);
    for (const key of valid) {
      const generation = pattern.exec(key)?.[1];
      if (generation === undefined) continue;
      this.generation = Number(generation);
      return key;
    }
    this.fetchedAt = Number.NEGATIVE_INFINITY;
    await this.refresh();
    return null;
  }

  private refresh(): Promise<void> {
    this.refreshing ??= this.fetchBackends().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async fetchBackends(): Promise<void> {
    const url = `${this.functionsOrigin}/backends`;
    let body: unknown;
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(BACKENDS_TIMEOUT_MS) });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      body = await response.json();
    } catch (error) {
      // Not up yet, or stopped: nothing to deliver to. Said once per outage.
      if (this.reachable !== false) {
        this.options.log.warn(
          `function triggers: the Functions emulator at ${this.functionsOrigin} does not answer (${describe(error)}); writes fire no triggers until it does`,
        );
      }
      this.reachable = false;
      this.fetchedAt = this.options.now();
      return;
    }
    if (this.reachable === false)
      this.options.log.info(`function triggers: the Functions emulator at ${this.functionsOrigin} answers again`);
    this.reachable = true;
    this.fetchedAt = this.options.now();
    this.discovered = this.parseBackends(body);
    const summary = this.discovered.map((trigger) => `${trigger.id} (${trigger.ref.raw})`).join(', ');
    if (summary !== this.lastSummary) {
      this.lastSummary = summary;
      this.options.log.info(
        `function triggers: ${this.discovered.length} database trigger(s) in the Functions emulator at ${this.functionsOrigin}${summary ? `: ${summary}` : ''}`,
      );
    }
  }

  private parseBackends(body: unknown): DatabaseTrigger[] {
    const triggers: DatabaseTrigger[] = [];
    const backends = isRecord(body) && Array.isArray(body['backends']) ? body['backends'] : [];
    for (const backend of backends) {
      const definitions =
        isRecord(backend) && Array.isArray(backend['functionTriggers']) ? backend['functionTriggers'] : [];
      for (const definition of definitions) {
        if (!isRecord(definition) || typeof definition['id'] !== 'string' || !isRecord(definition['eventTrigger']))
          continue;
        const eventTrigger = definition['eventTrigger'];
        const eventType = eventTrigger['eventType'];
        if (typeof eventType !== 'string') continue;
        if (eventType.startsWith('providers/google.firebase.database/')) {
          // DIFFERENCE FROM PRODUCTION: 1st gen database triggers are not delivered.
          this.warnOnce(
            definition['id'],
            `function triggers: ${definition['id']} is a 1st gen database trigger; only 2nd gen (onValueWritten and friends) is delivered`,
          );
          continue;
        }
        if (!isDatabaseEventType(eventType)) continue;
        const filters = isRecord(eventTrigger['eventFilters']) ? eventTrigger['eventFilters'] : {};
        const patterns = isRecord(eventTrigger['eventFilterPathPatterns'])
          ? eventTrigger['eventFilterPathPatterns']
          : {};
        const ref = patterns['ref'];
        const instance = typeof filters['instance'] === 'string' ? filters['instance'] : patterns['instance'];
        if (typeof ref !== 'string') continue;
        const compiled = this.compile(definition['id'], ref, typeof instance === 'string' ? instance : '*');
        if (compiled === null) continue;
        const timeoutSeconds = definition['timeoutSeconds'];
        triggers.push({
          id: definition['id'],
          eventType,
          ...compiled,
          project: this.options.project ?? projectFromLabels(definition['labels']) ?? DEFAULT_PROJECT,
          timeoutMs:
            typeof timeoutSeconds === 'number' && timeoutSeconds > 0
              ? timeoutSeconds * 1000
              : DEFAULT_FUNCTION_TIMEOUT_MS,
        });
      }
    }
    return triggers;
  }

  private registered(): DatabaseTrigger[] {
    const triggers: DatabaseTrigger[] = [];
    for (const registration of this.options.registrations?.() ?? []) {
      // v2: projects/<project>/locations/<region>/triggers/<key>; v1: …/locations/_/functions/<key>
      const v2 = /^projects\/([^/]+)\/locations\/[^/]+\/triggers\/([^/]+)$/.exec(registration.name);
      if (v2 === null || !isDatabaseEventType(registration.event)) {
        this.warnOnce(
          registration.name,
          `function triggers: ${registration.name} (${registration.event}) is not a 2nd gen database trigger; it is not delivered`,
        );
        continue;
      }
      const [, project, key] = v2 as unknown as [string, string, string];
      const id = key.replace(/-\d+$/, '');
      const compiled = this.compile(id, registration.path, registration.namespacePattern ?? '*');
      if (compiled === null) continue;
      triggers.push({
        id,
        eventType: registration.event,
        ...compiled,
        project,
        timeoutMs: DEFAULT_FUNCTION_TIMEOUT_MS,
        registeredKey: key,
      });
    }
    return triggers;
  }

  private compile(id: string, ref: string, instance: string): { ref: PathPattern; instance: PathPattern } | null {
    try {
      return { ref: new PathPattern(ref), instance: new PathPattern(instance) };
    } catch (error) {
      if (!(error instanceof PathPatternError)) throw error;
      this.warnOnce(id, `function triggers: ${id}: ${error.message}; it is not delivered`);
      return null;
    }
  }

  private warnOnce(key: string, line: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.options.log.warn(line);
  }
}

/** The Functions emulator ignores the project in a background trigger URL; firebase-tools' own placeholder. */
const DEFAULT_PROJECT = 'demo-project';

/** `EVENTARC_CLOUD_EVENT_SOURCE: run-emulated.googleapis.com/projects/<project>/locations/…` */
function projectFromLabels(labels: unknown): string | undefined {
  if (!isRecord(labels) || typeof labels['EVENTARC_CLOUD_EVENT_SOURCE'] !== 'string') return undefined;
  return /\/projects\/([^/]+)\//.exec(labels['EVENTARC_CLOUD_EVENT_SOURCE'])?.[1];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as Error & { cause?: unknown }).cause;
    const code = typeof cause === 'object' && cause !== null ? (cause as { code?: unknown }).code : undefined;
    return typeof code === 'string' ? code : error.message;
  }
  return String(error);
}
