/**
 * The device gate, independent of any server framework: verify the ID token, read the device id,
 * decide from the pushed view of the user's slots. The Express middleware (express.ts) and the onCall
 * wrapper (on-call.ts) are thin adapters around {@link DeviceGate.check} and
 * {@link DeviceGate.checkVerified}.
 */
import { DEVICE_ID_PATTERN } from '@device-limit/contract';
import { getAuth, type DecodedIdToken } from 'firebase-admin/auth';
import { getDatabase, type Database } from 'firebase-admin/database';
import { adminApp } from '../database/app';
import { deviceLimitConfig } from '../params';
import { adminPresenceSource } from './admin-source';
import { decideSlot } from './decision';
import { invalidDeviceId, unauthenticated, type GateRefusal } from './refusal';
import { SlotView, systemClock, type GateClock, type PresenceSource, type SlotViewStats } from './slot-view';
import { bearerToken, verifyBearerToken, type IdTokenVerifier } from './token';

/** What a request that passed the gate carries on to the handler. */
export interface DeviceGateContext {
  readonly uid: string;
  readonly deviceId: string;
  /** The verified ID token (claims such as `auth_time`, `email`, custom claims). */
  readonly token: DecodedIdToken;
}

export interface DeviceGateOptions {
  /** The root of the presence nodes (docs/protocol.md §2); default `DEVICE_LIMIT_PRESENCE_PATH` (`presence`). */
  readonly presenceRoot?: string;
  /** The database holding `/presence`; default the default app's `getDatabase()`. */
  readonly database?: Database;
  /** Instead of `database`: the instance that holds a given user's presence (sharded paths). */
  readonly databaseFor?: (uid: string) => Database;
  /** Verifies ID tokens; default the default app's `getAuth()`. */
  readonly auth?: IdTokenVerifier;
  /** Users whose slots are kept in memory at most (least recently used go first); default 10,000. */
  readonly maxUsers?: number;
  /** A user's listener is detached after this long without a request; default 10 minutes. */
  readonly idleMs?: number;
  /** The request header that names the device; default `X-Device-Id`. */
  readonly deviceIdHeader?: string;
  /** How long a request waits for the first value of a new user's listener; default 10 s. */
  readonly firstValueTimeoutMs?: number;
  /**
   * While the database connection is down the view cannot see evictions. Past this long without a
   * connection the gate stops vouching for it and fails requests as unavailable; default 30 s.
   */
  readonly maxDisconnectedMs?: number;
  /** Time, for tests. */
  readonly clock?: GateClock;
  /** Where presence values come from, for tests; by default the Admin SDK (`database`/`databaseFor`). */
  readonly source?: PresenceSource;
}

export type DeviceGateResult =
  | { readonly allowed: true; readonly context: DeviceGateContext }
  | { readonly allowed: false; readonly refusal: GateRefusal };

export const DEFAULT_DEVICE_ID_HEADER = 'X-Device-Id';

export class DeviceGate {
  private readonly view: SlotView;
  private readonly verifier: IdTokenVerifier;
  /** Lower-case, as Node's `IncomingMessage.headers` has it. */
  readonly deviceIdHeader: string;

  constructor(options: DeviceGateOptions = {}) {
    const clock = options.clock ?? systemClock;
    const presenceRoot = (options.presenceRoot ?? deviceLimitConfig.paths.presence).replace(/^\/+|\/+$/g, '');
    if (options.database && options.databaseFor) {
      throw new TypeError('Pass either `database` or `databaseFor`, not both.');
    }
    const source =
      options.source ??
      adminPresenceSource({
        databaseFor: options.databaseFor ?? lazyDefault(() => options.database ?? getDatabase(adminApp())),
        presenceRoot,
        clock,
      });
    this.view = new SlotView({
      source,
      clock,
      maxUsers: options.maxUsers,
      idleMs: options.idleMs,
      firstValueTimeoutMs: options.firstValueTimeoutMs,
      maxDisconnectedMs: options.maxDisconnectedMs,
    });
    // Resolved on first use, so a gate can be built at module load, before `initializeApp()`.
    const auth = lazyDefault(() => options.auth ?? getAuth(adminApp()));
    this.verifier = { verifyIdToken: (idToken) => auth().verifyIdToken(idToken) };
    this.deviceIdHeader = (options.deviceIdHeader ?? DEFAULT_DEVICE_ID_HEADER).toLowerCase();
  }

  /**
   * A raw request: its `Authorization` header and the device id it names. Resolves with the verdict;
   * rejects with DeviceGateUnavailableError when it cannot decide.
   */
  async check(authorization: string | string[] | undefined, deviceId: unknown): Promise<DeviceGateResult> {
    const verified = await verifyBearerToken(this.verifier, bearerToken(authorization));
    if ('refusal' in verified) return { allowed: false, refusal: verified.refusal };
    return this.checkVerified(verified.token, deviceId);
  }

  /** A request whose ID token the platform already verified (a callable's `request.auth.token`). */
  async checkVerified(token: DecodedIdToken, deviceId: unknown): Promise<DeviceGateResult> {
    const uid = token.uid;
    if (typeof uid !== 'string' || uid.length === 0) {
      return { allowed: false, refusal: unauthenticated('The ID token names no user.') };
    }
    const id = Array.isArray(deviceId) ? deviceId[0] : deviceId;
    if (id === undefined || id === null || id === '') {
      return { allowed: false, refusal: invalidDeviceId('The request names no device (send its deviceId).') };
    }
    if (typeof id !== 'string' || !DEVICE_ID_PATTERN.test(id)) {
      return { allowed: false, refusal: invalidDeviceId(`A deviceId matches ${DEVICE_ID_PATTERN.source}.`) };
    }
    const snapshot = await this.view.snapshot(uid);
    const authTime = typeof token.auth_time === 'number' ? token.auth_time : undefined;
    const refusal = decideSlot(snapshot, { deviceId: id, authTime });
    return refusal ? { allowed: false, refusal } : { allowed: true, context: { uid, deviceId: id, token } };
  }

  get stats(): SlotViewStats {
    return this.view.stats;
  }

  /** Detaches every listener (graceful shutdown, tests). The gate fails requests afterwards. */
  close(): void {
    this.view.close();
  }
}

function lazyDefault<T>(create: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= create());
}
