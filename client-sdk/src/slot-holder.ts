/**
 * Runs the pure state machine (state-machine.ts) against the database (database.ts): feeds it the
 * listeners' values, the writes' outcomes and the timers, and performs its effects. It owns the two
 * clocks of the session: the lease timer (docs/protocol.md §4.4) and the alarm of a liveness check's
 * deadline (docs/protocol.md §4.9), both on server time estimated as the local clock plus `.info/serverTimeOffset`.
 * One SlotHolder per install (per browser, in the leading tab).
 */
import type { Functions } from 'firebase/functions';
import { platformClass, type DeviceClass, type LimitPolicy } from './contract';
import { isPermissionDenied, type DeviceLimitError } from './errors';
import type { PresenceGateway, ReleaseEventReason, WriteOutcome } from './database';
import { LeaseTimer } from './lease';
import type { Logger } from './logger';
import { repairPresence } from './remote';
import { requestUpdate, withdrawUpdate } from './approval';
import {
  publicState,
  reduceSession,
  startSession,
  type DeviceSessionState,
  type ReleaseReason,
  type SessionContext,
  type SessionEffect,
  type SessionEvent,
} from './state-machine';
import { Alarm, type Timers } from './timers';
import { sameState } from './state-equality';

export interface SlotHolderOptions {
  readonly gateway: PresenceGateway;
  readonly deviceId: string;
  readonly platform: string;
  readonly label: string;
  readonly timers: Timers;
  readonly logger: Logger;
  readonly leaseRenewalMs?: number;
  /** The limit when neither `/limits/{uid}` nor a plan sets one (the app's `defaultLimit`); default 2. */
  readonly defaultLimit?: number;
  /** To repair a drifted count (docs/protocol.md §5.4); without it the session reports limit-reached and warns. */
  readonly functions?: Functions;
  /** The session's `auth_time` (seconds), to recognise a force-login cut-off (docs/protocol.md §4.8.3). */
  readonly authTime?: Promise<number | null>;
  /**
   * Reads the ID token's plan limit, the `deviceLimit` claim (docs/protocol.md §11.1; null when none). Called at the
   * start, on every `claim()` and at every lease renewal, so a refreshed token's plan is seen within
   * the hour. Without it the session takes no plan into account.
   */
  readonly readPlanLimit?: () => Promise<number | null>;
  /** What a claim on a full account does (docs/protocol.md §11.2); default `refuse`. */
  readonly policy?: LimitPolicy;
  /** docs/protocol.md §11.3: the class this install declares (default: its platform's by the contract's table). */
  readonly deviceClass?: DeviceClass;
  /** Start stopped in this state instead of claiming (a tab taking over a released session). */
  readonly startStopped?: boolean;
}

/** The audit reason (docs/protocol.md §6) of a release the app or the session asked for. */
const RELEASE_EVENT_REASON: Readonly<Record<ReleaseReason, ReleaseEventReason>> = {
  released: 'signed-out',
  idle: 'idle',
  error: 'error',
};

export class SlotHolder {
  private ctx: SessionContext;
  private state: DeviceSessionState;
  private readonly listeners = new Set<(state: DeviceSessionState) => void>();
  private readonly queue: SessionEvent[] = [];
  private dispatching = false;
  private unlisten: (() => void) | null = null;
  private readonly lease: LeaseTimer;
  private readonly checkAlarm: Alarm;
  /** `.info/serverTimeOffset`: server time minus local time, as the SDK measured it at the handshake. */
  private serverTimeOffset = 0;
  private closed = false;
  private settledWaiters: Array<() => void> = [];

  constructor(private readonly options: SlotHolderOptions) {
    this.lease = new LeaseTimer({
      timers: options.timers,
      intervalMs: options.leaseRenewalMs,
      onDue: () => {
        this.dispatch({ type: 'lease-due' });
        this.readPlanLimit(); // tokens refresh hourly too: a new plan is seen within the hour (docs/protocol.md §11.1)
      },
    });
    this.checkAlarm = new Alarm(options.timers);
    const start = startSession({
      canRepair: options.functions !== undefined,
      readsPlanLimit: options.readPlanLimit !== undefined,
      ...(options.defaultLimit === undefined ? {} : { defaultLimit: options.defaultLimit }),
      ...(options.policy ? { policy: options.policy } : {}),
      // §11.3: the class the app declared, else the platform's; always written when declared.
      classes: {
        deviceClass: options.deviceClass ?? platformClass(options.platform),
        always: options.deviceClass !== undefined,
      },
    });
    this.ctx = start.context;
    this.state = publicState(this.ctx);
    this.dispatching = true;
    this.perform(start.effects);
    this.dispatching = false;
    this.dispatch({ type: 'device-id', deviceId: options.deviceId });
    if (options.startStopped) this.dispatch({ type: 'release-requested', reason: 'released' });
    options.authTime?.then((authTime) => this.dispatch({ type: 'auth-time', authTime })).catch(() => undefined);
    this.readPlanLimit();
  }

