/**
 * A transaction on one location driven by a pure plan function.
 *
 * The SDK calls the update function first with its *cached* value, which is `null` when nothing is
 * cached (firebase-js-sdk `Repo.ts`, repoStartTransaction), and retries with the server's value when
 * the hash it sent does not match (`datastale`). Aborting (returning `undefined`) on that first `null`
 * would end the transaction without ever seeing the real data, so on `null` we return `null`: if the
 * server holds `null` too the write changes nothing, otherwise the server refuses it and the SDK
 * calls us again with the real value.
 */
import type { Reference } from 'firebase-admin/database';

export interface TransactionOutcome<P> {
  /** The plan of the last call of the update function: the one that committed (or aborted). */
  readonly plan: P;
  readonly committed: boolean;
  /** The location's value after the transaction (as the SDK reports it). */
  readonly value: unknown;
}

/**
 * Decides, inside the transaction, whether this instance still holds the user's presence (during a
 * shard migration, docs/protocol.md §10.3: false once a fence closed the user's previous instance).
 */
export type ServedHere = (current: unknown) => boolean;

/**
 * The transaction found that its instance no longer holds the user (`ServedHere` said false) and
 * aborted without writing: the operation belongs on the user's new instance.
 */
export class NotServedHereError extends Error {
  override readonly name = 'NotServedHereError';
  constructor(readonly ref: string) {
    super(`${ref} no longer holds this user's presence (a shard migration fenced it)`);
  }
}

export function isNotServedHereError(error: unknown): error is NotServedHereError {
  return error instanceof NotServedHereError;
}

/**
 * Runs `planner` in a transaction on `ref` and writes `valueToWrite(plan)` (undefined: abort). With
 * `servedHere`, each attempt first checks that the instance still holds the user; the check and the
 * write are one transaction, so no fence can come between them. When the last attempt found the user
 * gone, nothing was written and this throws a NotServedHereError.
 */
export async function transactPlan<P>(
  ref: Reference,
  planner: (current: unknown) => P,
  valueToWrite: (plan: P) => unknown,
  servedHere?: ServedHere,
): Promise<TransactionOutcome<P>> {
  let last: { plan: P } | undefined;
  let moved = false;
  const result = await ref.transaction(
    (current: unknown) => {
      // A fence only ever rises (docs/protocol.md §10.2 R2), so one seen in the SDK's cached first value is still
      // there: aborting on it never misses a write that belonged here.
      moved = servedHere !== undefined && !servedHere(current);
      if (moved) return current === null ? null : undefined;
      const plan = planner(current);
      last = { plan };
      const value = valueToWrite(plan);
      if (value === undefined) return current === null ? null : undefined;
      return value;
    },
    undefined,
    // applyLocally = false: nothing in this process listens, so no local events are needed.
    false,
  );
  if (moved) throw new NotServedHereError(ref.toString());
  if (!last) throw new Error(`transaction on ${ref.toString()} finished without running its update function`);
  return { plan: last.plan, committed: result.committed, value: result.snapshot.val() as unknown };
}
