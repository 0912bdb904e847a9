/**
 * One `.read`, `.write` or `.validate` rule: its compiled expression, where it came from, and its
 * coverage counters.
 */
import type { Expr } from './ast';
import { compileExpression, type Evaluator } from './evaluate';
import { type EvalContext, EvalFailure, type TraceEntry } from './runtime';
import type { RuleKind } from './typecheck';
import { describeValue } from './snapshot';

export interface SourceRange {
  readonly start: { readonly line: number; readonly column: number };
  readonly end: { readonly line: number; readonly column: number };
}

/** A rule's outcome with what it saw, for the explain-denials log. */
export interface RuleTrace {
  readonly result: boolean | 'error';
  readonly error?: string;
  readonly seen: readonly TraceEntry[];
}

export class CompiledRule {
  evaluations = 0;
  trueCount = 0;
  falseCount = 0;
  errorCount = 0;
  private tracedEvaluator: Evaluator | null = null;
  private readonly evaluator: Evaluator;

  constructor(
    /** e.g. `/rules/users/$uid/.write` */
    readonly rulePath: string,
    readonly kind: RuleKind,
    /** the expression text (`true` / `false` for boolean rules) */
    readonly source: string,
    /** where the expression sits in the rules file */
    readonly range: SourceRange,
    private readonly expr: Expr,
    private readonly wildcards: readonly string[],
  ) {
    this.evaluator = compileExpression(expr, { source, wildcards, traced: false });
  }

  /** Evaluates and counts. Anything but `true` denies; errors and non-boolean results count as errors. */
  run(ctx: EvalContext): boolean {
    this.evaluations++;
    let value: unknown;
    try {
      value = this.evaluator(ctx);
    } catch (error) {
      if (!(error instanceof EvalFailure)) throw error;
      this.errorCount++;
      return false;
    }
    if (value === true) {
      this.trueCount++;
      return true;
    }
    if (value === false) this.falseCount++;
    else this.errorCount++;
    return false;
  }

  /** Re-evaluates with tracing (not counted in coverage); evaluation is pure, so the outcome is the same. */
  trace(ctx: EvalContext): RuleTrace {
    this.tracedEvaluator ??= compileExpression(this.expr, {
      source: this.source,
      wildcards: this.wildcards,
      traced: true,
    });
    const seen: TraceEntry[] = [];
    ctx.trace = seen;
    try {
      const value = this.tracedEvaluator(ctx);
      if (typeof value === 'boolean') return { result: value, seen };
      return { result: 'error', error: `the rule evaluated to ${describeValue(value)}, not a boolean`, seen };
    } catch (error) {
      if (!(error instanceof EvalFailure)) throw error;
      return { result: 'error', error: error.message, seen };
    } finally {
      ctx.trace = null;
    }
  }
}
