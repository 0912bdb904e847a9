/**
 * Sweep selection (docs/protocol.md §5.3): which users to visit, found through the indexed
 * `/presenceIndex/{uid}` (the oldest `lastSeen` of the user's entries), so a sweep reads only users
 * holding stale entries instead of every user.
 */
import { isJsonObject } from './presence';

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
 * The uids of one page of `orderByValue().endAt(cutoff)` on `/presenceIndex` that have not been
 * visited in this run yet, in query order (oldest first). Non-numeric values are skipped: the
 * server only writes numbers there, and such a row is repaired when its user is next reconciled.
 */
export function selectSweepCandidates(page: unknown, cutoff: number, visited: ReadonlySet<string>): string[] {
  if (!isJsonObject(page)) return [];
  return (
    Object.entries(page)
      .filter(([uid, oldest]) => typeof oldest === 'number' && oldest <= cutoff && !visited.has(uid))
      // The query's own order: by value, equal values by key (what a startAfter cursor continues from).
      .sort(([uidA, a], [uidB, b]) => (a as number) - (b as number) || (uidA < uidB ? -1 : uidA > uidB ? 1 : 0))
      .map(([uid]) => uid)
  );
}
