/**
 * The writes and listeners of docs/protocol.md §4, exactly as documented, against the `firebase`
 * modular SDK. This is the only file of the session that imports `firebase/database`.
 */
import { increment, onDisconnect, onValue, push, ref, serverTimestamp, update, type Database } from 'firebase/database';
import { devicePath, limitPath, presenceEventsPath, presencePath, type Platform } from './contract';
import { DeviceLimitError, isPermissionDenied } from './errors';
import { presenceFromValue, type PresenceView } from './presence';

export type WriteOutcome =
  | { readonly kind: 'succeeded' }
  | { readonly kind: 'refused' }
  | { readonly kind: 'failed'; readonly error: DeviceLimitError };

const SUCCEEDED: WriteOutcome = { kind: 'succeeded' };
const REFUSED: WriteOutcome = { kind: 'refused' };

/** §4.2: the claim, one multi-location update at `/presence/{uid}`. */
export function claimUpdate(
  deviceId: string,
  generation: number,
  platform: Platform,
  label: string,
): Record<string, unknown> {
  return {
    count: increment(1),
    op: deviceId,
    [`devices/${deviceId}`]: {
      claimedAt: serverTimestamp(),
      lastSeen: serverTimestamp(),
      generation,
      platform,
      label,
    },
  };
}

/** §4.6: the release, the exact mirror of the claim; also what the onDisconnect runs. */
export function releaseUpdate(deviceId: string): Record<string, unknown> {
  return { count: increment(-1), op: deviceId, [`devices/${deviceId}`]: null };
}

export interface PresenceListeners {
  readonly onPresence: (presence: PresenceView) => void;
  readonly onLimit: (limit: number | null) => void;
  readonly onConnected: (connected: boolean) => void;
  readonly onPresenceDenied: (error: DeviceLimitError) => void;
}

/** The operations one device session performs, bound to its database, uid and device. */
export class PresenceGateway {
  constructor(
    private readonly db: Database,
    private readonly uid: string,
    private readonly deviceId: string,
  ) {}

  private get presenceRef() {
    return ref(this.db, presencePath(this.uid));
  }

  /**
   * §4.2 then §4.6: the claim, and right behind it on the same socket the onDisconnect release. The
   * server handles a connection's requests in order, so the registration is checked once the entry
   * exists, without waiting a round trip during which a dropped socket would leave a stale entry.
   */
  async claim(generation: number, platform: Platform, label: string): Promise<WriteOutcome> {
    const claimed = update(this.presenceRef, claimUpdate(this.deviceId, generation, platform, label));
    const registered = onDisconnect(this.presenceRef).update(releaseUpdate(this.deviceId));
    registered.catch(() => undefined); // awaited below only if the claim went through
    try {
      await claimed;
    } catch (error) {
      return this.outcomeOf(error, 'device-limit/claim-failed', 'The claim failed');
    }
    return this.afterRegistration(registered);
  }

  /** §4.3: an entry of ours exists — heartbeat (with the current label, §4.5) and register again. */
  async resume(label: string): Promise<WriteOutcome> {
    const beat = update(ref(this.db, devicePath(this.uid, this.deviceId)), { lastSeen: serverTimestamp(), label });
    const registered = onDisconnect(this.presenceRef).update(releaseUpdate(this.deviceId));
    registered.catch(() => undefined);
    try {
      await beat;
    } catch (error) {
      return this.outcomeOf(error, 'device-limit/claim-failed', 'The resume heartbeat failed');
    }
    return this.afterRegistration(registered);
  }

  /** §4.6: a deliberate release cancels the onDisconnect first, then releases. */
  async release(): Promise<WriteOutcome> {
    // Both requests leave in this order on the socket; awaiting the cancel first would only add a
    // round trip (and never resolve if the socket drops in between: see state-machine.ts).
    const cancelled = onDisconnect(this.presenceRef).cancel();
    cancelled.catch(() => undefined);
    try {
      await update(this.presenceRef, releaseUpdate(this.deviceId));
    } catch (error) {
      return this.outcomeOf(error, 'device-limit/release-failed', 'The release failed');
    }
    return SUCCEEDED;
  }

  /** §4.4. */
  heartbeat(): Promise<void> {
    return update(ref(this.db, devicePath(this.uid, this.deviceId)), { lastSeen: serverTimestamp() });
  }

  cancelOnDisconnect(): Promise<void> {
    return onDisconnect(this.presenceRef).cancel();
  }

  /** §6: the one audit event the owner may append. */
  async recordDenied(): Promise<void> {
    await push(ref(this.db, presenceEventsPath(this.uid)), {
      type: 'denied',
      deviceId: this.deviceId,
      reason: 'limit-reached',
      at: serverTimestamp(),
    });
  }

  /** §4.1: one listener on the whole presence node, plus the limit and `.info/connected`. */
  listen(listeners: PresenceListeners): () => void {
    const unsubscribes = [
      onValue(
        this.presenceRef,
        (snapshot) => listeners.onPresence(presenceFromValue(snapshot.val())),
        (error) =>
          listeners.onPresenceDenied(
            new DeviceLimitError('device-limit/permission-denied', `Reading ${presencePath(this.uid)} was refused.`, {
              cause: error,
            }),
          ),
      ),
      onValue(
        ref(this.db, limitPath(this.uid)),
        (snapshot) => {
          const value: unknown = snapshot.val();
          listeners.onLimit(typeof value === 'number' ? value : null);
        },
        // An unreadable limit (older rules) falls back to the default; the claim is still checked.
        () => listeners.onLimit(null),
      ),
      onValue(ref(this.db, '.info/connected'), (snapshot) => listeners.onConnected(snapshot.val() === true)),
    ];
    return () => {
      for (const unsubscribe of unsubscribes) unsubscribe();
    };
  }

  private async afterRegistration(registered: Promise<void>): Promise<WriteOutcome> {
    try {
      await registered;
      return SUCCEEDED;
    } catch (cause) {
      // A slot that nothing gives back would lock the user out until the sweep: undo the claim.
      await update(this.presenceRef, releaseUpdate(this.deviceId)).catch(() => undefined);
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
