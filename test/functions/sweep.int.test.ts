/**
 * Lost onDisconnects: entries whose release never ran are swept once their `lastSeen` is older than
 * the threshold (docs/protocol.md §5.3). The sweep finds users through `/presenceIndex`, kept by the
 * reconcile trigger, so it visits only users holding stale entries.
 */
import { STALE_AFTER_MS } from '../../functions/src/core/contract';
import {
  auditTrail,
  deviceEntry,
  expectInvariants,
  functions,
  presenceIndex,
  readPresence,
  settle,
  startFunctionsContext,
  stopFunctionsContext,
  writeAndTrigger,
  type FunctionsTestContext,
} from './support';

let ctx: FunctionsTestContext;
beforeAll(() => {
  ctx = startFunctionsContext('demo-fn-sweep');
});
afterAll(stopFunctionsContext);

const MINUTE = 60_000;
const NOW = Date.now();

/** A device claimed `minutesAgo` and never heard from since (its onDisconnect was lost). */
function abandoned(minutesAgo: number) {
  return deviceEntry(NOW - minutesAgo * MINUTE, NOW - minutesAgo * MINUTE);
}

/** Writes the user's entries as claims would leave them, and lets the reconcile index them. */
async function seed(uid: string, devices: Record<string, ReturnType<typeof deviceEntry>>): Promise<void> {
  const { after } = await writeAndTrigger(ctx, uid, (ref) => ref.set({ count: Object.keys(devices).length, devices }));
  await settle(ctx, uid, after);
}

test('stale entries are swept, fresh ones stay, counts and the index are fixed', async () => {
  await seed('sweep-mixed', { lostA0001: abandoned(30), lostB0002: abandoned(20) });
  // The third device is alive: it heartbeats after the other two were lost.
  await writeAndTrigger(ctx, 'sweep-mixed', (ref) => ref.child('devices/lostB0002').remove());
  await writeAndTrigger(ctx, 'sweep-mixed', (ref) =>
    ref.update({ count: 2, 'devices/aliveC003': deviceEntry(NOW - 25 * MINUTE, NOW - MINUTE) }),
  );
  await seed('sweep-fresh', { fresh0001: abandoned(1) });
  await seed('sweep-all-stale', { lostX0001: abandoned(16), lostY0002: abandoned(60) });
  expect(await presenceIndex(ctx, 'sweep-mixed')).toBe(NOW - 30 * MINUTE);

  const result = await functions.sweepStaleSlots(ctx.db, { now: NOW, staleAfterMs: STALE_AFTER_MS });

  // Only users holding stale entries were visited: the fresh user never was.
  expect(result).toEqual({
    cutoff: NOW - STALE_AFTER_MS,
    usersVisited: 2,
    entriesSwept: 3,
    usersChanged: 2,
    truncated: false,
  });
  await expectInvariants(ctx, 'sweep-mixed', 2);
  await expectInvariants(ctx, 'sweep-all-stale', 2);
  expect(await readPresence(ctx, 'sweep-mixed')).toMatchObject({
    count: 1,
    op: 'lostA0001',
    devices: { aliveC003: deviceEntry(NOW - 25 * MINUTE, NOW - MINUTE) },
    evicted: { lostA0001: { reason: 'swept', at: expect.any(Number), generation: 0 } },
  });
  expect(await readPresence(ctx, 'sweep-all-stale')).toMatchObject({ count: 0 });
  expect((await readPresence(ctx, 'sweep-all-stale'))?.devices).toBeUndefined();
  expect(await readPresence(ctx, 'sweep-fresh')).toMatchObject({ count: 1 });
  expect(await presenceIndex(ctx, 'sweep-mixed')).toBe(NOW - MINUTE);
  expect(await presenceIndex(ctx, 'sweep-all-stale')).toBeNull();

  const swept = (await auditTrail(ctx, 'sweep-all-stale')).filter((e) => e.type === 'swept');
  expect(swept.map((e) => [e.deviceId, e.reason]).sort()).toEqual([
    ['lostX0001', 'stale'],
    ['lostY0002', 'stale'],
  ]);

  // A second sweep finds nothing: the index moved past the cut-off.
  const again = await functions.sweepStaleSlots(ctx.db, { now: NOW, staleAfterMs: STALE_AFTER_MS });
  expect(again.usersVisited).toBe(0);
});

test('the sweep pages through many stale users', async () => {
  const uids = Array.from({ length: 23 }, (_, i) => `sweep-page-${String(i).padStart(2, '0')}`);
  for (const uid of uids) await seed(uid, { lostP0001: abandoned(40) });
  const result = await functions.sweepStaleSlots(ctx.db, {
    now: NOW,
    staleAfterMs: STALE_AFTER_MS,
    pageSize: 5,
    concurrency: 3,
  });
  expect(result.usersVisited).toBe(uids.length);
  expect(result.entriesSwept).toBe(uids.length);
  for (const uid of uids) await expectInvariants(ctx, uid, 2);
});

test('maxUsers bounds one run; the next run continues', async () => {
  const uids = ['sweep-max-1', 'sweep-max-2', 'sweep-max-3'];
  for (const uid of uids) await seed(uid, { lostM0001: abandoned(50) });
  const first = await functions.sweepStaleSlots(ctx.db, { now: NOW, staleAfterMs: STALE_AFTER_MS, maxUsers: 2 });
  expect(first).toMatchObject({ usersVisited: 2, truncated: true });
  const second = await functions.sweepStaleSlots(ctx.db, { now: NOW, staleAfterMs: STALE_AFTER_MS, maxUsers: 2 });
  expect(second).toMatchObject({ usersVisited: 1, truncated: false });
  for (const uid of uids) expect(await readPresence(ctx, uid)).toMatchObject({ count: 0 });
});

test('the scheduled function sweeps with the real clock', async () => {
  await seed('sweep-scheduled', { ancient01: deviceEntry(1_000, 1_000) });
  const scheduled = functions.sweepStalePresence as unknown as { run(event: unknown): Promise<void> };
  await scheduled.run({
    jobName: 'firebase-schedule-sweepStalePresence-us-central1',
    scheduleTime: new Date().toISOString(),
  });
  expect(await readPresence(ctx, 'sweep-scheduled')).toMatchObject({
    count: 0,
    evicted: { ancient01: { reason: 'swept' } },
  });
  expect(await presenceIndex(ctx, 'sweep-scheduled')).toBeNull();
});
