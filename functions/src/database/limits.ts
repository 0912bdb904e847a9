import type { Database } from 'firebase-admin/database';
import { limitPath } from '../core/contract';
import { effectiveDeviceLimit } from '../core/limit-policy';

/** The limit in force for `uid`: `/limits/{uid}` when it is a number, else the default. */
export async function readDeviceLimit(db: Database, uid: string): Promise<number> {
  const snapshot = await db.ref(limitPath(uid)).get();
  return effectiveDeviceLimit(snapshot.val());
}
