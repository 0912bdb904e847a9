/**
 * The app's state listeners of a device session, shared by the session of one database and the session
 * that follows a shard map in migration: each listener is called with the current state at once and then
 * with every change, and one that throws is logged without breaking the session or the other listeners.
 */
import type { ClaimOutcome, DeviceSessionState } from './session-api';
import type { Logger } from './logger';

/** The states a claim settles in: what `whenClaimed()` resolves with. */
const SETTLED: ReadonlySet<string> = new Set(['active', 'limit-reached', 'evicted', 'released']);

type StateListener = (state: DeviceSessionState) => void;

export class StateListeners {
  private readonly listeners = new Set<StateListener>();

  constructor(private readonly logger: Logger | undefined) {}

  /** `onStateChanged`: calls `listener` with `current` now, then on every `emit`. */
  add(listener: StateListener, current: DeviceSessionState): () => void {
    this.listeners.add(listener);
    this.notify(listener, current);
    return () => this.listeners.delete(listener);
  }

  /** `whenClaimed`: `current` if it is settled, else the next settled state emitted. */
  whenSettled(current: DeviceSessionState): Promise<ClaimOutcome> {
    if (SETTLED.has(current.status)) return Promise.resolve(current as ClaimOutcome);
    return new Promise((resolve) => {
      const listener = (state: DeviceSessionState) => {
        if (!SETTLED.has(state.status)) return;
        this.listeners.delete(listener);
        resolve(state as ClaimOutcome);
      };
      this.listeners.add(listener);
    });
  }

  emit(state: DeviceSessionState): void {
    for (const listener of [...this.listeners]) this.notify(listener, state);
  }

  clear(): void {
    this.listeners.clear();
  }

  private notify(listener: StateListener, state: DeviceSessionState): void {
    try {
      listener(state);
    } catch (error) {
      // An app callback must not break the session (nor the other listeners).
      this.logger?.error?.('device-limit: a state listener threw', error);
    }
  }
}
