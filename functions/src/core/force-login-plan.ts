/**
 * Force login (docs/protocol.md §5.1): the caller's device takes a slot and every other device is
 * evicted in one write — `generation` bumped, the other entries removed with eviction notices,
 * `count` = 1, `lastActive` = now (the caller's claim, §4.4), and `notBefore` raised to the caller's
 * `auth_time` so that every session that signed in earlier is shut out by the rules gate even if its
 * client ignores the eviction. Notices older than EVICTION_NOTICE_TTL_MS are dropped (docs/protocol.md §5).
 */
import { platformClass, type DeviceClass } from '@device-limit/contract';
import { classCounts, classesTracked, entryClass } from './classes';
import type { TimestampValue } from './contract';
import { deviceSlots, generationOf, isJsonObject, notBeforeOf, type JsonObject } from './presence';
import { keepRecentNotices, noticeCutoff } from './repair-plan';

export interface ForceLoginInput {
  readonly deviceId: string;
  /** One of the configured platforms (checked by the callable). */
  readonly platform: string;
  readonly label: string;
  /** The caller's ID token `auth_time`, in seconds (the unit of `notBefore`). */
  readonly authTime: number;
  /** The limit in force for this user. */
  readonly limit: number;
  /**
   * The caller's plan limit (its token's `deviceLimit` claim; null: none), recorded as the server's
   * copy `planLimit` like a client's claim records it (docs/protocol.md §11.1). Left out: unchanged.
   */
  readonly planLimit?: number | null;
  /**
   * The class the caller's device declares (docs/protocol.md §11.3; checked against its platform by the callable).
   * Without it, a user whose classes are tracked gets the platform's class.
   */
  readonly deviceClass?: DeviceClass;
  /** What `claimedAt`/`lastSeen`/`lastActive`/notice `at` are set to: normally the server timestamp value. */
  readonly stamp: TimestampValue;
  /** Server time in ms, for the notice TTL. */
  readonly now: number;
}

export type ForceLoginPlan =
  | {
      readonly kind: 'applied';
      readonly next: JsonObject;
      readonly generation: number;
      readonly evicted: readonly string[];
      /** False when the caller's device already held a slot and only keeps it. */
      readonly claimed: boolean;
    }
  /**
   * The caller's session signed in before the current `notBefore`: a newer force login already cut
   * it off. Letting it force login again would evict the session that cut it off (a stolen, older
   * session could keep kicking the real user out), so it is refused; the user must sign in again.
   */
  | { readonly kind: 'session-cut-off'; readonly notBefore: number }
  /** A limit of 0 admits no device, not even by force login. */
  | { readonly kind: 'limit-zero' };

export function planForceLogin(current: unknown, input: ForceLoginInput): ForceLoginPlan {
  if (input.limit < 1) return { kind: 'limit-zero' };
  const notBefore = notBeforeOf(current);
  if (notBefore !== undefined && input.authTime < notBefore) return { kind: 'session-cut-off', notBefore };

  const generation = generationOf(current) + 1;
  const own = deviceSlots(current).find((slot) => slot.deviceId === input.deviceId);
  const evicted = deviceSlots(current)
    .map((slot) => slot.deviceId)
    .filter((deviceId) => deviceId !== input.deviceId);

  const ownClaimedAt = own && isJsonObject(own.entry) ? own.entry.claimedAt : undefined;
  const tracked = classesTracked(current);
  const ownClass = own ? entryClass(own.entry) : undefined;
  const deviceClass = input.deviceClass ?? ownClass ?? (tracked ? platformClass(input.platform) : undefined);
  const { notices } = keepRecentNotices(current, noticeCutoff(input.now));
  for (const deviceId of evicted) notices[deviceId] = { reason: 'force-login', at: input.stamp, generation };

  // `...current`: fields this operation does not own (e.g. a pending `ping`, §4.9) stay as they are.
  const next: JsonObject = {
    ...(isJsonObject(current) ? current : {}),
    count: 1,
    op: input.deviceId,
    generation,
    lastActive: input.stamp,
    notBefore: Math.max(notBefore ?? 0, input.authTime),
    devices: {
      [input.deviceId]: {
        claimedAt: typeof ownClaimedAt === 'number' ? ownClaimedAt : input.stamp,
        lastSeen: input.stamp,
        generation,
        platform: input.platform,
        label: input.label,
        ...(deviceClass === undefined ? {} : { class: deviceClass }),
      },
    },
  };
  // docs/protocol.md §11.3: the one remaining entry is the only one its class counts.
  if (tracked || deviceClass !== undefined) {
    const entry = (next.devices as JsonObject)[input.deviceId];
    const counts = classCounts(current, [{ deviceId: input.deviceId, entry }]);
    if (counts === undefined) delete next.classCount;
    else next.classCount = counts;
  }
  if (Object.keys(notices).length > 0) next.evicted = notices;
  else delete next.evicted;
  if (input.planLimit === null) delete next.planLimit;
  else if (input.planLimit !== undefined) next.planLimit = input.planLimit;
  return { kind: 'applied', next, generation, evicted, claimed: own === undefined };
}
