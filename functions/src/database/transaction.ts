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

export async function transactPlan<P>(
  ref: Reference,
  planner: (current: unknown) => P,
  valueToWrite: (plan: P) => unknown,
): Promise<TransactionOutcome<P>> {
  let last: { plan: P } | undefined;
  const result = await ref.transaction(
    (current: unknown) => {
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
  if (!last) throw new Error(`transaction on ${ref.toString()} finished without running its update function`);
  return { plan: last.plan, committed: result.committed, value: result.snapshot.val() as unknown };
}
