/**
 * The client's value hash (docs/wire-protocol.md §8.2), used by transactions: the client sends the hash of
 * its cached value as `h`, and the server answers `datastale` when it differs from the hash of the
 * current value. It must match the client bit for bit, so this is a port of @firebase/database
 * 1.1.5 `snap/LeafNode.ts` hash, `snap/ChildrenNode.ts` hash, `snap/snap.ts` priorityHashText and
 * `core/util/util.ts` sha1 / doubleToIEEE754String, with @firebase/util `stringToByteArray`.
 */
import { createHash } from 'node:crypto';

import type { DbNode, Priority } from './node';
import { PRIORITY_INDEX, sortedChildren } from './ordering';

/**
 * The client's hand-written IEEE-754 encoder, ported operation for operation. It is NOT the true
 * bit pattern for a few values (one ulp below a power of two, e.g. 2^53-1 hashes like 2^53, and some
 * extreme magnitudes), because it derives the exponent with Math.log. Matching the client matters
 * more than being right: otherwise a transaction on such a value loops on `datastale`.
 */
export function doubleToIEEE754String(input: number): string {
  const ebits = 11;
  const fbits = 52;
  const bias = (1 << (ebits - 1)) - 1;
  let v = input;
  let s: boolean;
  let e: number;
  let f: number;
  if (v === 0) {
    e = 0;
    f = 0;
    s = 1 / v === -Infinity;
  } else {
    s = v < 0;
    v = Math.abs(v);
    if (v >= Math.pow(2, 1 - bias)) {
      // Normalized
      const ln = Math.min(Math.floor(Math.log(v) / Math.LN2), bias);
      e = ln + bias;
      f = Math.round(v * Math.pow(2, fbits - ln) - Math.pow(2, fbits));
    } else {
      // Denormalized
      e = 0;
      f = Math.round(v / Math.pow(2, 1 - bias - fbits));
    }
  }
  const bits: number[] = [];
  for (let i = fbits; i; i -= 1) {
    bits.push(f % 2 ? 1 : 0);
    f = Math.floor(f / 2);
  }
  for (let i = ebits; i; i -= 1) {
    bits.push(e % 2 ? 1 : 0);
    e = Math.floor(e / 2);
  }
  bits.push(s ? 1 : 0);
  bits.reverse();
  const str = bits.join('');
  let hex = '';
  for (let i = 0; i < 64; i += 8) {
    let byte = parseInt(str.substr(i, 8), 2).toString(16);
    if (byte.length === 1) byte = '0' + byte;
    hex += byte;
  }
  return hex.toLowerCase();
}

const SURROGATE = /[\uD800-\uDFFF]/;

/**
 * @firebase/util `stringToByteArray`: UTF-8, except that a lead surrogate always swallows the next
 * code unit and a lone trail surrogate is encoded as 3 bytes. For well-formed strings this equals
 * Buffer's UTF-8, which is used then; only strings with surrogates take the ported loop.
 */
function clientUtf8(str: string): Buffer {
  if (!SURROGATE.test(str)) return Buffer.from(str, 'utf8');
  const out: number[] = [];
  for (let i = 0; i < str.length; i++) {
    let c = str.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const high = c - 0xd800;
      i++;
      // The client asserts here ("Surrogate pair missing trail surrogate"); NaN & x is 0.
      const low = str.charCodeAt(i) - 0xdc00;
      c = 0x10000 + (high << 10) + low;
    }
    if (c < 128) out.push(c);
    else if (c < 2048) out.push((c >> 6) | 192, (c & 63) | 128);
    else if (c < 65536) out.push((c >> 12) | 224, ((c >> 6) & 63) | 128, (c & 63) | 128);
    else out.push((c >> 18) | 240, ((c >> 12) & 63) | 128, ((c >> 6) & 63) | 128, (c & 63) | 128);
  }
  return Buffer.from(out.map((b) => b & 0xff));
}

/** base64 (standard alphabet, padded) of SHA-1 over the client's UTF-8 bytes. */
export function sha1Base64(str: string): string {
  return createHash('sha1').update(clientUtf8(str)).digest('base64');
}

function priorityHashText(priority: Exclude<Priority, null>): string {
  return typeof priority === 'number' ? 'number:' + doubleToIEEE754String(priority) : 'string:' + priority;
}

/** Nodes are immutable, so a hash computed once stays valid; unchanged subtrees are reused by writes. */
const hashCache = new WeakMap<DbNode, string>();

/** The client's `Node.hash()`: "" for no data, else base64 SHA-1 (docs/wire-protocol.md §8.2). */
export function nodeHash(node: DbNode): string {
  const cached = hashCache.get(node);
  if (cached !== undefined) return cached;
  let toHash = '';
  if (node.priority !== null) toHash += 'priority:' + priorityHashText(node.priority) + ':';
  let hash: string;
  if (node.kind === 'leaf') {
    const type = typeof node.value;
    toHash += type + ':' + (type === 'number' ? doubleToIEEE754String(node.value as number) : String(node.value));
    hash = sha1Base64(toHash);
  } else {
    // Children in priority-index order (priority, then nameCompare), skipping empty hashes.
    for (const entry of sortedChildren(node, PRIORITY_INDEX)) {
      const childHash = nodeHash(entry.node);
      if (childHash !== '') toHash += ':' + entry.name + ':' + childHash;
    }
    hash = toHash === '' ? '' : sha1Base64(toHash);
  }
  hashCache.set(node, hash);
  return hash;
}
