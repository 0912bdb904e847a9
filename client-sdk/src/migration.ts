/**
 * A device session under a shard map in migration (docs/protocol.md §10.3): the map has `previous`,
 * and the user's instance under `previous` differs from the one under `instances`. The rule that keeps
 * "no slot lost or doubled": the previous instance serves the user until their last device there is
 * gone; then a fence (`movedOut`, rule R2) closes it for them, and only then does the new one serve
 * them. The rules enforce both halves (R1 refuses claims behind a fence; R2 writes a fence only where
 * the user holds no entry), so a client that follows this file never has entries on both instances,
 * and a client that races it is refused rather than counted twice.
 *
 * `placeUser` is steps 1–2 of docs/protocol.md §10.3 (the decision itself is `shardStep` of the contract);
 * `MigratingDeviceSession` runs an ordinary session on the instance it picks (step 3) and starts over
 * when a claim there is refused (step 4): the instance it picked was fenced, or its last holder left,
 * between the read and the claim.
 */
import { get, ref, update, type Database } from 'firebase/database';
import { MOVED_NOTICE_REASON, shardStep, type PreviousPresence, type ShardStep } from '@device-limit/contract';
import { presencePath, resolveClientConfig, resolveLabel, type ContractPaths } from './contract';
import { DeviceLimitError, isPermissionDenied } from './errors';
import type { ClaimOutcome, DeviceSession, DeviceSessionOptions, DeviceSessionState } from './session-api';
import { StateListeners } from './state-listeners';
import { openInstance, type CheckedShardList, type DatabaseShardList } from './shards';
import { describeUserAgent, isBrowser } from './web';

/**
 * Fences refused in a row (each followed by a read that found neither an entry nor a fence) before
 * the client reports a misconfigured deployment instead of looping (docs/protocol.md §10.3 step 2). A refusal is
 * normally a claim that reached the previous instance first; seeing that three times with the entry
 * gone again each time means the instance cannot take the fence (its `/shardEpoch` is behind).
 */
export const MAX_FENCE_ATTEMPTS = 3;

/**
 * Placements after a claim refused on the placed instance (docs/protocol.md §10.3 step 4) before the session reports
 * the refusal as it is: a fence between the read and the claim explains one, not several in a row.
 */
export const MAX_PLACEMENTS = 3;

/** Where a session runs: the Database, its instance, and the map epoch its claims carry (R1). */
export interface UserPlacement {
  readonly db: Database;
  readonly instance: string;
  readonly mapEpoch: number;
}

/** What step 1 reads: does the user hold an entry on the instance, and is it fenced (docs/protocol.md §10.3). */
function observe(value: unknown): PreviousPresence {
  const node = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const devices = node.devices;
  const hasDevices = typeof devices === 'object' && devices !== null && Object.keys(devices).length > 0;
  const movedOut = node.movedOut;
  return typeof movedOut === 'number' ? { hasDevices, movedOut } : { hasDevices };
}

/**
 * docs/protocol.md §10.3 steps 1–2 for `uid`: the instance this device serves its session on. Reads the previous
 * instance once (through the app's Database for it, which an app moving off its default instance
 * has open anyway), and writes the fence there when the user holds nothing on it.
 */
