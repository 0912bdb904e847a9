/**
 * Sweep (docs/protocol.md §5.3): find the users none of whose devices claimed or renewed a lease for
 * `staleAfterMs`, and run the repair on each with the stale entries removed (reason `swept`). Users
 * are found with `orderByChild('lastActive').endAt(cutoff)` on `/presence` (the rules'
 * `.indexOn: ["lastActive"]`), paged with a `startAfter(value, key)` cursor, so the cost grows with
 * the number of users who went quiet, not with the number of users. Each visit either removes
 * `lastActive` (no entry left) or raises it past the cut-off (see `sweptLastActive` in
 * core/repair-plan.ts), so a user is not found again until it goes quiet again.
 *
 * Exported as a plain function so the local stack (and tests) can run a sweep with their own clock;
 * the scheduled function `sweepStalePresence` calls it with `Date.now()`.
 */
import type { Database } from 'firebase-admin/database';
import { LAST_ACTIVE_KEY } from '../core/contract';
import { mapWithConcurrency } from '../core/concurrency';
import {
  LAST_ACTIVE_QUERY_START,
  selectSweepCandidates,
  staleCutoff,
  type SweepCandidate,
  type SweepOptions,
} from '../core/sweep-selection';
import { repairUserPresence } from './repair';
import { deviceLimitConfig } from '../params';

export interface SweepStaleSlotsOptions extends SweepOptions {
  /** Stop after visiting this many users in one run (the next run continues). Default 1000. */
  readonly maxUsers?: number;
  /** Users read per query page. Default 100. */
  readonly pageSize?: number;
  /** Users swept in parallel. Default 10. */
  readonly concurrency?: number;
}

export interface SweepResult {
  readonly cutoff: number;
  /** Users the query returned and this run ran a transaction on: the run's cost. */
  readonly usersVisited: number;
  readonly entriesSwept: number;
  /** Users whose presence this sweep rewrote (entries removed, count, notices or lastActive fixed). */
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
  let cursor: SweepCandidate | undefined;

  for (;;) {
    if (visited.size >= maxUsers) {
      truncated = true;
      break;
    }
    // DEVICE_LIMIT_PRESENCE_PATH: where the rules put the `.indexOn` this query needs.
    const ordered = db.ref(deviceLimitConfig.paths.presence).orderByChild(LAST_ACTIVE_KEY);
    const started = cursor
      ? ordered.startAfter(cursor.lastActive, cursor.uid)
      : ordered.startAt(LAST_ACTIVE_QUERY_START);
    const take = Math.min(pageSize, maxUsers - visited.size);
    const page = (await started.endAt(cutoff).limitToFirst(take).get()).val() as Record<string, unknown> | null;
    const candidates = selectSweepCandidates(page, cutoff, visited);
    const last = candidates[candidates.length - 1];
    if (last === undefined) break;
    cursor = last;
    const uids = candidates.map((candidate) => candidate.uid);
    for (const uid of uids) visited.add(uid);

    const results = await mapWithConcurrency(uids, concurrency, (uid) =>
      repairUserPresence(db, uid, { now: options.now, staleBefore: cutoff }),
    );
    for (const result of results) {
      entriesSwept += result.removed.filter((removal) => removal.reason === 'swept').length;
      if (result.changed) usersChanged += 1;
    }
    if (Object.keys(page ?? {}).length < take) break;
  }
  return { cutoff, usersVisited: visited.size, entriesSwept, usersChanged, truncated };
}
