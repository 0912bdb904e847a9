/**
 * Test support for the table-driven rules tests (`*.test-support.ts` is not built into the package):
 * evaluate one rule expression outside a ruleset (parse, typecheck and run it against JSON data, as
 * a `.read`, `.write` or `.validate`), and judge reads and writes under a rules object.
 */
import { type DbNode, nodeFromJSON, nodeGetAt, nodeSetAt } from '../database/node';
import { ExpressionError, lineColumn } from './ast';
import { parseExpression } from './parser';
import { queryVariable } from './query';
import type { AuthVariable, QueryParams, RulesDecision } from '../database/access';
import { compileRules } from './ruleset';
import { CompiledRule } from './rule';
import { RuleSnapshot } from './snapshot';
import { type RuleKind, typecheckRule } from './typecheck';

export interface ExpressionEnv {
  readonly kind?: RuleKind;
  readonly auth?: Readonly<Record<string, unknown>> | null;
  /** the database before the write (export-format JSON) */
  readonly data?: unknown;
  /** the database after the write; defaults to `data` */
  readonly newData?: unknown;
  /** where the rule sits: `data` and `newData` are snapshots there */
  readonly path?: readonly string[];
  readonly wildcards?: Readonly<Record<string, string>>;
  readonly now?: number;
  readonly query?: QueryParams;
}

/** `true`/`false`, or `'error'` when evaluation failed (which a rule treats as false). */
export function evaluateExpression(expression: string, env: ExpressionEnv = {}): boolean | 'error' {
  const kind = env.kind ?? '.write';
  const names = Object.keys(env.wildcards ?? {});
  const expr = parseExpression(expression);
  typecheckRule(expr, { kind, wildcards: names });
  const range = { start: { line: 1, column: 1 }, end: lineColumn(expression, expression.length) };
  const rule = new CompiledRule('/rules/.test', kind, expression, range, expr, names);
  const root = nodeFromJSON(env.data ?? null);
  const newRoot = env.newData === undefined ? root : nodeFromJSON(env.newData);
  const path = env.path ?? [];
  const result = rule.run({
    auth: env.auth ?? null,
    now: env.now ?? 0,
    query: queryVariable(env.query),
    root: new RuleSnapshot(root, [], root),
    data: new RuleSnapshot(root, path, nodeGetAt(root, path)),
    newData: kind === '.read' ? null : new RuleSnapshot(newRoot, path, nodeGetAt(newRoot, path)),
    wildcards: names.map((n) => (env.wildcards as Record<string, string>)[n] as string),
    trace: null,
  });
  return rule.errorCount > 0 ? 'error' : result;
}

/** The load-time error for an expression, as `line:column: message`, or null when it is valid. */
export function expressionError(
  expression: string,
  kind: RuleKind = '.write',
  wildcards: readonly string[] = [],
): string | null {
  try {
    typecheckRule(parseExpression(expression), { kind, wildcards });
    return null;
  } catch (error) {
    if (!(error instanceof ExpressionError)) throw error;
    const { line, column } = lineColumn(expression, error.offset);
    return `${line}:${column}: ${error.message}`;
  }
}

/** The `rules` object of a rules file. */
export type Rules = Record<string, unknown>;

function segments(path: string): string[] {
  return path.split('/').filter((s) => s !== '');
}

/** Judges a read of `path` over `data` (JSON) with `rules`. */
export function judgeRead(
  rules: Rules,
  data: unknown,
  path: string,
  options: { auth?: AuthVariable; query?: QueryParams } = {},
): RulesDecision {
  const root = nodeFromJSON(data);
  return compileRules(JSON.stringify({ rules })).canRead({
    auth: options.auth ?? null,
    root,
    path: segments(path),
    query: options.query,
    now: 1000,
  });
}

/** `writes` maps each written path to its new value: one entry is a set, several a multi-location update. */
export function judgeWrite(
  rules: Rules,
  data: unknown,
  writes: Record<string, unknown>,
  auth: AuthVariable = null,
): RulesDecision {
  const root = nodeFromJSON(data);
  let newRoot: DbNode = root;
  for (const [path, value] of Object.entries(writes)) newRoot = nodeSetAt(newRoot, segments(path), nodeFromJSON(value));
  const paths = Object.keys(writes).map(segments);
  return compileRules(JSON.stringify({ rules })).canWrite({ auth, root, newRoot, paths, now: 1000 });
}
