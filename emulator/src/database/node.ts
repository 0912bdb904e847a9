/**
 * The database tree: immutable nodes with structural sharing.
 *
 * A write builds a new root by copying only the nodes on the written paths, so the state before a
 * write (`data`, `root` in rules) and the projected state after it (`newData`) are both cheap,
 * consistent trees. That is what lets a multi-location update be judged as one write against its
 * final state and then committed by swapping one reference.
 *
 * Mirrors the client's model (`database/src/core/snap/*` in @firebase/database): null and empty
 * objects are "no data", arrays are objects keyed "0", "1", …, priorities are strings or numbers.
 */

import { PersistentMap } from './persistent-map';

/** Children count from which a node's children live in a persistent map (measured: see persistent-map.ts). */
const PERSISTENT_CHILDREN_FROM = 64;

export type Priority = string | number | null;
export type LeafValue = string | number | boolean;

export interface LeafNode {
  readonly kind: 'leaf';
  readonly value: LeafValue;
  readonly priority: Priority;
}

export interface ChildrenNode {
  readonly kind: 'children';
  /** Never contains empty nodes. */
  readonly children: ReadonlyMap<string, DbNode>;
  readonly priority: Priority;
}

export type DbNode = LeafNode | ChildrenNode;

/** The one empty node: "no data". It never carries a priority. */
export const EMPTY_NODE: ChildrenNode = Object.freeze({
  kind: 'children',
  children: new Map<string, DbNode>(),
  priority: null,
}) as ChildrenNode;

export function isEmptyNode(node: DbNode): boolean {
  return node.kind === 'children' && node.children.size === 0;
}

export function leafNode(value: LeafValue, priority: Priority = null): LeafNode {
  return { kind: 'leaf', value, priority };
}

export function childrenNode(children: ReadonlyMap<string, DbNode>, priority: Priority = null): DbNode {
  if (children.size === 0) return EMPTY_NODE;
  return { kind: 'children', children, priority };
}

export function nodeWithPriority(node: DbNode, priority: Priority): DbNode {
  if (isEmptyNode(node)) return EMPTY_NODE;
  if (node.priority === priority) return node;
  return node.kind === 'leaf' ? leafNode(node.value, priority) : childrenNode(node.children, priority);
}

export function nodeChild(node: DbNode, key: string): DbNode {
  if (key === '.priority') {
    return node.priority === null ? EMPTY_NODE : leafNode(node.priority);
  }
  if (node.kind === 'leaf') return EMPTY_NODE;
  return node.children.get(key) ?? EMPTY_NODE;
}

export function nodeGetAt(node: DbNode, path: readonly string[]): DbNode {
  let current = node;
  for (const key of path) {
    current = nodeChild(current, key);
    if (isEmptyNode(current)) return EMPTY_NODE;
  }
  return current;
}

/**
 * Returns a copy of `node` with `value` at `path`. Empty values delete; parents left empty
 * disappear, as in the real database. A `.priority` last segment sets the priority of its parent.
 */
export function nodeSetAt(node: DbNode, path: readonly string[], value: DbNode, depth = 0): DbNode {
  if (depth === path.length) return value;
  const key = path[depth] as string;
  if (key === '.priority' && depth === path.length - 1) {
    const priority = value.kind === 'leaf' && typeof value.value !== 'boolean' ? value.value : null;
    return nodeWithPriority(node, priority);
  }
  const base: ReadonlyMap<string, DbNode> = node.kind === 'children' ? node.children : new Map();
  const oldChild = base.get(key) ?? EMPTY_NODE;
  const newChild = nodeSetAt(oldChild, path, value, depth + 1);
  if (newChild === oldChild) return node;
  const children = withChild(base, key, newChild);
  // A leaf replaced by children loses its priority, like the client's updateChild on a leaf.
  return childrenNode(children, node.kind === 'children' ? node.priority : null);
}

/**
 * Children with `key` set (or removed when `child` is empty), sharing what did not change. Wide nodes
 * use a persistent map so a write under a node with n children costs O(log n), not a copy of n
 * entries; narrow ones stay plain Maps, which are faster at that size.
 */
