/**
 * The admin jobs of a change of the shard map (docs/protocol.md §10.5):
 *
 * - `copyMovedUserSettings` (docs/protocol.md §10.5 step 4): the per-user settings of every user whose instance
 *   changes, copied from their previous instance to their home, so that home applies the user's own
 *   limit and force-login cut-off from the first claim it takes for them.
 * - `finishShardMigration` (docs/protocol.md §10.4, §10.5 step 6): after the drain window, the users still served by
 *   their previous instance lose their entries there (notice `moved`) and the fence closes it in the
 *   same transaction; their clients place again and claim on home.
 *
 * Both take the map explicitly (a plain function an admin script runs with the Admin SDK) and walk
 * `/limits` and `/presence` of each previous instance in pages ordered by key, so neither holds a
 * whole instance in memory; both are idempotent, so a run that failed half-way is simply run again.
 */
import { shardFor, type ShardMap } from '@device-limit/contract';
import type { Database } from 'firebase-admin/database';
import { SERVER_TIMESTAMP, limitPath, presencePath } from '../core/contract';
import { PresenceError } from '../core/errors';
import { deviceSlots, generationOf, isJsonObject, type JsonObject } from '../core/presence';
import { composePresence } from '../core/repair-plan';
import { deviceLimitConfig } from '../params';
import { databaseOfInstance } from './instances';
import { applyPlanLimit } from './set-device-limit';
import { setClassLimits } from './set-class-limits';
import { setLimitPolicy } from './set-limit-policy';
import { transactPlan } from './transaction';

/** The reason of the notice the finishing job leaves (contract `MOVED_NOTICE_REASON`, §10.4). */
const MOVED = 'moved';

export interface MigrationJobOptions {
  /** The Admin SDK's Database of an instance; default: the functions' own (`databaseOfInstance`). */
  readonly databaseOf?: (instance: string) => Database;
  /** Keys read per page of `/limits` or `/presence`; default 500. */
  readonly pageSize?: number;
}

/** The map's migration, or a typed error: both jobs only make sense while `previous` is set. */
function migrationOf(map: ShardMap): { previous: readonly string[]; epoch: number } {
  if (map.previous === undefined || (map.epoch ?? 0) < 1) {
    throw new PresenceError(
      'failed-precondition',
      'The shard map has no migration: give the map of the change ({ instances, epoch >= 1, previous }).',
    );
  }
  return { previous: map.previous, epoch: map.epoch as number };
}

/** The users on `root` of `db` whose key is above `after`, one page at a time (ordered by key). */
async function* pages(db: Database, root: string, pageSize: number): AsyncGenerator<Array<[string, unknown]>> {
  let after: string | null = null;
  for (;;) {
    // startAt(after) + one more, then drop `after` itself: startAfter is not in every Admin SDK
    // version this package supports, and keys are unique so the overlap is exactly one.
    const query = after === null ? db.ref(root).orderByKey() : db.ref(root).orderByKey().startAt(after);
    const snapshot = await query.limitToFirst(after === null ? pageSize : pageSize + 1).get();
    const rows: Array<[string, unknown]> = [];
    snapshot.forEach((child) => {
      if (child.key !== null && child.key !== after) rows.push([child.key, child.val() as unknown]);
    });
    if (rows.length === 0) return;
    yield rows;
    after = rows[rows.length - 1]?.[0] ?? null;
    if (rows.length < pageSize) return;
  }
}

/** The uids of `root` on `instance` that the change moves away from it, with their value there. */
async function* movedUsers(
  map: ShardMap,
  previous: readonly string[],
  instance: string,
  db: Database,
  root: string,
  pageSize: number,
): AsyncGenerator<{ uid: string; home: string; value: unknown }> {
  for await (const page of pages(db, root, pageSize)) {
    for (const [uid, value] of page) {
      // Only the users this instance served under the old map and not under the new one: anything
      // else under the root here is not theirs to move (or is an admin's stray write).
      if (shardFor(uid, previous) !== instance) continue;
      const home = shardFor(uid, map.instances);
      if (home !== instance) yield { uid, home, value };
    }
  }
}

export interface CopySettingsResult {
  /** Users whose settings were looked at (they move and have `/limits` or `/presence` on previous). */
  readonly users: number;
  /** Settings written on home, by name: `limits`, `notBefore`, `planLimit`, `policy`, `classLimits`. */
  readonly copied: Readonly<Record<string, number>>;
}

/**
 * docs/protocol.md §10.5 step 4: for every user the change moves, copies from previous to home `/limits/{uid}`,
 * `notBefore` (the larger of the two: a cut-off is never lowered), and the presence-level settings
 * `planLimit` (docs/protocol.md §11.1), `policy` (docs/protocol.md §11.2) and `classLimits` (docs/protocol.md §11.3). A setting already present on home
 * is kept: home's value is the newer one (`setDeviceLimit` writes both instances during a migration,
 * and the other setters act on the Database they are given, home for `presenceDatabaseFor`), so a
 * second run writes nothing. The settings of docs/protocol.md §11 go through their own setters on home, which recount
 * and evict in one transaction: correct even if home already serves the user.
 */