export async function placeUser(
  shards: DatabaseShardList,
  checked: CheckedShardList,
  uid: string,
  paths: ContractPaths,
): Promise<UserPlacement> {
  const { map, urls } = checked;
  const mapEpoch = map.epoch ?? 0;
  const open = (instance: string) => openInstance(shards, urls.get(instance) as string);
  const path = presencePath(uid, paths);
  let step: ShardStep = shardStep(uid, map);
  let refusedFences = 0;
  for (;;) {
    switch (step.kind) {
      case 'serve':
        return { db: open(step.instance), instance: step.instance, mapEpoch };
      case 'stale-map':
        throw new DeviceLimitError(
          'device-limit/stale-shard-map',
          `The user's previous instance was closed by the shard map of epoch ${step.movedOut}, newer than this one ` +
            `(epoch ${mapEpoch}): fetch the shard configuration again (docs/protocol.md §10.3).`,
        );
      case 'read': {
        const snapshot = await get(ref(open(step.instance), path));
        step = shardStep(uid, map, observe(snapshot.val()));
        break;
      }
      case 'fence': {
        const { instance, epoch, then } = step;
        try {
          await update(ref(open(instance), path), { movedOut: epoch });
          return { db: open(then), instance: then, mapEpoch };
        } catch (error) {
          if (!isPermissionDenied(error)) throw error;
          refusedFences += 1;
          if (refusedFences >= MAX_FENCE_ATTEMPTS) {
            throw new DeviceLimitError(
              'device-limit/shard-misconfigured',
              `${instance} refused the fence movedOut = ${epoch} ${refusedFences} times although the user holds no ` +
                `entry there: is its /shardEpoch set to ${epoch} and are its rules up to date (docs/protocol.md §10.5)?`,
              { cause: error },
            );
          }
          // A claim reached the previous instance first: the user is still served there. Read again.
          step = { kind: 'read', instance };
        }
        break;
      }
    }
  }
}

/** A session on one instance; `mapEpoch` is written with its claims. */
export type SessionFactory = (db: Database, mapEpoch: number) => DeviceSession;

/**
 * The DeviceSession of a map in migration: places the user (above), then runs an ordinary session
 * on that instance for as long as it holds or waits for a slot. It reports `claiming` while placing.
 */
export class MigratingDeviceSession implements DeviceSession {
  private current: DeviceSessionState;
  private inner: DeviceSession | null = null;
  /** Where `inner` runs: the instance a `moved` notice is read on (docs/protocol.md §10.4). */
  private innerDb: Database | null = null;
  private innerUnsubscribe: (() => void) | null = null;
  private readonly listeners: StateListeners;
  private readonly paths: ContractPaths;
  private readonly fallbackPlatform: string;
  private readonly fallbackLabel: string;
  private wantsSlot = true;
  private placing = false;
  private placements = 0;
  private closed = false;

  constructor(
    private readonly shards: DatabaseShardList,
    private readonly checked: CheckedShardList,
    private readonly uid: string,
    options: DeviceSessionOptions,
    private readonly factory: SessionFactory,
  ) {
    // The options the inner session checks again are checked here too, so they throw at once.
    this.paths = resolveClientConfig(options).paths;
    const browser = isBrowser();
    this.fallbackPlatform = options.platform ?? (browser ? 'web' : 'other');
    this.fallbackLabel = resolveLabel(options.label, browser ? describeUserAgent() : this.fallbackPlatform);
    this.current = { status: 'claiming', deviceId: options.deviceId ?? null };
    this.listeners = new StateListeners(options.logger);
    this.place();
  }

  get deviceId(): string | null {
    return this.current.deviceId;
  }

  get platform(): string {
    return this.inner?.platform ?? this.fallbackPlatform;
  }

  get label(): string {
    return this.inner?.label ?? this.fallbackLabel;
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
    this.wantsSlot = true;
    if (this.inner) this.inner.claim();
    else {
      // A session that stopped before it was placed (release(), or a placement that failed) places again.
      this.placements = 0;
      this.place();
    }
  }

  /** docs/protocol.md §11.4: asked of the session placed on the user's instance (none yet: nothing to ask). */
  requestApproval(): void {
    this.inner?.requestApproval();
  }

  async release(): Promise<void> {
    this.wantsSlot = false;
    if (this.inner) return this.inner.release();
    // Nothing held yet: the placement in flight ends without starting a session (place()).
    if (!this.placing) this.publish({ status: 'released', deviceId: this.current.deviceId, reason: 'released' });
  }

  pause(): void {
    this.inner?.pause();
  }

  resume(): void {
    this.inner?.resume();
  }