function withChild(base: ReadonlyMap<string, DbNode>, key: string, child: DbNode): ReadonlyMap<string, DbNode> {
  if (base instanceof PersistentMap || base.size >= PERSISTENT_CHILDREN_FROM) {
    const map = base instanceof PersistentMap ? (base as PersistentMap<DbNode>) : PersistentMap.from(base);
    return isEmptyNode(child) ? map.without(key) : map.with(key, child);
  }
  const children = new Map(base);
  if (isEmptyNode(child)) children.delete(key);
  else children.set(key, child);
  return children;
}

export function nodeEquals(a: DbNode, b: DbNode): boolean {
  if (a === b) return true;
  if (a.priority !== b.priority) return false;
  if (a.kind === 'leaf' || b.kind === 'leaf') {
    return a.kind === 'leaf' && b.kind === 'leaf' && a.value === b.value;
  }
  if (a.children.size !== b.children.size) return false;
  for (const [key, child] of a.children) {
    const other = b.children.get(key);
    if (other === undefined || !nodeEquals(child, other)) return false;
  }
  return true;
}

/** Thrown by {@link nodeFromJSON} for values the database cannot store. */
export class InvalidDataError extends Error {
  readonly code = 'invalid_data';
  constructor(message: string) {
    super(message);
    this.name = 'InvalidDataError';
  }
}

function isPriority(value: unknown): value is string | number {
  return typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value));
}

/**
 * Builds a node from user JSON in export format: `.priority` on objects, `{".value", ".priority"}`
 * leaves, arrays as integer-keyed objects. Other `.`-prefixed keys are metadata and ignored, as the
 * client's `nodeFromJSON` does. Server values (`.sv`) must be resolved before calling this.
 */
export function nodeFromJSON(json: unknown, priority: Priority = null): DbNode {
  if (json === null || json === undefined) return EMPTY_NODE;
  if (typeof json === 'string' || typeof json === 'boolean') return leafNode(json, priority);
  if (typeof json === 'number') {
    if (!Number.isFinite(json)) throw new InvalidDataError('Invalid data: numbers must be finite.');
    return leafNode(json, priority);
  }
  if (typeof json !== 'object') throw new InvalidDataError(`Invalid data type: ${typeof json}`);
  const record = json as Record<string, unknown>;
  let ownPriority = priority;
  if ('.priority' in record) {
    const p = record['.priority'];
    if (p !== null && !isPriority(p))
      throw new InvalidDataError('Invalid .priority: must be a string, number or null.');
    ownPriority = p ?? null;
  }
  if ('.value' in record) {
    const keys = Object.keys(record).filter((k) => k !== '.value' && k !== '.priority');
    if (keys.length > 0) throw new InvalidDataError('Invalid data: .value cannot be set beside other children.');
    const inner = record['.value'];
    if (inner !== null && typeof inner === 'object')
      throw new InvalidDataError('Invalid data: .value must be a primitive.');
    return nodeFromJSON(inner, ownPriority);
  }
  const children = new Map<string, DbNode>();
  const entries = Array.isArray(json) ? json.map((v, i) => [String(i), v] as const) : Object.entries(record);
  for (const [key, child] of entries) {
    if (key.startsWith('.')) continue;
    const node = nodeFromJSON(child);
    if (!isEmptyNode(node)) children.set(key, node);
  }
  return childrenNode(children, ownPriority);
}

/**
 * Converts a node back to JSON. With `exportFormat` priorities are kept (`.priority` on objects,
 * `{".value", ".priority"}` on leaves): the format pushed to SDK clients, whose hashing depends on it.
 */
export function nodeToJSON(node: DbNode, exportFormat = false): unknown {
  if (node.kind === 'leaf') {
    return exportFormat && node.priority !== null ? { '.value': node.value, '.priority': node.priority } : node.value;
  }
  if (node.children.size === 0) return null;
  const out: Record<string, unknown> = {};
  for (const [key, child] of node.children) out[key] = nodeToJSON(child, exportFormat);
  if (exportFormat && node.priority !== null) out['.priority'] = node.priority;
  return out;
}
