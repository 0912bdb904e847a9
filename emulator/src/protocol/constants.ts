/**
 * Wire constants of the Realtime Database protocol, version 5, in one place (as the SDK keeps them in
 * `database/src/realtime/Constants.ts` and `Connection.ts`). Section numbers refer to
 * `docs/wire-protocol.md`; the SDK sources in node_modules are the final word.
 */

/** docs/wire-protocol.md §3.1: the handshake announces it; the client only warns on a mismatch. */
export const PROTOCOL_VERSION = '5';

/**
 * docs/wire-protocol.md §1.2: the upgrade path of the WebSocket transport, and docs/wire-protocol.md §14 the
 * long-polling path.
 */
export const WEBSOCKET_PATH = '/.ws';
export const LONG_POLL_PATH = '/.lp';

/** docs/wire-protocol.md §1.1: the sentinel namespace the official emulator uses when a request carries no `ns`. */
export const DEFAULT_NAMESPACE = 'fake-server';

/** Connection URL parameters (docs/wire-protocol.md §1.2, `realtime/Constants.ts`). */
export const UrlParam = {
  version: 'v',
  /** the transport session id: present only on the secondary transport of a long-poll upgrade */
  transportSession: 's',
  lastSession: 'ls',
  applicationId: 'p',
  appCheckToken: 'ac',
  namespace: 'ns',
} as const;

/** docs/wire-protocol.md §2.2: both sides split a serialized message into segments of this many UTF-16 code units. */
export const MAX_FRAME_SIZE = 16384;
/** docs/wire-protocol.md §2.2: a frame-count header is all digits and at most this long (`extractFrameCount_`). */
export const MAX_FRAME_COUNT_LENGTH = 6;
/** docs/wire-protocol.md §2.3: the client's keepalive frame; the server ignores it and must never send it. */
export const KEEPALIVE_FRAME = '0';
/**
 * The largest reassembled inbound message we accept: the Node client refuses inbound messages above 0x3ffffff bytes
 * (docs/wire-protocol.md §1.3), and the largest SDK write production accepts is 16 MB, so anything bigger is not a
 * client we serve. DIFFERENCE FROM PRODUCTION: a limit of the emulator, not a documented production one.
 */
export const MAX_INBOUND_MESSAGE_CHARS = 64 * 1024 * 1024; /* 64 MiB */

/** docs/wire-protocol.md §2.1 envelope keys and layers. */
export const MESSAGE_TYPE = 't';
export const MESSAGE_DATA = 'd';
export const Layer = { control: 'c', data: 'd' } as const;

/** docs/wire-protocol.md §3.3 control commands (`Connection.ts`). */
export const ControlCommand = {
  handshake: 'h',
  pong: 'o',
  ping: 'p',
  reset: 'r',
  shutdown: 's',
  error: 'e',
  endTransmission: 'n',
  switchAck: 'a',
} as const;

/** docs/wire-protocol.md §4.2 client actions (`PersistentConnection.ts`). */
export const ClientAction = {
  stats: 's',
  auth: 'auth',
  gauth: 'gauth',
  unauth: 'unauth',
  appCheck: 'appcheck',
  /** the client misspells it (`refreshAppCheckToken`); both spellings are accepted */
  unAppCheckMisspelled: 'unappeck',
  unAppCheck: 'unappcheck',
  listen: 'q',
  unlisten: 'n',
  get: 'g',
  put: 'p',
  merge: 'm',
  onDisconnectPut: 'o',
  onDisconnectMerge: 'om',
  onDisconnectCancel: 'oc',
} as const;
export type ClientActionName = (typeof ClientAction)[keyof typeof ClientAction];

/** docs/wire-protocol.md §4.3 server pushes (`PersistentConnection.onDataPush_`). */
export const ServerAction = {
  dataUpdate: 'd',
  dataMerge: 'm',
  listenRevoked: 'c',
  authRevoked: 'ac',
  appCheckRevoked: 'apc',
  securityDebug: 'sd',
} as const;

/** docs/wire-protocol.md §4.4 statuses. Error statuses come from DatabaseError codes. */
export const STATUS_OK = 'ok';

/** The admin credential of the emulators (docs/wire-protocol.md §9.2). */
export const OWNER_CREDENTIAL = 'owner';
