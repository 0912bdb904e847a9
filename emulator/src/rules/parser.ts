/**
 * Recursive-descent parser for rule expressions, with JavaScript's precedence:
 * ternary < `||` < `&&` < equality < relational < additive < multiplicative < unary < member/call.
 * Statements, assignment and declarations do not exist in the language: they fail here with the
 * offset of the offending token.
 */
import { type BinaryOperator, type Expr, ExpressionError } from './ast';
import { Lexer, type Token } from './lexer';

/** JavaScript words that would start something the rules language lacks. */
const UNSUPPORTED_WORDS = new Set([
  'var',
  'let',
  'const',
  'function',
  'new',
  'this',
  'typeof',
  'delete',
  'void',
  'in',
  'instanceof',
  'return',
  'if',
  'else',
  'for',
  'while',
  'do',
  'class',
  'undefined',
  'yield',
  'await',
  'throw',
]);

const EQUALITY = new Set(['==', '!=', '===', '!==']);
const RELATIONAL = new Set(['<', '<=', '>', '>=']);
const ADDITIVE = new Set(['+', '-']);
const MULTIPLICATIVE = new Set(['*', '/', '%']);

function describe(token: Token): string {
  if (token.kind === 'eof') return 'Unexpected end of expression';
  if (token.kind === 'string') return `Unexpected string ${JSON.stringify(token.text)}`;
  return `Unexpected token '${token.kind === 'regexp' ? `/${token.text}/` : token.text}'`;
}

export function parseExpression(source: string): Expr {
  return new Parser(source).parseAll();
}

class Parser {
  private readonly lexer: Lexer;
  private token: Token;

  constructor(source: string) {
    this.lexer = new Lexer(source);
    this.token = this.lexer.next();
  }

  parseAll(): Expr {
    if (this.token.kind === 'eof') throw new ExpressionError('Empty expression', 0);
    const expr = this.conditional();
    if (!this.atEnd()) throw this.unexpected();
    return expr;
  }

  /** A method, so the compiler does not narrow `this.token` across calls that advance it. */
  private atEnd(): boolean {
    return this.token.kind === 'eof';
  }

  private unexpected(token: Token = this.token): ExpressionError {
    return new ExpressionError(describe(token), token.start);
  }

  private advance(): Token {
    const token = this.token;
    this.token = this.lexer.next();
    return token;
  }

  private isPunctuator(text: string): boolean {
    return this.token.kind === 'punctuator' && this.token.text === text;
  }

  private expect(text: string): Token {
    if (!this.isPunctuator(text)) {
      const found = this.token;
      throw new ExpressionError(`${describe(found)}: expected '${text}'`, found.start);
    }
    return this.advance();
  }

  private conditional(): Expr {
    const test = this.logical('||');
    if (!this.isPunctuator('?')) return test;
    this.advance();
    const consequent = this.conditional();
    this.expect(':');
    const alternate = this.conditional();
    return { kind: 'conditional', test, consequent, alternate, start: test.start, end: alternate.end };
  }

  private logical(operator: '||' | '&&'): Expr {
    let left = operator === '||' ? this.logical('&&') : this.binary(0);
    while (this.isPunctuator(operator)) {
      this.advance();
      const right = operator === '||' ? this.logical('&&') : this.binary(0);
      left = { kind: 'logical', operator, left, right, start: left.start, end: right.end };
    }
    return left;
  }

  /** Levels 0..3: equality, relational, additive, multiplicative; all left-associative. */
  private binary(level: number): Expr {
    if (level > 3) return this.unary();
    const operators = [EQUALITY, RELATIONAL, ADDITIVE, MULTIPLICATIVE][level] as Set<string>;
    let left = this.binary(level + 1);
    while (this.token.kind === 'punctuator' && operators.has(this.token.text)) {
      const operator = this.advance().text as BinaryOperator;
      const right = this.binary(level + 1);
      left = { kind: 'binary', operator, left, right, start: left.start, end: right.end };
    }
    return left;
  }

  private unary(): Expr {
    if (this.isPunctuator('!') || this.isPunctuator('-')) {
      const op = this.advance();
      const argument = this.unary();
      return { kind: 'unary', operator: op.text as '!' | '-', argument, start: op.start, end: argument.end };
    }
    if (this.isPunctuator('+'))
      throw new ExpressionError("Unexpected token '+': unary plus is not supported", this.token.start);
    return this.postfix();
  }

  private postfix(): Expr {
    let expr = this.primary();
    for (;;) {
      if (this.isPunctuator('.')) {
        this.advance();
        const name = this.token;
        if (name.kind !== 'identifier')
          throw new ExpressionError(`${describe(name)}: expected a property name`, name.start);
        this.advance();
        expr = { kind: 'member', object: expr, name: name.text, property: null, start: expr.start, end: name.end };
      } else if (this.isPunctuator('[')) {
        this.advance();
        const property = this.conditional();
        const close = this.expect(']');
        const name = property.kind === 'literal' && typeof property.value === 'string' ? property.value : null;
        expr = { kind: 'member', object: expr, name, property, start: expr.start, end: close.end };
      } else if (this.isPunctuator('(')) {
        this.advance();
        const args: Expr[] = [];
        if (!this.isPunctuator(')')) {
          for (;;) {
            args.push(this.conditional());
            if (!this.isPunctuator(',')) break;
            this.advance();
          }
        }
        const close = this.expect(')');
        expr = { kind: 'call', callee: expr, args, start: expr.start, end: close.end };
      } else {
        return expr;
      }
    }
  }

  private primary(): Expr {
    const token = this.token;
    switch (token.kind) {
      case 'number':
        this.advance();
        return { kind: 'literal', value: token.number as number, start: token.start, end: token.end };
      case 'string':
        this.advance();
        return { kind: 'literal', value: token.text, start: token.start, end: token.end };
      case 'regexp':
        this.advance();
        return { kind: 'regexp', pattern: token.text, flags: token.flags ?? '', start: token.start, end: token.end };
      case 'identifier': {
        this.advance();
        if (token.text === 'true' || token.text === 'false') {
          return { kind: 'literal', value: token.text === 'true', start: token.start, end: token.end };
        }
        if (token.text === 'null') return { kind: 'literal', value: null, start: token.start, end: token.end };
        if (UNSUPPORTED_WORDS.has(token.text)) {
          throw new ExpressionError(`'${token.text}' is not supported in rule expressions`, token.start);
        }
        return { kind: 'identifier', name: token.text, start: token.start, end: token.end };
      }
      case 'punctuator':
        if (token.text === '(') {
          this.advance();
          const inner = this.conditional();
          this.expect(')');
          return inner;
        }
        if (token.text === '[') {
          this.advance();
          const elements: Expr[] = [];
          if (!this.isPunctuator(']')) {
            for (;;) {
              elements.push(this.conditional());
              if (!this.isPunctuator(',')) break;
              this.advance();
            }
          }
          const close = this.expect(']');
          return { kind: 'array', elements, start: token.start, end: close.end };
        }
        throw this.unexpected();
      default:
        throw this.unexpected();
    }
  }
}
