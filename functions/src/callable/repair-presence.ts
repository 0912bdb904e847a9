/**
 * Callable `repairPresence({ uid? })` (docs/protocol.md §5.4): put `count == entries <= limit` right
 * again for the caller's own uid, or for any uid when the caller is an admin (custom claim
 * `admin: true`). Drift cannot come from a client write (the rules keep docs/protocol.md §1 on every one); the client
 * module calls this when a drifted `count` blocks a claim. Answers `{ uid, changed, count, evicted }`.
 * It acts on the instance that holds the target's presence (docs/protocol.md §10, §10.3 in a migration).
 */
import { onCall } from 'firebase-functions/v2/https';
import { parseRepairPresenceData, repairTarget, requireCaller } from '../core/validation';
import { onPresenceInstance } from '../database/instances';
import { repairUserPresence } from '../database/repair';
import { withHttpsErrors } from './errors';

export interface RepairPresenceResult {
  readonly uid: string;
  /** False when nothing needed repairing (the transaction aborted, nothing was written). */
  readonly changed: boolean;
  /** `count` after the repair: the number of entries. */
  readonly count: number;
  /**
   * The devices evicted because more entries than the limit held slots (reason `over-limit`, or
   * `limit-lowered` when the caller's plan limit is below the server's copy of it, §11.1).
   */
  readonly evicted: readonly string[];
}

export const repairPresence = onCall(
  withHttpsErrors<unknown, RepairPresenceResult>(async (request) => {
    const caller = requireCaller(request.auth);
    const uid = repairTarget(caller, parseRepairPresenceData(request.data));
    // docs/protocol.md §11.1: the owner's token carries their plan limit; an admin repairing another user has only
    // the server's copy of it, which the repair reads from the presence node.
    const own = uid === caller.uid;
    const result = await onPresenceInstance(uid, (db, servedHere) =>
      repairUserPresence(db, uid, { ...(own ? { planLimit: caller.planLimit } : {}), servedHere }),
    );
    return {
      uid,
      changed: result.changed,
      count: result.countAfter,
      evicted: result.removed.map((removal) => removal.deviceId),
    };
  }),
);
