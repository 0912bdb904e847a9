/**
 * A small typed builder for Realtime Database rule expressions. Each value carries two renderings:
 * `text`, the expression the server evaluates, and `formula`, the same expression with every named
 * piece shown by its name, which the generated file prints above the rule so a reviewer reads
 * `countAfter == countBefore + 1 && entryAppears(op)` instead of three lines of `parent().child()`.
 *
 * Parentheses follow operator precedence (the rules language is JavaScript's expression subset);
 * `&&` inside `||` is parenthesised as well, although precedence does not need it, because a reader
 * should not have to remember which of the two binds tighter.
 */

/** Operator precedence, loosest first, as in JavaScript. */
export enum Prec {
  Conditional = 0,
  Or = 1,
  And = 2,
  Equality = 3,
  Relational = 4,
  Additive = 5,
  Multiplicative = 6,
  Unary = 7,
  Member = 8,
}

export interface Expr {
  /** the expression as the rules file carries it */
  readonly text: string;
  readonly prec: Prec;
  /** the expression with named pieces shown by name, for the comment above the rule */
  readonly formula: string;
  readonly formulaPrec: Prec;
}

function make(text: string, prec: Prec, formula = text, formulaPrec = prec): Expr {
  return { text, prec, formula, formulaPrec };
}

function wrap(value: string, prec: Prec, needed: Prec, andInOr: boolean): string {
  return prec < needed || (andInOr && prec === Prec.And) ? `(${value})` : value;
}

function text(e: Expr, needed: Prec, andInOr = false): string {
  return wrap(e.text, e.prec, needed, andInOr);
}

function formula(e: Expr, needed: Prec, andInOr = false): string {
  return wrap(e.formula, e.formulaPrec, needed, andInOr);
}

/** A name the language defines (`auth`, `now`, `data`, `newData`, `root`) or a `$wildcard` variable. */
export function identifier(name: string): Expr {
  return make(name, Prec.Member);
}

