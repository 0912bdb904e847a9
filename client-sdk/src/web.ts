/**
 * Browser adapters, found by feature detection on `globalThis` (the package compiles without the DOM
 * lib so that it type-checks the same for React Native and Node). Everything returns null where the
 * feature is missing, and the session falls back.
 */
import { browserLocalStorage } from './storage';
import type { LeaseStore, LockManagerLike, TabChannel } from './tab-election';

interface EventTargetLike {
  addEventListener(type: string, listener: () => void, options?: unknown): void;
  removeEventListener(type: string, listener: () => void, options?: unknown): void;
}

interface DocumentLike extends EventTargetLike {
  visibilityState?: string;
}

interface BrowserGlobals {
  document?: DocumentLike;
  window?: EventTargetLike & {
    addEventListener(type: string, listener: (event: unknown) => void): void;
    removeEventListener(type: string, listener: (event: unknown) => void): void;
  };
  navigator?: { locks?: LockManagerLike; userAgent?: string };
  BroadcastChannel?: new (name: string) => {
    postMessage(message: unknown): void;
    addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
    removeEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
    close(): void;
  };
}

const g = (): BrowserGlobals => globalThis as unknown as BrowserGlobals;

/** True in a page (or a webview) with a DOM document. */
export function isBrowser(): boolean {
  return typeof g().document === 'object' && g().document !== null && typeof g().window === 'object';
}

/** `navigator.locks`, the Web Locks API, when present (secure contexts only). */
export function webLocks(): LockManagerLike | null {
  const locks = g().navigator?.locks;
  return locks && typeof locks.request === 'function' ? locks : null;
}

/** A channel between the tabs of this origin: BroadcastChannel, else `storage` events. */
export function openTabChannel(name: string): TabChannel | null {
  const Broadcast = g().BroadcastChannel;
  if (typeof Broadcast === 'function') {
    const channel = new Broadcast(name);
    return {
      post: (message) => channel.postMessage(message),
      subscribe: (listener) => {
        const onMessage = (event: { data: unknown }) => listener(event.data);
        channel.addEventListener('message', onMessage);
        return () => channel.removeEventListener('message', onMessage);
      },
      close: () => channel.close(),
    };
  }
  const storage = browserLocalStorage();
  const win = g().window;
  if (!storage || !win) return null;
  // A `storage` event reaches every other tab of the origin when a key changes (HTML docs/protocol.md §12.2.1); write
  // then remove a unique value so each message fires one event.
  const key = `${name}:message`;
  return {
    post: (message) => {
      try {
        storage.setItem(key, JSON.stringify({ message, nonce: Math.random() }));
        storage.removeItem(key);
      } catch {
        // Storage full or disabled: tabs simply do not hear this message.
      }
    },
    subscribe: (listener) => {
      const onStorage = (event: unknown) => {
        const e = event as { key?: unknown; newValue?: unknown };
        if (e.key !== key || typeof e.newValue !== 'string') return;
        try {
          listener((JSON.parse(e.newValue) as { message: unknown }).message);
        } catch {
          // Not ours.
        }
      };
      win.addEventListener('storage', onStorage);
      return () => win.removeEventListener('storage', onStorage);
    },
    close: () => undefined,
  };
}

/** A lease cell in `localStorage`, for the election without Web Locks. */
export function localLeaseStore(key: string): LeaseStore | null {
  const storage = browserLocalStorage();
  if (!storage) return null;
  return {
    get: () => storage.getItem(key) as string | null,
    set: (value) => storage.setItem(key, value),
    remove: () => storage.removeItem(key),
  };
}

/** Calls `listener(visible)` on every page visibility change (Page Visibility API). */
export function onVisibilityChange(listener: (visible: boolean) => void): () => void {
  const doc = g().document;
  if (!doc) return () => undefined;
  const onChange = () => listener(doc.visibilityState !== 'hidden');
  doc.addEventListener('visibilitychange', onChange);
  return () => doc.removeEventListener('visibilitychange', onChange);
}

/** Events that mean "a person is using this page". */
export const ACTIVITY_EVENTS = ['pointerdown', 'pointermove', 'keydown', 'wheel', 'touchstart', 'scroll'] as const;

export function onUserActivity(listener: () => void): () => void {
  const win = g().window;
  if (!win) return () => undefined;
  const options = { capture: true, passive: true };
  for (const type of ACTIVITY_EVENTS) win.addEventListener(type, listener, options);
  return () => {
    for (const type of ACTIVITY_EVENTS) win.removeEventListener(type, listener, options);
  };
}

/** "Chrome on macOS" from a user agent string, for the default label of a browser install. */
export function describeUserAgent(userAgent: string | undefined = g().navigator?.userAgent): string {
  if (!userAgent) return 'Web browser';
  const browser = /Edg\//.test(userAgent)
    ? 'Edge'
    : /OPR\//.test(userAgent)
      ? 'Opera'
      : /Firefox\//.test(userAgent)
        ? 'Firefox'
        : /Chrome\//.test(userAgent)
          ? 'Chrome'
          : /Safari\//.test(userAgent)
            ? 'Safari'
            : 'Browser';
  const os = /Windows/.test(userAgent)
    ? 'Windows'
    : /Android/.test(userAgent)
      ? 'Android'
      : /iPhone|iPad|iPod/.test(userAgent)
        ? 'iOS'
        : /Mac OS X/.test(userAgent)
          ? 'macOS'
          : /CrOS/.test(userAgent)
            ? 'ChromeOS'
            : /Linux/.test(userAgent)
              ? 'Linux'
              : null;
  return os ? `${browser} on ${os}` : browser;
}
