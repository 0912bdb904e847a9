/**
 * Which rules each namespace runs (`--rules` for all, `PUT /.settings/rules.json?ns=` for one), and the
 * namespaces' databases with those rules installed: the router asks here for a namespace's database.
 *
 * Every namespace gets its own compiled Ruleset, even under the default rules, so coverage and
 * explain-denials lines are per namespace, as the official emulator reports them.
 */
import type { ReadRequest, RulesDecision, RulesGate, WriteRequest } from '../database/access';
import { OPEN_RULES } from '../database/access';
import { pathToString } from '../database';
import type { NamespaceDatabase, NamespaceRegistry } from '../database';
import type { ServerLog } from '../log';
import type { CoverageReport } from './coverage-types';
import { compileRules, type Ruleset } from './ruleset';

/** How a router obtains a namespace's database (created, with its rules, on first use). */
export interface DatabaseProvider {
  database(namespace: string): NamespaceDatabase;
}

/** The text `GET /.settings/rules.json` returns while no rules were given: firebase-tools' default. */
export const OPEN_RULES_SOURCE = '{\n  "rules": {\n    ".read": true,\n    ".write": true\n  }\n}\n';

interface NamespaceRules {
  readonly source: string;
  readonly ruleset: Ruleset | null;
  /** true when set by `PUT /.settings/rules.json` for this namespace (a new default does not replace it) */
  readonly own: boolean;
}

export class RulesRegistry implements DatabaseProvider {
  private defaultSource: string | null = null;
  private readonly rules = new Map<string, NamespaceRules>();

  constructor(
    private readonly registry: NamespaceRegistry,
    private readonly log: ServerLog,
    private readonly explainDenials: boolean,
  ) {}

  database(namespace: string): NamespaceDatabase {
    const database = this.registry.get(namespace);
    if (!this.rules.has(namespace)) this.install(database, this.defaultSource, false);
    return database;
  }

  /** `--rules`, or a reload: compiles first (throws RulesError), then applies to every namespace without own rules. */
  setDefaultRules(source: string): void {
    compileRules(source); // validate once before touching any namespace
    this.defaultSource = source;
    for (const name of this.registry.names()) {
      if (this.rules.get(name)?.own) continue;
      this.install(this.registry.get(name), source, false);
    }
  }

  /** `PUT /.settings/rules.json?ns=`: throws RulesError (answered 400) and keeps the old rules. */
  putRules(namespace: string, source: string): void {
    const database = this.registry.get(namespace);
    this.install(database, source, true);
    this.log.info(`rules updated for ${namespace}`);
  }

  rulesSource(namespace: string): string {
    this.database(namespace);
    return this.rules.get(namespace)?.source ?? OPEN_RULES_SOURCE;
  }

  coverage(namespace: string): CoverageReport {
    this.database(namespace);
    return this.rules.get(namespace)?.ruleset?.coverage() ?? { expressions: [] };
  }

  private install(database: NamespaceDatabase, source: string | null, own: boolean): void {
    if (source === null) {
      this.rules.set(database.name, { source: OPEN_RULES_SOURCE, ruleset: null, own });
      database.setRules(this.gate(database.name, OPEN_RULES), OPEN_RULES_SOURCE);
      return;
    }
    const ruleset = compileRules(source);
    this.rules.set(database.name, { source, ruleset, own });
    database.setRules(this.gate(database.name, ruleset), source);
  }

  private gate(namespace: string, rules: RulesGate): RulesGate {
    return loggingGate(rules, namespace, this.log, this.explainDenials);
  }
}

/**
 * Logs what the rules said that a developer must see: always the unindexed-query warning (the real
 * server logs it too, and the SDK prints its own copy), and with `--explain-denials` the
 * `RulesDecision.explanation` of each denied operation.
 */
function loggingGate(rules: RulesGate, namespace: string, log: ServerLog, explainDenials: boolean): RulesGate {
  return {
    canRead(request: ReadRequest): RulesDecision {
      const decision = rules.canRead(request);
      if (decision.allowed && decision.warnings?.includes('no_index') && decision.explanation) {
        log.warn(`${namespace}: ${decision.explanation}`);
      }
      if (!decision.allowed && explainDenials) {
        const query = request.query ? ` query ${JSON.stringify(request.query)}` : '';
        log.denial(
          `${namespace}: read ${pathToString(request.path)}${query} as ${describeAuth(request.auth)}: ` +
            (decision.explanation ?? 'no .read rule allowed it'),
        );
      }
      return decision;
    },
    canWrite(request: WriteRequest): RulesDecision {
      const decision = rules.canWrite(request);
      if (!decision.allowed && explainDenials) {
        log.denial(
          `${namespace}: write ${request.paths.map((p) => pathToString(p)).join(', ')} as ${describeAuth(request.auth)}: ` +
            (decision.explanation ?? 'no .write rule allowed it'),
        );
      }
      return decision;
    },
  };
}

function describeAuth(auth: ReadRequest['auth']): string {
  if (auth === null) return 'unauthenticated';
  return typeof auth['uid'] === 'string' ? `uid ${auth['uid']}` : `auth ${JSON.stringify(auth)}`;
}
