/**
 * Active listens and how a committed write is pushed to them (docs/wire-protocol.md §5.4).
 *
 * Listens are indexed in a trie keyed by path segments, so a write only visits the listens at, above
 * or below the written locations, never the whole list. Pushes are synchronous: the database calls
 * {@link pushChanges} before a write returns, so the router replies `ok` after the data went out
 * ("puts depend on having received the corresponding data update from the server before they
 * complete", PersistentConnection.restoreState_).
 */
import type { Caller, QueryParams } from './access';
import { type DbNode, nodeChild, nodeEquals, nodeGetAt, nodeToJSON } from './node';
import { pathCommonPrefix, pathContains, pathsOverlap, type Path } from './path';
import { type CompiledQuery, type QueryWindow, runQueryWindow, updateQueryWindow } from './query';

export interface ListenSink {
  /** Overwrite the client's view at `path` (absolute segments) with export-format JSON (`.priority` kept).
   *  Default listen: called with the listen path or a deeper written path. Query listen: always the listen
   *  path with the full filtered result. */
  data(path: readonly string[], value: unknown): void;
  /** Optional: merge several locations below `path` at once (wire `m`; keys are relative paths, `null`
   *  deletes). Used for a multi-location update under a default listen; without it the database sends
   *  one `data` at the deepest common ancestor of the written paths instead. */
  merge?(path: readonly string[], children: Readonly<Record<string, unknown>>): void;
  /** The listen is no longer readable (rules changed, or the caller changed): the router sends `c`. */
  revoked(): void;
}

export interface ListenHandle {
  readonly warnings: readonly string[];
  setCaller(caller: Caller): void;
  cancel(): void;
}

/** What a listen needs from its database: re-checking reads and unregistering. */
export interface ListenOwner {
  recheckListen(listen: Listen): void;
  removeListen(listen: Listen): void;
}

export class Listen implements ListenHandle {
  active = true;
  /** For query listens: the current window (the last result sent), updated on every write under it. */
  window: QueryWindow | undefined;

  constructor(
    readonly path: Path,
    readonly query: QueryParams | undefined,
    /** undefined for a default listen (or a query that loads all data: only an order) */
    readonly compiled: CompiledQuery | undefined,
    /** identifies listens with the same path and query, which share one computation per write */
    readonly queryKey: string,
    public caller: Caller,
    readonly sink: ListenSink,
    readonly warnings: readonly string[],
    private readonly owner: ListenOwner,
  ) {}

  setCaller(caller: Caller): void {
    if (!this.active) return;
    this.caller = caller;
    this.owner.recheckListen(this);
  }

  cancel(): void {
    if (!this.active) return;
    this.active = false;
    this.owner.removeListen(this);
  }
}

class TrieNode {
  readonly children = new Map<string, TrieNode>();
  readonly listens = new Set<Listen>();
}

/** Listens by path. */
export class ListenIndex {
  private readonly root = new TrieNode();
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(listen: Listen): void {
    let node = this.root;
    for (const key of listen.path) {
      let next = node.children.get(key);
      if (next === undefined) {
        next = new TrieNode();
        node.children.set(key, next);
      }
      node = next;
    }
    if (!node.listens.has(listen)) this.count++;
    node.listens.add(listen);
  }

  remove(listen: Listen): void {
    const trail: TrieNode[] = [this.root];
    let node = this.root;
    for (const key of listen.path) {
      const next = node.children.get(key);
      if (next === undefined) return;
      trail.push(next);
      node = next;
    }
    if (node.listens.delete(listen)) this.count--;
    // Prune empty branches so long-lived servers don't accumulate dead paths.
    for (let i = listen.path.length; i > 0; i--) {
      const child = trail[i] as TrieNode;
      if (child.listens.size > 0 || child.children.size > 0) break;
      (trail[i - 1] as TrieNode).children.delete(listen.path[i - 1] as string);
    }
  }

  /** Every listen whose path overlaps one of `paths` (at, above or below a written location). */
  affected(paths: ReadonlyArray<Path>): Set<Listen> {
    const out = new Set<Listen>();
    for (const path of paths) {
      let node: TrieNode | undefined = this.root;
      for (let i = 0; node !== undefined; i++) {
        if (i === path.length) {
          collectSubtree(node, out);
          break;
        }
        for (const listen of node.listens) out.add(listen);
        node = node.children.get(path[i] as string);
      }
    }
    return out;
  }

  all(): Listen[] {
    const out = new Set<Listen>();
    collectSubtree(this.root, out);
    return [...out];
  }
}

