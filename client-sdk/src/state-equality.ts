/** Structural equality of two public states, so subscribers hear only real changes. */
import type { DeviceListEntry } from './presence';
import type { DeviceSessionState } from './state-machine';

function sameDevices(a: readonly DeviceListEntry[], b: readonly DeviceListEntry[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((x, i) => {
    const y = b[i];
    return (
      y !== undefined &&
      x.deviceId === y.deviceId &&
      x.platform === y.platform &&
      x.label === y.label &&
      x.claimedAt === y.claimedAt &&
      x.lastSeen === y.lastSeen &&
      x.generation === y.generation &&
      x.current === y.current
    );
  });
}

export function sameState(a: DeviceSessionState, b: DeviceSessionState): boolean {
  if (a.status !== b.status || a.deviceId !== b.deviceId) return false;
  switch (a.status) {
    case 'active':
    case 'checking':
    case 'limit-reached': {
      const other = b as typeof a;
      return a.limit === other.limit && sameDevices(a.devices, other.devices);
    }
    case 'evicted':
      return a.reason === (b as typeof a).reason;
    case 'released': {
      const other = b as typeof a;
      return a.reason === other.reason && a.error === other.error;
    }
    default:
      return true;
  }
}
