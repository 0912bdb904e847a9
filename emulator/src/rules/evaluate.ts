/**
 * The evaluator: compiles a typechecked AST into nested closures once, at load, so evaluating a rule
 * is a few direct calls with no tree walk and no allocation beyond the snapshots it creates.
 * A traced build of the same closures records the values the expression saw, for the explain log.
 * Runtime semantics follow the rules reference and the live-server fixtures recorded by targaryen:
 * `==` and `===` are the same strict comparison; `+` adds numbers or concatenates when a side is a
 * string; arithmetic needs numbers; `x / 0` is NaN; `<` needs two numbers or two strings; `&&`,
 * `||`, `!`, `?:` need booleans; property access on null is null, but `.length` or a method on null
 * is an error.
 */
import type { BinaryOperator, Expr } from './ast';
import { type EvalContext, EvalFailure, type TraceEntry } from './runtime';
import { CHILDREN_SENTINEL, RuleSnapshot, describeValue } from './snapshot';

export type Evaluator = (ctx: EvalContext) => unknown;

const hasOwn = Object.prototype.hasOwnProperty;

function fail(message: string): never {
  throw new EvalFailure(message);
}

/** Property access on auth data: missing properties and properties of null are null. */
function property(value: unknown, key: string): unknown {
  if (value === null || typeof value !== 'object' || value === CHILDREN_SENTINEL) return null;
  if (value instanceof RuleSnapshot) fail(`cannot read property '${key}' of a RuleDataSnapshot`);
  if (!hasOwn.call(value, key)) return null;
  return (value as Record<string, unknown>)[key] ?? null;
}

function requireString(value: unknown, what: string): string {
  if (typeof value !== 'string') fail(`${what} expects a string, got ${describeValue(value)}`);
  return value;
}

function requireBoolean(value: unknown, what: string): boolean {
  if (typeof value !== 'boolean') fail(`${what} expects a boolean, got ${describeValue(value)}`);
  return value;
}

function requireSnapshot(value: unknown, method: string): RuleSnapshot {
  if (!(value instanceof RuleSnapshot)) fail(`cannot call ${method}() on ${describeValue(value)}`);
  return value;
}

function requireStringReceiver(value: unknown, method: string): string {
  if (typeof value !== 'string') fail(`cannot call ${method}() on ${describeValue(value)}`);
  return value;
}

function binary(operator: BinaryOperator, left: unknown, right: unknown): unknown {
  switch (operator) {
    case '==':
    case '===':
      return left === right;
    case '!=':
    case '!==':
      return left !== right;
    case '+':
      if (typeof left === 'number' && typeof right === 'number') return left + right;
      if (
        (typeof left === 'string' && (typeof right === 'string' || typeof right === 'number')) ||
        (typeof right === 'string' && typeof left === 'number')
      ) {
        return String(left) + String(right);
      }
      return fail(`cannot add ${describeValue(left)} and ${describeValue(right)}`);
  }
  if (operator === '<' || operator === '<=' || operator === '>' || operator === '>=') {
    if (!(
      (typeof left === 'number' && typeof right === 'number') ||
      (typeof left === 'string' && typeof right === 'string')
    )) {
      fail(`cannot compare ${describeValue(left)} ${operator} ${describeValue(right)}`);
    }
    const l = left as number | string;
    const r = right as number | string;
    return operator === '<' ? l < r : operator === '<=' ? l <= r : operator === '>' ? l > r : l >= r;
  }
  if (typeof left !== 'number' || typeof right !== 'number') {
    fail(`cannot compute ${describeValue(left)} ${operator} ${describeValue(right)}`);
  }
  switch (operator) {
    case '-':
      return left - right;
    case '*':
      return left * right;
    case '/':
      // A live server answers `(1/0 + '') == 'NaN'` with true: division by zero is NaN, not Infinity.
      return right === 0 ? NaN : left / right;
    default:
      return left % right;
  }
}

export interface CompileScope {
  /** the rule's expression text, for traced source excerpts */
  readonly source: string;
  readonly wildcards: readonly string[];
  readonly traced: boolean;
}

export function compileExpression(expr: Expr, scope: CompileScope): Evaluator {
  return new Compiler(scope).compile(expr);
}

class Compiler {
  constructor(private readonly scope: CompileScope) {}

  /**
   * `receiver` marks the object of a member access or method call: the traced build records whole
   * chains (`auth.uid`), not their prefixes (`auth`).
   */
  compile(expr: Expr, receiver = false): Evaluator {
    const evaluator = this.build(expr);
    if (!this.scope.traced || receiver) return evaluator;
    const observed =
      expr.kind === 'member' ||
      expr.kind === 'call' ||
      (expr.kind === 'identifier' && !['root', 'data', 'newData', 'query'].includes(expr.name));
    if (!observed) return evaluator;
    const source = this.scope.source.slice(expr.start, expr.end);
    return (ctx) => {
      let value: unknown;
      try {
        value = evaluator(ctx);
      } catch (error) {
        if (error instanceof EvalFailure && ctx.trace !== null && !ctx.trace.some((t) => t.error === error.message)) {
          ctx.trace.push({ source, error: error.message });
        }
        throw error;
      }
      if (ctx.trace !== null && !(value instanceof RuleSnapshot) && !ctx.trace.some((t) => t.source === source)) {
        const entry: TraceEntry = { source, value };
        ctx.trace.push(entry);
      }
      return value;
    };
  }

