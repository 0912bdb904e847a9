/**
 * The reconcile (docs/protocol.md §5.4): make `/presence/{uid}` satisfy `count == entries <= limit`
 * again, in a transaction so it composes with concurrent client claims and releases and with
 * overlapping invocations of itself. The sweep (§5.3) and `setDeviceLimit` (§5.5) run the same code
 * with their own options.
 */
import type { Database } from 'firebase-admin/database';
import { auditEventsForRemovals, auditEventsFromWrite, type AuditEvent } from '../core/audit';
import { SERVER_TIMESTAMP, presencePath } from '../core/contract';
import { oldestLastSeen } from '../core/presence';
import { planReconcile, type PresencePlan, type ReconcileOptions, type Removal } from '../core/reconcile-plan';
import { appendAuditEvents } from './audit-trail';
import { readDeviceLimit } from './limits';
import { syncPresenceIndex } from './presence-index';
import { transactPlan } from './transaction';

/** The before/after values of the write that triggered the reconcile. */
export interface PresenceChange {
  readonly before: unknown;
  readonly after: unknown;
}

export interface ReconcileUserOptions {
  /** The triggering write, if any: its audit events, and a fast path when it left nothing to fix. */
  readonly change?: PresenceChange;
  /** Server time in ms (default `Date.now()`). */
  readonly now?: number;
  /** The limit to enforce (default: read `/limits/{uid}`). */
  readonly limit?: number;
  readonly overLimitReason?: ReconcileOptions['overLimitReason'];
  /** Sweep: remove entries with `lastSeen` below this. */
  readonly staleBefore?: number;
}

export interface ReconcileResult {
  readonly uid: string;
  /** Whether this call wrote `/presence/{uid}`. */
  readonly changed: boolean;
  readonly removed: readonly Removal[];
  readonly countBefore: unknown;
  readonly countAfter: number;
  /** The index value written, or undefined when the write could not have moved it. */
  readonly oldestLastSeen: number | null | undefined;
}

export async function reconcileUserPresence(
  db: Database,
  uid: string,
  options: ReconcileUserOptions = {},
): Promise<ReconcileResult> {
  const limit = options.limit ?? (await readDeviceLimit(db, uid));
  const planOptions: ReconcileOptions = {
    limit,
    now: options.now ?? Date.now(),
    stamp: SERVER_TIMESTAMP,
    overLimitReason: options.overLimitReason,
    staleBefore: options.staleBefore,
    opNamesRemoval: options.staleBefore !== undefined,
  };

  // Fast path: every write fires its own event with the value right after it, so when that value
  // already satisfies the invariants this write broke nothing and no transaction is needed. A later
  // write that breaks something fires its own event.
  const change = options.change;
  const planForEvent = change ? planReconcile(change.after, planOptions) : undefined;
  let plan: PresencePlan;
  let value: unknown;
  if (change && planForEvent && !planForEvent.changed) {
    plan = planForEvent;
    value = change.after;
  } else {
    const outcome = await transactPlan(
      db.ref(presencePath(uid)),
      (current) => planReconcile(current, planOptions),
      (candidate) => (candidate.changed ? candidate.next : undefined),
    );
    plan = outcome.plan;
    value = outcome.value;
  }

  const events: AuditEvent[] = [
    ...(change ? auditEventsFromWrite(change.before, change.after, SERVER_TIMESTAMP) : []),
    ...auditEventsForRemovals(plan.removed, SERVER_TIMESTAMP),
  ];
  await appendAuditEvents(db, uid, events);

  const indexMayHaveMoved = !change || plan.changed || oldestLastSeen(change.before) !== oldestLastSeen(change.after);
  const index = indexMayHaveMoved ? await syncPresenceIndex(db, uid, value) : undefined;

  return {
    uid,
    changed: plan.changed,
    removed: plan.removed,
    countBefore: plan.countBefore,
    countAfter: plan.countAfter,
    oldestLastSeen: index?.oldestLastSeen,
  };
}
