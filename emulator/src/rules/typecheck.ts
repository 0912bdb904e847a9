/**
 * The static type pass. The real server rejects rules whose types cannot work (`auth.uid.contains(7)`,
 * `'foo'` as a rule, `root.child('x') != null`, `root.val() > true`) when they are saved, and leaves
 * what depends on data (`auth`, `val()`) to run time. Types are sets of runtime kinds; a *fuzzy* type
 * (from `auth` or `val()`) is accepted wherever one of its kinds is, an exact one only where all are.
 * Cases follow the live-server fixtures recorded by targaryen (test/spec/lib/parser/fixtures.json).
 */
import { type Expr, ExpressionError } from './ast';

export const BOOL = 1;
export const NUM = 2;
export const STR = 4;
export const NULL = 8;
/** auth data (maps and lists from the ID token) and the `val()` sentinel of a node with children */
export const OBJ = 16;
export const REGEXP = 32;
export const SNAP = 64;
export const QUERY = 128;
export const ARRAY = 256;

export interface RuleType {
  readonly mask: number;
  readonly fuzzy: boolean;
}

const exact = (mask: number): RuleType => ({ mask, fuzzy: false });
const T_BOOL = exact(BOOL);
const T_NUM = exact(NUM);
const T_STR = exact(STR);
const T_SNAP = exact(SNAP);
const T_ANY: RuleType = { mask: BOOL | NUM | STR | NULL | OBJ, fuzzy: true };
const T_PRIMITIVE: RuleType = { mask: BOOL | NUM | STR | NULL, fuzzy: true };

interface MethodSignature {
  readonly args: readonly number[];
  readonly returns: RuleType;
}

/** "RuleDataSnapshot methods" in the rules reference; hasChildren is checked separately. */
export const SNAPSHOT_METHODS: Readonly<Record<string, MethodSignature>> = {
  val: { args: [], returns: T_PRIMITIVE },
  child: { args: [STR], returns: T_SNAP },
  parent: { args: [], returns: T_SNAP },
  hasChild: { args: [STR], returns: T_BOOL },
  hasChildren: { args: [], returns: T_BOOL },
  exists: { args: [], returns: T_BOOL },
  getPriority: { args: [], returns: { mask: NUM | STR | NULL, fuzzy: true } },
  isNumber: { args: [], returns: T_BOOL },
  isString: { args: [], returns: T_BOOL },
  isBoolean: { args: [], returns: T_BOOL },
};

/** "String properties" in the rules reference (`length` is a property). */
export const STRING_METHODS: Readonly<Record<string, MethodSignature>> = {
  contains: { args: [STR], returns: T_BOOL },
  beginsWith: { args: [STR], returns: T_BOOL },
  endsWith: { args: [STR], returns: T_BOOL },
  replace: { args: [STR, STR], returns: T_STR },
  toLowerCase: { args: [], returns: T_STR },
  toUpperCase: { args: [], returns: T_STR },
  matches: { args: [REGEXP], returns: T_BOOL },
};

/** "query" variable properties (rules reference, "Query-based rules"). */
export const QUERY_PROPERTIES: Readonly<Record<string, RuleType>> = {
  orderByKey: T_BOOL,
  orderByPriority: T_BOOL,
  orderByValue: T_BOOL,
  orderByChild: { mask: STR | NULL, fuzzy: true },
  startAt: T_PRIMITIVE,
  endAt: T_PRIMITIVE,
  equalTo: T_PRIMITIVE,
  limitToFirst: { mask: NUM | NULL, fuzzy: true },
  limitToLast: { mask: NUM | NULL, fuzzy: true },
};

export type RuleKind = '.read' | '.write' | '.validate';

export interface TypeScope {
  readonly kind: RuleKind;
  /** the `$wildcards` declared on the rule's path, outermost first */
  readonly wildcards: readonly string[];
}

const KIND_NAMES: ReadonlyArray<[number, string]> = [
  [BOOL, 'boolean'],
  [NUM, 'number'],
  [STR, 'string'],
  [NULL, 'null'],
  [OBJ, 'object'],
  [REGEXP, 'regular expression'],
  [SNAP, 'RuleDataSnapshot'],
  [QUERY, 'query'],
  [ARRAY, 'array'],
];

