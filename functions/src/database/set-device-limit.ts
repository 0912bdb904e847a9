/**
 * Set a user's limit (docs/protocol.md §5.5): write `/limits/{uid}`, then run the repair with reason
 * `limit-lowered`, which evicts the most recently claimed extras when the new limit is below the
 * current count. The two steps are not one atomic write (they are different locations); between
 * them the rules already refuse new claims (`count` is at or above the new limit). The write also
 * fires `enforceDeviceLimit`, which runs the same transaction: it finds nothing left to change when
 * this call got there first (the transaction aborts, so nothing loops), and does the eviction
 * itself if this call failed after the first step.
 */
import type { Database } from 'firebase-admin/database';
import { limitPath } from '../core/contract';
import { MAX_DEVICE_LIMIT, MIN_DEVICE_LIMIT } from '../core/contract';
import { PresenceError } from '../core/errors';
import { effectiveDeviceLimit, isValidDeviceLimit } from '../core/limit-policy';
import { repairUserPresence, type RepairResult } from './repair';
import type { ServedHere } from './transaction';
import { deviceLimitConfig } from '../params';

export interface SetDeviceLimitResult {
  /** The limit now in force (the default when `limit` was null). */
  readonly limit: number;
  /** The devices evicted because the limit went below the count. */
  readonly evicted: readonly string[];
}

/** `servedHere`: during a shard migration, the check that `db` still holds the user (transaction.ts). */
export async function applyDeviceLimit(
  db: Database,
  uid: string,
  limit: number | null,
  servedHere?: ServedHere,
): Promise<SetDeviceLimitResult> {
  await db.ref(limitPath(uid, deviceLimitConfig.paths)).set(limit);
  // Back to null: the plan limit (the server's copy, §11.1) or the default applies again, so the
  // repair reads the precedence itself instead of taking the default.
  const result = await repairUserPresence(db, uid, {
    ...(limit === null ? {} : { limit: effectiveDeviceLimit(limit) }),
    overLimitReason: 'limit-lowered',
    ...(servedHere === undefined ? {} : { servedHere }),
  });
  return { limit: result.limit, evicted: result.removed.map((removal) => removal.deviceId) };
}

/**
 * docs/protocol.md §11.1: a billing backend changed the user's plan (`setCustomUserClaims(uid,
 * { deviceLimit })`, null when the claim was removed) and tells the server at once, instead of waiting
 * for the user's devices to carry the new token: the server's copy `planLimit` is set and, when the
 * limit in force went below the count, the most recently claimed extras are evicted with reason
 * `limit-lowered`, in one transaction. An admin override `/limits/{uid}` still takes precedence.
 */
export async function applyPlanLimit(
  db: Database,
  uid: string,
  planLimit: number | null,
): Promise<SetDeviceLimitResult> {
  if (planLimit !== null && !isValidDeviceLimit(planLimit)) {
    throw new PresenceError(
      'invalid-argument',
      `planLimit must be an integer from ${MIN_DEVICE_LIMIT} to ${MAX_DEVICE_LIMIT}, or null when the plan sets none.`,
    );
  }
  const result = await repairUserPresence(db, uid, { planLimit, overLimitReason: 'limit-lowered' });
  return { limit: result.limit, evicted: result.removed.map((removal) => removal.deviceId) };
}

/**
 * `enforceDeviceLimit` (docs/protocol.md §5.5): an admin wrote `/limits/{uid}` (console, Admin SDK, or
 * `setDeviceLimit`). The limit is read when the transaction is planned, not taken from the event,
 * so an event delivered late or twice never enforces a limit that has since been replaced.
 */
export async function enforceDeviceLimitFor(db: Database, uid: string): Promise<RepairResult> {
  return repairUserPresence(db, uid, { overLimitReason: 'limit-lowered' });
}
