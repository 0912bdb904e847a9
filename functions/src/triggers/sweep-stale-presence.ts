/**
 * Scheduled: sweep the users who went quiet, every 15 minutes (docs/protocol.md §5.3,
 * `SWEEP_SCHEDULE`), on every database instance users live on (`PRESENCE_INSTANCES`, §10; during a
 * migration also those of `PRESENCE_INSTANCES_PREVIOUS`, where devices connected before it stay). The
 * Functions emulator ignores schedules without Pub/Sub, so the local stack runs this function on the
 * same schedule itself (docs/local-stack.md, "Scheduled functions").
 */
import * as logger from 'firebase-functions/logger';
import { onSchedule } from 'firebase-functions/v2/scheduler';
import { STALE_AFTER_MS, SWEEP_SCHEDULE } from '../core/contract';
import { presenceDatabases } from '../database/instances';
import { sweepStaleSlots } from '../database/sweep';

export const sweepStalePresence = onSchedule({ schedule: SWEEP_SCHEDULE }, async () => {
  const now = Date.now();
  const failures: unknown[] = [];
  // One instance after the other: a run's cost is the users who went quiet, wherever they are, and an
  // instance that fails does not keep the others from being swept.
  for (const { instance, db } of presenceDatabases()) {
    try {
      const result = await sweepStaleSlots(db, { now, staleAfterMs: STALE_AFTER_MS });
      logger.info('sweepStalePresence: done', { ...(instance === null ? {} : { instance }), ...result });
    } catch (error) {
      logger.error('sweepStalePresence: failed', { instance, error: String(error) });
      failures.push(error);
    }
  }
  // Fail the run (so it shows as failed) once every instance had its turn.
  if (failures.length > 0) throw failures[0];
});
