/**
 * The regular expressions of `matches()`: exactly the syntax the Realtime Database Security Rules
 * reference lists under "Regular expressions"
 * (https://firebase.google.com/docs/reference/security/database#matchesregex), and nothing more:
 *
 * - the anchors `^` and `$`, only as the first and the last character of the whole pattern;
 * - character classes `[...]` and negated classes `[^...]`, with ranges `a-z`;
 * - the predefined classes `\d \w \s \D \W \S` and the wildcard `.`;
 * - the quantifiers `*`, `+`, `?`, `{n}`, `{n,}` and `{n,m}`;
 * - alternation `|` and groups `( )`;
 * - a backslash before punctuation for the character itself (`\.`, `\/`, `\-`, `\\` …);
 * - the flag `i` only (checked by the lexer with the literal).
 *
 * Everything else is refused when the rules load, as production refuses it: anchors elsewhere (inside
 * a group or an alternative), empty alternatives and groups, `(?…)` groups (look-around,
 * non-capturing, named), back-references, `\b`, `\n`, `\u…` and other escapes, lazy or stacked
 * quantifiers, and braces or brackets that are not part of a quantifier or class.
 *
 * The pattern is then run by JavaScript's RegExp, which gives this subset the same meaning.
 */

/** A pattern outside the supported syntax: what is wrong and where (0-based index in the pattern). */
export class RegExpSyntaxError extends Error {
  constructor(
    message: string,
    readonly index: number,
  ) {
    super(message);
    this.name = 'RegExpSyntaxError';
  }
}

/** `\d \w \s \D \W \S`: the predefined classes. */
const CLASS_ESCAPES = new Set(['d', 'w', 's', 'D', 'W', 'S']);
/** Characters with a meaning outside a class; a backslash makes any of them (or other punctuation) literal. */
const SPECIAL = new Set(['^', '$', '.', '|', '?', '*', '+', '(', ')', '[', ']', '{', '}', '\\']);

/** Throws RegExpSyntaxError when `pattern` uses syntax the rules language does not support. */
export function checkRulesRegExp(pattern: string): void {
  new RulesRegExpParser(pattern).parse();
}

class RulesRegExpParser {
  private i = 0;

  constructor(private readonly pattern: string) {}

  parse(): void {
    const p = this.pattern;
    if (p[0] === '^') this.i = 1;
    const anchoredEnd = p.length > this.i && p.endsWith('$') && !isEscaped(p, p.length - 1);
    const end = anchoredEnd ? p.length - 1 : p.length;
    // `^`, `$` or `^$` alone: nothing between the anchors is fine.
    if (this.i === end) return;
    this.alternation(end, 0);
    if (this.i < end) throw this.error(`unmatched ')'`);
  }

  /** alternatives separated by `|`, up to `end` or the `)` that closes the group at `depth`. */
  private alternation(end: number, depth: number): void {
    for (;;) {
      const start = this.i;
      this.sequence(end, depth);
      if (this.i === start) throw new RegExpSyntaxError('empty alternative', start);
      if (this.i < end && this.pattern[this.i] === '|') {
        this.i++;
        if (this.i === end || (depth > 0 && this.pattern[this.i] === ')'))
          throw new RegExpSyntaxError('empty alternative', this.i);
        continue;
      }
      return;
    }
  }

  /** quantified atoms until `|`, the `)` of the group at `depth`, or `end`. */
  private sequence(end: number, depth: number): void {
    while (this.i < end) {
      const c = this.pattern[this.i] as string;
      if (c === ')' && depth === 0) throw this.error(`unmatched ')'`);
      if (c === '|' || c === ')') return;
      this.atom(end);
      this.quantifier(end);
    }
  }

  private atom(end: number): void {
    const p = this.pattern;
    const c = p[this.i] as string;
    switch (c) {
      case '^':
        throw this.error(`'^' is only allowed as the first character of the pattern`);
      case '$':
        throw this.error(`'$' is only allowed as the last character of the pattern`);
      case '*':
      case '+':
      case '?':
        throw this.error(`nothing to repeat before '${c}'`);
      case '{':
        throw this.error(`nothing to repeat before '{'`);
      case ']':
      case '}':
        throw this.error(`'${c}' must be escaped outside a character class`);
      case '.':
        this.i++;
        return;
      case '\\':
        this.escape(false);
        return;
      case '[':
        this.characterClass(end);
        return;
      case '(':
        this.group(end);
        return;
      default:
        this.i++;
    }
  }