export function typeName(type: RuleType): string {
  if (type === T_ANY || (type.fuzzy && type.mask === T_ANY.mask)) return 'any';
  return KIND_NAMES.filter(([bit]) => type.mask & bit)
    .map(([, name]) => name)
    .join(' or ');
}

/** Whether a value of `type` may be one of `allowed`: some kind for fuzzy types, every kind for exact ones. */
function fits(type: RuleType, allowed: number): boolean {
  return type.fuzzy ? (type.mask & allowed) !== 0 : type.mask !== 0 && (type.mask & ~allowed) === 0;
}

function fail(expr: Expr, message: string): never {
  throw new ExpressionError(message, expr.start);
}

/** Typechecks a whole rule: it must be able to produce a boolean. */
export function typecheckRule(expr: Expr, scope: TypeScope): void {
  const type = new Checker(scope).type(expr);
  if (!fits(type, BOOL)) fail(expr, `Rule must evaluate to a boolean, but this expression is a ${typeName(type)}`);
}

class Checker {
  constructor(private readonly scope: TypeScope) {}

  type(expr: Expr): RuleType {
    switch (expr.kind) {
      case 'literal':
        if (expr.value === null) return exact(NULL);
        return exact(typeof expr.value === 'boolean' ? BOOL : typeof expr.value === 'number' ? NUM : STR);
      case 'regexp':
        return fail(expr, 'A regular expression is only allowed as the argument of matches()');
      case 'array':
        return fail(expr, 'An array is only allowed as the argument of hasChildren()');
      case 'identifier':
        return this.identifier(expr);
      case 'member':
        return this.member(expr);
      case 'call':
        return this.call(expr);
      case 'unary': {
        const argument = this.type(expr.argument);
        if (expr.operator === '!') {
          if (!fits(argument, BOOL))
            fail(expr, `Invalid ! expression: operand is a ${typeName(argument)}, not a boolean`);
          return T_BOOL;
        }
        if (!fits(argument, NUM)) fail(expr, `Invalid - expression: operand is a ${typeName(argument)}, not a number`);
        return T_NUM;
      }
      case 'binary':
        return this.binary(expr);
      case 'logical': {
        for (const [side, operand] of [
          ['Left', expr.left],
          ['Right', expr.right],
        ] as const) {
          const type = this.type(operand);
          if (!fits(type, BOOL))
            fail(operand, `${side} operand of ${expr.operator} must be a boolean, but is a ${typeName(type)}`);
        }
        return T_BOOL;
      }
      case 'conditional': {
        const test = this.type(expr.test);
        if (!fits(test, BOOL)) fail(expr.test, `Condition of ?: must be a boolean, but is a ${typeName(test)}`);
        const a = this.type(expr.consequent);
        const b = this.type(expr.alternate);
        if (a.mask === b.mask && a.fuzzy === b.fuzzy) return a;
        return { mask: a.mask | b.mask, fuzzy: a.fuzzy || b.fuzzy };
      }
    }
  }

  private identifier(expr: Expr & { kind: 'identifier' }): RuleType {
    switch (expr.name) {
      case 'auth':
        return T_ANY;
      case 'root':
      case 'data':
        return T_SNAP;
      case 'newData':
        // The reference: "A .read rule has access to all variables except newData".
        if (this.scope.kind === '.read')
          fail(expr, "Unknown variable 'newData': it is only defined in .write and .validate rules");
        return T_SNAP;
      case 'now':
        return T_NUM;
      case 'query':
        return exact(QUERY);
    }
    if (expr.name.startsWith('$')) {
      if (this.scope.wildcards.includes(expr.name)) return T_STR;
      fail(expr, `Unknown variable '${expr.name}': no such $wildcard on this rule's path`);
    }
    return fail(expr, `Unknown variable '${expr.name}'`);
  }