  reportActivity(): void {
    this.inner?.reportActivity();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.detach();
    this.listeners.clear();
  }

  /** docs/protocol.md §10.3 steps 1–2, then the session on the instance they pick. */
  private place(): void {
    if (this.placing || this.closed) return;
    this.placing = true;
    this.placements += 1;
    if (this.current.status !== 'claiming') this.publish({ status: 'claiming', deviceId: this.current.deviceId });
    placeUser(this.shards, this.checked, this.uid, this.paths).then(
      (placement) => {
        this.placing = false;
        if (this.closed) return;
        if (!this.wantsSlot) {
          this.publish({ status: 'released', deviceId: this.current.deviceId, reason: 'released' });
          return;
        }
        let inner: DeviceSession;
        try {
          inner = this.factory(placement.db, placement.mapEpoch);
        } catch (error) {
          this.fail(error);
          return;
        }
        this.inner = inner;
        this.innerDb = placement.db;
        this.innerUnsubscribe = inner.onStateChanged((state) => this.onInnerState(state));
      },
      (error: unknown) => {
        this.placing = false;
        if (!this.closed) this.fail(error);
      },
    );
  }

  private onInnerState(state: DeviceSessionState): void {
    if (state.status === 'active') this.placements = 0;
    // docs/protocol.md §10.3 step 4: the claim was refused on the instance this session was placed on although a slot
    // looked free there: the likeliest cause is a fence written between the read and the claim (the
    // last holder left, another device fenced). Place again; the rules refused the claim, so nothing
    // was counted on either instance meanwhile.
    if (
      state.status === 'released' &&
      state.reason === 'error' &&
      state.error?.code === 'device-limit/claim-failed' &&
      this.wantsSlot &&
      this.placements < MAX_PLACEMENTS
    ) {
      this.detach();
      this.place();
      return;
    }
    if (state.status === 'evicted' && this.wantsSlot && this.innerDb !== null) {
      this.onEvicted(state.deviceId, this.innerDb, state);
      return;
    }
    this.publish(state);
  }

  /**
   * docs/protocol.md §10.4: the finishing job removes the entries of users still on their previous instance with the
   * notice `moved` and fences it in the same write. That is not an eviction to show the user: the
   * session places again (docs/protocol.md §10.3 step 1 finds the fence and serves on home) and claims there. The inner
   * session reports any notice as `evicted` with the reasons of docs/protocol.md §4.8, so the notice's own reason is
   * read here, once, on the instance it was written on; any other reason is reported as it is.
   */
  private onEvicted(deviceId: string, db: Database, state: DeviceSessionState): void {
    const path = `${presencePath(this.uid, this.paths)}/evicted/${deviceId}/reason`;
    get(ref(db, path)).then(
      (snapshot) => {
        if (this.closed || this.inner?.state.status !== 'evicted') return;
        if (snapshot.val() === MOVED_NOTICE_REASON && this.wantsSlot) {
          this.detach();
          this.placements = 0;
          this.place();
        } else {
          this.publish(state);
        }
      },
      // The read failed: what the inner session saw is all this session knows.
      () => {
        if (!this.closed && this.inner?.state.status === 'evicted') this.publish(state);
      },
    );
  }

  private fail(error: unknown): void {
    const failure =
      error instanceof DeviceLimitError
        ? error
        : new DeviceLimitError('device-limit/claim-failed', `Placing the user on a shard failed: ${String(error)}`, {
            cause: error,
          });
    this.publish({ status: 'released', deviceId: this.current.deviceId, reason: 'error', error: failure });
  }

  private detach(): void {
    this.innerUnsubscribe?.();
    this.innerUnsubscribe = null;
    this.inner?.close();
    this.inner = null;
    this.innerDb = null;
  }

  private publish(state: DeviceSessionState): void {
    if (this.closed) return;
    this.current = state;
    this.listeners.emit(state);
  }
}
