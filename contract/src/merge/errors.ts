/**
 * Why `device-limit rules merge` refuses a rules file. One error class; each problem has a stable
 * code, the rule path it is about, where it is in the file, and a message that says what to change.
 */
export const MERGE_ERROR_CODES = {
  /** the file is not JSON-with-comments, or not shaped like Realtime Database rules */
  invalidRules: 'rules-merge/invalid-rules',
  /** a `.read`/`.write` above our paths grants what our rules would refuse (rules cascade) */
  cascadeOverride: 'rules-merge/cascade-override',
  /** the file already has rules at one of our root paths */
  pathInUse: 'rules-merge/path-in-use',
  /** a device-limit block from an earlier merge is incomplete or holds rules that are not ours */
  blockDamaged: 'rules-merge/block-damaged',
} as const;

export type MergeErrorCode = (typeof MERGE_ERROR_CODES)[keyof typeof MERGE_ERROR_CODES];

export interface MergeProblem {
  readonly code: MergeErrorCode;
  /** the rule path, e.g. `/.write` or `/presence`; `/` for the file as a whole */
  readonly path: string;
  readonly line: number;
  readonly column: number;
  /** what is wrong and what to do, without the file name and position */
  readonly message: string;
}

/** `file:line:column: message [code]`, the form editors and CI logs link to. */
export function formatProblem(file: string, problem: MergeProblem): string {
  return `${file}:${problem.line}:${problem.column}: ${problem.message} [${problem.code}]`;
}

export class RulesMergeError extends Error {
  /** the code of the first problem; every problem is in `problems` */
  readonly code: MergeErrorCode;
  constructor(
    readonly file: string,
    readonly problems: readonly [MergeProblem, ...MergeProblem[]],
  ) {
    super(problems.map((p) => formatProblem(file, p)).join('\n'));
    this.name = 'RulesMergeError';
    this.code = problems[0].code;
  }
}

export function isRulesMergeError(error: unknown): error is RulesMergeError {
  return error instanceof RulesMergeError;
}
