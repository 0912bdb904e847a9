/**
 * Rendering only: the controller (main.ts) hands over what to show and the callbacks for the buttons.
 * The page's skeleton is static HTML (index.html) so it is readable without JavaScript tools; this
 * module shows and hides its parts and fills the device list. `data-view`, `data-session-status` and
 * `data-notice` on the page say what is shown, for styling and for the end-to-end test.
 */
import type { DeviceListEntry, DeviceSessionState } from '@device-limit/client';
import { actionButton } from './dom';
import { evictionSignsOut, lastSeenText, platformName, stateMessage, type Message } from './messages';

function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`index.html has no #${id}`);
  return element as T;
}

export const elements = {
  app: () => byId('app'),
  form: () => byId<HTMLFormElement>('sign-in-form'),
  email: () => byId<HTMLInputElement>('email'),
  password: () => byId<HTMLInputElement>('password'),
  label: () => byId<HTMLInputElement>('device-label'),
  createAccount: () => byId<HTMLButtonElement>('create-account'),
  signIn: () => byId<HTMLButtonElement>('sign-in'),
  signOut: () => byId<HTMLButtonElement>('sign-out'),
  forceLogin: () => byId<HTMLButtonElement>('force-login'),
  claim: () => byId<HTMLButtonElement>('claim'),
};

export type View = 'loading' | 'sign-in' | 'session' | 'error';

/** A message above the current view: why the user is back at the sign-in form, or a fatal error. */
export interface Notice extends Message {
  /** e.g. `evicted-force-login`, `signed-out`, `config` */
  readonly kind: string;
  readonly tone: 'info' | 'warning' | 'error';
}

function setView(view: View): void {
  const app = elements.app();
  app.dataset.view = view;
  app.setAttribute('aria-busy', String(view === 'loading'));
  byId('loading').hidden = view !== 'loading';
  byId('sign-in-view').hidden = view !== 'sign-in';
  byId('session-view').hidden = view !== 'session';
  if (view !== 'session') delete app.dataset.sessionStatus;
}

export function renderNotice(notice: Notice | null): void {
  const box = byId('notice');
  box.replaceChildren();
  box.hidden = notice === null;
  if (!notice) {
    delete box.dataset.notice;
    return;
  }
  box.dataset.notice = notice.kind;
  box.dataset.tone = notice.tone;
  const title = document.createElement('strong');
  title.textContent = notice.title;
  const body = document.createElement('span');
  body.textContent = ` ${notice.body}`;
  box.append(title, body);
}

export function renderAccount(email: string | null): void {
  byId('account').hidden = email === null;
  byId('account-email').textContent = email ?? '';
}

export function renderLoading(): void {
  setView('loading');
}

export function renderFatal(notice: Notice): void {
  setView('error');
  renderAccount(null);
  renderNotice(notice);
}

export function renderSignIn(busy: boolean, error: string | null): void {
  setView('sign-in');
  renderAccount(null);
  for (const button of [elements.signIn(), elements.createAccount()]) button.disabled = busy;
  renderError('sign-in-error', error);
}

export interface SessionViewModel {
  readonly state: DeviceSessionState;
  readonly busy: boolean;
  readonly error: string | null;
  readonly now: number;
  readonly onSignOutDevice: (device: DeviceListEntry) => void;
}

export function renderSession(model: SessionViewModel): void {
  const { state } = model;
  setView('session');
  elements.app().dataset.sessionStatus = state.status;
  const message = stateMessage(state);
  byId('session-title').textContent = message.title;
  byId('session-body').textContent = message.body;
  const badge = byId('status-badge');
  // An eviction that keeps the sign-in (swept, limit lowered) lost the slot, not the session.
  badge.textContent =
    state.status === 'evicted' && !evictionSignsOut(state.reason) ? 'Slot lost' : BADGES[state.status];
  badge.dataset.status = state.status;
  byId('slot').dataset.status = state.status;

  const devices = state.status === 'active' || state.status === 'limit-reached' ? state.devices : null;
  const others = devices?.filter((device) => !device.current).length ?? 0;
  const forceLogin = elements.forceLogin();
  forceLogin.hidden = !(state.status === 'limit-reached' || (state.status === 'active' && others > 0));
  forceLogin.className = state.status === 'limit-reached' ? 'primary' : 'secondary';
  forceLogin.disabled = model.busy;
  const claim = elements.claim();
  // After a release, or an eviction that kept the sign-in (swept, over the limit, limit lowered).
  claim.hidden = !(state.status === 'released' || (state.status === 'evicted' && !evictionSignsOut(state.reason)));
  claim.disabled = model.busy;
  elements.signOut().disabled = model.busy;
  renderError('action-error', model.error);

  byId('devices-section').hidden = devices === null;
  byId('devices').replaceChildren(...(devices ?? []).map((device) => deviceItem(device, model)));
}

const BADGES: Readonly<Record<DeviceSessionState['status'], string>> = {
  claiming: 'Checking',
  checking: 'Checking',
  active: 'Active',
  'limit-reached': 'Limit reached',
  'awaiting-approval': 'Asking',
  evicted: 'Signed out',
  offline: 'Offline',
  released: 'No slot',
};

function deviceItem(device: DeviceListEntry, model: SessionViewModel): HTMLLIElement {
  const item = document.createElement('li');
  item.className = 'device';
  item.dataset.deviceId = device.deviceId;
  item.dataset.current = String(device.current);

  const main = document.createElement('div');
  main.className = 'device-main';
  const label = document.createElement('span');
  label.className = 'device-label';
  label.textContent = device.label;
  main.append(label);
  if (device.current) {
    const tag = document.createElement('span');
    tag.className = 'tag';
    tag.textContent = 'This device';
    main.append(' ', tag);
  }

  const meta = document.createElement('div');
  meta.className = 'device-meta';
  const platform = document.createElement('span');
  platform.className = 'device-platform';
  platform.textContent = platformName(device.platform);
  const seen = document.createElement('time');
  seen.className = 'device-last-seen';
  seen.dateTime = new Date(device.lastSeen).toISOString();
  seen.title = new Date(device.lastSeen).toLocaleString();
  seen.textContent = lastSeenText(device.lastSeen, model.now);
  meta.append(platform, ' · last seen ', seen);

  item.append(main, meta);
  if (!device.current) {
    const button = actionButton('Sign out', 'secondary small', model.busy, () => model.onSignOutDevice(device));
    button.setAttribute('aria-label', `Sign out ${device.label}`);
    item.append(button);
  }
  return item;
}

function renderError(id: string, error: string | null): void {
  const element = byId(id);
  element.hidden = error === null;
  element.textContent = error ?? '';
}
