import { describeUserAgent, isBrowser, onUserActivity, onVisibilityChange, openTabChannel, webLocks } from './web';

describe('describeUserAgent', () => {
  it.each([
    [
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36',
      'Chrome on macOS',
    ],
    [
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36 Edg/126.0',
      'Edge on Windows',
    ],
    ['Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0', 'Firefox on Linux'],
    [
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
      'Safari on iOS',
    ],
    [
      'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36',
      'Chrome on Android',
    ],
    // Not `undefined`: that reads `navigator.userAgent`, which Node 21+ defines too ("Node.js/24").
    ['', 'Web browser'],
  ])('%s → %s', (userAgent, label) => {
    expect(describeUserAgent(userAgent)).toBe(label);
  });
});

describe('feature detection outside a browser (Node)', () => {
  it('finds no document, and Web Locks only where the runtime has them', () => {
    expect(isBrowser()).toBe(false);
    const locks = (globalThis as { navigator?: { locks?: unknown } }).navigator?.locks ?? null;
    expect(webLocks()).toBe(locks); // none in Node 20; newer Node versions ship navigator.locks
  });

  it('opens a BroadcastChannel between instances of one name', async () => {
    const a = openTabChannel('device-limit:test-channel');
    const b = openTabChannel('device-limit:test-channel');
    if (!a || !b) throw new Error('BroadcastChannel is global in Node 18+');
    const received = new Promise((resolve) => b.subscribe(resolve));
    a.post({ type: 'device-limit:hello' });
    await expect(received).resolves.toEqual({ type: 'device-limit:hello' });
    a.close();
    b.close();
  });
});

describe('page lifecycle adapters', () => {
  const globals = globalThis as Record<string, unknown>;
  let listeners: Map<string, Set<() => void>>;
  const target = () => ({
    addEventListener: (type: string, listener: () => void) => {
      if (!listeners.has(type)) listeners.set(type, new Set());
      listeners.get(type)!.add(listener);
    },
    removeEventListener: (type: string, listener: () => void) => listeners.get(type)?.delete(listener),
  });
  const fire = (type: string) => listeners.get(type)?.forEach((listener) => listener());

  beforeEach(() => {
    listeners = new Map();
    globals.document = { ...target(), visibilityState: 'visible' };
    globals.window = target();
  });
  afterEach(() => {
    delete globals.document;
    delete globals.window;
  });

  it('reports page visibility changes until unsubscribed', () => {
    const seen: boolean[] = [];
    const stop = onVisibilityChange((visible) => seen.push(visible));
    (globals.document as { visibilityState: string }).visibilityState = 'hidden';
    fire('visibilitychange');
    (globals.document as { visibilityState: string }).visibilityState = 'visible';
    fire('visibilitychange');
    stop();
    fire('visibilitychange');
    expect(seen).toEqual([false, true]);
    expect(isBrowser()).toBe(true);
  });

  it('counts pointer, key, wheel, touch and scroll events as activity', () => {
    let count = 0;
    const stop = onUserActivity(() => count++);
    for (const type of ['pointerdown', 'pointermove', 'keydown', 'wheel', 'touchstart', 'scroll']) fire(type);
    stop();
    fire('keydown');
    expect(count).toBe(6);
  });
});
