/**
 * Server values (docs/wire-protocol.md §7): `{".sv": "timestamp"}` and `{".sv": {"increment": n}}`, resolved
 * by the server when a write is applied, anywhere in the written value and in `.priority`.
 *
 * Semantics follow the client's local estimate (`core/util/ServerValues.ts`
 * resolveScalarDeferredValue / resolveComplexDeferredValue in @firebase/database 1.1.5) and the
 * ServerValue.increment reference: "If the current value is not a number, or if the database value
 * does not yet exist, the transformation will set the database value to the delta value."
 */
import { DatabaseError } from '../errors';
import type { DbNode, LeafValue } from './node';

export const SERVER_VALUE_KEY = '.sv';

export function isServerValue(json: unknown): json is { readonly '.sv': unknown } {
  return typeof json === 'object' && json !== null && !Array.isArray(json) && SERVER_VALUE_KEY in json;
}

/**
 * Resolves the payload of a `.sv` against the node currently stored at the same location (for a
 * priority: the current priority as a node). `now` is the injected clock's time for the whole write.
 */
export function resolveServerValue(sv: unknown, existing: DbNode, now: number): LeafValue {
  if (sv === 'timestamp') return now;
  if (typeof sv === 'object' && sv !== null && !Array.isArray(sv) && 'increment' in sv) {
    const delta = (sv as { increment: unknown }).increment;
    if (typeof delta !== 'number' || !Number.isFinite(delta)) {
      throw new DatabaseError('invalid_data', 'Invalid data; increment requires a numeric operand.');
    }
    // A missing target, an object, a string or a boolean is replaced by the delta. JS numbers are
    // doubles, so an "integer overflow" is already computed as a double, as the docs require.
    if (existing.kind === 'leaf' && typeof existing.value === 'number') return existing.value + delta;
    return delta;
  }
  // The client asserts on unknown server values. DIFFERENCE FROM PRODUCTION (possible): what
  // production answers is not documented; the emulator refuses the write as invalid data.
  throw new DatabaseError('invalid_data', `Invalid data; unsupported server value ${JSON.stringify(sv)}.`);
}
