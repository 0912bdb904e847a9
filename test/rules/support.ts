/**
 * Protocol version 2 writes for the rules tests (docs/protocol.md §4): each builder returns the
 * locations of one operation as paths from the database root, so an operation and its audit event
 * (docs/protocol.md §6) compose into the one multi-location update the protocol sends, e.g.
 * `send(db, claimWrite(uid, D), eventWrite(db, uid, auditEvent('claimed', D)))`.
 *
 * Time: the rules compare `lastSeen`, `ping` and `at` with the server's `now`, which a test cannot
 * move. It moves the data instead: `ageEntry` and `pingAgo` write a past `lastSeen` or `ping` through
 * the admin context (as only the server could), so "three hours later" is one admin write away.
 * The database runs on this machine, so `Date.now()` is its clock; every boundary is tested with a
 * margin of `MARGIN_MS` on each side, never at the exact millisecond.
 */
import type { RulesTestEnvironment } from '@firebase/rules-unit-testing';
import { PING_DEADLINE_MS, STALE_AFTER_MS } from '@device-limit/contract';
import type { Database, DeviceInfo, PresenceState } from '../helpers/presence';
import {
  WEB_DEVICE,
  adminGet,
  adminUpdate,
  entryCount,
  increment,
  presenceOf,
  serverTimestamp,
} from '../helpers/presence';

export { PING_DEADLINE_MS, STALE_AFTER_MS };

/** Clock slack on each side of a time boundary (one machine: the round trips take milliseconds). */
export const MARGIN_MS = 2_000;

/** The locations of a multi-location update, as paths from the root. */
export type Write = Record<string, unknown>;

export interface PresenceV2 extends PresenceState {
  lastActive?: number;
  ping?: number;
  planLimit?: number;
  rejoin?: { deviceId: string; at: number };
  replaced?: string;
  policy?: string;
  classCount?: Record<string, number>;
  classLimits?: Record<string, number>;
}

export interface AuditEvent {
  type: string;
  deviceId: string;
  at: number;
  reason?: string;
}

/** One multi-location update at the root made of `parts` (later parts win on the same path). */
export function send(db: Database, ...parts: Write[]): Promise<unknown> {
  return db.ref().update(Object.assign({}, ...parts) as Write);
}

/** docs/protocol.md §4.2: the claim, with `lastActive` and the removal of this install's old notice. */
export function claimWrite(uid: string, deviceId: string, generation = 0, info: DeviceInfo = WEB_DEVICE): Write {
  const p = `presence/${uid}`;
  return {
    [`${p}/count`]: increment(1),
    [`${p}/op`]: deviceId,
    [`${p}/devices/${deviceId}`]: {
      claimedAt: serverTimestamp(),
      lastSeen: serverTimestamp(),
      generation,
      platform: info.platform,
      label: info.label,
    },
    [`${p}/lastActive`]: serverTimestamp(),
    [`${p}/evicted/${deviceId}`]: null,
  };
}

/** docs/protocol.md §4.6: the release (and the onDisconnect release). */
export function releaseWrite(uid: string, deviceId: string): Write {
  const p = `presence/${uid}`;
  return { [`${p}/count`]: increment(-1), [`${p}/op`]: deviceId, [`${p}/devices/${deviceId}`]: null };
}

/** docs/protocol.md §4.4: the lease renewal. */
export function renewWrite(uid: string, deviceId: string): Write {
  return {
    [`presence/${uid}/devices/${deviceId}/lastSeen`]: serverTimestamp(),
    [`presence/${uid}/lastActive`]: serverTimestamp(),
  };
}

/**
 * docs/protocol.md §11.2: the replace form of a claim: `deviceId` takes the slot of `victim` in one write, `count`
 * unchanged, with the victim's `replaced` notice.
 */
export function replaceWrite(
  uid: string,
  deviceId: string,
  victim: string,
  generation = 0,
  info: DeviceInfo = WEB_DEVICE,
): Write {
  const p = `presence/${uid}`;
  return {
    [`${p}/op`]: deviceId,
    [`${p}/replaced`]: victim,
    [`${p}/devices/${deviceId}`]: {
      claimedAt: serverTimestamp(),
      lastSeen: serverTimestamp(),
      generation,
      platform: info.platform,
      label: info.label,
    },
    [`${p}/devices/${victim}`]: null,
    [`${p}/evicted/${victim}`]: { reason: 'replaced', at: serverTimestamp(), generation },
    [`${p}/lastActive`]: serverTimestamp(),
    [`${p}/evicted/${deviceId}`]: null,
  };
}

/**
 * docs/protocol.md §11.3: `write` (a claim, replace, release or sweep of `uid`) with the class of each entry it
 * creates or removes: `class` set on created entries, and `classCount/{class}` moved by `moves`.
 */
