/**
 * The raw CloudEvent a 2nd gen database trigger receives, as firebase-functions 7 decodes it
 * (`lib/v2/providers/database.js`; docs/wire-protocol.md §13.2):
 * - `params` are rebuilt by the handler from `ref` (and `instance`) against its own patterns;
 * - `before` = `data.data`; `after` = `applyChange(data.data, data.delta)`, where objects merge key
 *   by key, a `null` in the delta deletes that key and a non-object delta replaces the value
 *   (`lib/common/utilities/utils.js`), so deletions must be explicit `null`s;
 * - created/deleted-only triggers see `data.delta` (created) or `data.data` (deleted) as the snapshot;
 * - the admin app inside the function reads `http://$FIREBASE_DATABASE_EMULATOR_HOST/?ns=<instance>`,
 *   so `instance` is the namespace.
 */
import { randomUUID } from 'node:crypto';
import { type Caller, type DbNode, isEmptyNode, nodeToJSON } from '../database';
import { type ChangedLocation, sameValue } from './locations';

export const DATABASE_EVENT_TYPES = {
  written: 'google.firebase.database.ref.v1.written',
  created: 'google.firebase.database.ref.v1.created',
  updated: 'google.firebase.database.ref.v1.updated',
  deleted: 'google.firebase.database.ref.v1.deleted',
} as const;

export type DatabaseEventType = (typeof DATABASE_EVENT_TYPES)[keyof typeof DATABASE_EVENT_TYPES];

const EVENT_TYPES: ReadonlySet<string> = new Set(Object.values(DATABASE_EVENT_TYPES));

export function isDatabaseEventType(type: string): type is DatabaseEventType {
  return EVENT_TYPES.has(type);
}

/** The database's location: the Functions emulator warns about triggers in any other region. */
export const DATABASE_LOCATION = 'us-central1';

/** Whether a change from `before` to `after` (known to differ) fires a trigger of `type`. */
export function eventTypeFires(type: DatabaseEventType, before: DbNode, after: DbNode): boolean {
  switch (type) {
    case DATABASE_EVENT_TYPES.written:
      return true;
    case DATABASE_EVENT_TYPES.created:
      return isEmptyNode(before);
    case DATABASE_EVENT_TYPES.deleted:
      return isEmptyNode(after);
    case DATABASE_EVENT_TYPES.updated:
      return !isEmptyNode(before) && !isEmptyNode(after);
  }
}

/**
 * What changed, in the form `applyChange(before, delta)` turns back into `after`: the new value
 * where either side is not an object, otherwise only the children that differ, with `null` for each
 * removed child.
 */
export function deltaBetween(before: DbNode, after: DbNode): unknown {
  if (isEmptyNode(after)) return null;
  if (before.kind === 'leaf' || after.kind === 'leaf' || isEmptyNode(before)) return nodeToJSON(after);
  const delta: Record<string, unknown> = {};
  for (const key of before.children.keys()) {
    if (!after.children.has(key)) delta[key] = null;
  }
  for (const [key, child] of after.children) {
    const old = before.children.get(key);
    if (old === undefined) delta[key] = nodeToJSON(child);
    else if (!sameValue(old, child)) delta[key] = deltaBetween(old, child);
  }
  return delta;
}

export interface DatabaseCloudEvent {
  readonly specversion: '1.0';
  readonly id: string;
  readonly source: string;
  readonly type: DatabaseEventType;
  readonly time: string;
  readonly subject: string;
  readonly instance: string;
  readonly ref: string;
  readonly firebasedatabasehost: string;
  readonly location: string;
  /** `admin`, `app_user` or `unauthenticated` (firebase-functions' `authType`) */
  readonly authtype: string;
  readonly authid?: string;
  readonly data: { readonly data: unknown; readonly delta: unknown };
}

export interface DatabaseEventInput {
  readonly type: DatabaseEventType;
  readonly namespace: string;
  readonly location: ChangedLocation;
  readonly caller: Caller;
  /** commit time, ms since the epoch */
  readonly time: number;
  /** `host:port` of this emulator, the event's `firebasedatabasehost` */
  readonly databaseHost: string;
}

export function databaseCloudEvent(input: DatabaseEventInput): DatabaseCloudEvent {
  const ref = `/${input.location.path.join('/')}`;
  const auth = eventAuth(input.caller);
  return {
    specversion: '1.0',
    id: randomUUID(),
    source: `//firebasedatabase.googleapis.com/projects/_/locations/${DATABASE_LOCATION}/instances/${input.namespace}`,
    type: input.type,
    time: new Date(input.time).toISOString(),
    subject: `refs${ref}`,
    instance: input.namespace,
    ref,
    firebasedatabasehost: input.databaseHost,
    location: DATABASE_LOCATION,
    ...auth,
    data: {
      data: nodeToJSON(input.location.before),
      delta: deltaBetween(input.location.before, input.location.after),
    },
  };
}

/** Who wrote (firebase-functions maps these to `event.authType` / `event.authId`). */
function eventAuth(caller: Caller): { authtype: string; authid?: string } {
  if (caller.kind === 'owner') return { authtype: 'admin' };
  if (caller.auth === null) return { authtype: 'unauthenticated' };
  const uid = caller.auth['uid'];
  return typeof uid === 'string' ? { authtype: 'app_user', authid: uid } : { authtype: 'unknown' };
}
