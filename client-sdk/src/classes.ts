/**
 * Device classes in the session (docs/protocol.md §11.3): which class this install claims as, when
 * its writes carry classes, whether its class is full, and how each write moves the class counters.
 * Pure; database.ts applies the moves to the writes.
 */
import { presencePath, type ContractPaths, type DeviceClass } from './contract';
import type { PresenceView } from './presence';

/**
 * How one write moves the class counters: the class set on the entry it creates, and the counters it
 * takes up or down by one. Every field is optional: a user without classes moves nothing.
 */
export interface ClassMoves {
  readonly entryClass?: DeviceClass;
  readonly increment?: DeviceClass;
  readonly decrement?: DeviceClass;
}

/** What the session knows about classes: its own class, and whether the app asked for classes. */
export interface ClassSettings {
  readonly deviceClass: DeviceClass;
  /** The app passed `deviceClass`: write classes even for a user without class limits. */
  readonly always: boolean;
}

/**
 * Whether this install's writes carry classes: the app asked, or the user's node tracks classes (an
 * admin set class limits, whose rules then require a class on every new entry; or other devices
 * already keep counters).
 */
export function writesClasses(settings: ClassSettings, presence: PresenceView): boolean {
  return settings.always || presence.classLimits !== null || presence.classCount !== null;
}

function counted(presence: PresenceView, deviceClass: DeviceClass | undefined): deviceClass is DeviceClass {
  return deviceClass !== undefined && presence.classCount?.[deviceClass] !== undefined;
}

/** docs/protocol.md §4.2 with §11.3: the new entry gets this install's class, and its counter +1. */
export function claimMoves(settings: ClassSettings, presence: PresenceView): ClassMoves | undefined {
  if (!writesClasses(settings, presence)) return undefined;
  return { entryClass: settings.deviceClass, increment: settings.deviceClass };
}

/** docs/protocol.md §4.6, §4.10 with §11.3: removing `deviceId` takes its class counter down, when it has one. */
export function removalMoves(presence: PresenceView, deviceId: string): ClassMoves | undefined {
  const deviceClass = presence.devices.get(deviceId)?.deviceClass;
  return counted(presence, deviceClass) ? { decrement: deviceClass } : undefined;
}

/**
 * The onDisconnect release registered right after a claim with `moves`: the claim created the counter
 * (or found it), so the release takes it down again.
 */
export function releaseAfterClaim(moves: ClassMoves | undefined): ClassMoves | undefined {
  return moves?.increment === undefined ? undefined : { decrement: moves.increment };
}

/**
 * The onDisconnect release registered right after a replace with `moves`: it takes down this install's
 * counter when the replace left one counting it (a different class was incremented, or the same class
 * was already counted).
 */
export function releaseAfterReplace(moves: ClassMoves | undefined, presence: PresenceView): ClassMoves | undefined {
  if (moves?.increment !== undefined) return { decrement: moves.increment };
  return counted(presence, moves?.entryClass) ? { decrement: moves?.entryClass as DeviceClass } : undefined;
}

/** docs/protocol.md §11.2 with §11.3: same class, no counter moves; different classes, +1 for the new, −1 for the victim. */
export function replaceMoves(settings: ClassSettings, presence: PresenceView, victim: string): ClassMoves | undefined {
  const mine = writesClasses(settings, presence) ? settings.deviceClass : undefined;
  const theirs = presence.devices.get(victim)?.deviceClass;
  if (mine !== undefined && mine === theirs) return { entryClass: mine };
  const moves: ClassMoves = {
    ...(mine === undefined ? {} : { entryClass: mine, increment: mine }),
    ...(counted(presence, theirs) ? { decrement: theirs } : {}),
  };
  return Object.keys(moves).length > 0 ? moves : undefined;
}

/** The class limit that keeps this install out (docs/protocol.md §11.3), or null when its class has room or no limit. */
export function classLimitReached(
  settings: ClassSettings,
  presence: PresenceView,
): { readonly deviceClass: DeviceClass; readonly limit: number } | null {
  const limit = presence.classLimits?.[settings.deviceClass];
  if (limit === undefined) return null;
  return (presence.classCount?.[settings.deviceClass] ?? 0) >= limit
    ? { deviceClass: settings.deviceClass, limit }
    : null;
}

/** `increment(delta)` as it goes over the wire (firebase-js-sdk `increment()`), so this file needs no SDK. */
const incrementBy = (delta: number) => ({ '.sv': { increment: delta } });

/**
 * `write` (a multi-location update at the root) with `moves` applied: the class set on the entry of
 * `deviceId` it creates, and the class counters moved by one, resolved on the server like `count`.
 */
export function withClassMoves(
  write: Record<string, unknown>,
  uid: string,
  deviceId: string,
  moves: ClassMoves | undefined,
  paths: ContractPaths,
): Record<string, unknown> {
  if (moves === undefined) return write;
  const p = presencePath(uid, paths);
  const out = { ...write };
  const entry = out[`${p}/devices/${deviceId}`];
  if (moves.entryClass !== undefined && typeof entry === 'object' && entry !== null) {
    out[`${p}/devices/${deviceId}`] = { ...entry, class: moves.entryClass };
  }
  if (moves.increment !== undefined) out[`${p}/classCount/${moves.increment}`] = incrementBy(1);
  if (moves.decrement !== undefined) out[`${p}/classCount/${moves.decrement}`] = incrementBy(-1);
  return out;
}