function collectSubtree(node: TrieNode, out: Set<Listen>): void {
  for (const listen of node.listens) out.add(listen);
  for (const child of node.children.values()) collectSubtree(child, out);
}

/** Calls a sink, so that one broken connection cannot abort a write for everyone else. */
export function callSink(log: (line: string) => void, fn: () => void): void {
  try {
    fn();
  } catch (error) {
    log(`listen sink threw: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** The window of a query listen for a root (a full run of the query). */
export function queryWindowAt(compiled: CompiledQuery, path: Path, root: DbNode): QueryWindow {
  return runQueryWindow(compiled, nodeGetAt(root, path));
}

/**
 * The window of a query listen after a write: updated in place when the write touched one child of
 * the query location (the common case, e.g. one player's score in a leaderboard), else recomputed.
 */
function nextWindow(listen: Listen, compiled: CompiledQuery, paths: ReadonlyArray<Path>, after: DbNode): QueryWindow {
  const node = nodeGetAt(after, listen.path);
  const depth = listen.path.length;
  let changedChild: string | undefined;
  for (const path of paths) {
    if (!pathsOverlap(path, listen.path)) continue;
    const child = path[depth];
    if (child === undefined || (changedChild !== undefined && changedChild !== child)) {
      return runQueryWindow(compiled, node);
    }
    changedChild = child;
  }
  if (changedChild === undefined || listen.window === undefined) return runQueryWindow(compiled, node);
  return (
    updateQueryWindow(compiled, listen.window, changedChild, nodeChild(node, changedChild)) ??
    runQueryWindow(compiled, node)
  );
}

/**
 * Pushes a committed write to every affected listen. Serialisations are shared between listens of
 * the same location within one write, and only the changed subtree is serialised for default
 * listens above the write.
 */
export function pushChanges(
  index: ListenIndex,
  paths: ReadonlyArray<Path>,
  before: DbNode,
  after: DbNode,
  log: (line: string) => void,
): void {
  if (index.size === 0) return;
  const json = new Map<string, unknown>();
  const valueJSON = (path: Path): unknown => {
    const key = path.join('/');
    if (!json.has(key)) json.set(key, nodeToJSON(nodeGetAt(after, path), true));
    return json.get(key);
  };
  const unchanged = (path: Path): boolean => nodeGetAt(before, path) === nodeGetAt(after, path);
  // Listens with the same path and query hold equal windows, so one computation serves them all.
  const windows = new Map<string, { window: QueryWindow; json: unknown }>();

  for (const listen of index.affected(paths)) {
    if (!listen.active) continue;
    const compiled = listen.compiled;
    if (compiled !== undefined) {
      // Query listens get their whole filtered result again: the client cannot refill a limit
      // window itself (docs/wire-protocol.md §5.4 item 3). Skipped when the result is unchanged.
      if (unchanged(listen.path)) continue;
      let next = windows.get(listen.queryKey);
      if (next === undefined) {
        const window = nextWindow(listen, compiled, paths, after);
        next = { window, json: undefined };
        windows.set(listen.queryKey, next);
      }
      const previous = listen.window;
      listen.window = next.window;
      if (previous !== undefined && (previous === next.window || nodeEquals(previous.result, next.window.result)))
        continue;
      const shared = next;
      if (shared.json === undefined) shared.json = nodeToJSON(shared.window.result, true);
      callSink(log, () => listen.sink.data(listen.path, shared.json));
      continue;
    }
    const relevant = paths.filter((path) => pathsOverlap(path, listen.path));
    if (relevant.some((path) => pathContains(path, listen.path))) {
      // Written at or above the listen: send the listen's own location, never data above it (docs/wire-protocol.md §5.4
      // item 5).
      if (!unchanged(listen.path)) callSink(log, () => listen.sink.data(listen.path, valueJSON(listen.path)));
      continue;
    }
    const changed = relevant.filter((path) => !unchanged(path));
    if (changed.length === 0) continue;
    if (changed.length === 1) {
      const only = changed[0] as Path;
      callSink(log, () => listen.sink.data(only, valueJSON(only)));
      continue;
    }
    let common: Path = changed[0] as Path;
    for (const path of changed) common = pathCommonPrefix(common, path);
    const sink = listen.sink;
    if (sink.merge !== undefined) {
      const children: Record<string, unknown> = {};
      for (const path of changed) children[path.slice(common.length).join('/')] = valueJSON(path);
      const base = common;
      callSink(log, () => sink.merge?.(base, children));
    } else {
      const base = common;
      callSink(log, () => sink.data(base, valueJSON(base)));
    }
  }
}
