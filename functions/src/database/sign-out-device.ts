/**
 * Sign out one of the caller's devices (docs/protocol.md §5.2) as one transaction on
 * `/presence/{uid}`.
 */
import type { Database } from 'firebase-admin/database';
import { auditEvent } from '../core/audit';
import { SERVER_TIMESTAMP, presencePath } from '../core/contract';
import { PresenceError } from '../core/errors';
import { planSignOutDevice } from '../core/sign-out-plan';
import { appendAuditEvents } from './audit-trail';
import { transactPlan, type ServedHere } from './transaction';
import { deviceLimitConfig } from '../params';

/** `servedHere`: during a shard migration, the check that `db` still holds the user (transaction.ts). */
export async function signOutUserDevice(
  db: Database,
  uid: string,
  deviceId: string,
  servedHere?: ServedHere,
): Promise<void> {
  const now = Date.now();
  const outcome = await transactPlan(
    db.ref(presencePath(uid, deviceLimitConfig.paths)),
    (current) => planSignOutDevice(current, { deviceId, stamp: SERVER_TIMESTAMP, now }),
    (plan) => (plan.kind === 'applied' ? plan.next : undefined),
    servedHere,
  );
  if (outcome.plan.kind === 'not-found') {
    throw new PresenceError('not-found', `No device ${deviceId} holds a slot on this account.`);
  }
  await appendAuditEvents(db, uid, [auditEvent('evicted', deviceId, SERVER_TIMESTAMP, 'signed-out')]);
}
