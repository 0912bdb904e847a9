/**
 * What the session does when its claim meets a full account (docs/protocol.md §4.2: "the client goes
 * on with the liveness check, §4.9"), and the sibling sweep of a holder (docs/protocol.md §4.10). Pure functions of the
 * context; the time decisions themselves are liveness.ts.
 *
 * Order at a full account, each step at most once per claim attempt (session-context.ts ClaimAttempt):
 * 1. `count` above the entries (drift, §5.4): ask `repairPresence`, then claim once more.
 * 2. Sweep the entries that are stale already (lease run out, or a check's deadline passed).
 * 3. Under the policy `evict-least-recent` (docs/protocol.md §11.2): replace the device active least recently, in one
 *    write; no liveness check (its answers would make every live device look just as recent).
 * 4. Otherwise the liveness check: write `ping` (or join one asked less than PING_DEADLINE_MS ago), and
 *    wait until every holder answered (settle at once) or the deadline passed (step 2 sweeps the silent).
 * 5. Still full: `limit-reached`.
 * Whenever the listener shows a free slot in between, the machine claims at once (state-machine.ts).
 */
import {
  checkDeadline,
  decidePing,
  entriesToSweep,
  everyHolderAnswered,
  pingToAnswer,
  pruneTried,
  sweepKey,
} from './liveness';
import { removalMoves } from './classes';
import type { DeviceClass } from './contract';
import { leastRecentlyActive, policyIn } from './policy';
import type { PresenceView } from './presence';
import { limitReached, withPending, type SessionContext, type SessionEffect } from './session-context';

export function decideFull(
  input: SessionContext,
  deviceId: string,
  presence: PresenceView,
  limit: number,
  effects: SessionEffect[],
  /** §11.3: set when this install's class is what is full (the total may have room). */
  fullClass?: DeviceClass,
): SessionContext {
  let ctx = input;
  const { attempt } = ctx;

  // 1. Fewer entries than the limit, yet `count` says full: only the server can fix that (docs/protocol.md §5.4).
  if (fullClass === undefined && presence.devices.size < limit) {
    if (attempt.repair === 'running') return ctx;
    if (attempt.repair === 'none') {
      if (ctx.canRepair) {
        effects.push({ type: 'repair' });
        return { ...ctx, attempt: { ...attempt, repair: 'running' } };
      }
      effects.push({ type: 'drift-unrepaired', count: presence.count, entries: presence.devices.size });
    }
    return limitReached(ctx, effects);
  }

  // 2. Entries that may be swept right now; the claim follows once the listener shows the room.
  ctx = sweepDue(ctx, deviceId, presence, true, effects);
  if (ctx.sweeping.size > 0) return ctx;

  // 3. The replace form of the claim (docs/protocol.md §11.2): a refused one (another claimer replaced the same device
  //    first) is decided again from the fresh cache, which names the next victim.
  //    Not above the limit (a lowered one still shedding devices): the rules refuse a replace there.
  if (policyIn(presence, ctx.policy) === 'evict-least-recent' && presence.count <= limit) {
    // docs/protocol.md §11.3: a full class makes room only by replacing a device of that class.
    const victim = leastRecentlyActive(presence, deviceId, fullClass);
    if (victim === null) return limitReached(ctx, effects); // a limit of 0: nobody to replace
    return withPending(ctx, 'replace', presence.generation, effects, victim.deviceId);
  }

  // 4. The liveness check.
  let { check } = ctx.attempt;
  let joined = false;
  if (check === null) {
    const decision = decidePing(presence, ctx.now);
    if (decision.kind === 'ask') {
      return withPending({ ...ctx, attempt: { ...ctx.attempt, check: { ping: null } } }, 'ping', 0, effects);
    }
    // Another device asked less than PING_DEADLINE_MS ago: its check is ours (the rules refuse a second).
    check = { ping: decision.ping };
    ctx = { ...ctx, attempt: { ...ctx.attempt, check } };
    joined = true;
  }
  const { ping } = check;
  if (ping !== null && !everyHolderAnswered(presence, ping, deviceId) && ctx.now < checkDeadline(ping)) {
    if (joined) effects.push({ type: 'wait', ping, until: checkDeadline(ping) });
    return ctx; // waiting for the answers or the deadline
  }

  // 5. Every holder answered, or the deadline passed and nobody was left to sweep.
  return limitReached(ctx, effects);
}

/** After our ping write was answered: wait on the ping the listener now shows (ours, or a concurrent one). */
export function afterPing(ctx: SessionContext, failed: boolean, effects: SessionEffect[]): SessionContext {
  const ping = ctx.presence?.ping ?? null;
  if (failed || ping === null) {
    return limitReached({ ...ctx, attempt: { ...ctx.attempt, check: { ping: null } } }, effects);
  }
  effects.push({ type: 'wait', ping, until: checkDeadline(ping) });
  return { ...ctx, attempt: { ...ctx.attempt, check: { ping } } };
}

/** A holder's duties on every value of P (docs/protocol.md §4.9 step 2, §4.10): answer a ping, sweep expired siblings. */
export function holderDuties(
  input: SessionContext,
  deviceId: string,
  presence: PresenceView,
  effects: SessionEffect[],
): SessionContext {
  let ctx = input;
  const ping = pingToAnswer(presence, deviceId, ctx.answeredPing);
  if (ping !== null) {
    effects.push({ type: 'renew' });
    ctx = { ...ctx, answeredPing: ping };
  }
  return sweepDue(ctx, deviceId, presence, false, effects);
}

/** Sends one sweep per entry that may be removed now and was not tried before. */
function sweepDue(
  ctx: SessionContext,
  deviceId: string,
  presence: PresenceView,
  afterPing: boolean,
  effects: SessionEffect[],
): SessionContext {
  const tried = pruneTried(ctx.tried, presence);
  const due = entriesToSweep(presence, { now: ctx.now, self: deviceId, tried, afterPing }).filter(
    (entry) => !ctx.sweeping.has(entry.deviceId),
  );
  if (due.length === 0) return tried === ctx.tried ? ctx : { ...ctx, tried };
  const nextTried = new Set(tried);
  const sweeping = new Set(ctx.sweeping);
  for (const entry of due) {
    const classes = removalMoves(presence, entry.deviceId);
    effects.push({
      type: 'sweep',
      deviceId: entry.deviceId,
      generation: presence.generation,
      ...(classes === undefined ? {} : { classes }),
    });
    nextTried.add(sweepKey(entry));
    sweeping.add(entry.deviceId);
  }
  return { ...ctx, tried: nextTried, sweeping };
}
