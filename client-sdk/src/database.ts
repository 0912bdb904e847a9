/**
 * The writes and listeners of docs/protocol.md §4, exactly as documented, against the `firebase`
 * modular SDK. This is the only file of the session that imports `firebase/database`.
 *
 * Claims, releases and sweeps are multi-location updates at the database root, because their audit
 * event (docs/protocol.md §6) lives outside `/presence/{uid}`; renewals and pings stay at `/presence/{uid}`. The roots
 * are the app's `paths` (docs/adopt.md, "Configuration"), the protocol's by default: each builder
 * takes them last.
 */
import { increment, onDisconnect, onValue, push, ref, serverTimestamp, update, type Database } from 'firebase/database';
import { DEFAULT_PATHS, limitPath, presenceEventsPath, presencePath, type ContractPaths } from './contract';
import { DeviceLimitError, isPermissionDenied } from './errors';
import { withClassMoves, type ClassMoves } from './classes';
import { presenceFromValue, type PresenceView } from './presence';

export type WriteOutcome =
  | { readonly kind: 'succeeded' }
  | { readonly kind: 'refused' }
  | { readonly kind: 'failed'; readonly error: DeviceLimitError };

const SUCCEEDED: WriteOutcome = { kind: 'succeeded' };
const REFUSED: WriteOutcome = { kind: 'refused' };

/** The `reason` of a `released` audit event (docs/protocol.md §6). */
export type ReleaseEventReason = 'signed-out' | 'idle' | 'disconnected' | 'error';

/** One audit event (docs/protocol.md §6) at its root path, or nothing when the app turned the events off (`eventId` null). */
function auditEvent(
  uid: string,
  eventId: string | null,
  event: Record<string, unknown>,
  paths: ContractPaths,
): Record<string, unknown> {
  if (eventId === null) return {};
  return { [`${presenceEventsPath(uid, paths)}/${eventId}`]: { ...event, at: serverTimestamp() } };
}

/** docs/protocol.md §4.2: the claim, at the root. */
export function claimUpdate(
  uid: string,
  deviceId: string,
  device: { readonly generation: number; readonly platform: string; readonly label: string },
  eventId: string | null,
  planLimit?: number | null,
  clearRejoin = false,
  paths: ContractPaths = DEFAULT_PATHS,
): Record<string, unknown> {
  const p = presencePath(uid, paths);
  return {
    // docs/protocol.md §4.11: this install's own rejoin reservation (or an expired one) ends with its claim.
    ...(clearRejoin ? { [`${p}/rejoin`]: null } : {}),
    // §11.1: the token's plan limit as the server's copy, in the same write (the rules check it).
    ...(planLimit === undefined ? {} : { [`${p}/planLimit`]: planLimit }),
    [`${p}/count`]: increment(1),
    [`${p}/op`]: deviceId,
    [`${p}/devices/${deviceId}`]: {
      claimedAt: serverTimestamp(),
      lastSeen: serverTimestamp(),
      generation: device.generation,
      platform: device.platform,
      label: device.label,
    },
    [`${p}/lastActive`]: serverTimestamp(),
    // A notice about this install that it has already acted on (docs/protocol.md §4.8: the next claim deletes it).
    [`${p}/evicted/${deviceId}`]: null,
    ...auditEvent(uid, eventId, { type: 'claimed', deviceId }, paths),
  };
}

/**
 * docs/protocol.md §11.2: the replace form of the claim, at the root: this install's entry appears and `victim`'s
 * disappears with a `replaced` notice, `count` untouched, `op` and `replaced` naming them; with a
 * `claimed` event for this install and a `released` one (reason `replaced`) for the victim.
 */
export function replaceUpdate(
  uid: string,
  deviceId: string,
  victim: string,
  device: { readonly generation: number; readonly platform: string; readonly label: string },
  eventIds: { readonly claimed: string | null; readonly released: string | null },
  planLimit?: number | null,
  paths: ContractPaths = DEFAULT_PATHS,
): Record<string, unknown> {
  const p = presencePath(uid, paths);
  // The claim of docs/protocol.md §4.2 without its count move: a replace keeps `count`.
  const claim = claimUpdate(uid, deviceId, device, eventIds.claimed, planLimit, false, paths);
  delete claim[`${p}/count`];
  return {
    ...claim,
    [`${p}/replaced`]: victim,
    [`${p}/devices/${victim}`]: null,
    [`${p}/evicted/${victim}`]: { reason: 'replaced', at: serverTimestamp(), generation: device.generation },
    ...auditEvent(uid, eventIds.released, { type: 'released', deviceId: victim, reason: 'replaced' }, paths),
  };
}

