/**
 * Tokens of the rules expression language: the subset of JavaScript expression syntax described in
 * the "Firebase Database Security Rules API" reference. Everything outside it (assignment, `;`,
 * `**`, `++`, bitwise operators, …) is a lexing or parsing error located at its offset.
 */
import { ExpressionError } from './ast';
import { checkRulesRegExp, RegExpSyntaxError } from './regexp';

export type TokenKind = 'number' | 'string' | 'identifier' | 'punctuator' | 'regexp' | 'eof';

export interface Token {
  readonly kind: TokenKind;
  /** identifier name, punctuator text, decoded string, or regexp pattern */
  readonly text: string;
  readonly number?: number;
  readonly flags?: string;
  readonly start: number;
  readonly end: number;
}

/** Longest first, so `===` wins over `==`. `=` alone, `;`, `&`, `|` are not in the language. */
const PUNCTUATORS = [
  '===',
  '!==',
  '==',
  '!=',
  '<=',
  '>=',
  '&&',
  '||',
  '(',
  ')',
  '[',
  ']',
  '.',
  ',',
  '?',
  ':',
  '!',
  '-',
  '+',
  '*',
  '/',
  '%',
  '<',
  '>',
];

const ESCAPES: Readonly<Record<string, string>> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', v: '\v', '0': '\0' };

function isIdentifierStart(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_' || c === '$';
}

function isDigit(c: string): boolean {
  return c >= '0' && c <= '9';
}

export class Lexer {
  private offset = 0;
  /** whether a `/` here starts a regexp literal (an operand is expected) rather than a division */
  private operandExpected = true;

  constructor(private readonly text: string) {}

  next(): Token {
    this.skipSpace();
    const start = this.offset;
    const text = this.text;
    if (start >= text.length) return { kind: 'eof', text: '', start, end: start };
    const c = text[start] as string;
    let token: Token;
    if (isDigit(c) || (c === '.' && isDigit(text[start + 1] ?? ''))) token = this.readNumber();
    else if (c === '"' || c === "'") token = this.readString(c);
    else if (isIdentifierStart(c)) {
      let end = start + 1;
      while (end < text.length && (isIdentifierStart(text[end] as string) || isDigit(text[end] as string))) end++;
      this.offset = end;
      token = { kind: 'identifier', text: text.slice(start, end), start, end };
    } else if (c === '/' && this.operandExpected) token = this.readRegExp();
    else {
      const punctuator = PUNCTUATORS.find((p) => text.startsWith(p, start));
      if (punctuator === undefined) throw new ExpressionError(`Unexpected token '${c}'`, start);
      this.offset = start + punctuator.length;
      token = { kind: 'punctuator', text: punctuator, start, end: this.offset };
    }
    this.operandExpected = !(
      token.kind === 'number' ||
      token.kind === 'string' ||
      token.kind === 'identifier' ||
      token.kind === 'regexp' ||
      token.text === ')' ||
      token.text === ']'
    );
    return token;
  }

  private skipSpace(): void {
    while (this.offset < this.text.length && /\s/.test(this.text[this.offset] as string)) this.offset++;
  }

  private readNumber(): Token {
    const start = this.offset;
    const match = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(this.text.slice(start));
    const raw = (match as RegExpExecArray)[0];
    this.offset = start + raw.length;
    if (isIdentifierStart(this.text[this.offset] ?? '')) {
      throw new ExpressionError(`Unexpected token '${this.text[this.offset]}'`, this.offset);
    }
    return { kind: 'number', text: raw, number: Number(raw), start, end: this.offset };
  }

  private readString(quote: string): Token {
    const start = this.offset;
    let i = start + 1;
    let value = '';
    for (;;) {
      if (i >= this.text.length) throw new ExpressionError('Unterminated string literal', start);
      const c = this.text[i] as string;
      if (c === quote) break;
      if (c === '\\') {
        const e = this.text[i + 1];
        if (e === undefined) throw new ExpressionError('Unterminated string literal', start);
        if (e === 'u') {
          const hex = this.text.slice(i + 2, i + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new ExpressionError('Invalid unicode escape', i);
          value += String.fromCharCode(parseInt(hex, 16));
          i += 6;
          continue;
        }
        value += ESCAPES[e] ?? e;
        i += 2;
        continue;
      }
      value += c;
      i++;
    }
    this.offset = i + 1;
    return { kind: 'string', text: value, start, end: this.offset };
  }

  /**
   * Regular expression literals are only valid as the argument of `matches()`. The reference allows
   * only the `i` flag ("Rules: regular expressions"); a live server rejects `/bar/ig` (targaryen's
   * recorded fixtures). The pattern itself must stay within the syntax the reference lists (`./regexp.ts`).
   */
  private readRegExp(): Token {
    const start = this.offset;
    let i = start + 1;
    let inClass = false;
    for (;;) {
      const c = this.text[i];
      if (c === undefined || c === '\n') throw new ExpressionError('Unterminated regular expression', start);
      if (c === '\\') {
        i += 2;
        continue;
      }
      if (c === '[') inClass = true;
      else if (c === ']') inClass = false;
      else if (c === '/' && !inClass) break;
      i++;
    }
    const pattern = this.text.slice(start + 1, i);
    let end = i + 1;
    while (end < this.text.length && isIdentifierStart(this.text[end] as string)) end++;
    const flags = this.text.slice(i + 1, end);
    for (let f = 0; f < flags.length; f++) {
      if (flags[f] !== 'i' || flags.indexOf('i') !== f) {
        throw new ExpressionError(`Unsupported regular expression flag '${flags[f]}': only 'i' is allowed`, i + 1 + f);
      }
    }
    if (pattern === '') throw new ExpressionError('Empty regular expression', start);
    try {
      checkRulesRegExp(pattern);
    } catch (error) {
      if (!(error instanceof RegExpSyntaxError)) throw error;
      throw new ExpressionError(
        `Unsupported regular expression /${pattern}/: ${error.message} (pattern position ${error.index + 1})`,
        start + 1 + error.index,
      );
    }
    try {
      new RegExp(pattern, flags);
    } catch (error) {
      throw new ExpressionError(`Invalid regular expression /${pattern}/: ${(error as Error).message}`, start);
    }
    this.offset = end;
    return { kind: 'regexp', text: pattern, flags, start, end };
  }
}
