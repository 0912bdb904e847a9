/**
 * Appending to, and bounding, the audit trail `/presenceEvents/{uid}` (docs/protocol.md §6).
 * Audit writes happen after the presence transaction commits: they are a record, not part of the
 * invariant, and a lost audit write must never undo or block a slot change.
 */
import type { Database } from 'firebase-admin/database';
import type { AuditEvent } from '../core/audit';
import { selectAuditTrim } from '../core/audit';
import { PRESENCE_EVENTS_MAX, presenceEventsPath } from '../core/contract';
import { deviceLimitConfig } from '../params';

export async function appendAuditEvents(
  db: Database,
  uid: string,
  events: readonly AuditEvent[],
  max = PRESENCE_EVENTS_MAX,
): Promise<void> {
  if (events.length === 0) return;
  const ref = db.ref(presenceEventsPath(uid, deviceLimitConfig.paths));
  const updates: Record<string, AuditEvent> = {};
  // Push ids are generated in order by one client, so events of one call keep their order.
  for (const event of events) updates[ref.push().key] = event;
  await ref.update(updates);
  await trimAuditTrail(db, uid, max);
}

/**
 * Delete the oldest events beyond `max`. Reads the newest `max + 1` keys; only when there are more
 * than `max` does it read (and delete) the keys at or before the oldest one beyond the bound, which
 * also clears any backlog left by an earlier failed trim.
 */
export async function trimAuditTrail(db: Database, uid: string, max = PRESENCE_EVENTS_MAX): Promise<number> {
  const ref = db.ref(presenceEventsPath(uid, deviceLimitConfig.paths));
  const newest = await ref
    .orderByKey()
    .limitToLast(max + 1)
    .get();
  const newestKeys: string[] = [];
  newest.forEach((child) => {
    newestKeys.push(child.key);
  });
  const beyond = selectAuditTrim(newestKeys, max);
  const boundary = beyond[beyond.length - 1];
  if (boundary === undefined) return 0;
  const older = await ref.orderByKey().endAt(boundary).get();
  const doomed: string[] = [];
  older.forEach((child) => {
    doomed.push(child.key);
  });
  if (doomed.length === 0) return 0;
  await ref.update(Object.fromEntries(doomed.map((key) => [key, null])));
  return doomed.length;
}