/** A string literal. The builder only quotes keys and words it validated, so no escaping is needed. */
export function str(value: string): Expr {
  if (/['\\\n]/.test(value)) throw new Error(`cannot quote ${JSON.stringify(value)} in a rule expression`);
  return make(`'${value}'`, Prec.Member);
}

export function num(value: number): Expr {
  if (!Number.isFinite(value)) throw new Error(`not a finite number: ${value}`);
  return make(String(value), value < 0 ? Prec.Unary : Prec.Member);
}

/** A regular-expression literal, e.g. for `.matches()`. Only its source is used: rules allow no flags we need. */
export function regex(pattern: RegExp): Expr {
  return make(`/${pattern.source}/`, Prec.Member);
}

export function array(items: readonly Expr[]): Expr {
  return make(
    `[${items.map((i) => i.text).join(', ')}]`,
    Prec.Member,
    `[${items.map((i) => i.formula).join(', ')}]`,
    Prec.Member,
  );
}

/** `object.name`, a property such as `auth.uid` or `newData.val().length`. */
export function member(object: Expr, name: string): Expr {
  return make(
    `${text(object, Prec.Member)}.${name}`,
    Prec.Member,
    `${formula(object, Prec.Member)}.${name}`,
    Prec.Member,
  );
}

/** `object.name(args)`, a method call such as `data.child('count')`. */
export function call(object: Expr, name: string, ...args: readonly Expr[]): Expr {
  return make(
    `${text(object, Prec.Member)}.${name}(${args.map((a) => a.text).join(', ')})`,
    Prec.Member,
    `${formula(object, Prec.Member)}.${name}(${args.map((a) => a.formula).join(', ')})`,
    Prec.Member,
  );
}

export function not(operand: Expr): Expr {
  return make(`!${text(operand, Prec.Unary)}`, Prec.Unary, `!${formula(operand, Prec.Unary)}`, Prec.Unary);
}

function chain(operator: '&&' | '||', prec: Prec, operands: readonly Expr[]): Expr {
  if (operands.length === 0) throw new Error(`${operator} needs at least one operand`);
  if (operands.length === 1) return operands[0] as Expr;
  const andInOr = operator === '||';
  return make(
    operands.map((o) => text(o, prec, andInOr)).join(` ${operator} `),
    prec,
    operands.map((o) => formula(o, prec, andInOr)).join(` ${operator} `),
    prec,
  );
}

export function and(...operands: readonly Expr[]): Expr {
  return chain('&&', Prec.And, operands);
}

export function or(...operands: readonly Expr[]): Expr {
  return chain('||', Prec.Or, operands);
}

type BinaryOperator = '==' | '!=' | '<' | '<=' | '>' | '>=' | '+' | '-' | '%';

function binary(operator: BinaryOperator, prec: Prec, left: Expr, right: Expr): Expr {
  // Left-associative: the right operand needs strictly tighter binding (`a - (b - c)`).
  return make(
    `${text(left, prec)} ${operator} ${text(right, prec + 1)}`,
    prec,
    `${formula(left, prec)} ${operator} ${formula(right, prec + 1)}`,
    prec,
  );
}

export const eq = (left: Expr, right: Expr): Expr => binary('==', Prec.Equality, left, right);
export const ne = (left: Expr, right: Expr): Expr => binary('!=', Prec.Equality, left, right);
export const lt = (left: Expr, right: Expr): Expr => binary('<', Prec.Relational, left, right);
export const le = (left: Expr, right: Expr): Expr => binary('<=', Prec.Relational, left, right);
export const gt = (left: Expr, right: Expr): Expr => binary('>', Prec.Relational, left, right);
export const ge = (left: Expr, right: Expr): Expr => binary('>=', Prec.Relational, left, right);
export const plus = (left: Expr, right: Expr): Expr => binary('+', Prec.Additive, left, right);
export const minus = (left: Expr, right: Expr): Expr => binary('-', Prec.Additive, left, right);
/** `left % right`: with `% 1 == 0`, the one integer test the rules language has. */
export const mod = (left: Expr, right: Expr): Expr => binary('%', Prec.Multiplicative, left, right);

/** `test ? consequent : alternate`; always parenthesised where it is an operand. */
export function cond(test: Expr, consequent: Expr, alternate: Expr): Expr {
  return make(
    `${text(test, Prec.Or)} ? ${text(consequent, Prec.Or)} : ${text(alternate, Prec.Or)}`,
    Prec.Conditional,
    `${formula(test, Prec.Or)} ? ${formula(consequent, Prec.Or)} : ${formula(alternate, Prec.Or)}`,
    Prec.Conditional,
  );
}

/**
 * Gives an expression a name: the rules file gets its text unchanged, the comment above the rule
 * shows the name (e.g. `entryAppears(op)`), and the file's header lists what each name means.
 */
export function named(name: string, expr: Expr): Expr {
  return make(expr.text, expr.prec, name, Prec.Member);
}

/** A key in a navigation path: a literal child name, or an expression (`$uid`, the value of `op`). */
export type PathKey = string | Expr;

/** Paths under `/presence/{uid}`, from the root (presence.ts's `user`). */
export type UserPath = (...keys: readonly PathKey[]) => PathKey[];

function keyEquals(a: PathKey, b: PathKey): boolean {
  return typeof a === 'string' || typeof b === 'string' ? a === b : a.text === b.text;
}

function keyExpr(key: PathKey): Expr {
  return typeof key === 'string' ? str(key) : key;
}

/** A RuleDataSnapshot expression (`data`, `newData`, `root` and what `child()`/`parent()` reach from them). */
export class Snap {
  constructor(readonly expr: Expr) {}

  child(key: PathKey): Snap {
    return new Snap(call(this.expr, 'child', keyExpr(key)));
  }

  parent(): Snap {
    return new Snap(call(this.expr, 'parent'));
  }

  val(): Expr {
    return call(this.expr, 'val');
  }

  exists(): Expr {
    return call(this.expr, 'exists');
  }

  isNumber(): Expr {
    return call(this.expr, 'isNumber');
  }

  isString(): Expr {
    return call(this.expr, 'isString');
  }

  hasChildren(keys: readonly string[]): Expr {
    return call(this.expr, 'hasChildren', array(keys.map(str)));
  }
}

export const auth = identifier('auth');
export const now = identifier('now');
export const data = new Snap(identifier('data'));
export const newData = new Snap(identifier('newData'));
export const root = new Snap(identifier('root'));

/**
 * Where a rule sits, as keys from the database root. Rules reach other nodes relative to `data` and
 * `newData` (there is no `newRoot`), so a piece that needs "the count after the write" asks the
 * location for it and gets `newData.parent().child('count')` at `op`, or `newData` at `count` itself.
 */
export class At {
  constructor(readonly path: readonly PathKey[]) {}

  child(...keys: readonly PathKey[]): At {
    return new At([...this.path, ...keys]);
  }

  /** `data` (the node before the write) navigated to `target`, a path from the root. */
  data(target: readonly PathKey[]): Snap {
    return this.navigate(data, target);
  }

  /** `newData` (the node as the write would leave it) navigated to `target`, a path from the root. */
  newData(target: readonly PathKey[]): Snap {
    return this.navigate(newData, target);
  }

  /** `root` (the database before the write) followed down to `target`. */
  root(target: readonly PathKey[]): Snap {
    return target.reduce<Snap>((snap, key) => snap.child(key), root);
  }

  /** Up with `parent()` to the nearest common ancestor, then down with `child()`. */
  private navigate(from: Snap, target: readonly PathKey[]): Snap {
    let common = 0;
    while (
      common < this.path.length &&
      common < target.length &&
      keyEquals(this.path[common] as PathKey, target[common] as PathKey)
    ) {
      common++;
    }
    let snap = from;
    for (let i = common; i < this.path.length; i++) snap = snap.parent();
    for (let i = common; i < target.length; i++) snap = snap.child(target[i] as PathKey);
    return snap;
  }
}
