/**
 * Which concrete locations of a trigger's path pattern one committed write changed.
 *
 * A write at path W (a set, or each child path of an update) reaches a pattern location L when one
 * contains the other: if W is at or below L's depth, L is W's ancestor of the pattern's length; if W
 * is above it (a write of a whole subtree), every location under W that holds data before or after
 * the write is a candidate. A candidate counts only when its value differs, as the database sends
 * no event for a write that changes nothing at the trigger's location.
 */
import { type DbNode, isEmptyNode, nodeChild, nodeGetAt, type Path, PRIORITY_KEY } from '../database';
import type { PathPattern } from './path-pattern';

export interface ChangedLocation {
  readonly path: Path;
  readonly params: Readonly<Record<string, string>>;
  readonly before: DbNode;
  readonly after: DbNode;
}

export function changedLocations(
  pattern: PathPattern,
  writtenPaths: ReadonlyArray<Path>,
  before: DbNode,
  after: DbNode,
): ChangedLocation[] {
  const candidates = new Map<string, Path>();
  const add = (path: Path): void => {
    candidates.set(path.join('/'), path);
  };
  for (const written of writtenPaths) {
    // A priority write changes its parent node.
    const path = written[written.length - 1] === PRIORITY_KEY ? written.slice(0, -1) : written;
    if (pattern.manyIndex < 0) {
      const depth = pattern.segments.length;
      if (path.length >= depth) {
        const location = path.slice(0, depth);
        if (pattern.matches(location)) add(location);
      } else if (pattern.matchesPrefix(path)) {
        expand(pattern, path, nodeGetAt(before, path), nodeGetAt(after, path), depth, add);
      }
      continue;
    }
    // With a `**` the written path itself is the location when it matches (the deepest matching
    // ancestor otherwise). A write above the `**` reaches the fixed part of the pattern only.
    const ancestor = deepestMatchingAncestor(pattern, path);
    if (ancestor !== null) add(ancestor);
    else if (path.length < pattern.manyIndex && pattern.matchesPrefix(path)) {
      expand(pattern, path, nodeGetAt(before, path), nodeGetAt(after, path), pattern.manyIndex, (location) => {
        if (pattern.matches(location)) add(location);
      });
    }
  }

  const changed: ChangedLocation[] = [];
  for (const path of candidates.values()) {
    const beforeNode = nodeGetAt(before, path);
    const afterNode = nodeGetAt(after, path);
    if (sameValue(beforeNode, afterNode)) continue;
    changed.push({ path, params: pattern.match(path) ?? {}, before: beforeNode, after: afterNode });
  }
  return changed;
}

/** Walks the pattern's segments from `prefix` down to `depth`, through keys that hold data before or after. */
function expand(
  pattern: PathPattern,
  prefix: Path,
  before: DbNode,
  after: DbNode,
  depth: number,
  add: (path: Path) => void,
): void {
  if (isEmptyNode(before) && isEmptyNode(after)) return;
  if (prefix.length === depth) {
    add(prefix);
    return;
  }
  const segment = pattern.segments[prefix.length];
  if (segment === undefined) return;
  if (segment.kind === 'literal') {
    expand(
      pattern,
      [...prefix, segment.value],
      nodeChild(before, segment.value),
      nodeChild(after, segment.value),
      depth,
      add,
    );
    return;
  }
  for (const key of childKeys(before, after)) {
    expand(pattern, [...prefix, key], nodeChild(before, key), nodeChild(after, key), depth, add);
  }
}

function childKeys(a: DbNode, b: DbNode): Set<string> {
  const keys = new Set<string>();
  if (a.kind === 'children') for (const key of a.children.keys()) keys.add(key);
  if (b.kind === 'children') for (const key of b.children.keys()) keys.add(key);
  return keys;
}

function deepestMatchingAncestor(pattern: PathPattern, path: Path): Path | null {
  for (let length = path.length; length >= 0; length--) {
    const candidate = path.slice(0, length);
    if (pattern.matches(candidate)) return candidate;
  }
  return null;
}

/**
 * Values compared as the handler sees them (`DataSnapshot.val()`): a priority-only change is not
 * visible there, so it sends no event. DIFFERENCE FROM PRODUCTION (possible): what production
 * delivers for a priority-only write is not documented.
 */
export function sameValue(a: DbNode, b: DbNode): boolean {
  if (a === b) return true;
  if (a.kind === 'leaf' || b.kind === 'leaf') return a.kind === 'leaf' && b.kind === 'leaf' && a.value === b.value;
  if (a.children.size !== b.children.size) return false;
  for (const [key, child] of a.children) {
    const other = b.children.get(key);
    if (other === undefined || !sameValue(child, other)) return false;
  }
  return true;
}
