/**
 * REST query parameters → the wire query object (`QueryParams`, docs/wire-protocol.md §5.2), following
 * https://firebase.google.com/docs/database/rest/retrieve-data#section-rest-filtering: values are
 * JSON-encoded (`orderBy="$key"`, `startAt="a"`, `limitToFirst=2`).
 */
import type { QueryParams } from '../database/access';
import { DatabaseError } from '../errors';

const RANGE_PARAMS = ['startAt', 'startAfter', 'endAt', 'endBefore', 'equalTo'] as const;
/** docs/wire-protocol.md §5.2: the sentinel key names startAfter/endBefore use on a non-key index. */
const MAX_NAME = '[MAX_NAME]';
const MIN_NAME = '[MIN_NAME]';

function badQuery(message: string): DatabaseError {
  return new DatabaseError('invalid_query', message);
}

function parseJsonParam(name: string, raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    throw badQuery(`${name} must be a valid JSON value`);
  }
}

function parsePrimitive(name: string, raw: string): string | number | boolean | null {
  const value = parseJsonParam(name, raw);
  if (value !== null && typeof value === 'object')
    throw badQuery(`${name}: constraint index field must be a JSON primitive`);
  return value as string | number | boolean | null;
}

function parseLimit(name: string, raw: string): number {
  const value = parseJsonParam(name, raw);
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw badQuery(`${name} must be a positive integer`);
  }
  return value;
}

/** The query of a REST GET, or undefined when it has none. Throws DatabaseError('invalid_query') → 400. */
export function restQueryParams(params: URLSearchParams): QueryParams | undefined {
  const orderByRaw = params.get('orderBy');
  const hasRange = RANGE_PARAMS.some((name) => params.has(name));
  const first = params.get('limitToFirst');
  const last = params.get('limitToLast');
  if (orderByRaw === null && !hasRange && first === null && last === null) return undefined;
  // DIFFERENCE FROM PRODUCTION: production requires orderBy for every filter; the emulator also takes
  // a bare limit (ordered by priority, then key), because firebase-tools' export probes
  // `shallow=true&limitToFirst=1`.
  if (orderByRaw === null && hasRange) {
    throw badQuery('orderBy must be defined when other query parameters are defined');
  }
  const query: { -readonly [K in keyof QueryParams]: QueryParams[K] } = {};
  let keyIndex = false;
  if (orderByRaw !== null) {
    const orderBy = parseJsonParam('orderBy', orderByRaw);
    if (typeof orderBy !== 'string' || orderBy === '') throw badQuery('orderBy must be a valid JSON encoded path');
    if (orderBy === '$key') {
      query.i = '.key';
      keyIndex = true;
    } else if (orderBy === '$value') query.i = '.value';
    else if (orderBy !== '$priority') query.i = orderBy;
  }
  const equalTo = params.get('equalTo');
  if (equalTo !== null) {
    if (params.has('startAt') || params.has('startAfter') || params.has('endAt') || params.has('endBefore')) {
      throw badQuery('equalTo cannot be combined with startAt, startAfter, endAt or endBefore');
    }
    const value = parsePrimitive('equalTo', equalTo);
    Object.assign(query, { sp: value, sin: true, ep: value, ein: true });
  }
  const startAt = params.get('startAt');
  const startAfter = params.get('startAfter');
  if (startAt !== null && startAfter !== null) throw badQuery('startAt and startAfter cannot both be specified');
  if (startAt !== null) Object.assign(query, { sp: parsePrimitive('startAt', startAt), sin: true });
  if (startAfter !== null) {
    Object.assign(query, { sp: parsePrimitive('startAfter', startAfter), sin: false });
    if (!keyIndex) query.sn = MAX_NAME;
  }
  const endAt = params.get('endAt');
  const endBefore = params.get('endBefore');
  if (endAt !== null && endBefore !== null) throw badQuery('endAt and endBefore cannot both be specified');
  if (endAt !== null) Object.assign(query, { ep: parsePrimitive('endAt', endAt), ein: true });
  if (endBefore !== null) {
    Object.assign(query, { ep: parsePrimitive('endBefore', endBefore), ein: false });
    if (!keyIndex) query.en = MIN_NAME;
  }
  if (first !== null && last !== null) throw badQuery('limitToFirst and limitToLast cannot both be specified');
  if (first !== null) Object.assign(query, { l: parseLimit('limitToFirst', first), vf: 'l' });
  if (last !== null) Object.assign(query, { l: parseLimit('limitToLast', last), vf: 'r' });
  return query;
}

/** The children of an object truncated to `true`; primitives are returned as they are (`shallow=true`). */
export function shallowValue(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  const record = value as Record<string, unknown>;
  if ('.value' in record) return record['.value'];
  const out: Record<string, true> = {};
  for (const key of Object.keys(record)) {
    if (key !== '.priority') out[key] = true;
  }
  return out;
}

/**
 * Export format → plain JSON (`format=export` keeps priorities; without it the REST API returns plain
 * values): `.priority` dropped, `{".value": v}` unwrapped.
 */
export function plainValue(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  const record = value as Record<string, unknown>;
  if ('.value' in record) return record['.value'];
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(record)) {
    if (key !== '.priority') out[key] = plainValue(child);
  }
  return out;
}