/** docs/protocol.md §4.6: the release, the exact mirror of the claim; also what the onDisconnect runs. */
export function releaseUpdate(
  uid: string,
  deviceId: string,
  reason: ReleaseEventReason,
  eventId: string | null,
  paths: ContractPaths = DEFAULT_PATHS,
): Record<string, unknown> {
  return {
    ...entryRemoval(presencePath(uid, paths), deviceId),
    ...auditEvent(uid, eventId, { type: 'released', deviceId, reason }, paths),
  };
}

/** docs/protocol.md §4.6, §4.10: the core of every removal of an entry: `count` −1 with `op` naming it. */
function entryRemoval(p: string, deviceId: string): Record<string, unknown> {
  return { [`${p}/count`]: increment(-1), [`${p}/op`]: deviceId, [`${p}/devices/${deviceId}`]: null };
}

/**
 * docs/protocol.md §4.6 and §4.11: what the server runs when this install's connection ends: the release, plus the
 * rejoin reservation that keeps the freed slot for this install for REJOIN_WINDOW_MS. The connection
 * ending is not always the install ending (another tab of the browser takes over, the app reconnected
 * on a new socket before the server noticed the old one died), and this keeps a waiting device from
 * taking the slot in between.
 */
export function disconnectReleaseUpdate(
  uid: string,
  deviceId: string,
  eventId: string | null,
  paths: ContractPaths = DEFAULT_PATHS,
): Record<string, unknown> {
  return {
    ...releaseUpdate(uid, deviceId, 'disconnected', eventId, paths),
    [`${presencePath(uid, paths)}/rejoin`]: { deviceId, at: serverTimestamp() },
  };
}

/** docs/protocol.md §4.10: removes another entry of the user with a `swept` notice. */
export function sweepUpdate(
  uid: string,
  deviceId: string,
  generation: number,
  eventId: string | null,
  paths: ContractPaths = DEFAULT_PATHS,
): Record<string, unknown> {
  const p = presencePath(uid, paths);
  return {
    ...entryRemoval(p, deviceId),
    [`${p}/evicted/${deviceId}`]: { reason: 'swept', at: serverTimestamp(), generation },
    ...auditEvent(uid, eventId, { type: 'swept', deviceId }, paths),
  };
}

/** docs/protocol.md §4.4 (and §4.3 with the label, §4.5): relative to `/presence/{uid}`. */
export function renewalUpdate(deviceId: string, label?: string): Record<string, unknown> {
  return {
    [`devices/${deviceId}/lastSeen`]: serverTimestamp(),
    ...(label === undefined ? {} : { [`devices/${deviceId}/label`]: label }),
    lastActive: serverTimestamp(),
  };
}

export interface PresenceListeners {
  readonly onPresence: (presence: PresenceView) => void;
  readonly onLimit: (limit: number | null) => void;
  readonly onConnected: (connected: boolean) => void;
  readonly onServerTimeOffset: (offsetMs: number) => void;
  readonly onPresenceDenied: (error: DeviceLimitError) => void;
}

/** The operations one device session performs, bound to its database, uid and device. */
export class PresenceGateway {
  constructor(
    private readonly db: Database,
    private readonly uid: string,
    private readonly deviceId: string,
    private readonly options: {
      readonly auditEvents: boolean;
      readonly paths?: ContractPaths;
      /** docs/protocol.md §10.2 (R1): the map epoch every claim and replace of this session carries. */
      readonly mapEpoch?: number;
    },
  ) {
    this.paths = options.paths ?? DEFAULT_PATHS;
  }

  /** The app's roots (its `paths` option). */
  private readonly paths: ContractPaths;
  /** docs/protocol.md §11.3: the class counter the registered onDisconnect release takes down (set by claim and resume). */
  private releaseClasses: ClassMoves | undefined;

  private get presenceRef() {
    return ref(this.db, presencePath(this.uid, this.paths));
  }

  private get eventsRef() {
    return ref(this.db, presenceEventsPath(this.uid, this.paths));
  }

  /** A push id generated on the client (no round trip), or null when audit events are off. */
  private eventId(): string | null {
    return this.options.auditEvents ? push(this.eventsRef).key : null;
  }