  private build(expr: Expr): Evaluator {
    switch (expr.kind) {
      case 'literal': {
        const value = expr.value;
        return () => value;
      }
      case 'regexp': {
        const regexp = new RegExp(expr.pattern, expr.flags);
        return () => regexp;
      }
      case 'array': {
        const elements = expr.elements.map((e) => this.compile(e));
        return (ctx) => elements.map((e) => e(ctx));
      }
      case 'identifier':
        return this.identifier(expr.name);
      case 'member': {
        const object = this.compile(expr.object, true);
        const name = expr.name;
        if (name === 'length') {
          return (ctx) => {
            const value = object(ctx);
            if (typeof value !== 'string') fail(`cannot read length of ${describeValue(value)}`);
            return value.length;
          };
        }
        if (name !== null) return (ctx) => property(object(ctx), name);
        const key = this.compile(expr.property as Expr);
        return (ctx) => {
          const value = object(ctx);
          const k = key(ctx);
          if (typeof k !== 'string' && typeof k !== 'number') fail(`invalid property name ${describeValue(k)}`);
          return property(value, String(k));
        };
      }
      case 'call':
        return this.call(expr);
      case 'unary': {
        const argument = this.compile(expr.argument);
        if (expr.operator === '!') return (ctx) => !requireBoolean(argument(ctx), '!');
        return (ctx) => {
          const value = argument(ctx);
          if (typeof value !== 'number') fail(`cannot negate ${describeValue(value)}`);
          return -value;
        };
      }
      case 'binary': {
        const left = this.compile(expr.left);
        const right = this.compile(expr.right);
        const operator = expr.operator;
        if (operator === '==' || operator === '===') return (ctx) => left(ctx) === right(ctx);
        if (operator === '!=' || operator === '!==') return (ctx) => left(ctx) !== right(ctx);
        return (ctx) => binary(operator, left(ctx), right(ctx));
      }
      case 'logical': {
        const left = this.compile(expr.left);
        const right = this.compile(expr.right);
        const operator = expr.operator;
        if (operator === '&&') {
          return (ctx) => requireBoolean(left(ctx), '&&') && requireBoolean(right(ctx), '&&');
        }
        return (ctx) => requireBoolean(left(ctx), '||') || requireBoolean(right(ctx), '||');
      }
      case 'conditional': {
        const test = this.compile(expr.test);
        const consequent = this.compile(expr.consequent);
        const alternate = this.compile(expr.alternate);
        return (ctx) => (requireBoolean(test(ctx), '?:') ? consequent(ctx) : alternate(ctx));
      }
    }
  }

  private identifier(name: string): Evaluator {
    switch (name) {
      case 'auth':
        return (ctx) => ctx.auth;
      case 'root':
        return (ctx) => ctx.root;
      case 'data':
        return (ctx) => ctx.data;
      case 'newData':
        return (ctx) => ctx.newData;
      case 'now':
        return (ctx) => ctx.now;
      case 'query':
        return (ctx) => ctx.query;
    }
    const slot = this.scope.wildcards.indexOf(name);
    if (slot < 0) throw new Error(`unreachable: undeclared variable ${name} passed the type pass`);
    return (ctx) => ctx.wildcards[slot];
  }

  private call(expr: Expr & { kind: 'call' }): Evaluator {
    const callee = expr.callee as Expr & { kind: 'member' };
    const receiver = this.compile(callee.object, true);
    const name = callee.name as string;
    const args = expr.args;
    const a0 = args[0] === undefined ? null : this.compile(args[0]);
    const a1 = args[1] === undefined ? null : this.compile(args[1]);
    const arg0 = a0 as Evaluator;
    const arg1 = a1 as Evaluator;
    switch (name) {
      case 'val':
        return (ctx) => requireSnapshot(receiver(ctx), name).val();
      case 'child':
        return (ctx) => requireSnapshot(receiver(ctx), name).child(arg0(ctx));
      case 'parent':
        return (ctx) => requireSnapshot(receiver(ctx), name).parent();
      case 'hasChild':
        return (ctx) => requireSnapshot(receiver(ctx), name).hasChild(arg0(ctx));
      case 'hasChildren':
        if (a0 === null) return (ctx) => requireSnapshot(receiver(ctx), name).hasChildren();
        return (ctx) => requireSnapshot(receiver(ctx), name).hasChildren(arg0(ctx));
      case 'exists':
        return (ctx) => requireSnapshot(receiver(ctx), name).exists();
      case 'getPriority':
        return (ctx) => requireSnapshot(receiver(ctx), name).getPriority();
      case 'isNumber':
        return (ctx) => requireSnapshot(receiver(ctx), name).isNumber();
      case 'isString':
        return (ctx) => requireSnapshot(receiver(ctx), name).isString();
      case 'isBoolean':
        return (ctx) => requireSnapshot(receiver(ctx), name).isBoolean();
      case 'contains':
        return (ctx) => requireStringReceiver(receiver(ctx), name).includes(requireString(arg0(ctx), 'contains()'));
      case 'beginsWith':
        return (ctx) => requireStringReceiver(receiver(ctx), name).startsWith(requireString(arg0(ctx), 'beginsWith()'));
      case 'endsWith':
        return (ctx) => requireStringReceiver(receiver(ctx), name).endsWith(requireString(arg0(ctx), 'endsWith()'));
      case 'replace':
        // The reference: replace() returns a copy "with all instances of a specified substring replaced".
        return (ctx) => {
          const s = requireStringReceiver(receiver(ctx), name);
          return s.split(requireString(arg0(ctx), 'replace()')).join(requireString(arg1(ctx), 'replace()'));
        };
      case 'toLowerCase':
        return (ctx) => requireStringReceiver(receiver(ctx), name).toLowerCase();
      case 'toUpperCase':
        return (ctx) => requireStringReceiver(receiver(ctx), name).toUpperCase();
      case 'matches':
        return (ctx) => (arg0(ctx) as RegExp).test(requireStringReceiver(receiver(ctx), name));
    }
    throw new Error(`unreachable: unknown method ${name} passed the type pass`);
  }
}
