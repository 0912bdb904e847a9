/**
 * Keeping `/presenceIndex/{uid}` = the oldest `lastSeen` of the user's entries (docs/protocol.md
 * §5.3), the indexed value the sweep queries so that it only reads users holding stale entries.
 *
 * The index lives outside `/presence/{uid}`, so it cannot be written in the presence transaction,
 * and overlapping invocations may write it in any order. Each writer therefore re-reads the presence
 * after its write and writes again until what it wrote matches what it reads: the last index write
 * is always followed by a check against the presence as it is at that moment, and any later change
 * of the presence fires the reconcile again.
 */
import type { Database } from 'firebase-admin/database';
import { presenceIndexPath, presencePath } from '../core/contract';
import { oldestLastSeen } from '../core/presence';

/** Enough for a few interleaved writers; each pass costs one write and one read. */
const MAX_INDEX_PASSES = 5;

export interface IndexSyncResult {
  readonly oldestLastSeen: number | null;
  /** False if the presence kept moving for MAX_INDEX_PASSES: a later trigger finishes the job. */
  readonly settled: boolean;
}

export async function syncPresenceIndex(db: Database, uid: string, known?: unknown): Promise<IndexSyncResult> {
  const presenceRef = db.ref(presencePath(uid));
  const indexRef = db.ref(presenceIndexPath(uid));
  let value = known === undefined ? (await presenceRef.get()).val() : known;
  for (let pass = 0; pass < MAX_INDEX_PASSES; pass++) {
    const oldest = oldestLastSeen(value);
    await indexRef.set(oldest);
    value = (await presenceRef.get()).val();
    if (oldestLastSeen(value) === oldest) return { oldestLastSeen: oldest, settled: true };
  }
  return { oldestLastSeen: oldestLastSeen(value), settled: false };
}
