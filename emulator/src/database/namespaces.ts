/**
 * Every namespace (`?ns=`) is its own database with its own data, rules and listeners, created on
 * first use (protocol ref §1.1: "The emulator will automatically create any database instance that
 * is accessed").
 */
import type { Clock } from '../clock';
import { OPEN_RULES, type RulesGate } from './access';
import { NamespaceDatabase } from './database';

export interface NamespaceRegistryOptions {
  readonly clock: Clock;
  /** default rules for every namespace; absent = open, as firebase-tools' emulator defaults */
  readonly rules?: RulesGate;
  readonly rulesSource?: string;
  readonly log?: (line: string) => void;
}

export class NamespaceRegistry {
  private readonly databases = new Map<string, NamespaceDatabase>();
  private defaultRules: RulesGate;
  private defaultRulesSource: string | undefined;
  private readonly clock: Clock;
  private readonly log: ((line: string) => void) | undefined;
  private readonly createListeners = new Set<(database: NamespaceDatabase) => void>();

  constructor(options: NamespaceRegistryOptions) {
    this.clock = options.clock;
    this.defaultRules = options.rules ?? OPEN_RULES;
    this.defaultRulesSource = options.rulesSource;
    this.log = options.log;
  }

  /** The namespace's database, created with the default rules on first use. */
  get(name: string): NamespaceDatabase {
    let database = this.databases.get(name);
    if (database === undefined) {
      database = new NamespaceDatabase(name, {
        clock: this.clock,
        rules: this.defaultRules,
        ...(this.defaultRulesSource === undefined ? {} : { rulesSource: this.defaultRulesSource }),
        ...(this.log === undefined ? {} : { log: this.log }),
      });
      this.databases.set(name, database);
      for (const listener of this.createListeners) listener(database);
    }
    return database;
  }

  /**
   * Calls `listener` with each namespace created from now on (function trigger delivery subscribes
   * to every namespace's changes this way); returns the unsubscribe function.
   */
  onCreate(listener: (database: NamespaceDatabase) => void): () => void {
    this.createListeners.add(listener);
    return () => {
      this.createListeners.delete(listener);
    };
  }

  has(name: string): boolean {
    return this.databases.has(name);
  }

  names(): string[] {
    return [...this.databases.keys()];
  }

  /** New default rules (CLI --rules, or a reload); they replace the rules of existing namespaces too. */
  setDefaultRules(rules: RulesGate, source?: string): void {
    this.defaultRules = rules;
    this.defaultRulesSource = source;
    for (const database of this.databases.values()) database.setRules(rules, source);
  }
}
