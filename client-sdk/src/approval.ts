/**
 * Sign-in approval (docs/protocol.md §11.4). A device that meets a full account asks, with
 * `session.requestApproval()`; every active device of the user sees the request in its state
 * (`requests`), from the presence node it already listens to; one of them answers with
 * `approveRequest` (giving up its own slot or another's) or `refuseRequest`. The requester learns the
 * answer from the same node: its entry appears (approved) or the request says `refused`.
 */
import { get, push, ref, update, type Database } from 'firebase/database';
import { claimMoves, replaceMoves, withClassMoves, type ClassSettings } from './classes';
import {
  DEFAULT_PATHS,
  REQUEST_INTERVAL_MS,
  REQUEST_SLOTS,
  REQUEST_TTL_MS,
  platformClass,
  presenceEventsPath,
  presencePath,
  type ContractPaths,
  type DeviceClass,
} from './contract';
import { claimUpdate, replaceUpdate } from './database';
import { DeviceLimitError, isPermissionDenied } from './errors';
import { presenceFromValue, type PresenceView, type SignInRequest } from './presence';

/** `serverTimestamp()` as it goes over the wire. */
const NOW = { '.sv': 'timestamp' } as const;

/** Whether `request` can still be answered at server time `now`. */
export function isOpen(request: SignInRequest, now: number): boolean {
  return request.answer === undefined && now < request.at + REQUEST_TTL_MS;
}

/** The open requests of other devices, oldest first: what an active device shows (docs/protocol.md §11.4). */
export function pendingRequests(presence: PresenceView, now: number, self: string | null): SignInRequest[] {
  return [...presence.requests.values()]
    .filter((request) => request.deviceId !== self && isOpen(request, now))
    .sort((a, b) => a.at - b.at || (a.slot < b.slot ? -1 : 1));
}

/** This install's own request (answered or not, expired or not), or null. */
export function ownRequest(presence: PresenceView, deviceId: string): SignInRequest | null {
  return [...presence.requests.values()].find((request) => request.deviceId === deviceId) ?? null;
}

export type RequestSlot =
  | { readonly kind: 'slot'; readonly slot: string }
  /** Another request of the user was made less than REQUEST_INTERVAL_MS ago (the rules refuse a new one). */
  | { readonly kind: 'rate-limited'; readonly until: number }
  /** Every slot holds an open request. */
  | { readonly kind: 'full' };

/** Where this install's request goes: a free or expired slot, if the rate limit allows one now. */
export function chooseRequestSlot(presence: PresenceView, now: number): RequestSlot {
  if (presence.requestedAt !== null && now < presence.requestedAt + REQUEST_INTERVAL_MS) {
    return { kind: 'rate-limited', until: presence.requestedAt + REQUEST_INTERVAL_MS };
  }
  const free = REQUEST_SLOTS.find((slot) => {
    const request = presence.requests.get(slot);
    return request === undefined || now >= request.at + REQUEST_TTL_MS;
  });
  return free === undefined ? { kind: 'full' } : { kind: 'slot', slot: free };
}

/** The device a request describes, as the requester's session sends it. */
export interface RequestingDevice {
  readonly deviceId: string;
  readonly label: string;
  readonly platform: string;
  /** Only when the app declared it (`deviceClass`); otherwise its platform's class is assumed. */
  readonly deviceClass?: DeviceClass;
}

/** docs/protocol.md §11.4: the request, with the rate-limit stamp, at the root. */
export function requestUpdate(
  uid: string,
  slot: string,
  device: RequestingDevice,
  paths: ContractPaths = DEFAULT_PATHS,
): Record<string, unknown> {
  const p = presencePath(uid, paths);
  const { deviceId, label, platform, deviceClass } = device;
  return {
    [`${p}/requests/${slot}`]: { deviceId, label, platform, ...(deviceClass ? { class: deviceClass } : {}), at: NOW },
    [`${p}/requestedAt`]: NOW,
  };
}

