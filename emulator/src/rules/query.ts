/**
 * The `query` rule variable, derived from the wire query object (`q`, docs/wire-protocol.md §5.2;
 * `queryParamsGetQueryObject` in the SDK). Values per the live-server fixtures recorded by
 * targaryen: every `orderBy*` is a boolean and never null; a read with no query reports
 * `orderByKey == true`; missing bounds and limits are null.
 */
import type { QueryParams } from '../database/access';
import type { QueryVariable } from './runtime';

export const NO_QUERY: QueryVariable = Object.freeze({
  orderByKey: true,
  orderByPriority: false,
  orderByValue: false,
  orderByChild: null,
  startAt: null,
  endAt: null,
  equalTo: null,
  limitToFirst: null,
  limitToLast: null,
});

export function queryVariable(params: QueryParams | undefined): QueryVariable {
  if (params === undefined || Object.keys(params).length === 0) return NO_QUERY;
  const index = params.i;
  const hasStart = 'sp' in params;
  const hasEnd = 'ep' in params;
  const startAt = hasStart ? (params.sp ?? null) : null;
  const endAt = hasEnd ? (params.ep ?? null) : null;
  // equalTo(v[, key]) is sent as an inclusive start and end at the same value and key.
  const isEqualTo =
    hasStart && hasEnd && startAt === endAt && params.sn === params.en && params.sin !== false && params.ein !== false;
  const limit = typeof params.l === 'number' ? params.l : null;
  return {
    orderByKey: index === '.key',
    orderByValue: index === '.value',
    // An absent index is the priority index (the client's default ordering).
    orderByPriority: index === undefined,
    orderByChild: index !== undefined && index !== '.key' && index !== '.value' && index !== '.priority' ? index : null,
    startAt,
    endAt,
    equalTo: isEqualTo ? startAt : null,
    limitToFirst: limit !== null && params.vf !== 'r' ? limit : null,
    limitToLast: limit !== null && params.vf === 'r' ? limit : null,
  };
}

/** The child path of an `orderByChild` query, which needs an `.indexOn` to be served by the server. */
export function orderByChildPath(params: QueryParams | undefined): string | null {
  const index = params?.i;
  if (index === undefined || index === '.key' || index === '.value' || index === '.priority') return null;
  return index;
}
