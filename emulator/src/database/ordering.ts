/**
 * Ordering of keys, values and priorities, exactly as the client sorts them (docs/wire-protocol.md §5.5).
 *
 * Ported from @firebase/database 1.1.5: `core/util/util.ts` (nameCompare, tryParseInt, MIN_NAME,
 * MAX_NAME), `snap/LeafNode.ts` compareTo (VALUE_TYPE_ORDER), `snap/ChildrenNode.ts` compareTo and
 * `snap/indexes/{Priority,Value,Path,Key}Index.ts`.
 */
import { type DbNode, EMPTY_NODE, isEmptyNode, leafNode, nodeGetAt } from './node';

/** Sorts below every key; only ever a query bound (`en` of endBefore), never stored. */
export const MIN_NAME = '[MIN_NAME]';
/** Sorts above every key; only ever a query bound (`sn` of startAfter), never stored. */
export const MAX_NAME = '[MAX_NAME]';

const INTEGER_REGEXP = /^-?(0*)\d{1,10}$/;
const INTEGER_32_MIN = -2147483648;
const INTEGER_32_MAX = 2147483647;

/** The key as a 32-bit integer if it looks like one ("-1", "007"), else null (client `tryParseInt`). */
export function tryParseInt(key: string): number | null {
  if (INTEGER_REGEXP.test(key)) {
    const value = Number(key);
    if (value >= INTEGER_32_MIN && value <= INTEGER_32_MAX) return value;
  }
  return null;
}

/**
 * Compares with pre-parsed integer forms, so sorts parse each key once. Integer-like keys first,
 * numerically, equal numbers by length ("1" < "01"); then the rest in UTF-16 code unit order.
 */
export function nameCompareParsed(a: string, aInt: number | null, b: string, bInt: number | null): number {
  if (a === b) return 0;
  if (a === MIN_NAME || b === MAX_NAME) return -1;
  if (b === MIN_NAME || a === MAX_NAME) return 1;
  if (aInt !== null) {
    if (bInt !== null) return aInt - bInt === 0 ? a.length - b.length : aInt - bInt;
    return -1;
  }
  if (bInt !== null) return 1;
  return a < b ? -1 : 1;
}

/** The client's `nameCompare`. */
export function nameCompare(a: string, b: string): number {
  return nameCompareParsed(a, tryParseInt(a), b, tryParseInt(b));
}

/** Sorts above every node: the client's MAX_NODE, the value of a range's open end. */
export const MAX_VALUE: unique symbol = Symbol('MAX_VALUE');
export type IndexValue = DbNode | typeof MAX_VALUE;

const LEAF_TYPE_ORDER = { boolean: 1, number: 2, string: 3 } as const;

/**
 * Compares two nodes as orderByValue does: empty < false < true < numbers < strings < objects, all
 * objects equal. Leaf priorities are ignored (LeafNode.compareToLeafNode_ compares values only).
 */
export function compareIndexValues(a: IndexValue, b: IndexValue): number {
  if (a === b) return 0;
  if (a === MAX_VALUE) return 1;
  if (b === MAX_VALUE) return -1;
  const aEmpty = isEmptyNode(a);
  const bEmpty = isEmptyNode(b);
  if (aEmpty || bEmpty) return aEmpty === bEmpty ? 0 : aEmpty ? -1 : 1;
  if (a.kind === 'children') return b.kind === 'children' ? 0 : 1;
  if (b.kind === 'children') return -1;
  const aType = LEAF_TYPE_ORDER[typeof a.value as keyof typeof LEAF_TYPE_ORDER];
  const bType = LEAF_TYPE_ORDER[typeof b.value as keyof typeof LEAF_TYPE_ORDER];
  if (aType !== bType) return aType - bType;
  return a.value < b.value ? -1 : a.value === b.value ? 0 : 1;
}

/** The index a query orders by (wire `i`). */
export type Index =
  | { readonly kind: 'priority' }
  | { readonly kind: 'value' }
  | { readonly kind: 'key' }
  | { readonly kind: 'child'; readonly path: readonly string[] };

export const PRIORITY_INDEX: Index = Object.freeze({ kind: 'priority' });
export const VALUE_INDEX: Index = Object.freeze({ kind: 'value' });
export const KEY_INDEX: Index = Object.freeze({ kind: 'key' });

/** A node's priority as a comparable node: no priority is the empty node (PriorityIndex). */
export function priorityNode(node: DbNode): DbNode {
  return node.priority === null ? EMPTY_NODE : leafNode(node.priority);
}

/** The value a child is ordered by under `index` (key index: unused, compare names only). */
export function indexValueOf(index: Index, node: DbNode): IndexValue {
  switch (index.kind) {
    case 'priority':
      return priorityNode(node);
    case 'value':
      return node;
    case 'child':
      return nodeGetAt(node, index.path);
    case 'key':
      return EMPTY_NODE;
  }
}

/** One child with its sort keys computed once. Also used for query bounds ("posts"). */
export interface NamedEntry {
  readonly name: string;
  readonly nameInt: number | null;
  readonly value: IndexValue;
  readonly node: DbNode;
}

export function namedEntry(index: Index, name: string, node: DbNode): NamedEntry {
  return { name, nameInt: tryParseInt(name), value: indexValueOf(index, node), node };
}

/** Index order: the index value, then the key as tie-break; the key index compares keys only. */
export function compareEntries(index: Index, a: NamedEntry, b: NamedEntry): number {
  if (index.kind !== 'key') {
    const byValue = compareIndexValues(a.value, b.value);
    if (byValue !== 0) return byValue;
  }
  return nameCompareParsed(a.name, a.nameInt, b.name, b.nameInt);
}

/** The children of `node` sorted in `index` order (empty for leaves). */
export function sortedChildren(node: DbNode, index: Index): NamedEntry[] {
  if (node.kind === 'leaf') return [];
  const entries: NamedEntry[] = [];
  for (const [name, child] of node.children) entries.push(namedEntry(index, name, child));
  entries.sort((a, b) => compareEntries(index, a, b));
  return entries;
}
