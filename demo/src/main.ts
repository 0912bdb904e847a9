/**
 * The demo app: Firebase Auth (email and password) in front of a device session from
 * `@device-limit/client`, used as client-sdk/README.md tells apps to — start the session once the
 * user is signed in, render `onStateChanged`, offer `signOutDevice` (then `claim()`) or `forceLogin`
 * at `limit-reached`, sign out of Auth when `evicted`, and `release()` before `signOut`.
 */
import { initializeApp } from 'firebase/app';
import {
  connectAuthEmulator,
  createUserWithEmailAndPassword,
  getAuth,
  onAuthStateChanged,
  signInWithEmailAndPassword,
  signOut,
  type Auth,
  type User,
} from 'firebase/auth';
import { connectDatabaseEmulator, enableLogging, getDatabase } from 'firebase/database';
import { connectFunctionsEmulator, getFunctions, type Functions } from 'firebase/functions';
import {
  approveRequest,
  forceLogin,
  presenceDatabaseFor,
  refuseRequest,
  signOutDevice,
  startDeviceSession,
  type DeviceListEntry,
  type DeviceSession,
  type DeviceSessionState,
  type PresenceDatabase,
  type SignInRequest,
} from '@device-limit/client';
import { renderApproval } from './approval';
import { loadDemoConfig, splitHost, type DemoConfig } from './config';
import { errorMessage, evictionMessage, evictionSignsOut, lostSlotMessage } from './messages';
import {
  elements,
  renderAccount,
  renderFatal,
  renderLoading,
  renderNotice,
  renderSession,
  renderSignIn,
  type Notice,
} from './view';
import './styles.css';

/** `?debug` logs the database protocol (enableLogging) and the device session to the console. */
const DEBUG = new URLSearchParams(location.search).has('debug');
/** The device name the user typed, kept per browser like the deviceId. */
const LABEL_KEY = 'device-limit-demo:label';
/** "last seen 3 min ago" is re-rendered this often. */
const CLOCK_TICK_MS = 30_000; /* 30 s */

class DemoApp {
  private user: User | null = null;
  /** False until Auth reports the persisted user (or none): the page shows "Loading…" until then. */
  private authKnown = false;
  private session: DeviceSession | null = null;
  private unsubscribe: (() => void) | null = null;
  private state: DeviceSessionState | null = null;
  private notice: Notice | null = null;
  private busy = false;
  private error: string | null = null;
  /** The device list for which a free slot was already tried, so a drifted count cannot loop claims. */
  private autoClaimedFor: string | null = null;
  /** This device held a slot, and went offline since: what it finds on coming back needs explaining. */
  private heldSlot = false;
  private wentOffline = false;
  /** Shown above the session view: why this device lost its slot. */
  private sessionNotice: Notice | null = null;

  constructor(
    private readonly auth: Auth,
    private readonly db: PresenceDatabase,
    private readonly functions: Functions,
  ) {}

  start(): void {
    elements.label().value = localStorage.getItem(LABEL_KEY) ?? '';
    elements.form().addEventListener('submit', (event) => {
      event.preventDefault();
      void this.signIn('sign-in');
    });
    elements.createAccount().addEventListener('click', () => void this.signIn('create'));
    elements.signOut().addEventListener('click', () => void this.signOut());
    elements.forceLogin().addEventListener('click', () => void this.forceLogin());
    elements.claim().addEventListener('click', () => this.claimAgain());
    document.getElementById('ask-approval')?.addEventListener('click', () => this.session?.requestApproval());
    onAuthStateChanged(this.auth, (user) => this.onUser(user));
    setInterval(() => this.render(), CLOCK_TICK_MS);
  }

