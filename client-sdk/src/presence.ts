/**
 * A typed, read-only view of `/presence/{uid}` (docs/protocol.md §2), parsed defensively: the client
 * only reads what the rules let in, but a server bug or a newer schema must not crash the app.
 */
import {
  isDeviceClass,
  isLimitPolicy,
  type DeviceClass,
  type LimitPolicy,
  type NoticeReason,
  type RequestAnswer,
} from './contract';

/** One device holding a slot, as stored at `/presence/{uid}/devices/{deviceId}`. */
export interface DeviceEntry {
  readonly deviceId: string;
  /** One of {@link PLATFORMS}; kept as a string so a newer server's value does not break parsing. */
  readonly platform: string;
  readonly label: string;
  /** Server time (ms) of the claim. */
  readonly claimedAt: number;
  /** Server time (ms) of the latest claim, lease renewal or liveness answer (docs/protocol.md §2). */
  readonly lastSeen: number;
  readonly generation: number;
  /** The class the entry carries (docs/protocol.md §11.3), when it has one: `mobile`, `tv`, `desktop`, `web`, `other`. */
  readonly deviceClass?: DeviceClass;
}

/** A device as listed to the app: the entry plus whether it is this install. */
export interface DeviceListEntry extends DeviceEntry {
  readonly current: boolean;
}

/** `/presence/{uid}/evicted/{deviceId}` (docs/protocol.md §4.8): written by the server with each removal. */
export interface EvictionNotice {
  readonly reason: NoticeReason | string;
  /** Server time (ms) of the eviction. */
  readonly at: number;
  readonly generation: number;
}

/** `/presence/{uid}/rejoin` (docs/protocol.md §4.11): the slot the latest onDisconnect release freed, kept for its device. */
export interface RejoinReservation {
  readonly deviceId: string;
  /** Server time (ms) of the release; the slot is kept until `at + REJOIN_WINDOW_MS`. */
  readonly at: number;
}

/** `/presence/{uid}/requests/{slot}` (docs/protocol.md §11.4): a device asking to be let in, and its answer once given. */
export interface SignInRequest {
  /** `r0` to `r2`. */
  readonly slot: string;
  readonly deviceId: string;
  readonly label: string;
  readonly platform: string;
  readonly deviceClass?: DeviceClass;
  /** Server time (ms) of the request; it can be answered until `at + REQUEST_TTL_MS`. */
  readonly at: number;
  readonly answer?: RequestAnswer;
  readonly answeredBy?: string;
}

export interface PresenceView {
  readonly count: number;
  readonly generation: number;
  /** Seconds since the epoch (the unit of `auth_time`), or null when absent. */
  readonly notBefore: number | null;
  /** Server time (ms) of the latest liveness check (docs/protocol.md §4.9), or null when none was ever asked. */
  readonly ping: number | null;
  /** The server's copy of the plan limit (docs/protocol.md §11.1), or null when absent. */
  readonly planLimit: number | null;
  /** The rejoin reservation (docs/protocol.md §4.11), or null when none was left. */
  readonly rejoin: RejoinReservation | null;
  /** An admin's per-user policy at a full account (docs/protocol.md §11.2), or null when the app's option applies. */
  readonly policy: LimitPolicy | null;
  /** An admin's per-class limits for this user (docs/protocol.md §11.3), or null when none are set. */
  readonly classLimits: Readonly<Partial<Record<DeviceClass, number>>> | null;
  /** The per-class counters (docs/protocol.md §11.3), or null when none exists. */
  readonly classCount: Readonly<Partial<Record<DeviceClass, number>>> | null;
  /** Sign-in requests by slot (docs/protocol.md §11.4), expired ones included (the reader compares `at` with now). */
  readonly requests: ReadonlyMap<string, SignInRequest>;
  /** Server time (ms) of the user's latest request (docs/protocol.md §11.4: at most one per REQUEST_INTERVAL_MS), or null. */
  readonly requestedAt: number | null;
  readonly devices: ReadonlyMap<string, DeviceEntry>;
  readonly evicted: ReadonlyMap<string, EvictionNotice>;
}

export const EMPTY_PRESENCE: PresenceView = {
  count: 0,
  generation: 0,
  notBefore: null,
  ping: null,
  planLimit: null,
  rejoin: null,
  classLimits: null,
  classCount: null,
  requests: new Map(),
  requestedAt: null,
  policy: null,
  devices: new Map(),
  evicted: new Map(),
};

function asRecord(value: unknown): Record<string, unknown> | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null;
}

