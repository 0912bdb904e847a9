/**
 * The repair (docs/protocol.md §5.4): make `/presence/{uid}` satisfy `count == entries <= limit`
 * again, in a transaction so it composes with concurrent client claims and releases and with
 * overlapping invocations of itself. The sweep (docs/protocol.md §5.3), `setDeviceLimit` and `enforceDeviceLimit`
 * (docs/protocol.md §5.5) run the same code with their own options.
 */
import type { Database } from 'firebase-admin/database';
import { auditEventsForRemovals } from '../core/audit';
import { SERVER_TIMESTAMP, presencePath } from '../core/contract';
import { planRepair, type RepairOptions, type Removal } from '../core/repair-plan';
import { appendAuditEvents } from './audit-trail';
import { readLimitOverride } from './limits';
import { transactPlan, type ServedHere } from './transaction';
import { deviceLimitConfig } from '../params';

export interface RepairUserOptions {
  /** Server time in ms (default `Date.now()`), for the notice TTL. */
  readonly now?: number;
  /**
   * The limit to enforce. Default: docs/protocol.md §11.1 — `/limits/{uid}` when it is a number, else
   * `planLimit` when given, else the server's copy `/presence/{uid}/planLimit`, else the default.
   */
  readonly limit?: number;
  /**
   * The plan limit the caller knows (its ID token's `deviceLimit` claim, null when it carries none;
   * or a billing backend's): it decides the limit and is recorded as the server's copy (docs/protocol.md §11.1).
   */
  readonly planLimit?: number | null;
  readonly overLimitReason?: RepairOptions['overLimitReason'];
  /** Sweep: remove entries with `lastSeen` below this (see `planRepair`). */
  readonly staleBefore?: number;
  /** docs/protocol.md §11.3 `setClassLimits`: the per-class limits to write in the same transaction (null: remove). */
  readonly classLimits?: RepairOptions['classLimits'];
  /** During a shard migration, the check that `db` still holds the user (transaction.ts). */
  readonly servedHere?: ServedHere;
}

export interface RepairResult {
  readonly uid: string;
  /** Whether this call wrote `/presence/{uid}` (false: the transaction aborted, nothing was wrong). */
  readonly changed: boolean;
  readonly removed: readonly Removal[];
  readonly countBefore: unknown;
  readonly countAfter: number;
  /** The limit the repair enforced. */
  readonly limit: number;
}

export async function repairUserPresence(
  db: Database,
  uid: string,
  options: RepairUserOptions = {},
): Promise<RepairResult> {
  const limit: RepairOptions['limit'] = options.limit ?? {
    override: await readLimitOverride(db, uid),
    defaultLimit: deviceLimitConfig.defaultLimit,
    ...(options.planLimit !== undefined ? { planLimit: options.planLimit } : {}),
  };
  const planOptions: RepairOptions = {
    limit,
    ...(options.planLimit !== undefined ? { recordPlanLimit: options.planLimit } : {}),
    ...(options.classLimits !== undefined ? { classLimits: options.classLimits } : {}),
    now: options.now ?? Date.now(),
    stamp: SERVER_TIMESTAMP,
    overLimitReason: options.overLimitReason,
    staleBefore: options.staleBefore,
  };
  const outcome = await transactPlan(
    db.ref(presencePath(uid, deviceLimitConfig.paths)),
    (current) => planRepair(current, planOptions),
    (candidate) => (candidate.changed ? candidate.next : undefined),
    options.servedHere,
  );
  const plan = outcome.plan;
  // Only the call whose transaction committed the removals records them, so overlapping repairs
  // record each eviction once (docs/protocol.md §6: the server writes `evicted` and `swept` events).
  const removed = outcome.committed ? plan.removed : [];
  await appendAuditEvents(db, uid, auditEventsForRemovals(removed, SERVER_TIMESTAMP));
  return {
    uid,
    changed: outcome.committed && plan.changed,
    removed,
    countBefore: plan.countBefore,
    countAfter: plan.countAfter,
    limit: plan.limit,
  };
}