  private member(expr: Expr & { kind: 'member' }): RuleType {
    const object = this.type(expr.object);
    const name = expr.name;
    if (name === null) {
      // Computed names: only auth data may be indexed by an expression (`auth.foo[$bar]`);
      // `root[$foo]()` and `root['exi' + 'sts']()` are rejected by the live server.
      const property = this.type(expr.property as Expr);
      if (object.fuzzy && object.mask & OBJ && fits(property, STR | NUM)) return T_ANY;
      return fail(expr, 'Invalid computed property access: a method or property name must be a literal');
    }
    if (!object.fuzzy && object.mask === SNAP) {
      if (name in SNAPSHOT_METHODS) fail(expr, `Method ${name}() must be called`);
      return fail(expr, `No such method/property '${name}' on a RuleDataSnapshot`);
    }
    if (!object.fuzzy && object.mask === QUERY) {
      const type = QUERY_PROPERTIES[name];
      return type ?? fail(expr, `No such property 'query.${name}'`);
    }
    if (name === 'length' && fits(object, STR)) return T_NUM;
    if (name in STRING_METHODS && fits(object, STR)) fail(expr, `Method ${name}() must be called`);
    if (object.fuzzy && object.mask & OBJ) return T_ANY;
    return fail(expr, `No such method/property '${name}' on a ${typeName(object)}`);
  }

  private call(expr: Expr & { kind: 'call' }): RuleType {
    const callee = expr.callee;
    if (callee.kind !== 'member' || callee.name === null) {
      if (callee.kind === 'member') this.type(callee);
      return fail(expr, 'Type error: function call on a target that is not a method');
    }
    const object = this.type(callee.object);
    const name = callee.name;
    let signature: MethodSignature | undefined;
    if (!object.fuzzy && object.mask === SNAP) {
      signature = SNAPSHOT_METHODS[name];
      if (name === 'hasChildren') return this.hasChildren(expr);
    } else if (fits(object, STR)) {
      signature = STRING_METHODS[name];
    }
    if (signature === undefined) return fail(callee, `No such method '${name}' on a ${typeName(object)}`);
    if (expr.args.length !== signature.args.length) {
      fail(expr, `${name}() expects ${signature.args.length} argument(s), but got ${expr.args.length}`);
    }
    expr.args.forEach((arg, i) => {
      const expected = signature.args[i] as number;
      if (expected === REGEXP) {
        if (arg.kind !== 'regexp') fail(arg, `${name}() expects a regular expression literal such as /^a/`);
        return;
      }
      const type = this.type(arg);
      if (!fits(type, expected)) {
        fail(
          arg,
          `${name}() expects argument ${i + 1} to be a ${typeName(exact(expected))}, but got a ${typeName(type)}`,
        );
      }
    });
    return signature.returns;
  }

  private hasChildren(expr: Expr & { kind: 'call' }): RuleType {
    if (expr.args.length === 0) return T_BOOL;
    const list = expr.args[0] as Expr;
    if (expr.args.length > 1 || list.kind !== 'array') {
      fail(expr, 'hasChildren() takes no argument or one array of child names');
    }
    if (list.elements.length === 0) fail(list, 'hasChildren() got an empty array');
    for (const element of list.elements) {
      const type = this.type(element);
      if (!fits(type, STR)) fail(element, `hasChildren() expects an array of strings, but got a ${typeName(type)}`);
    }
    return T_BOOL;
  }

  private binary(expr: Expr & { kind: 'binary' }): RuleType {
    const left = this.type(expr.left);
    const right = this.type(expr.right);
    const op = expr.operator;
    const check = (allowed: number, what: string): void => {
      if (!fits(left, allowed))
        fail(expr.left, `Invalid ${op} expression: left operand is a ${typeName(left)}, not ${what}`);
      if (!fits(right, allowed))
        fail(expr.right, `Invalid ${op} expression: right operand is a ${typeName(right)}, not ${what}`);
    };
    switch (op) {
      case '+':
        check(STR | NUM, 'a string or a number');
        if ((!left.fuzzy && left.mask === STR) || (!right.fuzzy && right.mask === STR)) return T_STR;
        if (!left.fuzzy && !right.fuzzy && left.mask === NUM && right.mask === NUM) return T_NUM;
        return { mask: STR | NUM, fuzzy: true };
      case '-':
      case '*':
      case '/':
      case '%':
        check(NUM, 'a number');
        return T_NUM;
      case '==':
      case '!=':
      case '===':
      case '!==':
        check(BOOL | NUM | STR | NULL | OBJ, 'a value that can be compared');
        return T_BOOL;
      default:
        check(STR | NUM | NULL, 'a string or a number');
        if (!left.fuzzy && !right.fuzzy && left.mask !== right.mask && left.mask !== NULL && right.mask !== NULL) {
          fail(
            expr,
            `Invalid ${op} expression: left and right operands have different types (${typeName(left)}, ${typeName(right)})`,
          );
        }
        return T_BOOL;
    }
  }
}
