/**
 * What the tabs of one browser tell each other about the shared slot. The leading tab publishes its
 * state; the others ask for it and forward what happens in them (activity, resume, release, claim).
 * Messages cross BroadcastChannel (structured clone) or `storage` events (JSON), so they are plain
 * data: a DeviceLimitError travels as `{code, message}`.
 */
import { DeviceLimitError, type DeviceLimitErrorCode } from './errors';
import type { DeviceSessionState } from './state-machine';

export type TabCommand = 'claim' | 'release' | 'resume' | 'activity' | 'request-approval';

export type TabMessage =
  | { readonly type: 'device-limit:hello' }
  | { readonly type: 'device-limit:state'; readonly state: unknown }
  | { readonly type: 'device-limit:command'; readonly command: TabCommand }
  /** The leader's release (asked by any tab) was acknowledged by the database. */
  | { readonly type: 'device-limit:released' };

const COMMANDS: readonly string[] = ['claim', 'release', 'resume', 'activity', 'request-approval'];

export function encodeState(state: DeviceSessionState): unknown {
  if (state.status === 'released' && state.error) {
    const { error, ...rest } = state;
    return { ...rest, error: { code: error.code, message: error.message } };
  }
  return state;
}

export function decodeState(value: unknown): DeviceSessionState | null {
  if (typeof value !== 'object' || value === null) return null;
  const raw = value as { status?: unknown; error?: { code?: unknown; message?: unknown } };
  switch (raw.status) {
    case 'claiming':
    case 'active':
    case 'checking':
    case 'limit-reached':
    case 'awaiting-approval':
    case 'evicted':
    case 'offline':
      return value as DeviceSessionState;
    case 'released': {
      if (!raw.error) return value as DeviceSessionState;
      const error = new DeviceLimitError(raw.error.code as DeviceLimitErrorCode, String(raw.error.message));
      return { ...(value as DeviceSessionState & { status: 'released' }), error };
    }
    default:
      return null;
  }
}

export function parseTabMessage(value: unknown): TabMessage | null {
  if (typeof value !== 'object' || value === null) return null;
  const m = value as { type?: unknown; command?: unknown; state?: unknown };
  if (m.type === 'device-limit:hello' || m.type === 'device-limit:released') return { type: m.type };
  if (m.type === 'device-limit:state') return { type: m.type, state: m.state };
  if (m.type === 'device-limit:command' && typeof m.command === 'string' && COMMANDS.includes(m.command)) {
    return { type: m.type, command: m.command as TabCommand };
  }
  return null;
}
