/**
 * Query filtering (docs/wire-protocol.md §5.3), mirroring the client's filters so server results equal what
 * the client would compute: `view/QueryParams.ts`, `view/filter/RangedFilter.ts`,
 * `view/filter/LimitedFilter.ts` in @firebase/database 1.1.5.
 *
 * A bound ("post") is the pair (index value, key). A child is in range when
 * `start <= child` (`<` when `sin` is false) and `child <= end` (`<` when `ein` is false), comparing
 * index values first and keys (nameCompare) second. Then the limit keeps the first or last `l`.
 */
import { DatabaseError } from '../errors';
import type { QueryParams } from './access';
import { childrenNode, type DbNode, EMPTY_NODE, InvalidDataError, isEmptyNode, nodeFromJSON } from './node';
import {
  compareEntries,
  type Index,
  KEY_INDEX,
  MAX_NAME,
  MAX_VALUE,
  MIN_NAME,
  type NamedEntry,
  namedEntry,
  PRIORITY_INDEX,
  tryParseInt,
  VALUE_INDEX,
} from './ordering';
import { isValidKey } from './path';

/** A query parsed once (at listen time) and run on every change. */
export interface CompiledQuery {
  readonly index: Index;
  /** false: the query loads all data (only an order, or nothing) and returns the node untouched. */
  readonly filters: boolean;
  readonly start: NamedEntry;
  readonly startInclusive: boolean;
  readonly end: NamedEntry;
  readonly endInclusive: boolean;
  readonly limit: number | null;
  readonly fromLeft: boolean;
}

function invalidQuery(message: string): DatabaseError {
  return new DatabaseError('invalid_query', message);
}

export function parseIndex(i: unknown): Index {
  if (i === undefined || i === null || i === '.priority') return PRIORITY_INDEX;
  if (i === '.value') return VALUE_INDEX;
  if (i === '.key') return KEY_INDEX;
  if (typeof i !== 'string') throw invalidQuery('Invalid query: index must be a string');
  const path = i.split('/').filter((s) => s.length > 0);
  if (path.length === 0 || !path.every(isValidKey)) throw invalidQuery(`Invalid query: invalid index path "${i}"`);
  return { kind: 'child', path };
}

function boundValue(index: Index, value: unknown): DbNode {
  try {
    return nodeFromJSON(value);
  } catch (error) {
    if (error instanceof InvalidDataError) throw invalidQuery(`Invalid query: bad ${index.kind} index value`);
    throw error;
  }
}

/** The query bound for (value, name); the key index orders by name alone, so `value` is the name. */
function makePost(index: Index, value: unknown, name: string): NamedEntry {
  if (index.kind === 'key') {
    if (typeof value !== 'string') throw invalidQuery('Invalid query: orderByKey bounds must be strings');
    return { name: value, nameInt: tryParseInt(value), value: EMPTY_NODE, node: EMPTY_NODE };
  }
  return { name, nameInt: tryParseInt(name), value: boundValue(index, value), node: EMPTY_NODE };
}

const MIN_POST: NamedEntry = { name: MIN_NAME, nameInt: null, value: EMPTY_NODE, node: EMPTY_NODE };
const MAX_POST: NamedEntry = { name: MAX_NAME, nameInt: null, value: MAX_VALUE, node: EMPTY_NODE };

/** True when the wire query has no start, end or limit (QueryParams.loadsAllData). */
export function queryLoadsAllData(query: QueryParams | undefined): boolean {
  return query === undefined || (query.sp === undefined && query.ep === undefined && query.l === undefined);
}

/** Parses and validates a wire query object. Throws `invalid_query`. */
export function compileQuery(query: QueryParams | undefined): CompiledQuery {
  const q: QueryParams = query ?? {};
  const index = parseIndex(q.i);
  const hasStart = q.sp !== undefined;
  const hasEnd = q.ep !== undefined;
  if (q.l !== undefined && (typeof q.l !== 'number' || !Number.isInteger(q.l) || q.l <= 0)) {
    throw invalidQuery('Invalid query: limit must be a positive integer');
  }
  if (q.sn !== undefined && typeof q.sn !== 'string') throw invalidQuery('Invalid query: sn must be a string');
  if (q.en !== undefined && typeof q.en !== 'string') throw invalidQuery('Invalid query: en must be a string');
  return {
    index,
    filters: !queryLoadsAllData(q),
    // Missing `sn` means MIN_NAME and missing `en` MAX_NAME (QueryParams.getIndexStartName/EndName).
    start: hasStart ? makePost(index, q.sp, q.sn ?? MIN_NAME) : MIN_POST,
    startInclusive: q.sin !== false,
    end: hasEnd ? makePost(index, q.ep, q.en ?? MAX_NAME) : MAX_POST,
    endInclusive: q.ein !== false,
    limit: q.l ?? null,
    // Without `vf` a limit anchors to the start if one is set (QueryParams.isViewFromLeft).
    fromLeft: q.vf === undefined ? hasStart : q.vf === 'l',
  };
}

