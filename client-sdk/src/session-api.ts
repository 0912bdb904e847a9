/**
 * The public types of a device session: what `startDeviceSession` takes and returns, and the states
 * it reports. Kept apart from the implementation so the state machine and the session share them
 * without importing each other.
 */
import type { ContractPaths, DeviceClass, EvictionReason, LimitPolicy } from './contract';
import type { DeviceLimitError } from './errors';
import type { Functions } from 'firebase/functions';
import type { Logger } from './logger';
import type { DeviceListEntry, SignInRequest } from './presence';
import type { DeviceIdStorage } from './storage';
import type { LeaseStore, LockManagerLike, TabChannel } from './tab-election';
import type { Timers } from './timers';

export type ReleaseReason = 'released' | 'idle' | 'error';

export type DeviceSessionState =
  /** Waiting for the deviceId, the connection or the presence node, or a claim is in flight. */
  | { readonly status: 'claiming'; readonly deviceId: string | null }
  /** This install holds a slot. `devices` is the user's device list, kept live. */
  | {
      readonly status: 'active';
      readonly deviceId: string;
      readonly devices: readonly DeviceListEntry[];
      readonly limit: number;
      /**
       * docs/protocol.md §11.4: other devices asking to be let in, oldest first, present only while
       * there are some: show them (a banner), then `approveRequest` or `refuseRequest`.
       */
      readonly requests?: readonly SignInRequest[];
    }
  /**
   * All slots look taken, and the session is finding out whether their holders are alive (the liveness
   * check, docs/protocol.md §4.9: at most PING_DEADLINE_MS, 10 s; immediately when they all answer), or
   * is sweeping the ones that did not, or is asking `repairPresence` to fix a drifted count. It ends in
   * `active` (a slot was freed) or `limit-reached`.
   */
  | {
      readonly status: 'checking';
      readonly deviceId: string;
      readonly devices: readonly DeviceListEntry[];
      readonly limit: number;
    }
  /** All slots are taken: the app can sign one of `devices` out, or force login. */
  | {
      readonly status: 'limit-reached';
      readonly deviceId: string;
      readonly devices: readonly DeviceListEntry[];
      readonly limit: number;
      /**
       * docs/protocol.md §11.3: present when the total has room but this install's device class is at
       * its limit (e.g. `{ deviceClass: 'tv', limit: 1 }`): sign out a device of that class.
       */
      readonly classLimit?: { readonly deviceClass: DeviceClass; readonly limit: number };
      /**
       * docs/protocol.md §11.4, after `requestApproval()`: `refused` (an active device refused, or
       * withdrew the request), `expired` (nobody answered in time), `unavailable` (no request slot
       * free, or another request was made in the last 10 s).
       */
      readonly approval?: 'refused' | 'expired' | 'unavailable';
    }
  /**
   * docs/protocol.md §11.4: this install asked the user's active devices to let it in
   * (`requestApproval()`), and waits; `expiresAt` is the server time the request lapses (null until
   * it is stored). Ends in `active` (approved) or `limit-reached` with `approval`.
   */
  | {
      readonly status: 'awaiting-approval';
      readonly deviceId: string;
      readonly devices: readonly DeviceListEntry[];
      readonly limit: number;
      readonly expiresAt: number | null;
    }
  /** Another party took the slot away; `force-login` also means "sign in again". */
  | { readonly status: 'evicted'; readonly deviceId: string; readonly reason: EvictionReason }
  /** The slot was given back (by `release()`, the idle timeout, or after an error). */
  | {
      readonly status: 'released';
      readonly deviceId: string | null;
      readonly reason: ReleaseReason;
      readonly error?: DeviceLimitError;
    }
  /** The session wants a slot but the connection is down; the server's onDisconnect may free it. */
  | { readonly status: 'offline'; readonly deviceId: string };

export type DeviceSessionStatus = DeviceSessionState['status'];

/** The signed-in user: a Firebase Auth `User` fits; only `uid` is required. */
export interface DeviceSessionUser {
  readonly uid: string;
  /** When present (Firebase Auth `User`), `auth_time` tells a force-login cut-off apart (docs/protocol.md §4.8.3). */
  getIdTokenResult?(): Promise<{ readonly claims: Readonly<Record<string, unknown>> }>;
}

/** How the tabs of one browser find each other; detected automatically in a browser. */
export interface TabCoordination {
  readonly locks?: LockManagerLike | null;
  readonly channel?: TabChannel | null;
  readonly leaseStore?: LeaseStore | null;
}

/**
 * What a project may configure (docs/adopt.md, "Configuration"). Give every client, the rules
 * (`device-limit rules merge --presence-path … --default-limit … --platforms …`) and the functions
 * (the `DEVICE_LIMIT_*` parameters) the same values; leave them out for the protocol's defaults.
 */
