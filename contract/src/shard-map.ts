/**
 * The shard map (docs/protocol.md §10): which Realtime Database instance holds a user's presence when
 * a project spreads its users over several instances, and the steps a client or function follows
 * while a user's instance changes.
 *
 * - Rendezvous (highest random weight) hashing: every instance gets a score for the uid and the
 *   highest score wins, so adding an instance moves only the users it wins (about 1/(k+1) of them),
 *   and all of them move to it; the order of the list does not matter.
 * - The score is MurmurHash3_x86_32 (seed 0) of the UTF-8 bytes of `instance + "\u0000" + uid`: a
 *   published algorithm with implementations in every language (Guava's `murmur3_32_fixed`, Dart's
 *   and Swift's ports), and only 32-bit integer arithmetic, so a Kotlin, Swift or Dart client (Dart
 *   on the web included) computes the same instance byte for byte. No floating point: weighted HRW
 *   needs a logarithm, and two platforms' `log` may round differently, which would send one user's
 *   devices to two instances (docs/protocol.md §10.1 says why no weights).
 *
 * No dependencies and no platform APIs (not even TextEncoder), so it runs in browsers and Node alike.
 */

/** The MurmurHash3 seed of the shard score. Part of the protocol: changing it moves every user. */
export const SHARD_HASH_SEED = 0;

/** docs/protocol.md §10.2: per instance, the epoch of the current shard map (admin-written; absent = 0). */
export const SHARD_EPOCH_PATH = 'shardEpoch';
/** docs/protocol.md §10.3: `/presence/{uid}/mapEpoch`, the map epoch of the latest claim on this instance. */
export const MAP_EPOCH_FIELD = 'mapEpoch';
/** docs/protocol.md §10.3: `/presence/{uid}/movedOut`, the fence: claims of this epoch or older are refused here. */
export const MOVED_OUT_FIELD = 'movedOut';
/** docs/protocol.md §10.4: the eviction notice reason of an entry the finishing job moved to the user's new instance. */
export const MOVED_NOTICE_REASON = 'moved';

/**
 * An instance name is the first label of the database's host name (`<instance>.firebaseio.com`), so
 * it is a DNS label of the characters Firebase accepts: lowercase letters, digits and hyphens,
 * starting with a letter, not ending with a hyphen, at most 63 characters (`<project>-default-rtdb`,
 * `<project>-presence-1`). The console may refuse some names this accepts (it checks availability),
 * never the reverse.
 */
export const INSTANCE_NAME_PATTERN = /^[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** `us-central1` instances keep the `firebaseio.com` host; the other locations use `firebasedatabase.app`. */
export const LEGACY_HOST_REGION = 'us-central1';
const REGION_PATTERN = /^[a-z]+-[a-z]+[0-9]+$/;
const EMULATOR_HOST_PATTERN = /^[^\s/?#]+$/;

export type ShardMapErrorCode =
  | 'invalid-map'
  | 'empty-instances'
  | 'duplicate-instance'
  | 'invalid-instance'
  | 'invalid-epoch'
  | 'invalid-previous'
  | 'invalid-uid'
  | 'invalid-region'
  | 'invalid-emulator-host';

/** A shard map or an argument that the protocol does not accept; `value` is the offending part. */
export class ShardMapError extends Error {
  override readonly name = 'ShardMapError';
  constructor(
    readonly code: ShardMapErrorCode,
    message: string,
    readonly value?: unknown,
  ) {
    super(message);
  }
}

export function isShardMapError(error: unknown): error is ShardMapError {
  return error instanceof ShardMapError;
}

/**
 * The shard configuration every client and function of a project shares (docs/protocol.md §10.2).
 * - `instances`: where users live now. Order does not matter.
 * - `epoch`: 0 for the first map, +1 with every change of `instances` (absent = 0).
 * - `previous`: during a migration (docs/protocol.md §10.3), the instances of epoch `epoch - 1`.
 */
export interface ShardMap {
  readonly instances: readonly string[];
  readonly epoch?: number;
  readonly previous?: readonly string[];
}

/** Checks an instance list: non-empty, valid names, no duplicates. Returns a frozen copy. */
export function validateInstances(instances: unknown, field = 'instances'): readonly string[] {
  if (!Array.isArray(instances) || instances.length === 0) {
    throw new ShardMapError('empty-instances', `${field} must be a non-empty array of instance names`, instances);
  }
  const seen = new Set<string>();
  for (const instance of instances as unknown[]) {
    if (typeof instance !== 'string' || !INSTANCE_NAME_PATTERN.test(instance)) {
      throw new ShardMapError(
        'invalid-instance',
        `${field}: ${JSON.stringify(instance)} is not a Realtime Database instance name ` +
          '(lowercase letters, digits and hyphens, starting with a letter, at most 63 characters)',
        instance,
      );
    }
    // A duplicate would give one instance two scores, a second chance to win: a silent imbalance.
    if (seen.has(instance)) {
      throw new ShardMapError('duplicate-instance', `${field}: ${instance} is listed twice`, instance);
    }
    seen.add(instance);
  }
  return Object.freeze([...(instances as string[])]);
}

/** Checks a whole shard map (docs/protocol.md §10.2) and returns a frozen copy, or throws a ShardMapError. */
export function validateShardMap(map: unknown): ShardMap {
  if (typeof map !== 'object' || map === null) {
    throw new ShardMapError('invalid-map', 'a shard map is an object { instances, epoch?, previous? }', map);
  }
  const { instances, epoch, previous } = map as Record<string, unknown>;
  const checked = validateInstances(instances);
  if (epoch !== undefined && !(Number.isSafeInteger(epoch) && (epoch as number) >= 0)) {
    throw new ShardMapError('invalid-epoch', `epoch must be an integer >= 0, not ${JSON.stringify(epoch)}`, epoch);
  }
  const at = (epoch as number | undefined) ?? 0;
  if (previous === undefined) return Object.freeze({ instances: checked, epoch: at });
  // The first map (epoch 0) has no predecessor to migrate from.
  if (at < 1) {
    throw new ShardMapError('invalid-previous', 'previous is only allowed with epoch >= 1 (a migration)', previous);
  }
  return Object.freeze({ instances: checked, epoch: at, previous: validateInstances(previous, 'previous') });
}

/**
 * UTF-8 bytes of `text`, as TextEncoder gives them. A lone surrogate throws instead of becoming
 * U+FFFD: Java's `getBytes(UTF_8)` (Kotlin on the JVM) writes `?` there and a Swift String cannot
 * hold one, so such a uid would hash differently on other platforms.
 */
export function utf8Encode(text: string): Uint8Array {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = text.charCodeAt(i + 1);
      if (c > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) {
        throw new ShardMapError('invalid-uid', `a lone UTF-16 surrogate at index ${i} has no UTF-8 encoding`, text);
      }
      c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
      i++;
    }
    if (c < 0x80) bytes.push(c);
    else if (c < 0x800) bytes.push(0xc0 | (c >> 6), 0x80 | (c & 0x3f));
    else if (c < 0x10000) bytes.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
    else bytes.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 0x3f), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
  }
  return Uint8Array.from(bytes);
}