  /**
   * docs/protocol.md §4.2 then §4.6: the claim, and right behind it on the same socket the onDisconnect release. The
   * server handles a connection's requests in order, so the registration is checked once the entry
   * exists, without waiting a round trip during which a dropped socket would leave a ghost entry.
   */
  async claim(
    generation: number,
    platform: string,
    label: string,
    options: {
      readonly planLimit?: number | null;
      readonly clearRejoin?: boolean;
      /** docs/protocol.md §11.3: the class moves of the claim, and of the release registered after it. */
      readonly classes?: ClassMoves;
      readonly releaseClasses?: ClassMoves;
    } = {},
  ): Promise<WriteOutcome> {
    const device = { generation, platform, label };
    const write = claimUpdate(
      this.uid,
      this.deviceId,
      device,
      this.eventId(),
      options.planLimit,
      options.clearRejoin,
      this.paths,
    );
    this.releaseClasses = options.releaseClasses;
    return this.takeSlot(withClassMoves(write, this.uid, this.deviceId, options.classes, this.paths));
  }

  /** docs/protocol.md §11.2 then §4.6: the replace form of the claim, then the onDisconnect release as after a claim. */
  replace(
    generation: number,
    victim: string,
    platform: string,
    label: string,
    planLimit?: number | null,
    classes: { readonly classes?: ClassMoves; readonly releaseClasses?: ClassMoves } = {},
  ): Promise<WriteOutcome> {
    const device = { generation, platform, label };
    const eventIds = { claimed: this.eventId(), released: this.eventId() };
    const write = replaceUpdate(this.uid, this.deviceId, victim, device, eventIds, planLimit, this.paths);
    this.releaseClasses = classes.releaseClasses;
    return this.takeSlot(withClassMoves(write, this.uid, this.deviceId, classes.classes, this.paths));
  }

  private async takeSlot(write: Record<string, unknown>): Promise<WriteOutcome> {
    const { mapEpoch } = this.options;
    const mapped =
      mapEpoch === undefined ? write : { ...write, [`${presencePath(this.uid, this.paths)}/mapEpoch`]: mapEpoch };
    const claimed = update(ref(this.db), mapped);
    const registered = this.registerRelease();
    registered.catch(() => undefined); // awaited below only if the claim went through
    try {
      await claimed;
    } catch (error) {
      return this.outcomeOf(error, 'device-limit/claim-failed', 'The claim failed');
    }
    return this.afterRegistration(registered);
  }

  /** docs/protocol.md §4.3: an entry of ours exists — renew the lease (with the current label, §4.5) and register again. */
  async resume(label: string, releaseClasses?: ClassMoves): Promise<WriteOutcome> {
    this.releaseClasses = releaseClasses;
    const renewed = update(this.presenceRef, renewalUpdate(this.deviceId, label));
    const registered = this.registerRelease();
    registered.catch(() => undefined);
    try {
      await renewed;
    } catch (error) {
      return this.outcomeOf(error, 'device-limit/claim-failed', 'The resume failed');
    }
    return this.afterRegistration(registered);
  }

  /** docs/protocol.md §4.6: a deliberate release cancels the onDisconnect first, then releases. */
  async release(reason: ReleaseEventReason, classes?: ClassMoves): Promise<WriteOutcome> {
    // Both requests leave in this order on the socket; awaiting the cancel first would only add a
    // round trip (and never resolve if the socket drops in between: see state-machine.ts).
    this.cancelOnDisconnect().catch(() => undefined);
    try {
      const write = releaseUpdate(this.uid, this.deviceId, reason, this.eventId(), this.paths);
      await update(ref(this.db), withClassMoves(write, this.uid, this.deviceId, classes, this.paths));
    } catch (error) {
      return this.outcomeOf(error, 'device-limit/release-failed', 'The release failed');
    }
    return SUCCEEDED;
  }

  /** docs/protocol.md §4.4: rejects with the SDK's error (PERMISSION_DENIED when the entry is gone). */
  renew(): Promise<void> {
    return update(this.presenceRef, renewalUpdate(this.deviceId));
  }

  /** docs/protocol.md §11.1: the token's plan limit as the server's copy; refused unless it is this session's claim. */
  recordPlanLimit(planLimit: number | null): Promise<void> {
    return update(this.presenceRef, { planLimit });
  }

  /** docs/protocol.md §4.9 step 1: refused (PERMISSION_DENIED) when another check was asked within PING_DEADLINE_MS. */
  async ping(): Promise<WriteOutcome> {
    try {
      await update(this.presenceRef, { ping: serverTimestamp() });
    } catch (error) {
      return this.outcomeOf(error, 'device-limit/claim-failed', 'The liveness check failed');
    }
    return SUCCEEDED;
  }

  /** docs/protocol.md §4.10; rejects when refused (another device swept it first, or it answered after all). */
  async sweep(deviceId: string, generation: number, classes?: ClassMoves): Promise<void> {
    const write = sweepUpdate(this.uid, deviceId, generation, this.eventId(), this.paths);
    await update(ref(this.db), withClassMoves(write, this.uid, deviceId, classes, this.paths));
  }