export interface DeviceLimitConfigOptions {
  /**
   * The roots of `/presence/{uid}`, `/limits/{uid}` and `/presenceEvents/{uid}` (each one database
   * key); default `presence`, `limits`, `presenceEvents`. Every write and listener of the session, and
   * `listDevices`/`onDevicesChanged`, use them.
   */
  readonly paths?: Partial<ContractPaths>;
  /**
   * The limit when neither `/limits/{uid}` nor a plan claim sets one (0 to 100); default 2. The rules
   * enforce it; the session reports it as `limit` and uses it to tell a full account.
   */
  readonly defaultLimit?: number;
  /** The values `platform` may take; default `PLATFORMS` (web, ios, android, macos, windows, linux, other). */
  readonly platforms?: readonly string[];
}

export interface DeviceSessionOptions extends DeviceLimitConfigOptions {
  /**
   * One of `platforms`: `web` by default in a browser; required elsewhere (e.g. `Platform.OS` in React
   * Native).
   */
  readonly platform?: string;
  /** Shown in the device list, 1–64 characters; default "Chrome on macOS" in a browser, else the platform. */
  readonly label?: string;
  /** A deviceId the app already keeps per install; otherwise one is generated and stored. */
  readonly deviceId?: string;
  /** Where the generated deviceId is kept: `localStorage` by default in a browser, required elsewhere. */
  readonly storage?: DeviceIdStorage;
  readonly storageKey?: string;
  /**
   * How often the held slot's lease is renewed (docs/protocol.md §4.4): default 1 hour, between 1 minute
   * and 1 hour (a third of the 3-hour expiry, so one late renewal never gets a live device swept).
   */
  readonly leaseRenewalMs?: number;
  /**
   * Write the audit events of docs/protocol.md §6 (`claimed`, `released`, `swept`, `denied`) with the
   * operations; default true. `false` leaves them out, and with them the `trimPresenceEvents` invocation
   * each one costs.
   */
  readonly auditEvents?: boolean;
  /**
   * The app's `Functions` instance. With it, a claim blocked by a drifted `count` (more than the
   * entries) calls the `repairPresence` callable once (docs/protocol.md §5.4) and claims again; without it the session
   * reports `limit-reached` and logs a warning.
   */
  readonly functions?: Functions;
  /**
   * What a claim on a full account does (docs/protocol.md §11.2): `refuse` (default) checks that the
   * holders are alive and reports `limit-reached`; `evict-least-recent` takes the slot of the device
   * active least recently, which reports `evicted` with reason `replaced`. An admin's per-user
   * `/presence/{uid}/policy` overrides this.
   */
  readonly policy?: LimitPolicy;
  /**
   * This install's device class (docs/protocol.md §11.3), for per-class limits such as "2 phones and
   * 1 TV": its platform's class by default (`ios`/`android` → `mobile`, `web` → `web`, desktop
   * systems → `desktop`), or `tv` for a TV app on any platform. Given, every claim carries it; left
   * out, claims carry the platform's class only for users whose node tracks classes.
   */
  readonly deviceClass?: DeviceClass;
  /** Release the slot after this long without user activity; off by default. */
  readonly idleTimeoutMs?: number;
  /** After an idle release, claim again on the next activity (default true). */
  readonly reclaimOnActivity?: boolean;
  /** Share one slot among the tabs of a browser (default true in a browser). */
  readonly tabs?: boolean | TabCoordination;
  /** `auto` (default in a browser): page visibility calls pause()/resume() and DOM events count as activity. */
  readonly lifecycle?: 'auto' | 'manual';
  /** Nothing is logged without one; `console` works. */
  readonly logger?: Logger;
  /** For tests: the clock and timeouts. */
  readonly timers?: Timers;
}

/** The first settled state after a claim: claimed (`active`) or why not. */
export type ClaimOutcome = Extract<DeviceSessionState, { status: 'active' | 'limit-reached' | 'evicted' | 'released' }>;

export interface DeviceSession {
  /** This install's deviceId, once known. */
  readonly deviceId: string | null;
  readonly platform: string;
  readonly label: string;
  /** The class this install declared with the `deviceClass` option (docs/protocol.md §11.3); undefined when it did not. */
  readonly deviceClass?: DeviceClass;
  readonly state: DeviceSessionState;
  /** Calls `listener` now with the current state, then on every change. */
  onStateChanged(listener: (state: DeviceSessionState) => void): () => void;
  /** Resolves with the next settled state: `active`, or `limit-reached`/`evicted`/`released`. */
  whenClaimed(): Promise<ClaimOutcome>;
  /** Claims again (after `limit-reached`, a release, or an eviction once the user signed in again). */
  claim(): void;
  /**
   * At `limit-reached`: asks the user's active devices to let this install in (docs/protocol.md §11.4).
   * The state becomes `awaiting-approval`, then `active` when one of them approves, or `limit-reached`
   * with `approval` (`refused`, `expired`, `unavailable`). Does nothing in any other state.
   */
  requestApproval(): void;
  /** Gives the slot back (call before `signOut`); resolves when acknowledged, or at once offline. */
  release(): Promise<void>;
  /** The app went to the background. */
  pause(): void;
  /** The app came back: renew the lease if it is overdue (timers were suspended), else nothing. */
  resume(): void;
  /** User activity, for the idle timeout (automatic from DOM events in a browser). */
  reportActivity(): void;
  /** Stops this object without releasing (the server's onDisconnect will); for tests and hot reload. */
  close(): void;
}
