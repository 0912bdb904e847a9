/**
 * Sign-in approval in the demo (docs/protocol.md §11.4): on an active device, a banner for each
 * device asking to be let in, with Approve (this device gives up its slot) and Refuse; on a device at
 * the limit, "Ask my other devices" and what came of asking. Kept apart from view.ts: one small
 * piece the rest of the page does not depend on.
 */
import type { DeviceSessionState, SignInRequest } from '@device-limit/client';
import { actionButton } from './dom';

export interface ApprovalViewModel {
  readonly state: DeviceSessionState;
  readonly busy: boolean;
  readonly onApprove: (request: SignInRequest) => void;
  readonly onRefuse: (request: SignInRequest) => void;
}

function byId<T extends HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is missing from index.html`);
  return element as T;
}

const OUTCOMES: Readonly<Record<'refused' | 'expired' | 'unavailable', string>> = {
  refused: 'Your other device said no.',
  expired: 'Nobody answered in time. You can ask again.',
  unavailable: 'Too many requests right now; try again in a few seconds.',
};

/** The ask button's click is wired once by the app; this only shows it and the outcome. */
export function renderApproval(model: ApprovalViewModel): void {
  const { state } = model;
  const ask = byId<HTMLButtonElement>('ask-approval');
  ask.hidden = state.status !== 'limit-reached';
  ask.disabled = model.busy;
  if (state.status === 'limit-reached' && state.approval) {
    byId('session-body').append(` ${OUTCOMES[state.approval]}`);
  }

  const banner = byId('requests');
  const requests = state.status === 'active' ? (state.requests ?? []) : [];
  banner.hidden = requests.length === 0;
  banner.replaceChildren(...requests.map((request) => requestItem(request, model)));
}

function requestItem(request: SignInRequest, model: ApprovalViewModel): HTMLElement {
  const item = document.createElement('div');
  item.className = 'request';
  item.dataset.deviceId = request.deviceId;
  const text = document.createElement('p');
  text.textContent = `“${request.label}” (${request.platform}) wants to sign in. Give it this device's slot?`;
  const approve = actionButton('Approve', 'primary', model.busy, () => model.onApprove(request));
  const refuse = actionButton('Refuse', 'secondary', model.busy, () => model.onRefuse(request));
  const actions = document.createElement('div');
  actions.className = 'actions';
  actions.append(approve, refuse);
  item.append(text, actions);
  return item;
}
