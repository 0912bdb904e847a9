/**
 * Trigger: reconcile `/presence/{uid}` after every write under it (docs/protocol.md §5.4), the
 * server-side authority that fixes drift the rules cannot see. Its own write fires it again, and
 * that second run finds nothing to change and aborts, so it converges.
 *
 * `retry: true`: a failed run is delivered again rather than leaving drift until the next write; the
 * reconcile is idempotent, and events older than MAX_EVENT_AGE_MS are dropped so retries end.
 */
import * as logger from 'firebase-functions/logger';
import { onValueWritten } from 'firebase-functions/v2/database';
import { isEventTooOld } from '../core/retry-policy';
import { databaseForInstance } from '../database/app';
import { reconcileUserPresence } from '../database/reconcile';

export const reconcilePresence = onValueWritten({ ref: '/presence/{uid}', retry: true }, async (event) => {
  if (isEventTooOld(event.time, Date.now())) {
    logger.warn('reconcilePresence: dropping an event older than the retry bound', { id: event.id, time: event.time });
    return;
  }
  const uid = event.params.uid;
  // The instance the event came from (firebase-functions resolves the emulator or production URL).
  const db = databaseForInstance(event.data.after.instance);
  const result = await reconcileUserPresence(db, uid, {
    change: { before: event.data.before.val() as unknown, after: event.data.after.val() as unknown },
  });
  if (result.changed) {
    logger.info('reconcilePresence: fixed presence', {
      uid,
      countBefore: result.countBefore,
      countAfter: result.countAfter,
      removed: result.removed,
    });
  }
});
