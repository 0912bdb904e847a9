/**
 * Sweep stale slots (docs/protocol.md §5.3): remove entries whose `lastSeen` is older than the
 * threshold — the slots of devices whose onDisconnect release never ran (a server restart, a lost
 * registration) — and fix the counts. Users are found with an indexed range query on
 * `/presenceIndex` (`orderByValue().endAt(cutoff)`, paged with a `startAfter(value, key)` cursor),
 * so the cost grows with the number of users holding stale entries, not with the number of users.
 *
 * Exported as a plain function so the local stack (and tests) can run a sweep with their own clock;
 * the scheduled function `sweepStalePresence` calls it with `Date.now()`.
 */
import type { Database } from 'firebase-admin/database';
import { PRESENCE_INDEX_ROOT } from '../core/contract';
import { mapWithConcurrency } from '../core/concurrency';
import { selectSweepCandidates, staleCutoff, type SweepOptions } from '../core/sweep-selection';
import { reconcileUserPresence } from './reconcile';

export interface SweepStaleSlotsOptions extends SweepOptions {
  /** Stop after visiting this many users in one run (the next run continues). Default 1000. */
  readonly maxUsers?: number;
  /** Users read per index query. Default 100. */
  readonly pageSize?: number;
  /** Users swept in parallel. Default 10. */
  readonly concurrency?: number;
}

export interface SweepResult {
  readonly cutoff: number;
  readonly usersVisited: number;
  readonly entriesSwept: number;
  /** Users whose presence this sweep rewrote (stale entries removed, count or notices fixed). */
  readonly usersChanged: number;
  /** True if the run stopped at `maxUsers` with more candidates possibly left. */
  readonly truncated: boolean;
}

export async function sweepStaleSlots(db: Database, options: SweepStaleSlotsOptions): Promise<SweepResult> {
  const cutoff = staleCutoff(options);
  const maxUsers = options.maxUsers ?? 1000;
  const pageSize = options.pageSize ?? 100;
  const concurrency = options.concurrency ?? 10;
  const visited = new Set<string>();
  let entriesSwept = 0;
  let usersChanged = 0;
  let truncated = false;
  let cursor: { value: number; key: string } | undefined;

  for (;;) {
    if (visited.size >= maxUsers) {
      truncated = true;
      break;
    }
    let query = db.ref(PRESENCE_INDEX_ROOT).orderByValue();
    if (cursor) query = query.startAfter(cursor.value, cursor.key);
    const take = Math.min(pageSize, maxUsers - visited.size);
    const page = (await query.endAt(cutoff).limitToFirst(take).get()).val() as Record<string, unknown> | null;
    const uids = selectSweepCandidates(page, cutoff, visited);
    if (uids.length === 0) break;
    const last = uids[uids.length - 1] as string;
    cursor = { value: (page as Record<string, number>)[last] as number, key: last };
    for (const uid of uids) visited.add(uid);

    const results = await mapWithConcurrency(uids, concurrency, (uid) =>
      reconcileUserPresence(db, uid, { now: options.now, staleBefore: cutoff }),
    );
    for (const result of results) {
      entriesSwept += result.removed.filter((removal) => removal.reason === 'swept').length;
      if (result.changed) usersChanged += 1;
    }
    if (Object.keys(page ?? {}).length < take) break;
  }
  return { cutoff, usersVisited: visited.size, entriesSwept, usersChanged, truncated };
}
