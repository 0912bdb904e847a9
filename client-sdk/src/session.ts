/**
 * `startDeviceSession(db, user, options)`: the public entry point. It resolves the install's
 * deviceId, elects the tab that holds the slot (web), runs the SlotHolder there and mirrors its state
 * in the other tabs, and wires the app lifecycle (page visibility, user activity for the idle timeout).
 */
import type { Database } from 'firebase/database';
import {
  isClassFor,
  isLimitPolicy,
  platformClass,
  isValidDeviceId,
  resolveClientConfig,
  resolveLabel,
  unknownPlatformMessage,
  type DeviceClass,
  type DeviceLimitConfig,
} from './contract';
import { PresenceGateway } from './database';
import { DeviceLimitError } from './errors';
import { IdleTimer } from './idle';
import { validateLeaseRenewal } from './lease';
import { SILENT_LOGGER, type Logger } from './logger';
import { SlotHolder } from './slot-holder';
import { planLimitOf } from './token';
import { sessionPlacement, type PresenceDatabase } from './shards';
import { MigratingDeviceSession } from './migration';
import type {
  ClaimOutcome,
  DeviceSession,
  DeviceSessionOptions,
  DeviceSessionState,
  DeviceSessionUser,
  TabCoordination,
} from './session-api';
import { sameState } from './state-equality';
import { StateListeners } from './state-listeners';
import { browserLocalStorage, DEVICE_ID_STORAGE_KEY, getOrCreateDeviceId } from './storage';
import { decodeState, encodeState, parseTabMessage, type TabCommand, type TabMessage } from './tab-messages';
import { electWithLease, electWithWebLocks, soleLeader, type TabChannel, type TabElection } from './tab-election';
import { systemTimers, type Timers } from './timers';
import {
  describeUserAgent,
  isBrowser,
  localLeaseStore,
  onUserActivity,
  onVisibilityChange,
  openTabChannel,
  webLocks,
} from './web';

/** How often a follower tab forwards activity to the leader at most. */
const ACTIVITY_FORWARD_MS = 5000; /* 5 s */
/** How long a follower's release() waits for the leader to confirm. */
const FOLLOWER_RELEASE_WAIT_MS = 5000; /* 5 s */

async function authTimeOf(user: DeviceSessionUser): Promise<number | null> {
  if (!user.getIdTokenResult) return null;
  const { claims } = await user.getIdTokenResult();
  const value = Number(claims.auth_time);
  return Number.isFinite(value) ? value : null;
}

class DeviceSessionImpl implements DeviceSession {
  private current: DeviceSessionState;
  private readonly listeners: StateListeners;
  private readonly disposers: Array<() => void> = [];
  private readonly timers: Timers;
  private readonly logger: Logger;
  readonly platform: string;
  readonly label: string;
  readonly deviceClass: DeviceClass | undefined;
  /** The app's `paths`, `defaultLimit` and `platforms`, checked. */
  private readonly config: DeviceLimitConfig;
  private readonly channel: TabChannel | null;
  private readonly election: TabElection;
  private readonly idle: IdleTimer | null;
  private holder: SlotHolder | null = null;
  private holderUnsubscribe: (() => void) | null = null;
  /** The app's last wish, applied when this tab starts leading. */
  private wantsSlot = true;
  private closed = false;
  private lastForwardedActivity = Number.NEGATIVE_INFINITY;
  /** Follower release() calls waiting for the leader's `released` message. */
  private readonly releaseWaiters = new Set<() => void>();

