/**
 * Trigger: keep `/presenceEvents/{uid}` bounded however its events arrive (docs/protocol.md §6).
 * The functions trim after their own appends (`appendAuditEvents`), but the rules let the owner push
 * `denied` events, and the rules cannot count children or delete old ones. Without this trigger a
 * hostile client could grow its trail without limit.
 *
 * - Same bound and same choice as the functions' own trim: `trimAuditTrail` (selection in
 *   `core/audit.ts` `selectAuditTrim`) deletes the oldest keys beyond PRESENCE_EVENTS_MAX.
 * - Overlapping invocations are safe. Each run deletes only keys at or before the oldest of the
 *   newest `max + 1` it read, and keys can only be added, so a key beyond the bound stays beyond it.
 *   Deleting a key that another run already deleted writes `null` over nothing, which changes nothing.
 * - It converges. Its writes only delete, and a delete never fires `onValueCreated`.
 * - `retry: true` because the trim is idempotent. Events older than MAX_EVENT_AGE_MS are dropped so
 *   retries end, as for `enforceDeviceLimit`
 *   ([retry best practices](https://cloud.google.com/functions/docs/bestpractices/retries)).
 */
import * as logger from 'firebase-functions/logger';
import { onValueCreated } from 'firebase-functions/v2/database';
import { isEventTooOld } from '../core/retry-policy';
import { databaseForInstance } from '../database/app';
import { trimAuditTrail } from '../database/audit-trail';
import { refIsUnder, wrongRootMessage } from '../core/config';
import { deviceLimitConfig, eventsPathParam } from '../params';

export const trimPresenceEvents = onValueCreated(
  // Every database instance of the project (docs/protocol.md §10): the trail lives on its user's
  // instance. The root is DEVICE_LIMIT_EVENTS_PATH (params.ts).
  { ref: `/${deviceLimitConfig.paths.presenceEvents}/{uid}/{eventId}`, instance: '*', retry: true },
  async (event) => {
    if (!refIsUnder(event.ref, deviceLimitConfig.paths.presenceEvents)) {
      logger.error(
        wrongRootMessage('trimPresenceEvents', event.ref, eventsPathParam.name, deviceLimitConfig.paths.presenceEvents),
      );
      return;
    }
    if (isEventTooOld(event.time, Date.now())) {
      logger.warn('trimPresenceEvents: dropping an event older than the retry bound', {
        id: event.id,
        time: event.time,
      });
      return;
    }
    const uid = event.params.uid;
    // Write back to the instance that fired the event (see database/app.ts).
    const removed = await trimAuditTrail(databaseForInstance(event.data.instance), uid);
    if (removed > 0) logger.info('trimPresenceEvents: trimmed the audit trail', { uid, removed });
  },
);
