/**
 * Every sentence the demo shows, as pure functions of the session state, so the wording lives in one
 * place. The eviction reasons are the client module's (`EvictionReason`, docs/protocol.md §4.8, §5).
 */
import { isDeviceLimitError, type DeviceSessionState, type EvictionReason } from '@device-limit/client';

export interface Message {
  readonly title: string;
  readonly body: string;
}

/** Why this device lost its slot, in the user's words. */
export function evictionMessage(reason: EvictionReason): Message {
  switch (reason) {
    case 'force-login':
      return {
        title: 'This device was signed out',
        body: 'You chose “Sign out all other devices” on another device. Sign in again to use this one.',
      };
    case 'signed-out-remotely':
      return {
        title: 'This device was signed out',
        body: 'It was signed out from another of your devices. Sign in again to use it.',
      };
    case 'swept-stale':
      return {
        title: 'This device lost its slot',
        body: 'It was not seen for a while, so its slot was given to your other devices.',
      };
    case 'over-limit':
      return {
        title: 'This device lost its slot',
        body: 'Too many devices were signed in at once; the ones signed in longest kept their slots.',
      };
    case 'limit-lowered':
      return {
        title: 'This device lost its slot',
        body: 'Your device limit was lowered and this device was over it.',
      };
    case 'replaced':
      return {
        title: 'This device lost its slot',
        body: 'You signed in on another device, and this one had been used least recently.',
      };
  }
}

/** Evictions after which the person must sign in again (they, or a force login, signed the device out). */
export function evictionSignsOut(reason: EvictionReason): boolean {
  return reason === 'force-login' || reason === 'signed-out-remotely';
}

/**
 * Why this device, which held a slot, now has none, when it finds out on coming back: its connection
 * dropped and another device took the free slot (`limit-reached`), or it could not answer a liveness
 * check and was swept. Without this the page would just say "Device limit reached".
 */
export function lostSlotMessage(state: DeviceSessionState, whileOffline: boolean): Message | null {
  if (state.status === 'limit-reached') {
    return {
      title: whileOffline ? 'This device lost its slot while it was offline' : 'This device lost its slot',
      body:
        'Its connection dropped and another of your devices took the free slot. Sign one of them out, or ' +
        'sign out all other devices, to use this one.',
    };
  }
  if (state.status === 'evicted' && state.reason === 'swept-stale' && whileOffline) {
    return {
      title: 'This device was signed out while offline (swept)',
      body: 'It could not answer while it was away, and another of your devices needed its slot.',
    };
  }
  return null;
}

/** A failed sign-in or action in the user's words; Firebase's raw "Firebase: Error (auth/…)" never shows. */
export function errorMessage(error: unknown): string {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  switch (code) {
    case 'auth/wrong-password':
    case 'auth/invalid-credential':
    case 'auth/invalid-login-credentials':
    case 'auth/user-not-found':
      return 'The email or password is not right. Check them and try again.';
    case 'auth/invalid-email':
      return 'That does not look like an email address.';
    case 'auth/missing-password':
      return 'Enter your password.';
    case 'auth/email-already-in-use':
      return 'There is already an account with this email: use “Sign in”.';
    case 'auth/weak-password':
      return 'Choose a password of at least 6 characters.';
    case 'auth/too-many-requests':
      return 'Too many attempts. Wait a moment, then try again.';
    case 'auth/network-request-failed':
      return 'The sign-in service could not be reached. Check your connection and try again.';
    case 'auth/user-disabled':
      return 'This account is disabled.';
  }
  // The client module's errors are written for people already (client-sdk/README.md, "Errors").
  if (isDeviceLimitError(error)) return error.message;
  return typeof code === 'string' ? `Something went wrong (${code}). Try again.` : 'Something went wrong. Try again.';
}

/** The headline and explanation for the session view. */
export function stateMessage(state: DeviceSessionState): Message {
  switch (state.status) {
    case 'claiming':
      return { title: 'Checking this device…', body: 'Claiming a device slot for this browser.' };
    case 'active':
      return {
        title: 'This device is signed in',
        body: `You are using ${state.devices.length} of ${state.limit} device ${plural(state.limit, 'slot')}.`,
      };
    case 'checking':
      return {
        title: 'Checking your other devices…',
        body:
          `All ${state.limit} device ${plural(state.limit, 'slot')} are taken. Asking your other devices whether ` +
          'they are still in use; a slot that nobody answers for is given to this one (10 seconds at most).',
      };
    case 'limit-reached':
      return {
        title: 'Device limit reached',
        body:
          `You are already signed in on ${state.devices.length} ${plural(state.devices.length, 'device')}, ` +
          `and your account allows ${state.limit}. Sign out one of them, or sign out all other devices, ` +
          'to use this one.',
      };
    case 'awaiting-approval':
      return {
        title: 'Asking your other devices…',
        body: 'Your signed-in devices show this request; one of them can give this device its slot.',
      };
    case 'evicted':
      return evictionMessage(state.reason);
    case 'offline':
      return {
        title: 'You are offline',
        body: 'Reconnecting… If this device stays away, its slot is given back to your other devices.',
      };
    case 'released':
      if (state.reason === 'error') {
        return {
          title: 'Something went wrong',
          body: state.error ? `${state.error.message} (${state.error.code})` : 'The device slot could not be held.',
        };
      }
      return state.reason === 'idle'
        ? {
            title: 'Paused while you were away',
            body: 'This device gave its slot back after a period without activity.',
          }
        : { title: 'This device holds no slot', body: 'Use this device again to claim a slot.' };
  }
}

const PLATFORM_NAMES: Readonly<Record<string, string>> = {
  web: 'Web',
  ios: 'iOS',
  android: 'Android',
  macos: 'macOS',
  windows: 'Windows',
  linux: 'Linux',
  other: 'Other',
};

export function platformName(platform: string): string {
  return PLATFORM_NAMES[platform] ?? platform;
}

/** "just now", "3 min ago", "2 h ago", else the date: the device list's "last seen". */
export function lastSeenText(lastSeen: number, now: number): string {
  const seconds = Math.max(0, Math.round((now - lastSeen) / 1000));
  if (seconds < 60) return 'just now';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  return new Date(lastSeen).toLocaleDateString();
}

function plural(n: number, word: string): string {
  return n === 1 ? word : `${word}s`;
}