function inRange(query: CompiledQuery, entry: NamedEntry): boolean {
  const fromStart = compareEntries(query.index, query.start, entry);
  if (query.startInclusive ? fromStart > 0 : fromStart >= 0) return false;
  const toEnd = compareEntries(query.index, entry, query.end);
  return query.endInclusive ? toEnd <= 0 : toEnd < 0;
}

/**
 * The children a query keeps, in index order, with the result node built from them. Kept by query
 * listens so that a write to one child can usually update the window without a full recompute.
 */
export interface QueryWindow {
  readonly entries: readonly NamedEntry[];
  readonly result: DbNode;
}

const EMPTY_WINDOW: QueryWindow = Object.freeze({ entries: Object.freeze([]), result: EMPTY_NODE });

function windowOf(entries: NamedEntry[]): QueryWindow {
  if (entries.length === 0) return EMPTY_WINDOW;
  const children = new Map<string, DbNode>();
  for (const entry of entries) children.set(entry.name, entry.node);
  return { entries, result: childrenNode(children) };
}

/** `a` is kept before `b` by the limit (the first `l` from the left, the last `l` from the right). */
function keptBefore(query: CompiledQuery, a: NamedEntry, b: NamedEntry): boolean {
  const order = compareEntries(query.index, a, b);
  return query.fromLeft ? order < 0 : order > 0;
}

/** The `limit` entries kept by the limit, by bounded insertion: O(n·log l) instead of a full sort. */
function selectKept(query: CompiledQuery, candidates: NamedEntry[], limit: number): NamedEntry[] {
  const best: NamedEntry[] = []; // ordered from most to least kept
  for (const entry of candidates) {
    if (best.length === limit && !keptBefore(query, entry, best[limit - 1] as NamedEntry)) continue;
    let lo = 0;
    let hi = best.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (keptBefore(query, best[mid] as NamedEntry, entry)) lo = mid + 1;
      else hi = mid;
    }
    best.splice(lo, 0, entry);
    if (best.length > limit) best.pop();
  }
  return best;
}

function sortWindow(query: CompiledQuery, entries: NamedEntry[]): NamedEntry[] {
  return entries.sort((a, b) => compareEntries(query.index, a, b));
}

/**
 * Runs a filtering query on the node at the query location. A filtering query on a leaf gives no
 * data, and its result drops the node's own priority (RangedFilter/LimitedFilter.updateFullNode);
 * children keep theirs.
 */
export function runQueryWindow(query: CompiledQuery, node: DbNode): QueryWindow {
  if (node.kind === 'leaf') return EMPTY_WINDOW;
  const candidates: NamedEntry[] = [];
  for (const [name, child] of node.children) {
    const entry = namedEntry(query.index, name, child);
    if (inRange(query, entry)) candidates.push(entry);
  }
  const limit = query.limit;
  if (limit === null || candidates.length <= limit) return windowOf(sortWindow(query, candidates));
  if (limit * 8 < candidates.length) return windowOf(sortWindow(query, selectKept(query, candidates, limit)));
  const sorted = sortWindow(query, candidates);
  return windowOf(query.fromLeft ? sorted.slice(0, limit) : sorted.slice(sorted.length - limit));
}

/**
 * Updates a window after one child `name` changed to `child` (empty = removed), when that can be
 * decided from the window alone; `undefined` means "run the query again". Returns `window` itself
 * when the result is unchanged. Children outside a full window are all kept after every member, so
 * a changed child enters by beating the last kept member, and stays if it still beats the last
 * other member; leaving a full window needs a rescan to refill it.
 */
export function updateQueryWindow(
  query: CompiledQuery,
  window: QueryWindow,
  name: string,
  child: DbNode,
): QueryWindow | undefined {
  const full = query.limit !== null && window.entries.length >= query.limit;
  const index = window.entries.findIndex((entry) => entry.name === name);
  const entry = isEmptyNode(child) ? undefined : namedEntry(query.index, name, child);
  const eligible = entry !== undefined && inRange(query, entry);
  if (index < 0) {
    if (!eligible) return window;
    if (!full) return windowOf(sortWindow(query, [...window.entries, entry]));
    const last = query.fromLeft ? window.entries[window.entries.length - 1] : window.entries[0];
    if (last === undefined || !keptBefore(query, entry, last)) return window;
    const others = window.entries.filter((e) => e !== last);
    return windowOf(sortWindow(query, [...others, entry]));
  }
  const others = window.entries.filter((_, i) => i !== index);
  if (!full) return windowOf(eligible ? sortWindow(query, [...others, entry]) : others);
  const lastOther = query.fromLeft ? others[others.length - 1] : others[0];
  if (!eligible || lastOther === undefined || !keptBefore(query, entry, lastOther)) return undefined;
  return windowOf(sortWindow(query, [...others, entry]));
}

/** Runs a compiled query; a query that loads all data returns the node as is (IndexedFilter). */
export function runQuery(query: CompiledQuery, node: DbNode): DbNode {
  return query.filters ? runQueryWindow(query, node).result : node;
}

/** Applies a wire query to the node at the query location. */
export function applyQuery(node: DbNode, query: QueryParams | undefined): DbNode {
  if (queryLoadsAllData(query)) return node;
  return runQuery(compileQuery(query), node);
}