  constructor(
    private readonly db: Database,
    private readonly user: DeviceSessionUser,
    private readonly options: DeviceSessionOptions,
    /** docs/protocol.md §10.2: the epoch of the app's shard map, written with every claim (R1). */
    private readonly mapEpoch?: number,
  ) {
    if (!user || typeof user.uid !== 'string' || user.uid.length === 0) {
      throw new DeviceLimitError(
        'device-limit/invalid-argument',
        'startDeviceSession needs a signed-in user with a uid.',
      );
    }
    const browser = isBrowser();
    this.config = resolveClientConfig(options);
    const platform = options.platform ?? (browser ? 'web' : undefined);
    // The configured list, not the contract's: the rules were generated with it (`--platforms`).
    if (typeof platform !== 'string' || !this.config.platforms.includes(platform)) {
      throw new DeviceLimitError(
        'device-limit/invalid-argument',
        unknownPlatformMessage(platform, this.config.platforms),
      );
    }
    if (options.deviceId !== undefined && !isValidDeviceId(options.deviceId)) {
      throw new DeviceLimitError('device-limit/invalid-argument', 'deviceId must match ^[A-Za-z0-9_-]{8,64}$.');
    }
    if (options.leaseRenewalMs !== undefined) validateLeaseRenewal(options.leaseRenewalMs);
    if (options.policy !== undefined && !isLimitPolicy(options.policy)) {
      throw new DeviceLimitError(
        'device-limit/invalid-argument',
        `policy must be 'refuse' or 'evict-least-recent' (got ${String(options.policy)}).`,
      );
    }
    // docs/protocol.md §11.3: the rules accept only the platform's class, or tv.
    if (options.deviceClass !== undefined && !isClassFor(platform, options.deviceClass)) {
      throw new DeviceLimitError(
        'device-limit/invalid-argument',
        `deviceClass must be ${platformClass(platform)} (the class of ${platform}) or tv (got ${String(options.deviceClass)}).`,
      );
    }
    if (options.deviceId === undefined && !options.storage && !browserLocalStorage()) {
      throw new DeviceLimitError(
        'device-limit/storage-unavailable',
        'No localStorage here: pass `storage` (e.g. AsyncStorage) or `deviceId`.',
      );
    }
    this.platform = platform;
    this.deviceClass = options.deviceClass;
    this.label = resolveLabel(options.label, browser ? describeUserAgent() : platform);
    this.timers = options.timers ?? systemTimers;
    this.logger = options.logger ?? SILENT_LOGGER;
    this.listeners = new StateListeners(this.logger);
    this.current = { status: 'claiming', deviceId: options.deviceId ?? null };

    this.idle =
      options.idleTimeoutMs === undefined
        ? null
        : new IdleTimer({
            timers: this.timers,
            timeoutMs: options.idleTimeoutMs,
            onIdle: () => void this.holder?.release('idle'),
            onActive: () => {
              if (
                options.reclaimOnActivity !== false &&
                this.current.status === 'released' &&
                this.current.reason === 'idle'
              ) {
                this.holder?.claim();
              }
            },
          });

    const tabs = options.tabs ?? browser;
    const coordination: TabCoordination = tabs === true ? {} : tabs === false ? {} : tabs;
    const name = `device-limit:${user.uid}`;
    this.channel =
      tabs === false ? null : coordination.channel !== undefined ? coordination.channel : openTabChannel(name);
    this.election = this.elect(tabs !== false, coordination, name);
    if (this.channel) {
      const channel = this.channel;
      this.disposers.push(channel.subscribe((message) => this.onTabMessage(message)));
      if (coordination.channel === undefined) this.disposers.push(() => channel.close());
    }
    this.disposers.push(this.election.onLeadershipChanged((leader) => (leader ? this.lead() : this.follow())));
    if (this.election.isLeader) this.lead();
    else this.post({ type: 'device-limit:hello' });

    if ((options.lifecycle ?? (browser ? 'auto' : 'manual')) === 'auto' && browser) {
      this.disposers.push(onVisibilityChange((visible) => (visible ? this.resume() : this.pause())));
      if (this.idle) this.disposers.push(onUserActivity(() => this.reportActivity()));
    }
  }

  private elect(enabled: boolean, coordination: TabCoordination, name: string): TabElection {
    if (!enabled) return soleLeader();
    const locks = coordination.locks !== undefined ? coordination.locks : webLocks();
    if (locks)
      return electWithWebLocks(locks, name, (error) => this.logger.warn?.('device-limit: Web Locks failed', error));
    const store = coordination.leaseStore !== undefined ? coordination.leaseStore : localLeaseStore(`${name}:lease`);
    if (store && this.channel) {
      const tabId = Math.random().toString(36).slice(2) + this.timers.now().toString(36);
      return electWithLease({ store, channel: this.channel, timers: this.timers, tabId });
    }
    return soleLeader();
  }

