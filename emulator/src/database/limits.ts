/**
 * Production limits of the Realtime Database, as named constants with their units.
 *
 * Source: https://firebase.google.com/docs/database/usage/limits ("Data tree" and "Writes"), and the
 * client's own checks (`core/util/Path.ts` MAX_PATH_DEPTH / MAX_PATH_LENGTH_BYTES,
 * `core/util/validation.ts` MAX_LEAF_SIZE_ in @firebase/database 1.1.5).
 */
import { DatabaseError } from '../errors';

/** "Maximum depth of child nodes: 32" — every path in the tree, data included, is at most 32 keys deep. */
export const MAX_PATH_DEPTH = 32; /* levels */

/** "Length of a key: 768 bytes", UTF-8. The client also caps the whole key path at 768 bytes. */
export const MAX_KEY_BYTES = 768; /* bytes, UTF-8 */
export const MAX_PATH_BYTES = 768; /* bytes, UTF-8, slashes included (client ValidationPath) */

/** "Maximum size of a string: 10 MB", UTF-8; the client uses 10 * 1024 * 1024. */
export const MAX_STRING_BYTES = 10 * 1024 * 1024; /* 10 MiB */

/**
 * "Size of a single write request to the database: 256 MB from the REST API; 16 MB from the SDKs."
 * The database half never sees wire bytes: the router measures the request and calls
 * {@link checkWriteSize}. Multi-path updates are subject to the same limit (same docs row).
 */
export const MAX_WRITE_BYTES_REST = 256 * 1024 * 1024; /* 256 MiB */
export const MAX_WRITE_BYTES_SOCKET = 16 * 1024 * 1024; /* 16 MiB */

/**
 * Production text for an oversized write (REST `error`, SDK `WRITE_TOO_BIG: …`), as quoted in
 * https://github.com/firebase/firebase-import/issues/46.
 */
export const WRITE_TOO_BIG_MESSAGE =
  'Data to write exceeds the maximum size that can be modified with a single request.';
export type WriteTransport = 'rest' | 'socket';

/**
 * Throws `write_too_big` when a write request of `bytes` exceeds the transport's limit. REST's
 * `writeSizeLimit=unlimited` (used by firebase-tools `--import`) passes `Infinity` as `limit`.
 */
export function checkWriteSize(bytes: number, transport: WriteTransport, limit?: number): void {
  const max = limit ?? (transport === 'rest' ? MAX_WRITE_BYTES_REST : MAX_WRITE_BYTES_SOCKET);
  if (bytes > max) throw new DatabaseError('write_too_big', WRITE_TOO_BIG_MESSAGE);
}

/** UTF-8 length of a JS string without allocating (the client's `stringLength`). */
export function utf8Length(str: string): number {
  let bytes = 0;
  for (let i = 0; i < str.length; i++) {
    const c = str.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      // A surrogate pair is one 4-byte code point.
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}
