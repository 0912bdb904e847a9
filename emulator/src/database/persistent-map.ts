/**
 * A persistent (immutable, structurally shared) map from string keys: a hash array mapped trie.
 *
 * Why: the tree is immutable so that the state before a write and the projected state after it are
 * both cheap (see node.ts). Copying a plain `Map` on every write costs time in proportion to the
 * number of siblings: a write under `/presence` with 10,000 users copied 10,000 entries. With this
 * map a write copies about log32(n) small arrays instead. Small nodes keep using plain Maps, which
 * are faster below a few dozen children (node.ts decides).
 *
 * Iteration order is the trie's order, not insertion order; nothing in the database depends on
 * child order (queries, hashing and rules sort or look up by key).
 */

const BITS = 5;
const WIDTH = 1 << BITS; // 32 slots per branch
const MASK = WIDTH - 1;
const MAX_SHIFT = 30; // 32-bit hashes: levels at shifts 0, 5, …, 30

interface Entry<V> {
  readonly kind: 0;
  readonly hash: number;
  readonly key: string;
  readonly value: V;
}
interface Collision<V> {
  readonly kind: 1;
  readonly hash: number;
  readonly entries: readonly Entry<V>[];
}
interface Branch<V> {
  readonly kind: 2;
  readonly bitmap: number;
  readonly slots: readonly Slot<V>[];
}
type Slot<V> = Entry<V> | Collision<V> | Branch<V>;