  get deviceId(): string | null {
    return this.current.deviceId;
  }

  get state(): DeviceSessionState {
    return this.current;
  }

  onStateChanged(listener: (state: DeviceSessionState) => void): () => void {
    return this.listeners.add(listener, this.current);
  }

  whenClaimed(): Promise<ClaimOutcome> {
    return this.listeners.whenSettled(this.current);
  }

  claim(): void {
    if (this.closed)
      throw new DeviceLimitError('device-limit/session-closed', 'This device session was closed; start a new one.');
    if (this.current.status === 'evicted' && this.current.reason === 'force-login') {
      // Claiming would be refused by the rules (this sign-in is older than the cut-off, protocol docs/protocol.md §4.8),
      // and staying `evicted` without a word would look like a button that does nothing.
      throw new DeviceLimitError(
        'device-limit/sign-in-required',
        'This device was signed out by "sign out all other devices" on another device. Sign the user in ' +
          'again, then start a new device session for the new sign-in; this session cannot claim a slot.',
      );
    }
    this.wantsSlot = true;
    this.idle?.start();
    if (this.holder) this.holder.claim();
    else if (!this.election.isLeader) this.command('claim');
  }

  requestApproval(): void {
    if (this.holder) this.holder.requestApproval();
    else if (!this.election.isLeader) this.command('request-approval');
  }

  async release(): Promise<void> {
    this.wantsSlot = false;
    this.idle?.stop();
    if (this.holder) return this.holder.release('released');
    if (this.election.isLeader || this.closed) return; // the holder starts stopped (wantsSlot)
    this.command('release');
    // Wait for the leader to report its release acknowledged (or give up after a while: the leader
    // may be frozen, and a sign-out must not hang).
    await new Promise<void>((resolve) => {
      let timer: unknown = null;
      const done = () => {
        this.timers.clearTimeout(timer);
        this.releaseWaiters.delete(done);
        resolve();
      };
      timer = this.timers.setTimeout(done, FOLLOWER_RELEASE_WAIT_MS);
      this.releaseWaiters.add(done);
    });
  }

  pause(): void {
    // Nothing to stop: an idle holder writes nothing but its hourly renewal, and the server's
    // onDisconnect frees the slot if the OS closes the socket. resume() makes up for suspended timers.
  }

  resume(): void {
    if (this.holder) this.holder.nudge();
    else if (!this.election.isLeader) this.command('resume');
  }

  reportActivity(): void {
    if (this.election.isLeader) {
      this.idle?.activity();
      return;
    }
    const now = this.timers.now();
    if (now - this.lastForwardedActivity < ACTIVITY_FORWARD_MS) return;
    this.lastForwardedActivity = now;
    this.command('activity');
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.idle?.stop();
    this.follow();
    this.election.close();
    for (const dispose of this.disposers.splice(0).reverse()) dispose();
    for (const resolve of [...this.releaseWaiters]) resolve();
    this.listeners.clear();
  }

  /** This tab now holds the slot for the browser: resolve the deviceId and start the SlotHolder. */
  private lead(): void {
    if (this.closed || this.holder) return;
    const startStopped = !this.wantsSlot || this.current.status === 'released' || this.current.status === 'evicted';
    void this.resolveDeviceId().then(
      (deviceId) => {
        if (this.closed || !this.election.isLeader || this.holder) return;
        const holder = new SlotHolder({
          gateway: new PresenceGateway(this.db, this.user.uid, deviceId, {
            auditEvents: this.options.auditEvents !== false,
            paths: this.config.paths,
            ...(this.mapEpoch === undefined ? {} : { mapEpoch: this.mapEpoch }),
          }),
          deviceId,
          platform: this.platform,
          label: this.label,
          timers: this.timers,
          logger: this.logger,
          leaseRenewalMs: this.options.leaseRenewalMs,
          defaultLimit: this.config.defaultLimit,
          ...(this.options.functions ? { functions: this.options.functions } : {}),
          authTime: authTimeOf(this.user).catch(() => null),
          ...(this.user.getIdTokenResult ? { readPlanLimit: () => planLimitOf(this.user) } : {}),
          ...(this.options.policy ? { policy: this.options.policy } : {}),
          ...(this.options.deviceClass ? { deviceClass: this.options.deviceClass } : {}),
          startStopped,
        });
        this.holder = holder;
        this.holderUnsubscribe = holder.subscribe((state) => this.publish(state));
        // A tab taking over a stopped session keeps showing why it stopped (e.g. evicted).
        if (!startStopped || this.current.status === 'claiming') this.publish(holder.current);
        if (!startStopped) this.idle?.start();
      },
      (error: unknown) => {
        const failure =
          error instanceof DeviceLimitError
            ? error
            : new DeviceLimitError('device-limit/storage-unavailable', 'Could not resolve the deviceId.', {
                cause: error,
              });
        this.publish({ status: 'released', deviceId: null, reason: 'error', error: failure });
      },
    );
  }

