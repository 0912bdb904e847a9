/**
 * Loads `{"rules": {...}}` into a tree of rule nodes, rejecting what the real server rejects when
 * rules are saved: unknown keys, wrong value types, two wildcards at one location, undeclared
 * `$variables`, syntax the language lacks and static type errors. Each error names the rule path
 * and the position (`/rules/users/$uid/.write: 1:14: Unexpected token ';'`).
 */
import { ExpressionError, lineColumn } from './ast';
import { RulesError } from './errors';
import { type JsonNode, parseRulesJson } from './json';
import { parseExpression } from './parser';
import { CompiledRule } from './rule';
import { type RuleKind, typecheckRule } from './typecheck';

export interface RuleNode {
  /** e.g. `/rules/users/$uid` */
  readonly rulePath: string;
  readonly read: CompiledRule | null;
  readonly write: CompiledRule | null;
  readonly validate: CompiledRule | null;
  readonly indexOn: readonly string[];
  readonly children: ReadonlyMap<string, RuleNode>;
  /** the `$wildcard` child, matching every key without a named child */
  readonly wildcard: RuleNode | null;
}

const RULE_KINDS: ReadonlySet<string> = new Set(['.read', '.write', '.validate']);
/** Wildcards become variables, so their names must be identifiers. */
const WILDCARD_NAME = /^\$[A-Za-z_][A-Za-z0-9_]*$/;
/** Keys the database cannot store (the SDK's INVALID_KEY_REGEX_ plus `/`). */
const INVALID_CHILD_KEY = /[.#$/[\]\u0000-\u001f\u007f]/;

export function loadRuleTree(source: string): { root: RuleNode; rules: CompiledRule[] } {
  const document = parseRulesJson(source);
  return new RuleTreeLoader(source).load(document);
}

function describeJson(node: JsonNode): string {
  return node.type === 'null'
    ? 'null'
    : node.type === 'array'
      ? 'an array'
      : node.type === 'object'
        ? 'an object'
        : `a ${node.type}`;
}

class RuleTreeLoader {
  private readonly rules: CompiledRule[] = [];

  constructor(private readonly text: string) {}

  private at(offset: number): string {
    const { line, column } = lineColumn(this.text, offset);
    return `(rules file line ${line}, column ${column})`;
  }

  load(document: JsonNode): { root: RuleNode; rules: CompiledRule[] } {
    if (document.type !== 'object') {
      throw new RulesError(
        `/: the rules file must be an object with a "rules" key, got ${describeJson(document)} ${this.at(document.start)}`,
        '/',
      );
    }
    for (const entry of document.entries) {
      if (entry.key !== 'rules') {
        throw new RulesError(
          `/${entry.key}: unknown key: the rules file may only contain "rules" ${this.at(entry.keyStart)}`,
          `/${entry.key}`,
        );
      }
    }
    const rules = document.entries.find((e) => e.key === 'rules');
    if (rules === undefined) throw new RulesError('/: the rules file must have a "rules" key', '/');
    const root = this.node(rules.value, '/rules', []);
    return { root, rules: this.rules };
  }

  private node(json: JsonNode, rulePath: string, wildcards: readonly string[]): RuleNode {
    if (json.type !== 'object') {
      throw new RulesError(
        `${rulePath}: expected an object of rules, got ${describeJson(json)} ${this.at(json.start)}`,
        rulePath,
      );
    }
    let read: CompiledRule | null = null;
    let write: CompiledRule | null = null;
    let validate: CompiledRule | null = null;
    let indexOn: string[] = [];
    const children = new Map<string, RuleNode>();
    let wildcard: RuleNode | null = null;
    let wildcardKey: string | null = null;
    for (const { key, keyStart, value } of json.entries) {
      const path = `${rulePath}/${key}`;
      if (RULE_KINDS.has(key)) {
        const rule = this.rule(value, path, key as RuleKind, wildcards);
        if (key === '.read') read = rule;
        else if (key === '.write') write = rule;
        else validate = rule;
      } else if (key === '.indexOn') {
        indexOn = this.indexOn(value, path);
      } else if (key.startsWith('.')) {
        throw new RulesError(
          `${path}: unknown rule type '${key}': expected .read, .write, .validate or .indexOn ${this.at(keyStart)}`,
          path,
        );
      } else if (key.startsWith('$')) {
        if (!WILDCARD_NAME.test(key)) {
          throw new RulesError(
            `${path}: invalid wildcard name '${key}': use $ followed by letters, digits or _ ${this.at(keyStart)}`,
            path,
          );
        }
        if (wildcardKey !== null) {
          throw new RulesError(
            `${path}: only one $wildcard is allowed at a location, found ${wildcardKey} and ${key} ${this.at(keyStart)}`,
            path,
          );
        }
        if (wildcards.includes(key)) {
          throw new RulesError(
            `${path}: the wildcard ${key} is already declared higher on this path ${this.at(keyStart)}`,
            path,
          );
        }
        wildcardKey = key;
        wildcard = this.node(value, path, [...wildcards, key]);
      } else {
        if (key === '' || INVALID_CHILD_KEY.test(key)) {
          throw new RulesError(
            `${path}: invalid key ${JSON.stringify(key)}: keys cannot contain . # $ / [ ] or control characters ${this.at(keyStart)}`,
            path,
          );
        }
        children.set(key, this.node(value, path, wildcards));
      }
    }
    return { rulePath, read, write, validate, indexOn, children, wildcard };
  }

  private rule(json: JsonNode, rulePath: string, kind: RuleKind, wildcards: readonly string[]): CompiledRule {
    let source: string;
    let sourceStart: number;
    let sourceEnd: number;
    if (json.type === 'boolean') {
      source = String(json.value);
      sourceStart = json.start;
      sourceEnd = json.end;
    } else if (json.type === 'string') {
      source = json.value;
      sourceStart = json.start + 1;
      sourceEnd = json.end - 1;
    } else {
      throw new RulesError(
        `${rulePath}: ${kind} must be a string or a boolean, got ${describeJson(json)} ${this.at(json.start)}`,
        rulePath,
      );
    }
    let expr;
    try {
      expr = parseExpression(source);
      typecheckRule(expr, { kind, wildcards });
    } catch (error) {
      if (!(error instanceof ExpressionError)) throw error;
      const { line, column } = lineColumn(source, error.offset);
      throw new RulesError(`${rulePath}: ${line}:${column}: ${error.message}`, rulePath);
    }
    // Both ends inclusive: the first and the last character of the expression.
    const range = { start: lineColumn(this.text, sourceStart), end: lineColumn(this.text, sourceEnd - 1) };
    const compiled = new CompiledRule(rulePath, kind, source, range, expr, wildcards);
    this.rules.push(compiled);
    return compiled;
  }

  private indexOn(json: JsonNode, rulePath: string): string[] {
    if (json.type === 'string') return [json.value];
    if (json.type === 'array' && json.items.every((item) => item.type === 'string')) {
      return json.items.map((item) => (item as JsonNode & { type: 'string' }).value);
    }
    throw new RulesError(
      `${rulePath}: .indexOn must be a string or an array of strings, got ${describeJson(json)} ${this.at(json.start)}`,
      rulePath,
    );
  }
}