/** docs/protocol.md §11.4: the request removed (the requester read its answer, withdrew, or it expired). */
export function withdrawUpdate(
  uid: string,
  slot: string,
  paths: ContractPaths = DEFAULT_PATHS,
): Record<string, unknown> {
  return { [`${presencePath(uid, paths)}/requests/${slot}`]: null };
}

export interface AnswerOptions {
  /** The deviceId of the answering device (it must hold a slot). */
  readonly by: string;
  readonly paths?: ContractPaths;
}

export interface ApproveOptions extends AnswerOptions {
  /**
   * The device whose slot the requester takes: the answering device's own (`by`) or another. Left out,
   * the requester is let in on a free slot (refused when the account is full).
   */
  readonly release?: string;
  /** Write the audit events of docs/protocol.md §6 (default true). */
  readonly auditEvents?: boolean;
}

async function openRequestOf(db: Database, uid: string, requester: string, paths: ContractPaths) {
  const presence = presenceFromValue((await get(ref(db, presencePath(uid, paths)))).val());
  const request = ownRequest(presence, requester);
  // Expiry is the rules' to judge (server time): only an answered or missing request is refused here.
  if (request === null || request.answer !== undefined) {
    throw new DeviceLimitError('device-limit/request-not-pending', `${requester} has no open sign-in request.`);
  }
  return { presence, request };
}

async function send(db: Database, write: Record<string, unknown>): Promise<void> {
  try {
    await update(ref(db), write);
  } catch (cause) {
    if (!isPermissionDenied(cause)) throw cause;
    throw new DeviceLimitError(
      'device-limit/request-not-pending',
      'The answer was refused: another device answered first, the request expired or was withdrawn, or the slot to give up is gone.',
      { cause },
    );
  }
}

function answer(uid: string, slot: string, value: 'approved' | 'refused', by: string, paths: ContractPaths) {
  const r = `${presencePath(uid, paths)}/requests/${slot}`;
  return { [`${r}/answer`]: value, [`${r}/answeredBy`]: by, [`${r}/answeredAt`]: NOW };
}

/**
 * docs/protocol.md §11.4: approves the open request of `requester`, in one write that also gives it its entry: the
 * slot of `release` (a replace, §11.2: that device is evicted with `replaced`), or a free slot.
 */
export async function approveRequest(
  db: Database,
  uid: string,
  requester: string,
  options: ApproveOptions,
): Promise<void> {
  const paths = options.paths ?? DEFAULT_PATHS;
  const { presence, request } = await openRequestOf(db, uid, requester, paths);
  const device = { generation: presence.generation, platform: request.platform, label: request.label };
  const classes: ClassSettings = {
    deviceClass: request.deviceClass ?? platformClass(request.platform),
    always: request.deviceClass !== undefined,
  };
  const eventId = () => (options.auditEvents === false ? null : push(ref(db, presenceEventsPath(uid, paths))).key);
  const entry =
    options.release === undefined
      ? withClassMoves(
          claimUpdate(uid, requester, device, eventId(), undefined, false, paths),
          uid,
          requester,
          claimMoves(classes, presence),
          paths,
        )
      : withClassMoves(
          replaceUpdate(
            uid,
            requester,
            options.release,
            device,
            { claimed: eventId(), released: eventId() },
            undefined,
            paths,
          ),
          uid,
          requester,
          replaceMoves(classes, presence, options.release),
          paths,
        );
  // The requester's old notice is not this write's: the claim form deletes it, which the rules allow.
  await send(db, { ...entry, ...answer(uid, request.slot, 'approved', options.by, paths) });
}

/** docs/protocol.md §11.4: refuses the open request of `requester`; its session reports `limit-reached` with `approval: 'refused'`. */
export async function refuseRequest(
  db: Database,
  uid: string,
  requester: string,
  options: AnswerOptions,
): Promise<void> {
  const paths = options.paths ?? DEFAULT_PATHS;
  const { request } = await openRequestOf(db, uid, requester, paths);
  await send(db, answer(uid, request.slot, 'refused', options.by, paths));
}