function asNumber(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

/** `classLimits` or `classCount` (docs/protocol.md §11.3): the numbers of known classes, or null when there are none. */
function classNumbers(value: unknown): Partial<Record<DeviceClass, number>> | null {
  const record = asRecord(value);
  if (!record) return null;
  const numbers: Partial<Record<DeviceClass, number>> = {};
  for (const [key, raw] of Object.entries(record)) {
    if (isDeviceClass(key) && typeof raw === 'number' && Number.isFinite(raw)) numbers[key] = raw;
  }
  return numbers;
}

/** `requests` (docs/protocol.md §11.4), keeping only well-formed ones. */
function requestsFromValue(value: unknown): Map<string, SignInRequest> {
  const requests = new Map<string, SignInRequest>();
  for (const [slot, raw] of Object.entries(asRecord(value) ?? {})) {
    const r = asRecord(raw);
    if (!r || typeof r.deviceId !== 'string' || typeof r.at !== 'number' || !Number.isFinite(r.at)) continue;
    requests.set(slot, {
      slot,
      deviceId: r.deviceId,
      label: typeof r.label === 'string' ? r.label : r.deviceId,
      platform: typeof r.platform === 'string' ? r.platform : 'other',
      ...(isDeviceClass(r.class) ? { deviceClass: r.class } : {}),
      at: r.at,
      ...(r.answer === 'approved' || r.answer === 'refused' ? { answer: r.answer } : {}),
      ...(typeof r.answeredBy === 'string' ? { answeredBy: r.answeredBy } : {}),
    });
  }
  return requests;
}

/** Parses the value of `/presence/{uid}` (`snapshot.val()`); null means "no presence yet". */
export function presenceFromValue(value: unknown): PresenceView {
  const root = asRecord(value);
  if (!root) return EMPTY_PRESENCE;
  const devices = new Map<string, DeviceEntry>();
  for (const [deviceId, raw] of Object.entries(asRecord(root.devices) ?? {})) {
    const entry = asRecord(raw);
    if (!entry) continue;
    devices.set(deviceId, {
      deviceId,
      platform: typeof entry.platform === 'string' ? entry.platform : 'other',
      label: typeof entry.label === 'string' ? entry.label : deviceId,
      claimedAt: asNumber(entry.claimedAt, 0),
      lastSeen: asNumber(entry.lastSeen, 0),
      generation: asNumber(entry.generation, 0),
      ...(isDeviceClass(entry.class) ? { deviceClass: entry.class } : {}),
    });
  }
  const evicted = new Map<string, EvictionNotice>();
  for (const [deviceId, raw] of Object.entries(asRecord(root.evicted) ?? {})) {
    const notice = asRecord(raw);
    if (!notice) continue;
    evicted.set(deviceId, {
      reason: typeof notice.reason === 'string' ? notice.reason : 'signed-out',
      at: asNumber(notice.at, 0),
      generation: asNumber(notice.generation, 0),
    });
  }
  const rejoin = asRecord(root.rejoin);
  return {
    count: asNumber(root.count, 0),
    generation: asNumber(root.generation, 0),
    notBefore: typeof root.notBefore === 'number' ? root.notBefore : null,
    ping: typeof root.ping === 'number' && Number.isFinite(root.ping) ? root.ping : null,
    planLimit: typeof root.planLimit === 'number' && Number.isFinite(root.planLimit) ? root.planLimit : null,
    policy: isLimitPolicy(root.policy) ? root.policy : null,
    classLimits: classNumbers(root.classLimits),
    classCount: classNumbers(root.classCount),
    requests: requestsFromValue(root.requests),
    requestedAt: typeof root.requestedAt === 'number' && Number.isFinite(root.requestedAt) ? root.requestedAt : null,
    rejoin:
      rejoin && typeof rejoin.deviceId === 'string' && typeof rejoin.at === 'number' && Number.isFinite(rejoin.at)
        ? { deviceId: rejoin.deviceId, at: rejoin.at }
        : null,
    devices,
    evicted,
  };
}

/**
 * The user's devices, oldest claim first (the order in which they took their slots), with this
 * install marked.
 */
export function listDeviceEntries(presence: PresenceView, currentDeviceId: string | null): DeviceListEntry[] {
  return [...presence.devices.values()]
    .sort((a, b) => a.claimedAt - b.claimedAt || (a.deviceId < b.deviceId ? -1 : a.deviceId > b.deviceId ? 1 : 0))
    .map((entry) => ({ ...entry, current: entry.deviceId === currentDeviceId }));
}

/** `/limits/{uid}` when it is a number, else the default (docs/protocol.md §2). */
export function limitFromValue(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}