/** FNV-1a over UTF-16 code units: fast and well spread for short keys such as push ids and uids. */
function hashKey(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

function popcount(n: number): number {
  n = n - ((n >>> 1) & 0x55555555);
  n = (n & 0x33333333) + ((n >>> 2) & 0x33333333);
  return (((n + (n >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

const EMPTY_BRANCH: Branch<never> = { kind: 2, bitmap: 0, slots: [] };

function lookup<V>(slot: Slot<V>, hash: number, key: string, shift: number): Entry<V> | undefined {
  for (;;) {
    if (slot.kind === 0) return slot.key === key ? slot : undefined;
    if (slot.kind === 1) return slot.hash === hash ? slot.entries.find((e) => e.key === key) : undefined;
    const bit = 1 << ((hash >>> shift) & MASK);
    if ((slot.bitmap & bit) === 0) return undefined;
    slot = slot.slots[popcount(slot.bitmap & (bit - 1))] as Slot<V>;
    shift += BITS;
  }
}

/** Two entries that met in one slot: a branch (or a collision node when their hashes are equal). */
function merge<V>(a: Entry<V> | Collision<V>, b: Entry<V>, shift: number): Slot<V> {
  if (a.hash === b.hash || shift > MAX_SHIFT) {
    const entries = a.kind === 0 ? [a, b] : [...a.entries, b];
    return { kind: 1, hash: a.hash, entries };
  }
  const ia = (a.hash >>> shift) & MASK;
  const ib = (b.hash >>> shift) & MASK;
  if (ia === ib) return { kind: 2, bitmap: 1 << ia, slots: [merge(a, b, shift + BITS)] };
  return { kind: 2, bitmap: (1 << ia) | (1 << ib), slots: ia < ib ? [a, b] : [b, a] };
}

/** Returns the slot with `entry` set; `added` reports whether the key is new. */
function insert<V>(slot: Slot<V>, entry: Entry<V>, shift: number, added: { value: boolean }): Slot<V> {
  if (slot.kind === 0) {
    if (slot.key === entry.key) return entry;
    added.value = true;
    return merge(slot, entry, shift);
  }
  if (slot.kind === 1) {
    if (slot.hash !== entry.hash) {
      added.value = true;
      // Split the collision node: a branch holding it and the new entry.
      const wrapper: Branch<V> = { kind: 2, bitmap: 1 << ((slot.hash >>> shift) & MASK), slots: [slot] };
      return insert(wrapper, entry, shift, added);
    }
    const index = slot.entries.findIndex((e) => e.key === entry.key);
    if (index < 0) added.value = true;
    const entries = [...slot.entries];
    if (index < 0) entries.push(entry);
    else entries[index] = entry;
    return { kind: 1, hash: slot.hash, entries };
  }
  const bit = 1 << ((entry.hash >>> shift) & MASK);
  const index = popcount(slot.bitmap & (bit - 1));
  const slots = [...slot.slots];
  if ((slot.bitmap & bit) === 0) {
    added.value = true;
    slots.splice(index, 0, entry);
    return { kind: 2, bitmap: slot.bitmap | bit, slots };
  }
  slots[index] = insert(slots[index] as Slot<V>, entry, shift + BITS, added);
  return { kind: 2, bitmap: slot.bitmap, slots };
}

/** Returns the slot without `key`, `null` when it became empty, or the same slot when absent. */
function remove<V>(slot: Slot<V>, hash: number, key: string, shift: number): Slot<V> | null {
  if (slot.kind === 0) return slot.key === key ? null : slot;
  if (slot.kind === 1) {
    if (slot.hash !== hash) return slot;
    const entries = slot.entries.filter((e) => e.key !== key);
    if (entries.length === slot.entries.length) return slot;
    return entries.length === 1 ? (entries[0] as Entry<V>) : { kind: 1, hash, entries };
  }
  const bit = 1 << ((hash >>> shift) & MASK);
  if ((slot.bitmap & bit) === 0) return slot;
  const index = popcount(slot.bitmap & (bit - 1));
  const child = slot.slots[index] as Slot<V>;
  const next = remove(child, hash, key, shift + BITS);
  if (next === child) return slot;
  const slots = [...slot.slots];
  if (next === null) {
    slots.splice(index, 1);
    const bitmap = slot.bitmap & ~bit;
    if (bitmap === 0) return null;
    // A branch left with one entry collapses into it, so lookups stay short after deletions.
    const only = slots[0] as Slot<V>;
    if (slots.length === 1 && only.kind !== 2 && shift > 0) return only;
    return { kind: 2, bitmap, slots };
  }
  slots[index] = next;
  return { kind: 2, bitmap: slot.bitmap, slots };
}

function* walk<V>(slot: Slot<V>): Generator<Entry<V>> {
  if (slot.kind === 0) yield slot;
  else if (slot.kind === 1) yield* slot.entries;
  else for (const child of slot.slots) yield* walk(child);
}

export class PersistentMap<V> implements ReadonlyMap<string, V> {
  private constructor(
    private readonly rootSlot: Branch<V>,
    readonly size: number,
  ) {}

  static empty<V>(): PersistentMap<V> {
    return new PersistentMap<V>(EMPTY_BRANCH, 0);
  }

  static from<V>(entries: Iterable<readonly [string, V]>): PersistentMap<V> {
    let map = PersistentMap.empty<V>();
    for (const [key, value] of entries) map = map.with(key, value);
    return map;
  }

  get(key: string): V | undefined {
    return lookup(this.rootSlot, hashKey(key), key, 0)?.value;
  }

  has(key: string): boolean {
    return lookup(this.rootSlot, hashKey(key), key, 0) !== undefined;
  }

  /** A new map with `key` set to `value`; this one is unchanged. */
  with(key: string, value: V): PersistentMap<V> {
    const added = { value: false };
    const root = insert(this.rootSlot, { kind: 0, hash: hashKey(key), key, value }, 0, added) as Branch<V>;
    return new PersistentMap(root, added.value ? this.size + 1 : this.size);
  }

  /** A new map without `key` (or this one when it has no such key). */
  without(key: string): PersistentMap<V> {
    const root = remove(this.rootSlot, hashKey(key), key, 0);
    if (root === this.rootSlot) return this;
    return new PersistentMap((root as Branch<V> | null) ?? EMPTY_BRANCH, this.size - 1);
  }

  *entries(): MapIterator<[string, V]> {
    for (const entry of walk(this.rootSlot)) yield [entry.key, entry.value];
  }

  *keys(): MapIterator<string> {
    for (const entry of walk(this.rootSlot)) yield entry.key;
  }

  *values(): MapIterator<V> {
    for (const entry of walk(this.rootSlot)) yield entry.value;
  }

  [Symbol.iterator](): MapIterator<[string, V]> {
    return this.entries();
  }

  forEach(callback: (value: V, key: string, map: ReadonlyMap<string, V>) => void, thisArg?: unknown): void {
    for (const entry of walk(this.rootSlot)) callback.call(thisArg, entry.value, entry.key, this);
  }
}
