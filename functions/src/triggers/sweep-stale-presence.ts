/**
 * Scheduled: sweep stale slots every 5 minutes (docs/protocol.md §5.3). The Functions emulator
 * ignores schedules without Pub/Sub (../shared/reference/firebase-local-stack.md), so the local
 * stack calls the plain `sweepStaleSlots` on the same schedule instead.
 */
import * as logger from 'firebase-functions/logger';
import { onSchedule } from 'firebase-functions/v2/scheduler';
import { STALE_AFTER_MS } from '../core/contract';
import { defaultDatabase } from '../database/app';
import { sweepStaleSlots } from '../database/sweep';

export const SWEEP_SCHEDULE = 'every 5 minutes';

export const sweepStalePresence = onSchedule({ schedule: SWEEP_SCHEDULE }, async () => {
  const result = await sweepStaleSlots(defaultDatabase(), { now: Date.now(), staleAfterMs: STALE_AFTER_MS });
  logger.info('sweepStalePresence: done', result);
});