  private group(end: number): void {
    const open = this.i;
    this.i++;
    if (this.pattern[this.i] === '?') throw new RegExpSyntaxError(`'(?' groups are not supported`, open);
    if (this.pattern[this.i] === ')') throw new RegExpSyntaxError('empty group', open);
    if (this.i >= end) throw new RegExpSyntaxError('unterminated group', open);
    this.alternation(end, 1);
    if (this.pattern[this.i] !== ')' || this.i >= end) throw new RegExpSyntaxError('unterminated group', open);
    this.i++;
  }

  /** An optional quantifier after an atom; a second one (`a*?`, `a+*`, `a{2}+`) is refused. */
  private quantifier(end: number): void {
    if (this.readQuantifier(end) && this.i < end) this.readQuantifier(end, true);
  }

  /** Reads one quantifier if there is one; with `stacked`, finding one is an error. */
  private readQuantifier(end: number, stacked = false): boolean {
    const p = this.pattern;
    const c = p[this.i];
    if (c === '*' || c === '+' || c === '?') {
      if (stacked) throw this.error(`a quantifier cannot follow another quantifier ('${c}')`);
      this.i++;
      return true;
    }
    if (c !== '{') return false;
    const match = /^\{(\d+)(,(\d*))?\}/.exec(p.slice(this.i, end));
    if (!match) throw this.error(`'{' must start a quantifier {n}, {n,} or {n,m}`);
    if (stacked) throw this.error(`a quantifier cannot follow another quantifier ('${match[0]}')`);
    const min = Number(match[1]);
    const max = match[3] === undefined || match[3] === '' ? undefined : Number(match[3]);
    if (max !== undefined && max < min) throw this.error(`quantifier ${match[0]} has its bounds out of order`);
    this.i += match[0].length;
    return true;
  }

  /**
   * `\` + one character. Returns the literal character, or null for a predefined class. Outside a
   * class the same escapes are allowed as inside one.
   */
  private escape(inClass: boolean): string | null {
    const start = this.i;
    const next = this.pattern[this.i + 1];
    if (next === undefined) throw new RegExpSyntaxError(`'\\' at the end of the pattern`, start);
    this.i += 2;
    if (CLASS_ESCAPES.has(next)) return null;
    if (SPECIAL.has(next) || isAsciiPunctuation(next)) return next;
    throw new RegExpSyntaxError(
      `unsupported escape '\\${next}'${inClass ? ' in a character class' : ''}: only \\d \\w \\s \\D \\W \\S and escaped punctuation are allowed`,
      start,
    );
  }

  private characterClass(end: number): void {
    const p = this.pattern;
    const open = this.i;
    this.i++;
    if (p[this.i] === '^') this.i++;
    const first = this.i;
    while (this.i < end && p[this.i] !== ']') {
      const lowStart = this.i;
      const low = this.classAtom();
      // A range `a-z`; a `-` first, last, or after a range is the character itself.
      if (p[this.i] === '-' && this.i + 1 < end && p[this.i + 1] !== ']') {
        this.i++;
        const highStart = this.i;
        const high = this.classAtom();
        if (low === null || high === null) {
          throw new RegExpSyntaxError(
            'a range cannot start or end with a predefined class',
            low === null ? lowStart : highStart,
          );
        }
        if ((high.codePointAt(0) as number) < (low.codePointAt(0) as number)) {
          throw new RegExpSyntaxError(`range ${low}-${high} is out of order`, lowStart);
        }
      }
    }
    if (this.i >= end) throw new RegExpSyntaxError('unterminated character class', open);
    if (this.i === first) throw new RegExpSyntaxError('empty character class', open);
    this.i++;
  }

  /** One member of a class: its character, or null for a predefined class. */
  private classAtom(): string | null {
    const p = this.pattern;
    const c = p[this.i] as string;
    if (c === '\\') return this.escape(true);
    if (c === '[') throw this.error(`'[' must be escaped inside a character class`);
    const codePoint = p.codePointAt(this.i) as number;
    const char = String.fromCodePoint(codePoint);
    this.i += char.length;
    return char;
  }

  private error(message: string): RegExpSyntaxError {
    return new RegExpSyntaxError(message, this.i);
  }
}

/** Whether the character at `index` is escaped (preceded by an odd number of backslashes). */
function isEscaped(text: string, index: number): boolean {
  let backslashes = 0;
  for (let i = index - 1; i >= 0 && text[i] === '\\'; i--) backslashes++;
  return backslashes % 2 === 1;
}

function isAsciiPunctuation(c: string): boolean {
  return /^[!-/:-@[-`{-~]$/.test(c);
}
