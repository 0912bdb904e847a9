/**
 * The onDisconnect operations of one connection (wire `o`, `om`, `oc`; docs/wire-protocol.md §10).
 *
 * Bookkeeping mirrors the client's `SparseSnapshotTree` (`core/SparseSnapshotTree.ts`, used by
 * `repoOnDisconnect*` in Repo.ts), so the server's view of the queue equals the client's:
 * - a set at P replaces every queued write at P and below;
 * - an update at P is remembered child by child, so it replaces the queued writes at each P/key and below;
 * - cancel at P forgets everything at P and below, including the part of a queued write above P that
 *   lands at P (SparseSnapshotTree.forget splits a remembered value into children and drops one).
 * Operations still run as registered (a queued update stays one atomic write), in registration order.
 */
import { isDatabaseError } from '../errors';
import type { Caller } from './access';
import type { NamespaceDatabase } from './database';
import { pathContains, type Path, pathToString } from './path';

type QueuedOperation =
  | { readonly kind: 'set'; readonly path: Path; value: unknown }
  | { readonly kind: 'update'; readonly path: Path; readonly children: Map<string, unknown> };

function relativeKeyPath(key: string): string[] {
  return key.split('/').filter((segment) => segment.length > 0);
}

/** Removes the value at `relative` inside a JSON value, copying only the objects on the way. */
function withoutJSONAt(value: unknown, relative: readonly string[]): unknown {
  if (relative.length === 0) return null;
  if (typeof value !== 'object' || value === null) return value;
  const [key, ...rest] = relative as [string, ...string[]];
  const source: Record<string, unknown> = Array.isArray(value)
    ? Object.fromEntries(value.map((element, i) => [String(i), element]))
    : { ...(value as Record<string, unknown>) };
  if (!(key in source)) return value;
  const child = withoutJSONAt(source[key], rest);
  if (child === null) delete source[key];
  else source[key] = child;
  return source;
}

/** One queued operation as it runs: a set, or an update with its children. */
export interface OnDisconnectWrite {
  readonly kind: 'set' | 'update';
  readonly path: Path;
  readonly data: unknown;
}

/** Runs one queued write (`write`), e.g. to time and report it; the default just runs it. */
export type OnDisconnectExecutor = (operation: OnDisconnectWrite, write: () => void) => void;

export class OnDisconnectQueue {
  private operations: QueuedOperation[] = [];

  /** The number of queued operations (for diagnostics and tests). */
  get size(): number {
    return this.operations.length;
  }

  set(path: readonly string[], value: unknown): void {
    this.forget(path, false);
    this.operations.push({ kind: 'set', path: [...path], value });
  }

  update(path: readonly string[], children: Readonly<Record<string, unknown>>): void {
    const entries = new Map(Object.entries(children));
    for (const key of entries.keys()) this.forget([...path, ...relativeKeyPath(key)], false);
    if (entries.size > 0) this.operations.push({ kind: 'update', path: [...path], children: entries });
  }

  /** Drops queued operations at `path` and below (OnDisconnect.cancel). */
  cancel(path: readonly string[]): void {
    this.forget(path, true);
  }

  /**
   * Runs every queued op in registration order with `caller` (the connection's auth at run time).
   * Each is re-checked against the rules and skipped, with a log line, if denied now; server values
   * resolve now. Then the queue is empty. `execute` wraps each write (the session reports it to
   * the profiler).
   */
  run(
    database: NamespaceDatabase,
    caller: Caller,
    log: (line: string) => void = () => undefined,
    execute: OnDisconnectExecutor = (_operation, write) => write(),
  ): void {
    const operations = this.operations;
    this.operations = [];
    for (const operation of operations) {
      try {
        if (operation.kind === 'set') {
          const value = operation.value;
          execute({ kind: 'set', path: operation.path, data: value }, () =>
            database.set(caller, operation.path, value),
          );
        } else {
          const children = Object.fromEntries(operation.children);
          execute({ kind: 'update', path: operation.path, data: children }, () =>
            database.update(caller, operation.path, children),
          );
        }
      } catch (error) {
        if (!isDatabaseError(error)) throw error;
        log(
          `onDisconnect ${operation.kind} at ${pathToString(operation.path)} skipped: ${error.code} ${error.message}`,
        );
      }
    }
  }

  /**
   * Forgets what is queued at `target` and below. With `splitAncestors` (cancel), a queued write
   * above `target` also loses its part at `target`, as the client's SparseSnapshotTree.forget does;
   * a new registration doesn't need that because it runs later and overwrites that part anyway.
   */
  private forget(target: Path, splitAncestors: boolean): void {
    const kept: QueuedOperation[] = [];
    for (const operation of this.operations) {
      if (pathContains(target, operation.path)) continue;
      if (!pathContains(operation.path, target)) {
        kept.push(operation);
        continue;
      }
      const relative = target.slice(operation.path.length);
      if (operation.kind === 'update') {
        for (const key of [...operation.children.keys()]) {
          const keyPath = relativeKeyPath(key);
          if (pathContains(relative, keyPath)) operation.children.delete(key);
          else if (splitAncestors && pathContains(keyPath, relative)) {
            operation.children.set(key, withoutJSONAt(operation.children.get(key), relative.slice(keyPath.length)));
          }
        }
        if (operation.children.size > 0) kept.push(operation);
      } else {
        if (splitAncestors) operation.value = withoutJSONAt(operation.value, relative);
        kept.push(operation);
      }
    }
    this.operations = kept;
  }
}