/**
 * MurmurHash3_x86_32 (Austin Appleby's reference, `MurmurHash3.cpp`) of `bytes[0, length)`, as an
 * unsigned 32-bit integer. `Math.imul` is the 32-bit wrapping multiply the reference relies on.
 */
export function murmur3_32(bytes: Uint8Array, length: number = bytes.length, seed: number = SHARD_HASH_SEED): number {
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  let h = seed | 0;
  const blocks = length & ~3;
  for (let i = 0; i < blocks; i += 4) {
    // Blocks are read little-endian, whatever the platform's byte order.
    let k = (bytes[i] as number) | ((bytes[i + 1] as number) << 8);
    k |= ((bytes[i + 2] as number) << 16) | ((bytes[i + 3] as number) << 24);
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, c2);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const tail = length & 3;
  if (tail > 0) {
    // The last 1 to 3 bytes, little-endian as a block would be, mixed without the rotate of h.
    let k = bytes[blocks] as number;
    if (tail > 1) k |= (bytes[blocks + 1] as number) << 8;
    if (tail > 2) k |= (bytes[blocks + 2] as number) << 16;
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, c2);
  }
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function checkedUid(uid: unknown): string {
  if (typeof uid !== 'string' || uid.length === 0) {
    throw new ShardMapError('invalid-uid', 'a uid is a non-empty string', uid);
  }
  return uid;
}

/** The bytes hashed for `uid` on every instance: `instance`, one 0x00 byte, then `uid`. */
function scoreInput(instance: string, uidBytes: Uint8Array): Uint8Array {
  // Instance names are ASCII (INSTANCE_NAME_PATTERN), so one char is one byte.
  const input = new Uint8Array(instance.length + 1 + uidBytes.length);
  for (let i = 0; i < instance.length; i++) input[i] = instance.charCodeAt(i);
  input.set(uidBytes, instance.length + 1);
  return input;
}

/** The rendezvous score of `instance` for `uid` (docs/protocol.md §10.1): the highest score takes the user. */
export function shardScore(instance: string, uid: string): number {
  validateInstances([instance], 'instance');
  return murmur3_32(scoreInput(instance, utf8Encode(checkedUid(uid))));
}

/**
 * The instance that holds `uid`'s presence under `instances` (docs/protocol.md §10.1): the one with the highest
 * `shardScore`; on equal scores, the name that sorts first (ASCII order, the same in every language).
 */
export function shardFor(uid: string, instances: readonly string[]): string {
  const checked = validateInstances(instances);
  const uidBytes = utf8Encode(checkedUid(uid));
  let best = '';
  let bestScore = -1;
  for (const instance of checked) {
    const score = murmur3_32(scoreInput(instance, uidBytes));
    if (score > bestScore || (score === bestScore && instance < best)) {
      best = instance;
      bestScore = score;
    }
  }
  return best;
}

