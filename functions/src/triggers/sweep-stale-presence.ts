/**
 * Scheduled: sweep the users who went quiet, every 15 minutes (docs/protocol.md §5.3,
 * `SWEEP_SCHEDULE`). The Functions emulator ignores schedules without Pub/Sub, so the local stack
 * runs this function on the same schedule itself (docs/local-stack.md, "Scheduled functions").
 */
import * as logger from 'firebase-functions/logger';
import { onSchedule } from 'firebase-functions/v2/scheduler';
import { STALE_AFTER_MS, SWEEP_SCHEDULE } from '../core/contract';
import { defaultDatabase } from '../database/app';
import { sweepStaleSlots } from '../database/sweep';

export const sweepStalePresence = onSchedule({ schedule: SWEEP_SCHEDULE }, async () => {
  const result = await sweepStaleSlots(defaultDatabase(), { now: Date.now(), staleAfterMs: STALE_AFTER_MS });
  logger.info('sweepStalePresence: done', result);
});
