/**
 * Force login (docs/protocol.md §5.1) as one transaction on `/presence/{uid}`.
 */
import type { DeviceClass } from '@device-limit/contract';
import type { Database } from 'firebase-admin/database';
import { auditEvent, type AuditEvent } from '../core/audit';
import { SERVER_TIMESTAMP, presencePath } from '../core/contract';
import { PresenceError } from '../core/errors';
import { planForceLogin } from '../core/force-login-plan';
import { appendAuditEvents } from './audit-trail';
import { limitIn } from '../core/repair-plan';
import { readLimitOverride } from './limits';
import { transactPlan, type ServedHere } from './transaction';
import { deviceLimitConfig } from '../params';

export interface ForceLoginRequest {
  readonly uid: string;
  /** The caller's ID token `auth_time` (seconds). */
  readonly authTime: number;
  readonly deviceId: string;
  /** One of the configured platforms (`DEVICE_LIMIT_PLATFORMS`). */
  readonly platform: string;
  readonly label: string;
  /** The caller's plan limit, its ID token's `deviceLimit` claim (null: none; docs/protocol.md §11.1). */
  readonly planLimit?: number | null;
  /** The class the caller's device declares (docs/protocol.md §11.3), checked by the callable. */
  readonly deviceClass?: DeviceClass;
}

export interface ForceLoginResult {
  /** The new `/presence/{uid}/generation`. */
  readonly generation: number;
  /** The `notBefore` now in force (seconds). */
  readonly notBefore: number;
  /** The devices that lost their slot. */
  readonly evicted: readonly string[];
}

/** `servedHere`: during a shard migration, the check that `db` still holds the user (transaction.ts). */
export async function forceLoginDevice(
  db: Database,
  request: ForceLoginRequest,
  servedHere?: ServedHere,
): Promise<ForceLoginResult> {
  // docs/protocol.md §11.1: the override, else the caller's plan (or, without one given, the server's copy), else the default.
  const sources = {
    override: await readLimitOverride(db, request.uid),
    defaultLimit: deviceLimitConfig.defaultLimit,
    ...(request.planLimit !== undefined ? { planLimit: request.planLimit } : {}),
  };
  const outcome = await transactPlan(
    db.ref(presencePath(request.uid, deviceLimitConfig.paths)),
    (current) =>
      planForceLogin(current, {
        ...request,
        limit: limitIn(current, { limit: sources }),
        stamp: SERVER_TIMESTAMP,
        now: Date.now(),
      }),
    (plan) => (plan.kind === 'applied' ? plan.next : undefined),
    servedHere,
  );
  const plan = outcome.plan;
  if (plan.kind === 'session-cut-off') {
    await appendAuditEvents(db, request.uid, [
      auditEvent('denied', request.deviceId, SERVER_TIMESTAMP, 'session-cut-off'),
    ]);
    throw new PresenceError(
      'permission-denied',
      'This session signed in before the last force login on this account; sign in again first.',
    );
  }
  if (plan.kind === 'limit-zero') {
    await appendAuditEvents(db, request.uid, [auditEvent('denied', request.deviceId, SERVER_TIMESTAMP, 'limit-zero')]);
    throw new PresenceError('failed-precondition', 'This account may not use any device (its device limit is 0).');
  }
  // docs/protocol.md §5.1, §6: the server records the evictions it made, with their reason.
  const events: AuditEvent[] = plan.evicted.map((deviceId) =>
    auditEvent('evicted', deviceId, SERVER_TIMESTAMP, 'force-login'),
  );
  await appendAuditEvents(db, request.uid, events);
  return { generation: plan.generation, notBefore: plan.next.notBefore as number, evicted: plan.evicted };
}
