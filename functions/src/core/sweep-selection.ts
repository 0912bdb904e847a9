/**
 * Sweep selection (docs/protocol.md §5.3): which users to visit. The sweep queries `/presence` with
 * `orderByChild('lastActive').endAt(cutoff)` (indexed by the rules' `.indexOn: ["lastActive"]`), so
 * one run reads only the users none of whose devices claimed or renewed a lease for STALE_AFTER_MS,
 * not every user.
 */
import { isJsonObject, lastActiveOf } from './presence';

export interface SweepOptions {
  /** Server time in ms. */
  readonly now: number;
  /** Entries with `lastSeen < now - staleAfterMs` are stale. */
  readonly staleAfterMs: number;
}

/** The cut-off: `lastSeen` strictly below it is stale. */
export function staleCutoff({ now, staleAfterMs }: SweepOptions): number {
  if (!Number.isFinite(now) || !Number.isFinite(staleAfterMs) || staleAfterMs <= 0) {
    throw new RangeError(`sweep needs a finite now and a positive staleAfterMs (got ${now}, ${staleAfterMs}).`);
  }
  return now - staleAfterMs;
}

/**
 * The query's first start bound. `orderByChild` sorts children WITHOUT the child first (null before
 * every number: https://firebase.google.com/docs/database/web/lists-of-data#data-order), so a bare
 * `endAt(cutoff)` would also return every user whose `lastActive` the sweep removed — each run would
 * visit all users who ever left. Starting at the lowest number leaves them out.
 */
export const LAST_ACTIVE_QUERY_START = -Number.MAX_VALUE;

/** A user found by one page of the query, with the position the next page continues after. */
export interface SweepCandidate {
  readonly uid: string;
  readonly lastActive: number;
}

/**
 * The users of one page of `orderByChild('lastActive')…endAt(cutoff)` on `/presence` that have not
 * been visited in this run yet, in query order (by `lastActive`, then by key: what a
 * `startAfter(value, key)` cursor continues from). Rows without a numeric `lastActive` at or below
 * the cut-off are skipped (the query already excludes them; this keeps the selection exact).
 */
export function selectSweepCandidates(page: unknown, cutoff: number, visited: ReadonlySet<string>): SweepCandidate[] {
  if (!isJsonObject(page)) return [];
  const candidates: SweepCandidate[] = [];
  for (const [uid, presence] of Object.entries(page)) {
    const lastActive = lastActiveOf(presence);
    if (lastActive !== undefined && lastActive <= cutoff && !visited.has(uid)) candidates.push({ uid, lastActive });
  }
  return candidates.sort((a, b) => a.lastActive - b.lastActive || (a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0));
}