  private onUser(user: User | null): void {
    // Auth calls back on token refreshes too; a session is started once per signed-in user.
    if (this.authKnown && user?.uid === this.user?.uid) return;
    this.authKnown = true;
    this.stopSession();
    this.user = user;
    if (user) {
      this.notice = null;
      // Ready for the next sign-in on this device (also in tabs that were signed in by another tab).
      if (!elements.email().value && user.email) elements.email().value = user.email;
      const label = localStorage.getItem(LABEL_KEY) ?? '';
      // platform 'web' and the deviceId in localStorage are the defaults in a browser.
      const session = startDeviceSession(this.db, user, {
        ...(label ? { label } : {}),
        ...(DEBUG ? { logger: console } : {}),
      });
      this.session = session;
      this.unsubscribe = session.onStateChanged((state) => this.onState(state));
    }
    this.render();
  }

  private onState(state: DeviceSessionState): void {
    this.state = state;
    const lost = this.heldSlot ? lostSlotMessage(state, this.wentOffline) : null;
    if (lost) this.sessionNotice = { kind: 'lost-slot', tone: 'warning', ...lost };
    if (state.status === 'evicted') {
      this.heldSlot = false;
      if (evictionSignsOut(state.reason)) {
        // Signed out elsewhere, by the person or a force login: after a force login the rules refuse
        // this sign-in anyway (client-sdk/README.md, "After a force-login eviction the user must sign in
        // again"). A swept device, or one over a lowered limit, keeps its sign-in and may claim again.
        const message = evictionMessage(state.reason);
        this.notice = { kind: `evicted-${state.reason}`, tone: 'warning', ...message };
        this.sessionNotice = null;
        void signOut(this.auth);
      }
    } else if (state.status === 'limit-reached') {
      this.heldSlot = false;
      this.claimIfSlotFreed(state.devices, state.limit);
    } else if (state.status === 'active') {
      this.autoClaimedFor = null;
      this.heldSlot = true;
      this.wentOffline = false;
      this.sessionNotice = null;
    } else if (state.status === 'offline') {
      this.wentOffline = true;
    } else if (state.status === 'released') {
      this.heldSlot = false;
    }
    this.render();
  }

  /** "Use this device": claims again; a refusal that needs the person (sign in again) is shown, not swallowed. */
  private claimAgain(): void {
    this.error = null;
    this.sessionNotice = null;
    try {
      this.session?.claim();
    } catch (error) {
      this.error = errorMessage(error);
    }
    this.render();
  }

  /** At the limit, another device may give its slot back (signed out, closed): take it without a click. */
  private claimIfSlotFreed(devices: readonly DeviceListEntry[], limit: number): void {
    if (devices.length >= limit) {
      // Full again: the next slot that frees is a new chance. The guard below only stops a loop of
      // claims against the same list (a drifted count keeps refusing them).
      this.autoClaimedFor = null;
      return;
    }
    const key = devices.map((device) => device.deviceId).join(',');
    if (key === this.autoClaimedFor) return;
    this.autoClaimedFor = key;
    this.session?.claim();
  }

  private stopSession(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    // close(), not release(): after signOut the onDisconnect or release already gave the slot back,
    // and on a user switch the server's onDisconnect does when the socket closes.
    this.session?.close();
    this.session = null;
    this.state = null;
    this.error = null;
    this.autoClaimedFor = null;
    this.heldSlot = false;
    this.wentOffline = false;
    this.sessionNotice = null;
  }

  private async signIn(mode: 'sign-in' | 'create'): Promise<void> {
    const email = elements.email().value.trim();
    const password = elements.password().value;
    if (!email || !password) {
      this.error = 'Enter your email and password.';
      this.render();
      return;
    }
    const label = elements.label().value.trim();
    if (label) localStorage.setItem(LABEL_KEY, label);
    else localStorage.removeItem(LABEL_KEY);
    // A new attempt: what the page said about the last session ("You signed out.") is stale now.
    this.notice = null;
    await this.run(async () => {
      await (mode === 'create'
        ? createUserWithEmailAndPassword(this.auth, email, password)
        : signInWithEmailAndPassword(this.auth, email, password));
      elements.password().value = '';
    });
  }