  /**
   * Drops this install's onDisconnect release. Cancelled where it lives, at `/presence/{uid}` and at
   * the audit trail, not at the root as docs/protocol.md §4.6 sketches it: a cancel at the root would
   * also drop the app's own onDisconnect writes on this connection. A cancel drops every part of a
   * registration below its path (the SDK's `repoOnDisconnectCancel` mirrors it with
   * `sparseSnapshotTreeForget`), so together the two drop the whole release.
   */
  /** One update at the root built for this user and the app's roots (the requests of docs/protocol.md §11.4). */
  async sendUpdate(build: (uid: string, paths: ContractPaths) => Record<string, unknown>): Promise<void> {
    await update(ref(this.db), build(this.uid, this.paths));
  }

  cancelOnDisconnect(): Promise<void> {
    return Promise.all([onDisconnect(this.presenceRef).cancel(), onDisconnect(this.eventsRef).cancel()]).then(
      () => undefined,
    );
  }

  /** docs/protocol.md §6: the event of a claim that settled at the limit (not tied to a write of its own). */
  async recordDenied(): Promise<void> {
    if (!this.options.auditEvents) return;
    await push(this.eventsRef, {
      type: 'denied',
      deviceId: this.deviceId,
      reason: 'limit-reached',
      at: serverTimestamp(),
    });
  }

  /** docs/protocol.md §4.1: one listener on the whole presence node, plus the limit and the SDK's connection info. */
  listen(listeners: PresenceListeners): () => void {
    const unsubscribes = [
      onValue(
        this.presenceRef,
        (snapshot) => listeners.onPresence(presenceFromValue(snapshot.val())),
        (error) =>
          listeners.onPresenceDenied(
            new DeviceLimitError(
              'device-limit/permission-denied',
              `Reading ${presencePath(this.uid, this.paths)} was refused.`,
              {
                cause: error,
              },
            ),
          ),
      ),
      onValue(
        ref(this.db, limitPath(this.uid, this.paths)),
        (snapshot) => {
          const value: unknown = snapshot.val();
          listeners.onLimit(typeof value === 'number' ? value : null);
        },
        // An unreadable limit (older rules) falls back to the default; the claim is still checked.
        () => listeners.onLimit(null),
      ),
      // Local values of the SDK: no server listen, no cost.
      onValue(ref(this.db, '.info/serverTimeOffset'), (snapshot) => {
        const offset: unknown = snapshot.val();
        listeners.onServerTimeOffset(typeof offset === 'number' && Number.isFinite(offset) ? offset : 0);
      }),
      onValue(ref(this.db, '.info/connected'), (snapshot) => listeners.onConnected(snapshot.val() === true)),
    ];
    return () => {
      for (const unsubscribe of unsubscribes) unsubscribe();
    };
  }

  /**
   * docs/protocol.md §4.6: the onDisconnect release at the root, with a fresh event id. An earlier registration on
   * this connection (a resume on the same socket, a session restarted on the same Database) has its
   * presence keys replaced by this one, but its audit event sits under another push id; cancelling the
   * audit path first keeps a disconnect to exactly one `released` event.
   */
  private registerRelease(): Promise<void> {
    const eventId = this.eventId();
    const cancelled = eventId === null ? null : onDisconnect(this.eventsRef).cancel();
    const release = disconnectReleaseUpdate(this.uid, this.deviceId, eventId, this.paths);
    const registered = onDisconnect(ref(this.db)).update(
      withClassMoves(release, this.uid, this.deviceId, this.releaseClasses, this.paths),
    );
    return Promise.all([cancelled, registered]).then(() => undefined);
  }

  private async afterRegistration(registered: Promise<void>): Promise<WriteOutcome> {
    try {
      await registered;
      return SUCCEEDED;
    } catch (cause) {
      // A slot that nothing gives back would lock the user out until a check or the sweep: undo it.
      const undo = releaseUpdate(this.uid, this.deviceId, 'error', this.eventId(), this.paths);
      await update(ref(this.db), withClassMoves(undo, this.uid, this.deviceId, this.releaseClasses, this.paths)).catch(
        () => undefined,
      );
      return {
        kind: 'failed',
        error: new DeviceLimitError(
          'device-limit/on-disconnect-failed',
          'The onDisconnect release could not be registered, so the slot was given back.',
          { cause },
        ),
      };
    }
  }

  private outcomeOf(
    error: unknown,
    code: 'device-limit/claim-failed' | 'device-limit/release-failed',
    message: string,
  ): WriteOutcome {
    if (isPermissionDenied(error)) return REFUSED;
    return { kind: 'failed', error: new DeviceLimitError(code, `${message}: ${String(error)}`, { cause: error }) };
  }
}
