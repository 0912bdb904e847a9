/**
 * The audit trail `/presenceEvents/{uid}/{pushId}` (docs/protocol.md §6): the shape of an event, the
 * events the server's own removals record, and which keys to trim so at most PRESENCE_EVENTS_MAX
 * remain. Clients write `claimed`, `released` and `swept` events with their own operations (docs/protocol.md §6);
 * the server records only what it does itself.
 */
import { AUDIT_REASON_MAX_LENGTH, type AuditEventType, type TimestampValue } from './contract';
import type { Removal } from './repair-plan';

export type { AuditEventType };

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

/** One event per entry the server removed: `swept` for stale entries, `evicted` otherwise (docs/protocol.md §6). */
export function auditEventsForRemovals(removed: readonly Removal[], at: TimestampValue): AuditEvent[] {
  return removed.map(({ deviceId, reason }) =>
    reason === 'swept' ? auditEvent('swept', deviceId, at, 'stale') : auditEvent('evicted', deviceId, at, reason),
  );
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
