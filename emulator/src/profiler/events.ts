/**
 * The events of the database profiler, in the shape `firebase database:profile` reads them
 * (firebase-tools `lib/profileReport.js`, `ProfileReport.processOperation`): one JSON object per
 * operation, streamed as `event: log` / `data: {...}` by `GET /.settings/profile.json`.
 * docs/wire-protocol.md §17 describes the stream; emulator/README.md lists what is reported.
 */
import type { QueryParams } from '../database/access';

/** The operation names profileReport knows (it ignores any other). */
export type ProfileOperation =
  | 'concurrent-connect'
  | 'concurrent-disconnect'
  | 'realtime-read'
  | 'realtime-write'
  | 'realtime-update'
  | 'realtime-transaction'
  | 'listener-listen'
  | 'listener-broadcast'
  | 'listener-unlisten'
  | 'rest-read'
  | 'rest-write'
  | 'rest-update';

/** The index a query orders by, as profileReport's `extractReadableIndex` reads `querySet[0].index`. */
export type ProfileIndex =
  | { readonly path: readonly string[] }
  | { readonly value: true }
  | { readonly key: true }
  | { readonly priority: true };

export interface ProfileQuery {
  readonly index: ProfileIndex;
  /** the wire query object as the client sent it (`q`, docs/wire-protocol.md §5.2) */
  readonly params: QueryParams;
}

export interface ProfileEvent {
  readonly name: ProfileOperation;
  /** when the operation started, epoch ms (the emulator's clock) */
  readonly timestamp: number;
  /**
   * how long the emulator spent on it, in ms (profileReport's "execution speed").
   * DIFFERENCE FROM PRODUCTION: no `pendingTime` is reported, since the emulator runs each operation when it arrives.
   */
  readonly millis: number;
  /** where, as path segments (absent = the root, and for connects and disconnects) */
  readonly path?: readonly string[];
  /** payload size in bytes: the data written (uploaded) or sent to the client (downloaded) */
  readonly bytes?: number;
  /** reads and writes: false when the security rules denied it */
  readonly allowed?: boolean;
  /** a query listen the rules' `.indexOn` does not cover (the client logs its warning too) */
  readonly unIndexed?: boolean;
  /** query listens and reads: the query */
  readonly querySet?: readonly ProfileQuery[];
  /**
   * DIFFERENCE FROM PRODUCTION (an extension, ignored by firebase-tools' report): the operation came with
   * the admin credential `owner` (firebase-admin, firebase-tools)
   */
  readonly admin?: true;
  /** DIFFERENCE FROM PRODUCTION (an extension): the status of a failed operation (`permission_denied`, `datastale`, …) */
  readonly error?: string;
}

/** An event before the profiler stamps it with `timestamp` and `millis`. */
export type ProfileEventInit = Omit<ProfileEvent, 'timestamp' | 'millis'>;

/** UTF-8 size of a value as compact JSON: what one push or write of it carries. */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value ?? null));
}

export function profileQuery(query: QueryParams): ProfileQuery {
  const index = query.i;
  let profileIndex: ProfileIndex;
  if (index === undefined) profileIndex = { priority: true };
  else if (index === '.value') profileIndex = { value: true };
  else if (index === '.key') profileIndex = { key: true };
  else profileIndex = { path: index.split('/').filter((segment) => segment.length > 0) };
  return { index: profileIndex, params: query };
}
