import type { Database } from 'firebase-admin/database';
import { limitPath } from '../core/contract';
import { deviceLimitFor } from '../core/limit-policy';
import { deviceLimitConfig } from '../params';

/** The raw `/limits/{uid}` value: an admin's override when it is a number (docs/protocol.md §11.1). */
export async function readLimitOverride(db: Database, uid: string): Promise<unknown> {
  return (await db.ref(limitPath(uid, deviceLimitConfig.paths)).get()).val() as unknown;
}

/**
 * The limit in force for `uid` as a caller with plan limit `planLimit` (its token's claim; null: none)
 * sees it: `/limits/{uid}` when it is a number, else the plan limit, else the default (docs/protocol.md §11.1).
 */
export async function readDeviceLimit(db: Database, uid: string, planLimit: number | null = null): Promise<number> {
  return deviceLimitFor(await readLimitOverride(db, uid), planLimit, deviceLimitConfig.defaultLimit);
}
