/**
 * Database paths: parsing, validation and prefix relations.
 *
 * A path is an array of keys; the root is `[]`. Parsing mirrors the client's `Path` constructor
 * (`core/util/Path.ts`: empty segments are dropped, so "/a//b/" is ["a", "b"]) and its key rules
 * (`core/util/validation.ts` INVALID_KEY_REGEX_ and the limits page: no `. $ # [ ] /` and no ASCII
 * control characters 0x00-0x1F, 0x7F). A final `.priority` segment addresses a node's priority.
 */
import { DatabaseError } from '../errors';
import { MAX_KEY_BYTES, MAX_PATH_BYTES, MAX_PATH_DEPTH, utf8Length } from './limits';

export type Path = readonly string[];

export const PRIORITY_KEY = '.priority';

/**
 * Production REST answer for a path with a forbidden character: `{"error": "Invalid path: Invalid token
 * in path"}` (quoted in https://github.com/ziyasal/FireSharp/issues/153). The server's text for the depth and length
 * limits was not found in public material; ours follows the client's wording (Path.ts).
 */
export const INVALID_PATH_MESSAGE = 'Invalid path: Invalid token in path';

const INVALID_KEY_CHARS = /[[\].#$/\u0000-\u001F\u007F]/;

export function isValidKey(key: string): boolean {
  return key.length > 0 && !INVALID_KEY_CHARS.test(key);
}

/**
 * Parses "/a/b", "a/b/" or "/" into segments and validates them. Throws
 * `DatabaseError('invalid_path', …)`.
 */
export function parsePath(path: string): string[] {
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment.length > 0) segments.push(segment);
  }
  validatePath(segments);
  return segments;
}

/** Validates already-split segments (keys, `.priority` only last, depth, UTF-8 length). */
export function validatePath(segments: Path): void {
  const last = segments.length - 1;
  let bytes = Math.max(1, segments.length); // one '/' per key, as the client counts
  for (let i = 0; i < segments.length; i++) {
    const key = segments[i] as string;
    if (!isValidKey(key) && !(i === last && key === PRIORITY_KEY)) {
      throw new DatabaseError('invalid_path', INVALID_PATH_MESSAGE);
    }
    const keyBytes = utf8Length(key);
    if (keyBytes > MAX_KEY_BYTES) {
      throw new DatabaseError('invalid_path', `Invalid path: key longer than ${MAX_KEY_BYTES} bytes (${keyBytes})`);
    }
    bytes += keyBytes;
  }
  const depth = segments[last] === PRIORITY_KEY ? segments.length - 1 : segments.length;
  if (depth > MAX_PATH_DEPTH) {
    throw new DatabaseError(
      'invalid_path',
      `Invalid path: path specified exceeds the maximum depth that can be written (${MAX_PATH_DEPTH})`,
    );
  }
  if (bytes > MAX_PATH_BYTES) {
    throw new DatabaseError('invalid_path', `Invalid path: key path longer than ${MAX_PATH_BYTES} bytes (${bytes})`);
  }
}

/** "/" for the root, otherwise "/a/b" — the form the client sends (`Path.toString()`). */
export function pathToString(segments: Path): string {
  return segments.length === 0 ? '/' : '/' + segments.join('/');
}

/** True when `ancestor` is a prefix of (or equal to) `path`. */
export function pathContains(ancestor: Path, path: Path): boolean {
  if (ancestor.length > path.length) return false;
  for (let i = 0; i < ancestor.length; i++) {
    if (ancestor[i] !== path[i]) return false;
  }
  return true;
}

/** True when one path is a prefix of the other: a write at one affects a read at the other. */
export function pathsOverlap(a: Path, b: Path): boolean {
  return a.length <= b.length ? pathContains(a, b) : pathContains(b, a);
}

/** The longest common prefix of two paths. */
export function pathCommonPrefix(a: Path, b: Path): string[] {
  const out: string[] = [];
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n && a[i] === b[i]; i++) out.push(a[i] as string);
  return out;
}

/** Drops a final `.priority`: a priority write changes (and notifies) its parent node. */
export function pathWithoutPriority(path: Path): Path {
  return path.length > 0 && path[path.length - 1] === PRIORITY_KEY ? path.slice(0, -1) : path;
}