  private async signOut(): Promise<void> {
    await this.run(async () => {
      // client-sdk/README.md: release first (cancels the onDisconnect), then sign out.
      await this.session?.release();
      await signOut(this.auth);
      this.notice = {
        kind: 'signed-out',
        tone: 'info',
        title: 'You signed out.',
        body: 'This device gave its slot back.',
      };
    });
  }

  private async forceLogin(): Promise<void> {
    const session = this.session;
    if (!session) return;
    await this.run(() => forceLogin(this.functions, session));
  }

  private async signOutDevice(device: DeviceListEntry): Promise<void> {
    await this.run(async () => {
      await signOutDevice(this.functions, device.deviceId);
      if (this.state?.status === 'limit-reached') this.session?.claim();
    });
  }

  /** Runs a button's action: buttons disabled meanwhile, a failure shown next to them. */
  private async run(action: () => Promise<unknown>): Promise<void> {
    this.busy = true;
    this.error = null;
    this.render();
    try {
      await action();
    } catch (error) {
      this.error = errorMessage(error);
      if (DEBUG) console.error(error);
    } finally {
      this.busy = false;
      this.render();
    }
  }

  private render(): void {
    if (!this.authKnown) return;
    if (!this.user) {
      renderSignIn(this.busy, this.error);
      renderNotice(this.notice);
      return;
    }
    renderAccount(this.user.email ?? this.user.uid);
    renderNotice(this.sessionNotice);
    if (!this.state) {
      renderLoading();
      return;
    }
    renderSession({
      state: this.state,
      busy: this.busy,
      error: this.error,
      now: Date.now(),
      onSignOutDevice: (device) => void this.signOutDevice(device),
    });
    renderApproval({
      state: this.state,
      busy: this.busy,
      onApprove: (request) => void this.answer(request, 'approve'),
      onRefuse: (request) => void this.answer(request, 'refuse'),
    });
  }

  /** docs/protocol.md §11.4: this device answers a sign-in request; an approval gives up its own slot. */
  private async answer(request: SignInRequest, answer: 'approve' | 'refuse'): Promise<void> {
    const by = this.session?.deviceId;
    const uid = this.user?.uid;
    if (!by || !uid) return;
    const db = presenceDatabaseFor(this.db, uid);
    await this.run(() =>
      answer === 'approve'
        ? approveRequest(db, uid, request.deviceId, { by, release: by })
        : refuseRequest(db, uid, request.deviceId, { by }),
    );
  }
}

function connect(config: DemoConfig): { auth: Auth; db: PresenceDatabase; functions: Functions } {
  const app = initializeApp(config.firebase);
  const auth = getAuth(app);
  const db = getDatabase(app);
  const functions = getFunctions(app, config.functionsRegion ?? 'us-central1');
  const { emulators } = config;
  if (emulators.auth) connectAuthEmulator(auth, `http://${emulators.auth}`, { disableWarnings: true });
  if (emulators.database) {
    const { host, port } = splitHost(emulators.database);
    connectDatabaseEmulator(db, host, port);
  }
  if (emulators.functions) {
    const { host, port } = splitHost(emulators.functions);
    connectFunctionsEmulator(functions, host, port);
  }
  if (DEBUG) enableLogging(true);
  if (config.databaseInstances === undefined) return { auth, db, functions };
  // Several instances (`npm start -- --instances 3`): the session runs on the user's (client-sdk README,
  // "Several database instances"); the client opens it and connects it to the same emulator.
  const shards = {
    app,
    instances: config.databaseInstances,
    ...(emulators.database ? { emulator: splitHost(emulators.database) } : {}),
  };
  return { auth, db: shards, functions };
}

async function main(): Promise<void> {
  renderLoading();
  let config: DemoConfig;
  try {
    config = await loadDemoConfig();
  } catch (error) {
    renderFatal({
      kind: 'config',
      tone: 'error',
      title: 'The demo is not configured.',
      body: error instanceof Error ? error.message : String(error),
    });
    return;
  }
  const { auth, db, functions } = connect(config);
  new DemoApp(auth, db, functions).start();
}

void main();
