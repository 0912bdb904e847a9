/**
 * Trigger: an admin wrote `/limits/{uid}` (docs/protocol.md §5.5) — the console, the Admin SDK, or
 * `setDeviceLimit` — so evict down to the limit now in force, with reason `limit-lowered`. Limit
 * changes are rare, so this costs nothing per device; no function runs for a claim, a renewal or a
 * release (docs/protocol.md §5).
 *
 * It converges: it writes only `/presence/{uid}`, never `/limits`, so it does not fire itself, and
 * when `setDeviceLimit` already evicted the extras its transaction finds nothing to change and
 * aborts. `retry: true` because the repair is idempotent; events older than MAX_EVENT_AGE_MS are
 * dropped so retries end.
 */
import * as logger from 'firebase-functions/logger';
import { onValueWritten } from 'firebase-functions/v2/database';
import { isEventTooOld } from '../core/retry-policy';
import { databaseForInstance } from '../database/app';
import { warnIfNotHome } from '../database/instances';
import { enforceDeviceLimitFor } from '../database/set-device-limit';
import { refIsUnder, wrongRootMessage } from '../core/config';
import { deviceLimitConfig, limitsPathParam } from '../params';

// `instance: '*'`: every database instance of the project (docs/protocol.md §10); a limit lives on its
// user's instance, and this writes back there. The root is DEVICE_LIMIT_LIMITS_PATH (params.ts).
export const enforceDeviceLimit = onValueWritten(
  { ref: `/${deviceLimitConfig.paths.limits}/{uid}`, instance: '*', retry: true },
  async (event) => {
    if (!refIsUnder(event.ref, deviceLimitConfig.paths.limits)) {
      logger.error(
        wrongRootMessage('enforceDeviceLimit', event.ref, limitsPathParam.name, deviceLimitConfig.paths.limits),
      );
      return;
    }
    if (isEventTooOld(event.time, Date.now())) {
      logger.warn('enforceDeviceLimit: dropping an event older than the retry bound', {
        id: event.id,
        time: event.time,
      });
      return;
    }
    const uid = event.params.uid;
    warnIfNotHome('enforceDeviceLimit', uid, event.instance);
    // Write back to the instance that fired the event (see database/app.ts).
    const result = await enforceDeviceLimitFor(databaseForInstance(event.data.after.instance), uid);
    if (result.changed) {
      logger.info('enforceDeviceLimit: repaired presence', {
        uid,
        countBefore: result.countBefore,
        countAfter: result.countAfter,
        removed: result.removed,
      });
    }
  },
);
