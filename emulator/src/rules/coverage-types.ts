/** One expression of the rules and how it evaluated since the last reset. */
export interface ExpressionCoverage {
  /** the rule path, e.g. `/rules/users/$uid/.write` */
  readonly path: string;
  /** `.read`, `.write` or `.validate` */
  readonly kind: string;
  /** the expression source */
  readonly expression: string;
  /** 1-based line:column in the rules file of the expression's first and last character */
  readonly range: { readonly start: { line: number; column: number }; readonly end: { line: number; column: number } };
  readonly evaluations: number;
  readonly trueCount: number;
  readonly falseCount: number;
  readonly errorCount: number;
}

export interface CoverageReport {
  readonly expressions: readonly ExpressionCoverage[];
}