  /** docs/protocol.md §11.1: reads the token's plan limit and reports it; a failed read counts as no plan. */
  private readPlanLimit(): void {
    const read = this.options.readPlanLimit;
    if (!read) return;
    read().then(
      (planLimit) => this.dispatch({ type: 'plan-limit', planLimit }),
      (error: unknown) => {
        this.options.logger.warn?.('device-limit: reading the ID token failed; no plan limit', error);
        this.dispatch({ type: 'plan-limit', planLimit: null });
      },
    );
  }

  get current(): DeviceSessionState {
    return this.state;
  }

  subscribe(listener: (state: DeviceSessionState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  claim(): void {
    // A plan change is often why the app claims again (docs/protocol.md §11.1: getIdToken(true), then claim()).
    this.readPlanLimit();
    this.dispatch({ type: 'claim-requested' });
  }

  /** docs/protocol.md §11.4: asks the active devices to let this install in (only at `limit-reached`). */
  requestApproval(): void {
    this.dispatch({ type: 'approval-requested' });
  }

  /** Gives the slot back; resolves once the release is acknowledged (or at once while offline). */
  release(reason: ReleaseReason, error?: DeviceLimitError): Promise<void> {
    this.dispatch(error ? { type: 'release-requested', reason, error } : { type: 'release-requested', reason });
    return this.whenReleased();
  }

  /** The app came back to the foreground: renew the lease if its interval is overdue (docs/protocol.md §4.4). */
  nudge(): void {
    this.lease.nudge();
  }

  /** Detaches everything without writing (the page is going away, or the tab lost leadership). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.lease.stop();
    this.checkAlarm.clear();
    this.unlisten?.();
    this.unlisten = null;
    this.listeners.clear();
    for (const resolve of this.settledWaiters.splice(0)) resolve();
  }

  /** The server's clock now, as well as this client can tell (docs/protocol.md §4, "now"). */
  private serverNow(): number {
    return this.options.timers.now() + this.serverTimeOffset;
  }

  private whenReleased(): Promise<void> {
    if (this.isReleaseSettled()) return Promise.resolve();
    return new Promise((resolve) => this.settledWaiters.push(resolve));
  }

  private isReleaseSettled(): boolean {
    const { ctx } = this;
    if (this.closed) return true;
    // Offline: the server's onDisconnect gives the slot back; do not keep a sign-out waiting.
    return ctx.intent === 'stop' && (!ctx.connected || (ctx.pending === null && ctx.held === null));
  }

  private dispatch(event: SessionEvent): void {
    if (this.closed) return;
    this.queue.push(event);
    if (this.dispatching) return; // effects may raise events synchronously (onValue on attach)
    this.dispatching = true;
    try {
      for (let next = this.queue.shift(); next; next = this.queue.shift()) {
        const step = reduceSession(this.ctx, next, this.serverNow());
        this.ctx = step.context;
        this.perform(step.effects);
      }
    } finally {
      this.dispatching = false;
    }
    this.publish();
  }

  private publish(): void {
    if (this.closed) return;
    const next = publicState(this.ctx);
    if (next.status === 'active') this.lease.start();
    else this.lease.stop();
    if (this.isReleaseSettled()) for (const resolve of this.settledWaiters.splice(0)) resolve();
    if (sameState(next, this.state)) return;
    this.options.logger.debug?.(`device-limit: ${this.state.status} -> ${next.status}`);
    this.state = next;
    for (const listener of [...this.listeners]) {
      try {
        listener(next);
      } catch (error) {
        // An app callback must not break the session's own bookkeeping.
        this.options.logger.error?.('device-limit: a state listener threw', error);
      }
    }
  }

  private perform(effects: readonly SessionEffect[]): void {
    const { gateway, logger } = this.options;
    for (const effect of effects) {
      switch (effect.type) {
        case 'listen':
          this.unlisten = gateway.listen({
            onPresence: (presence) => this.dispatch({ type: 'presence', presence }),
            onLimit: (limit) => this.dispatch({ type: 'limit', limit }),
            onConnected: (connected) => this.dispatch({ type: 'connection', connected }),
            onServerTimeOffset: (offset) => {
              this.serverTimeOffset = offset;
            },
            onPresenceDenied: (error) => this.dispatch({ type: 'read-denied', error }),
          });
          break;
        case 'unlisten':
          this.unlisten?.();
          this.unlisten = null;
          break;
        case 'claim':
          this.settle(
            effect.id,
            gateway.claim(effect.generation, this.options.platform, this.options.label, {
              planLimit: effect.planLimit,
              clearRejoin: effect.clearRejoin === true,
              classes: effect.classes,
              releaseClasses: effect.releaseClasses,
            }),
          );
          break;
        case 'replace':
          this.settle(
            effect.id,
            gateway.replace(
              effect.generation,
              effect.victim,
              this.options.platform,
              this.options.label,
              effect.planLimit,
              { classes: effect.classes, releaseClasses: effect.releaseClasses },
            ),
          );
          break;
        case 'request': {
          const { deviceId, label, platform, deviceClass } = this.options;
          const device = { deviceId, label, platform, ...(deviceClass ? { deviceClass } : {}) };
          gateway
            .sendUpdate((uid, paths) => requestUpdate(uid, effect.slot, device, paths))
            .then(
              () => this.dispatch({ type: 'request-settled', ok: true }),
              (error: unknown) => {
                logger.debug?.('device-limit: sign-in request not stored', error);
                this.dispatch({ type: 'request-settled', ok: false });
              },
            );
          break;
        }
        case 'withdraw-request':
          gateway
            .sendUpdate((uid, paths) => withdrawUpdate(uid, effect.slot, paths))
            .catch((error: unknown) => logger.debug?.('device-limit: sign-in request not removed', error));
          break;
        case 'record-plan-limit':
          // Refused only if the database connection still runs an older token; the next read tries again.
          gateway
            .recordPlanLimit(effect.planLimit)
            .catch((error: unknown) => logger.debug?.('device-limit: plan limit not recorded', error));
          break;
        case 'resume':
          this.settle(effect.id, gateway.resume(this.options.label, effect.releaseClasses));
          break;
        case 'release':
          this.settle(effect.id, gateway.release(RELEASE_EVENT_REASON[effect.reason], effect.classes));
          break;
        case 'renew':
          this.renew();
          break;
        case 'ping':
          this.settle(effect.id, gateway.ping());
          break;
        case 'wait':
          this.waitUntil(effect.until);
          break;
        case 'sweep':
          gateway.sweep(effect.deviceId, effect.generation, effect.classes).then(
            () => this.dispatch({ type: 'sweep-settled', deviceId: effect.deviceId }),
            (error: unknown) => {
              // Refused: another device swept it first, or it renewed after all; the listener shows which.
              logger.debug?.(`device-limit: sweep of ${effect.deviceId} not applied`, error);
              this.dispatch({ type: 'sweep-settled', deviceId: effect.deviceId });
            },
          );
          break;
        case 'repair':
          this.repair();
          break;
        case 'drift-unrepaired':
          logger.warn?.(
            `device-limit: the device count says ${effect.count} but ${effect.entries} devices hold a slot; ` +
              'pass `functions` to startDeviceSession so the session can call repairPresence (docs/protocol.md §5.4).',
          );
          break;
        case 'cancel-on-disconnect':
          gateway.cancelOnDisconnect().catch((error: unknown) => logger.debug?.('device-limit: cancel failed', error));
          break;
        case 'record-denied':
          gateway
            .recordDenied()
            .catch((error: unknown) => logger.debug?.('device-limit: denied event not recorded', error));
          break;
      }
    }
  }

  private settle(id: number, outcome: Promise<WriteOutcome>): void {
    outcome.then(
      (result) => {
        if (result.kind === 'succeeded') this.dispatch({ type: 'write-succeeded', id });
        else if (result.kind === 'refused') this.dispatch({ type: 'write-refused', id });
        else {
          this.options.logger.warn?.('device-limit: write failed', result.error);
          this.dispatch({ type: 'write-failed', id, error: result.error });
        }
      },
      (error: unknown) => this.options.logger.error?.('device-limit: unexpected failure', error),
    );
  }

  private renew(): void {
    this.lease.renewed();
    this.options.gateway.renew().catch((error: unknown) => {
      this.options.logger.warn?.('device-limit: lease renewal failed', error);
      if (isPermissionDenied(error)) this.dispatch({ type: 'renewal-refused' });
    });
  }

  /** Raises `check-due` once the server's clock passes `until`, re-arming if the estimate moved. */
  private waitUntil(until: number): void {
    const remaining = until - this.serverNow();
    if (remaining <= 0) {
      this.dispatch({ type: 'check-due' });
      return;
    }
    this.checkAlarm.set(remaining, () => this.waitUntil(until));
  }

  private repair(): void {
    const { functions, logger } = this.options;
    if (!functions) return; // the machine asks only when the session has them (canRepair)
    repairPresence(functions).then(
      () => this.dispatch({ type: 'repair-settled', ok: true }),
      (error: unknown) => {
        logger.warn?.('device-limit: repairPresence failed', error);
        this.dispatch({ type: 'repair-settled', ok: false });
      },
    );
  }
}
