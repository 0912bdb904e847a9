/**
 * The rules as a tree that keeps, next to each value, the comment the generated file prints above it.
 * {@link toRulesJson} drops the comments (what the server stores); render.ts prints both.
 */
import type { Expr } from './expr';

export type RuleValue = boolean | string | readonly string[] | RuleObject;

export interface RuleEntry {
  readonly key: string;
  readonly value: RuleValue;
  /** why the rule or node is there: the invariant it keeps, with its docs/protocol.md section */
  readonly why?: string;
  /** the rule's expression in terms of named pieces (expr.ts, pieces.ts) */
  readonly formula?: string;
}

export interface RuleObject {
  readonly entries: readonly RuleEntry[];
}

export type RuleKind = '.read' | '.write' | '.validate';

/** A `.read`/`.write`/`.validate` rule: a boolean, or an expression whose formula goes in the comment. */
export function rule(kind: RuleKind, value: boolean | Expr, why: string): RuleEntry {
  if (typeof value === 'boolean') return { key: kind, value, why };
  // A formula identical to the text adds nothing to the comment.
  return value.formula === value.text
    ? { key: kind, value: value.text, why }
    : { key: kind, value: value.text, why, formula: value.formula };
}

/** A child location (`presence`, `$uid`, `count`, …) and the rules under it. */
export function location(key: string, why: string | undefined, ...entries: readonly RuleEntry[]): RuleEntry {
  return why === undefined ? { key, value: { entries } } : { key, value: { entries }, why };
}

export function indexOn(fields: readonly string[], why: string): RuleEntry {
  return { key: '.indexOn', value: fields, why };
}

export function isRuleObject(value: RuleValue): value is RuleObject {
  return typeof value === 'object' && !Array.isArray(value);
}

export type RulesJsonValue = boolean | string | string[] | { [key: string]: RulesJsonValue };

/** The plain JSON the server stores: what `JSON.parse` of the generated file (comments removed) gives. */
export function toRulesJson(object: RuleObject): { [key: string]: RulesJsonValue } {
  const out: { [key: string]: RulesJsonValue } = {};
  for (const entry of object.entries) {
    const value = entry.value;
    if (typeof value === 'boolean' || typeof value === 'string') out[entry.key] = value;
    else if (isRuleObject(value)) out[entry.key] = toRulesJson(value);
    else out[entry.key] = [...value];
  }
  return out;
}