/** Where `uid` lives under `map`: `home` now, and `previous` when a migration moved it (docs/protocol.md §10.3). */
export interface ShardPlacement {
  readonly home: string;
  /** Present only while `map.previous` is set and puts the user on another instance than `home`. */
  readonly previous?: string;
  readonly epoch: number;
}

export function shardPlacement(uid: string, map: ShardMap): ShardPlacement {
  const checked = validateShardMap(map);
  const epoch = checked.epoch ?? 0;
  const home = shardFor(uid, checked.instances);
  if (checked.previous === undefined) return { home, epoch };
  const previous = shardFor(uid, checked.previous);
  return previous === home ? { home, epoch } : { home, previous, epoch };
}

/** What the client read at `/presence/{uid}` on the user's previous instance (docs/protocol.md §10.3 step 2). */
export interface PreviousPresence {
  /** `devices` has at least one entry. */
  readonly hasDevices: boolean;
  /** `/presence/{uid}/movedOut`, the fence, if present. */
  readonly movedOut?: number;
}

/**
 * The next step of docs/protocol.md §10.3, as data. Call it without `observed`; when it answers `read`, read
 * `/presence/{uid}` on that instance (a server: inside its transaction there) and call it again with
 * what you found.
 * - `serve`: claim, resume, renew and release on `instance` for the whole session.
 * - `read`: the user may still be served by `instance` (their previous one): read it first.
 * - `fence`: write `{ movedOut: epoch }` at `/presence/{uid}` on `instance`; when the rules accept it,
 *   serve on `then`; when they refuse it (a claim landed there first), read again.
 * - `stale-map`: a newer map already moved the user; fetch the shard configuration again.
 */
export type ShardStep =
  | { readonly kind: 'serve'; readonly instance: string }
  | { readonly kind: 'read'; readonly instance: string }
  | { readonly kind: 'fence'; readonly instance: string; readonly epoch: number; readonly then: string }
  | { readonly kind: 'stale-map'; readonly movedOut: number };

/**
 * `client` (default): the rule of docs/protocol.md §10.3 step 2. `server`: the functions' rule, which never fences: it
 * keeps operating on the previous instance until a client's fence (or the finishing job's) is there,
 * so that functions deployed with the new map act like clients that have not fetched it yet.
 */
export type ShardRole = 'client' | 'server';

export function shardStep(
  uid: string,
  map: ShardMap,
  observed?: PreviousPresence,
  role: ShardRole = 'client',
): ShardStep {
  const { home, previous, epoch } = shardPlacement(uid, map);
  if (previous === undefined) return { kind: 'serve', instance: home };
  if (observed === undefined) return { kind: 'read', instance: previous };
  const movedOut = observed.movedOut ?? 0;
  if (movedOut > epoch) return { kind: 'stale-map', movedOut };
  // The fence of this epoch: the previous instance refuses claims of this epoch and holds no entry.
  if (movedOut === epoch) return { kind: 'serve', instance: home };
  // The old instance keeps serving the user until their last device there has gone.
  if (observed.hasDevices || role === 'server') return { kind: 'serve', instance: previous };
  return { kind: 'fence', instance: previous, epoch, then: home };
}

export interface DatabaseUrlOptions {
  /**
   * The instance's location, when it is not `us-central1` (e.g. `europe-west1`): its host is then
   * `<instance>.<region>.firebasedatabase.app`.
   */
  readonly region?: string;
  /** `host:port` of a database emulator (as in FIREBASE_DATABASE_EMULATOR_HOST); wins over `region`. */
  readonly emulatorHost?: string;
}

/**
 * The `databaseURL` to open `instance` with: `https://<instance>.firebaseio.com`,
 * `https://<instance>.<region>.firebasedatabase.app`, or `http://<emulatorHost>/?ns=<instance>` (the
 * emulators select the instance by the `ns` query parameter).
 */
export function databaseUrlFor(instance: string, options: DatabaseUrlOptions = {}): string {
  validateInstances([instance], 'instance');
  const { region, emulatorHost } = options;
  if (emulatorHost !== undefined) {
    if (!EMULATOR_HOST_PATTERN.test(emulatorHost)) {
      throw new ShardMapError('invalid-emulator-host', `emulatorHost is host:port, not ${emulatorHost}`, emulatorHost);
    }
    return `http://${emulatorHost}/?ns=${instance}`;
  }
  if (region === undefined || region === LEGACY_HOST_REGION) return `https://${instance}.firebaseio.com`;
  if (!REGION_PATTERN.test(region)) {
    throw new ShardMapError('invalid-region', `region is a location such as europe-west1, not ${region}`, region);
  }
  return `https://${instance}.${region}.firebasedatabase.app`;
}
