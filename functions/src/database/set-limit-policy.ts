/**
 * docs/protocol.md §11.2: an admin chooses, per user, what a claim on a full account does —
 * `evict-least-recent` (the claim replaces the device active least recently) or `refuse` (docs/protocol.md §4.2) — at
 * `/presence/{uid}/policy`, which only the server writes and every device of the user already listens
 * to. null removes it: the app's own choice (the client option `policy`) applies again.
 */
import { isLimitPolicy, type LimitPolicy } from '@device-limit/contract';
import type { Database } from 'firebase-admin/database';
import { presencePath } from '../core/contract';
import { PresenceError } from '../core/errors';
import { deviceLimitConfig } from '../params';

export async function setLimitPolicy(db: Database, uid: string, policy: LimitPolicy | null): Promise<void> {
  if (policy !== null && !isLimitPolicy(policy)) {
    throw new PresenceError('invalid-argument', "policy must be 'refuse', 'evict-least-recent' or null.");
  }
  // A plain write, not a transaction: no other field depends on it, and the rules let no client write it.
  await db.ref(`${presencePath(uid, deviceLimitConfig.paths)}/policy`).set(policy);
}