  /** This tab stopped leading (closing): detach the holder without releasing. */
  private follow(): void {
    this.holderUnsubscribe?.();
    this.holderUnsubscribe = null;
    this.holder?.close();
    this.holder = null;
  }

  private resolveDeviceId(): Promise<string> {
    if (this.options.deviceId !== undefined) return Promise.resolve(this.options.deviceId);
    const storage = this.options.storage ?? browserLocalStorage();
    if (!storage)
      return Promise.reject(new DeviceLimitError('device-limit/storage-unavailable', 'No storage for the deviceId.'));
    // Read under leadership: only one tab at a time creates the id, so tabs never end up with two.
    return getOrCreateDeviceId(storage, this.options.storageKey ?? DEVICE_ID_STORAGE_KEY);
  }

  private publish(state: DeviceSessionState): void {
    if (this.closed || sameState(state, this.current)) return;
    this.current = state;
    if (this.holder) this.post({ type: 'device-limit:state', state: encodeState(state) });
    this.listeners.emit(state);
  }

  private onTabMessage(raw: unknown): void {
    const message = parseTabMessage(raw);
    if (!message || this.closed) return;
    if (message.type === 'device-limit:released') {
      for (const resolve of [...this.releaseWaiters]) resolve();
      return;
    }
    if (message.type === 'device-limit:state') {
      const state = decodeState(message.state);
      if (state && !this.holder) this.publish(state);
      return;
    }
    if (!this.holder) return;
    if (message.type === 'device-limit:hello') {
      this.post({ type: 'device-limit:state', state: encodeState(this.current) });
      return;
    }
    this.applyCommand(message.command);
  }

  private applyCommand(command: TabCommand): void {
    switch (command) {
      case 'claim':
        this.claim();
        break;
      case 'release':
        void this.release().then(() => this.post({ type: 'device-limit:released' }));
        break;
      case 'resume':
        this.resume();
        break;
      case 'activity':
        this.reportActivity();
        break;
      case 'request-approval':
        this.requestApproval();
        break;
    }
  }

  private command(command: TabCommand): void {
    this.post({ type: 'device-limit:command', command });
  }

  private post(message: TabMessage): void {
    try {
      this.channel?.post(message);
    } catch (error) {
      this.logger.debug?.('device-limit: tab message not sent', error);
    }
  }
}

/**
 * Starts holding a device slot for `user` on this install (docs/protocol.md §4). Call it once the
 * user is signed in; call `release()` before signing out. `database` is the app's `Database`, or,
 * when users are spread over several instances (docs/protocol.md §10), the shard configuration: the whole session
 * (claim, renewals, release, liveness checks) runs on the instance that holds this user.
 */
export function startDeviceSession(
  database: PresenceDatabase,
  user: DeviceSessionUser,
  options: DeviceSessionOptions = {},
): DeviceSession {
  const placement = sessionPlacement(database, user?.uid, 'startDeviceSession');
  if (placement.kind === 'migrating') {
    // docs/protocol.md §10.3: which instance serves this user takes a read of their previous one; the session places
    // itself, and places itself again when a fence closes the instance it was on before it claimed.
    const { shards, checked, uid } = placement;
    return new MigratingDeviceSession(shards, checked, uid, options, (db, mapEpoch) => {
      return new DeviceSessionImpl(db, user, options, mapEpoch);
    });
  }
  return new DeviceSessionImpl(placement.db, user, options, placement.mapEpoch);
}
