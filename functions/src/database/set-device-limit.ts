/**
 * Set a user's limit (docs/protocol.md §5.5): write `/limits/{uid}`, then run the reconcile with
 * reason `limit-lowered`, which evicts the most recently claimed extras when the new limit is below
 * the current count. The two steps are not one atomic write (they are different locations); between
 * them the rules already refuse new claims (`count` is at or above the new limit), and the
 * reconcile trigger would evict the extras on the next presence write even if this call failed
 * after the first step.
 */
import type { Database } from 'firebase-admin/database';
import { limitPath } from '../core/contract';
import { effectiveDeviceLimit } from '../core/limit-policy';
import { reconcileUserPresence } from './reconcile';

export interface SetDeviceLimitResult {
  /** The limit now in force (the default when `limit` was null). */
  readonly limit: number;
  /** The devices evicted because the limit went below the count. */
  readonly evicted: readonly string[];
}

export async function applyDeviceLimit(db: Database, uid: string, limit: number | null): Promise<SetDeviceLimitResult> {
  await db.ref(limitPath(uid)).set(limit);
  const effective = effectiveDeviceLimit(limit);
  const result = await reconcileUserPresence(db, uid, { limit: effective, overLimitReason: 'limit-lowered' });
  return { limit: effective, evicted: result.removed.map((removal) => removal.deviceId) };
}
