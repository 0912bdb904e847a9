/**
 * What an expression sees when it runs, and how it fails. A runtime error (a method on null, `-`
 * on a string, comparing a string with a number) fails the whole expression: the rule is then
 * false, and `x || true` does not rescue it (the reference: "a rule that errors is false").
 */
import type { RuleSnapshot } from './snapshot';

/**
 * Thrown inside an evaluation and caught by the rule that runs it. Deliberately not an `Error`:
 * failures are ordinary outcomes of rules over arbitrary data, and capturing a stack trace for
 * each would dominate the cost of evaluation.
 */
export class EvalFailure {
  constructor(readonly message: string) {}
}

/** The `query` rule variable (rules reference, "query"), derived from the wire query object. */
export interface QueryVariable {
  readonly orderByKey: boolean;
  readonly orderByPriority: boolean;
  readonly orderByValue: boolean;
  readonly orderByChild: string | null;
  readonly startAt: unknown;
  readonly endAt: unknown;
  readonly equalTo: unknown;
  readonly limitToFirst: number | null;
  readonly limitToLast: number | null;
}

/** One observed value, for the explain-denials log: the source text and what it evaluated to. */
export interface TraceEntry {
  readonly source: string;
  readonly value?: unknown;
  readonly error?: string;
}

export interface EvalContext {
  auth: unknown;
  now: number;
  query: QueryVariable;
  root: RuleSnapshot;
  data: RuleSnapshot;
  newData: RuleSnapshot | null;
  /** values of the `$wildcards` on the rule's path, outermost first */
  wildcards: string[];
  /** when set, the traced build of an expression records what it saw here */
  trace: TraceEntry[] | null;
}
