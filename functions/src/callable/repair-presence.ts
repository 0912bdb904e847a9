/**
 * Callable `repairPresence({ uid? })` (docs/protocol.md §5.4): put `count == entries <= limit` right
 * again for the caller's own uid, or for any uid when the caller is an admin (custom claim
 * `admin: true`). Drift cannot come from a client write (the rules keep §1 on every one); the client
 * module calls this when a drifted `count` blocks a claim. Answers `{ uid, changed, count, evicted }`.
 * It acts on the target's database instance (docs/protocol.md §10).
 */
import { onCall } from 'firebase-functions/v2/https';
import { parseRepairPresenceData, repairTarget, requireCaller } from '../core/validation';
import { presenceDatabaseFor } from '../database/instances';
import { repairUserPresence } from '../database/repair';
import { withHttpsErrors } from './errors';

export interface RepairPresenceResult {
  readonly uid: string;
  /** False when nothing needed repairing (the transaction aborted, nothing was written). */
  readonly changed: boolean;
  /** `count` after the repair: the number of entries. */
  readonly count: number;
  /** The devices evicted because more entries than the limit held slots (reason `over-limit`). */
  readonly evicted: readonly string[];
}

export const repairPresence = onCall(
  withHttpsErrors<unknown, RepairPresenceResult>(async (request) => {
    const caller = requireCaller(request.auth);
    const uid = repairTarget(caller, parseRepairPresenceData(request.data));
    const result = await repairUserPresence(presenceDatabaseFor(uid), uid);
    return {
      uid,
      changed: result.changed,
      count: result.countAfter,
      evicted: result.removed.map((removal) => removal.deviceId),
    };
  }),
);
