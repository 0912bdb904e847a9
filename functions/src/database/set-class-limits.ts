/**
 * docs/protocol.md §11.3: an admin sets a user's per-class limits, e.g. `{ mobile: 2, tv: 1 }`, at
 * `/presence/{uid}/classLimits` (server only; every device of the user already reads it). One
 * transaction writes them, gives entries claimed before them their platform's class, recomputes the
 * class counters, and evicts the most recently claimed devices of a class above its new limit
 * (`limit-lowered`). null removes every class limit; the total limit is not affected.
 */
import { DEVICE_CLASSES, isDeviceClass, isDeviceLimit, type DeviceClass } from '@device-limit/contract';
import type { Database } from 'firebase-admin/database';
import { MAX_DEVICE_LIMIT, MIN_DEVICE_LIMIT } from '../core/contract';
import { PresenceError } from '../core/errors';
import { repairUserPresence } from './repair';

export interface SetClassLimitsResult {
  /** The devices evicted because their class went above its limit. */
  readonly evicted: readonly string[];
}

export async function setClassLimits(
  db: Database,
  uid: string,
  limits: Partial<Record<DeviceClass, number>> | null,
): Promise<SetClassLimitsResult> {
  if (limits !== null) {
    for (const [deviceClass, limit] of Object.entries(limits)) {
      if (!isDeviceClass(deviceClass)) {
        throw new PresenceError(
          'invalid-argument',
          `Unknown device class ${deviceClass}; one of ${DEVICE_CLASSES.join(', ')}.`,
        );
      }
      if (!isDeviceLimit(limit)) {
        throw new PresenceError(
          'invalid-argument',
          `The limit of ${deviceClass} must be an integer from ${MIN_DEVICE_LIMIT} to ${MAX_DEVICE_LIMIT}.`,
        );
      }
    }
  }
  const result = await repairUserPresence(db, uid, { classLimits: limits, overLimitReason: 'limit-lowered' });
  return { evicted: result.removed.map((removal) => removal.deviceId) };
}
