/**
 * Every namespace (`?ns=`) is its own database with its own data, rules and listeners, created on first use
 * (docs/wire-protocol.md §1.1: "The emulator will automatically create any database instance that is accessed").
 */
import type { Clock } from '../clock';
import { NamespaceDatabase } from './database';

/**
 * Database instance names are letters, digits and dashes (`<project>-default-rtdb`); we also accept
 * `_` and upper case, which the official emulator does not reject either. DIFFERENCE FROM PRODUCTION:
 * production names are lower case; the length bound is the emulator's.
 */
const NAMESPACE_RE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/;

export function isValidNamespace(name: string): boolean {
  return NAMESPACE_RE.test(name);
}

export interface NamespaceRegistryOptions {
  readonly clock: Clock;
  readonly log?: (line: string) => void;
}

export class NamespaceRegistry {
  private readonly databases = new Map<string, NamespaceDatabase>();
  private readonly clock: Clock;
  private readonly log: ((line: string) => void) | undefined;
  private readonly createListeners = new Set<(database: NamespaceDatabase) => void>();

  constructor(options: NamespaceRegistryOptions) {
    this.clock = options.clock;
    this.log = options.log;
  }

  /**
   * The namespace's database, created on first use with open rules; `../rules/registry.ts` installs
   * the rules each namespace runs.
   */
  get(name: string): NamespaceDatabase {
    let database = this.databases.get(name);
    if (database === undefined) {
      database = new NamespaceDatabase(name, {
        clock: this.clock,
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
}
