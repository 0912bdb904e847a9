/**
 * Runs the pure state machine (state-machine.ts) against the database (database.ts): feeds it the
 * listeners' values and the writes' outcomes, performs its effects, and keeps the heartbeat going
 * while the slot is held. One SlotHolder per install (per browser, in the leading tab).
 */
import type { Platform } from './contract';
import { isPermissionDenied, type DeviceLimitError } from './errors';
import type { PresenceGateway, WriteOutcome } from './database';
import { Heartbeat } from './heartbeat';
import type { Logger } from './logger';
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
import type { Timers } from './timers';
import { sameState } from './state-equality';

export interface SlotHolderOptions {
  readonly gateway: PresenceGateway;
  readonly deviceId: string;
  readonly platform: Platform;
  readonly label: string;
  readonly timers: Timers;
  readonly logger: Logger;
  readonly heartbeatIntervalMs?: number;
  /** The session's `auth_time` (seconds), to recognise a force-login cut-off (§4.8.3). */
  readonly authTime?: Promise<number | null>;
  /** Start stopped in this state instead of claiming (a tab taking over a released session). */
  readonly startStopped?: boolean;
}

export class SlotHolder {
  private ctx: SessionContext;
  private state: DeviceSessionState;
  private readonly listeners = new Set<(state: DeviceSessionState) => void>();
  private readonly queue: SessionEvent[] = [];
  private dispatching = false;
  private unlisten: (() => void) | null = null;
  private readonly heartbeat: Heartbeat;
  private closed = false;
  private settledWaiters: Array<() => void> = [];

  constructor(private readonly options: SlotHolderOptions) {
    this.heartbeat = new Heartbeat({
      timers: options.timers,
      intervalMs: options.heartbeatIntervalMs,
      beat: () => this.beat(),
      onError: (error) => options.logger.warn?.('device-limit: heartbeat failed', error),
    });
    const start = startSession();
    this.ctx = start.context;
    this.state = publicState(this.ctx);
    this.dispatching = true;
    this.perform(start.effects);
    this.dispatching = false;
    this.dispatch({ type: 'device-id', deviceId: options.deviceId });
    if (options.startStopped) this.dispatch({ type: 'release-requested', reason: 'released' });
    options.authTime?.then((authTime) => this.dispatch({ type: 'auth-time', authTime })).catch(() => undefined);
  }

  get current(): DeviceSessionState {
    return this.state;
  }

  subscribe(listener: (state: DeviceSessionState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  claim(): void {
    this.dispatch({ type: 'claim-requested' });
  }

  /** Gives the slot back; resolves once the release is acknowledged (or at once while offline). */
  release(reason: ReleaseReason, error?: DeviceLimitError): Promise<void> {
    this.dispatch(error ? { type: 'release-requested', reason, error } : { type: 'release-requested', reason });
    return this.whenReleased();
  }

  /** The app came back to the foreground: heartbeat now (bounded by the minimum gap). */
  nudge(): void {
    this.heartbeat.nudge();
  }

  /** Detaches everything without writing (the page is going away, or the tab lost leadership). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.heartbeat.stop();
    this.unlisten?.();
    this.unlisten = null;
    this.listeners.clear();
    for (const resolve of this.settledWaiters.splice(0)) resolve();
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
        const step = reduceSession(this.ctx, next);
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
    if (next.status === 'active') this.heartbeat.start();
    else this.heartbeat.stop();
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
            onPresenceDenied: (error) => this.dispatch({ type: 'read-denied', error }),
          });
          break;
        case 'unlisten':
          this.unlisten?.();
          this.unlisten = null;
          break;
        case 'claim':
          this.settle(effect.id, gateway.claim(effect.generation, this.options.platform, this.options.label));
          break;
        case 'resume':
          this.settle(effect.id, gateway.resume(this.options.label));
          break;
        case 'release':
          this.settle(effect.id, gateway.release());
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

  private async beat(): Promise<void> {
    try {
      await this.options.gateway.heartbeat();
    } catch (error) {
      if (isPermissionDenied(error)) this.dispatch({ type: 'heartbeat-refused' });
      throw error;
    }
  }
}