export function withClasses(
  uid: string,
  write: Write,
  classes: Record<string, unknown>,
  moves: Record<string, number>,
): Write {
  const p = `presence/${uid}`;
  const out: Write = { ...write };
  for (const [deviceId, deviceClass] of Object.entries(classes)) {
    const entry = out[`${p}/devices/${deviceId}`];
    if (entry && typeof entry === 'object') out[`${p}/devices/${deviceId}`] = { ...entry, class: deviceClass };
  }
  for (const [deviceClass, delta] of Object.entries(moves)) out[`${p}/classCount/${deviceClass}`] = increment(delta);
  return out;
}

/** docs/protocol.md §11.4: a sign-in request of `deviceId` in request slot `slot`, with the rate-limit stamp. */
export function requestWrite(uid: string, slot: string, deviceId: string, info: DeviceInfo = WEB_DEVICE): Write {
  return {
    [`presence/${uid}/requests/${slot}`]: {
      deviceId,
      label: info.label,
      platform: info.platform,
      at: serverTimestamp(),
    },
    [`presence/${uid}/requestedAt`]: serverTimestamp(),
  };
}

/** docs/protocol.md §11.4: the answer of device `by` to the request in `slot`. */
export function answerWrite(uid: string, slot: string, answer: string, by: string): Write {
  const r = `presence/${uid}/requests/${slot}`;
  return { [`${r}/answer`]: answer, [`${r}/answeredBy`]: by, [`${r}/answeredAt`]: serverTimestamp() };
}

/** docs/protocol.md §11.1: the server's copy of the plan limit (the writer's own token claim, or null to remove it). */
export function planLimitWrite(uid: string, planLimit: unknown): Write {
  return { [`presence/${uid}/planLimit`]: planLimit };
}

/** docs/protocol.md §4.9: ask the holders for a liveness check. */
export function pingWrite(uid: string): Write {
  return { [`presence/${uid}/ping`]: serverTimestamp() };
}

/** docs/protocol.md §4.10: the swept notice alone (the tests combine it with `releaseWrite`, or try it without). */
export function noticeWrite(uid: string, deviceId: string, notice: Record<string, unknown> = {}): Write {
  return {
    [`presence/${uid}/evicted/${deviceId}`]: { reason: 'swept', at: serverTimestamp(), generation: 0, ...notice },
  };
}

/** docs/protocol.md §4.10: the client sweep of `deviceId`: its release plus the `swept` notice. */
export function sweepWrite(uid: string, deviceId: string, generation = 0): Write {
  return { ...releaseWrite(uid, deviceId), ...noticeWrite(uid, deviceId, { generation }) };
}

/** docs/protocol.md §6: an audit event as a client writes it, stamped with the server time. */
export function auditEvent(type: string, deviceId: string, extra: Record<string, unknown> = {}): Write {
  return { type, deviceId, at: serverTimestamp(), ...extra };
}

/** docs/protocol.md §6: `event` appended to the trail of `uid` under a new push key (made locally, as `push()` does). */
export function eventWrite(db: Database, uid: string, event: Write): Write {
  return { [`presenceEvents/${uid}/${db.ref(`presenceEvents/${uid}`).push().key}`]: event };
}

/** Makes an entry's last renewal `ageMs` old, as if its device had gone quiet that long ago. */
export function ageEntry(env: RulesTestEnvironment, uid: string, deviceId: string, ageMs: number): Promise<void> {
  return adminUpdate(env, `presence/${uid}/devices/${deviceId}`, { lastSeen: Date.now() - ageMs });
}

/** Makes the user's last liveness check `ageMs` old. */
export function pingAgo(env: RulesTestEnvironment, uid: string, ageMs: number): Promise<void> {
  return adminUpdate(env, `presence/${uid}`, { ping: Date.now() - ageMs });
}

/** `presenceOf`, typed with the version 2 fields. */
export function presenceV2(env: RulesTestEnvironment, uid: string): Promise<PresenceV2> {
  return presenceOf(env, uid);
}

export async function trailOf(env: RulesTestEnvironment, uid: string): Promise<AuditEvent[]> {
  return Object.values((await adminGet<Record<string, AuditEvent>>(env, `presenceEvents/${uid}`)) ?? {});
}

/** Everything a write of `uid` may touch: the presence node and the audit trail. */
export async function stateOf(
  env: RulesTestEnvironment,
  uid: string,
): Promise<{ presence: PresenceV2; trail: AuditEvent[] }> {
  return { presence: await presenceV2(env, uid), trail: await trailOf(env, uid) };
}

/** After a refused write: nothing of `uid` changed, and `count` still equals the entries. */
export async function expectUnchanged(
  env: RulesTestEnvironment,
  uid: string,
  before: { presence: PresenceV2; trail: AuditEvent[] },
): Promise<void> {
  const after = await stateOf(env, uid);
  expect(after).toEqual(before);
  expect(after.presence.count ?? 0).toBe(entryCount(after.presence));
}
