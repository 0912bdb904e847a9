/** Structural equality of two public states, so subscribers hear only real changes. */
import type { DeviceListEntry, SignInRequest } from './presence';
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

/** The sign-in requests an active device shows (docs/protocol.md §11.4): same slots, devices and answers. */
function sameRequests(a: readonly SignInRequest[] = [], b: readonly SignInRequest[] = []): boolean {
  return (
    a.length === b.length &&
    a.every((x, i) => {
      const y = b[i];
      return y !== undefined && x.slot === y.slot && x.deviceId === y.deviceId && x.at === y.at && x.label === y.label;
    })
  );
}

export function sameState(a: DeviceSessionState, b: DeviceSessionState): boolean {
  if (a.status !== b.status || a.deviceId !== b.deviceId) return false;
  switch (a.status) {
    case 'active': {
      const other = b as typeof a;
      return (
        a.limit === other.limit && sameDevices(a.devices, other.devices) && sameRequests(a.requests, other.requests)
      );
    }
    case 'checking': {
      const other = b as typeof a;
      return a.limit === other.limit && sameDevices(a.devices, other.devices);
    }
    case 'limit-reached': {
      const other = b as typeof a;
      return (
        a.limit === other.limit &&
        sameDevices(a.devices, other.devices) &&
        a.approval === other.approval &&
        a.classLimit?.deviceClass === other.classLimit?.deviceClass &&
        a.classLimit?.limit === other.classLimit?.limit
      );
    }
    case 'awaiting-approval': {
      const other = b as typeof a;
      return a.limit === other.limit && a.expiresAt === other.expiresAt && sameDevices(a.devices, other.devices);
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
