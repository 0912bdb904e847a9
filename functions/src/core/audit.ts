/**
 * The audit trail `/presenceEvents/{uid}/{pushId}` (docs/protocol.md §6): the shape of an event, the
 * events a client write implies, and which keys to trim so at most PRESENCE_EVENTS_MAX remain.
 */
import { AUDIT_REASON_MAX_LENGTH, type TimestampValue } from './contract';
import { deviceSlots, evictionNotices, generationOf, isJsonObject } from './presence';
import type { Removal } from './reconcile-plan';

export type AuditEventType = 'claimed' | 'denied' | 'released' | 'evicted' | 'swept';

/** Exactly the fields the rules allow on an audit event: `{ type, deviceId, at, reason? }`. */
export interface AuditEvent {
  readonly type: AuditEventType;
  readonly deviceId: string;
  readonly at: TimestampValue;
  readonly reason?: string;
}

export function auditEvent(type: AuditEventType, deviceId: string, at: TimestampValue, reason?: string): AuditEvent {
  if (reason === undefined) return { type, deviceId, at };
  return { type, deviceId, at, reason: reason.slice(0, AUDIT_REASON_MAX_LENGTH) };
}

/** One event per entry the server removed: `swept` for stale entries, `evicted` otherwise. */
export function auditEventsForRemovals(removed: readonly Removal[], at: TimestampValue): AuditEvent[] {
  return removed.map(({ deviceId, reason }) =>
    reason === 'swept' ? auditEvent('swept', deviceId, at, 'stale') : auditEvent('evicted', deviceId, at, reason),
  );
}

/**
 * The `claimed` and `released` events a write implies, from its before/after values (what the
 * reconcile trigger receives). An entry that disappeared together with a new eviction notice was
 * removed by the server, which records its own `evicted`/`swept` event, so it is not a release.
 * A claim named by `op` in the same write as a generation bump is the force login's own slot.
 */
export function auditEventsFromWrite(before: unknown, after: unknown, at: TimestampValue): AuditEvent[] {
  const beforeIds = new Set(deviceSlots(before).map((slot) => slot.deviceId));
  const afterIds = new Set(deviceSlots(after).map((slot) => slot.deviceId));
  const noticesBefore = evictionNotices(before);
  const noticesAfter = evictionNotices(after);
  const generationBumped = generationOf(after) > generationOf(before);
  const op = isJsonObject(after) ? after.op : undefined;
  const events: AuditEvent[] = [];
  for (const deviceId of afterIds) {
    if (!beforeIds.has(deviceId)) {
      const forceLogin = generationBumped && op === deviceId;
      events.push(auditEvent('claimed', deviceId, at, forceLogin ? 'force-login' : 'claim'));
    }
  }
  for (const deviceId of beforeIds) {
    if (afterIds.has(deviceId)) continue;
    const notice = noticesAfter[deviceId];
    const newNotice = isJsonObject(notice) && !sameNotice(notice, noticesBefore[deviceId]);
    if (!newNotice) events.push(auditEvent('released', deviceId, at, 'release'));
  }
  return events;
}

function sameNotice(a: Record<string, unknown>, b: unknown): boolean {
  return isJsonObject(b) && a.at === b.at && a.reason === b.reason && a.generation === b.generation;
}

/**
 * Which keys to delete so that at most `max` events remain. Push ids sort in creation order, so the
 * oldest events are the smallest keys.
 */
export function selectAuditTrim(keys: readonly string[], max: number): string[] {
  if (keys.length <= max) return [];
  const sorted = [...keys].sort();
  return sorted.slice(0, sorted.length - max);
}