export async function copyMovedUserSettings(
  map: ShardMap,
  options: MigrationJobOptions = {},
): Promise<CopySettingsResult> {
  const { previous } = migrationOf(map);
  const databaseOf = options.databaseOf ?? databaseOfInstance;
  const pageSize = options.pageSize ?? 500;
  const paths = deviceLimitConfig.paths;
  const copied: Record<string, number> = { limits: 0, notBefore: 0, planLimit: 0, policy: 0, classLimits: 0 };
  const users = new Set<string>();
  const count = (name: string) => (copied[name] = (copied[name] ?? 0) + 1);

  for (const instance of previous) {
    const db = databaseOf(instance);
    for await (const { uid, home, value } of movedUsers(map, previous, instance, db, paths.limits, pageSize)) {
      users.add(uid);
      if (typeof value !== 'number') continue;
      const committed = await databaseOf(home)
        .ref(limitPath(uid, paths))
        .transaction((current: unknown) => (current === null ? value : undefined), undefined, false);
      if (committed.committed) count('limits');
    }
    for await (const { uid, home, value } of movedUsers(map, previous, instance, db, paths.presence, pageSize)) {
      users.add(uid);
      if (!isJsonObject(value)) continue;
      const homeDb = databaseOf(home);
      const homeNode = (await homeDb.ref(presencePath(uid, paths)).get()).val() as unknown;
      const onHome = isJsonObject(homeNode) ? homeNode : {};
      const notBefore = value.notBefore;
      if (typeof notBefore === 'number') {
        const raised = await homeDb
          .ref(`${presencePath(uid, paths)}/notBefore`)
          .transaction(
            (current: unknown) => (typeof current === 'number' && current >= notBefore ? undefined : notBefore),
            undefined,
            false,
          );
        if (raised.committed) count('notBefore');
      }
      if (typeof value.planLimit === 'number' && onHome.planLimit === undefined) {
        await applyPlanLimit(homeDb, uid, value.planLimit);
        count('planLimit');
      }
      if (typeof value.policy === 'string' && onHome.policy === undefined) {
        await setLimitPolicy(homeDb, uid, value.policy as Parameters<typeof setLimitPolicy>[2]);
        count('policy');
      }
      if (isJsonObject(value.classLimits) && onHome.classLimits === undefined) {
        await setClassLimits(homeDb, uid, value.classLimits as Parameters<typeof setClassLimits>[2]);
        count('classLimits');
      }
    }
  }
  return { users: users.size, copied };
}

export interface FinishMigrationResult {
  /** Users fenced by this run (they were still served by their previous instance). */
  readonly fenced: number;
  /** Entries removed with the notice `moved`: their devices claim again on home. */
  readonly moved: readonly { readonly uid: string; readonly deviceId: string }[];
}

/**
 * docs/protocol.md §10.4, as this repository implements it: for every user the change moves who is still served by
 * their previous instance (no fence of this epoch there), one transaction on previous removes every
 * entry, leaves each a notice `moved`, and writes `movedOut = epoch`. The fence in the same write is
 * what keeps the limit honest: from that instant R1 refuses every claim on previous, and home takes
 * the user's claims, starting from none — so no device is ever counted on both. The devices' clients
 * place again on a `moved` notice (client-sdk `MigratingDeviceSession`) and claim on home; the entries
 * themselves are not copied to home (a device whose client is gone has nothing to keep), nor is the
 * audit trail (it stays on previous). Run `copyMovedUserSettings` first, so home has the user's limit
 * and cut-off.
 */
export async function finishShardMigration(
  map: ShardMap,
  options: MigrationJobOptions = {},
): Promise<FinishMigrationResult> {
  const { previous, epoch } = migrationOf(map);
  const databaseOf = options.databaseOf ?? databaseOfInstance;
  const pageSize = options.pageSize ?? 500;
  const paths = deviceLimitConfig.paths;
  let fenced = 0;
  const moved: Array<{ uid: string; deviceId: string }> = [];

  for (const instance of previous) {
    const db = databaseOf(instance);
    for await (const { uid } of movedUsers(map, previous, instance, db, paths.presence, pageSize)) {
      const now = Date.now();
      const outcome = await transactPlan(
        db.ref(presencePath(uid, paths)),
        (current) => planMoveOut(current, epoch, now),
        (plan) => plan?.next,
      );
      if (outcome.committed && outcome.plan !== undefined) {
        fenced += 1;
        moved.push(...outcome.plan.removed.map((deviceId) => ({ uid, deviceId })));
      }
    }
  }
  return { fenced, moved };
}

/**
 * The finishing transaction on previous: undefined (nothing to write) when a fence of this epoch or
 * newer is already there — the fence never goes away (docs/protocol.md §10.2 R2), so the user is home's already.
 */
function planMoveOut(
  current: unknown,
  epoch: number,
  now: number,
): { next: JsonObject; removed: string[] } | undefined {
  if (!isJsonObject(current)) return undefined;
  const movedOut = typeof current.movedOut === 'number' ? current.movedOut : 0;
  if (movedOut >= epoch) return undefined;
  const slots = deviceSlots(current);
  // composePresence recounts (count, class counters) and drops old notices, as every server write
  // does; the `moved` notices are added after it, because `moved` is not one of the docs/protocol.md §4.8 reasons the
  // repair plans take.
  const { next } = composePresence(current, {
    remaining: [],
    removed: [],
    stamp: SERVER_TIMESTAMP,
    generation: generationOf(current),
    now,
  });
  const notices = isJsonObject(next.evicted) ? { ...next.evicted } : {};
  for (const slot of slots) {
    notices[slot.deviceId] = { reason: MOVED, at: SERVER_TIMESTAMP, generation: generationOf(current) };
  }
  if (Object.keys(notices).length > 0) next.evicted = notices;
  next.movedOut = epoch;
  return { next, removed: slots.map((slot) => slot.deviceId) };
}
