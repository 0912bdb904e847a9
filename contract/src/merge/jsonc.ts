/**
 * A parser for the dialect of `database.rules.json`: JSON plus `//` and `/* *\/` comments, which the
 * Realtime Database accepts in rules and firebase-tools uploads as text. It keeps the source offsets
 * of every value, key, separating comma and comment, so the merge can splice text into a user's
 * file and leave every other byte where it was.
 *
 * Strings may span lines, as long rule expressions often do in hand-written files. No trailing commas
 * and no single-quoted strings: the merge would have to guess where an entry ends.
 */

export type JsoncNode = JsoncObject | JsoncArray | JsoncScalar;

export interface JsoncEntry {
  readonly key: string;
  readonly keyStart: number;
  readonly value: JsoncNode;
  /** offset of the `,` that follows this entry, or -1 for the last entry */
  readonly commaAt: number;
}

export interface JsoncObject {
  readonly type: 'object';
  readonly entries: readonly JsoncEntry[];
  /** offset of `{` */
  readonly start: number;
  /** offset just after `}` */
  readonly end: number;
}

export interface JsoncArray {
  readonly type: 'array';
  readonly items: readonly JsoncNode[];
  readonly start: number;
  readonly end: number;
}

export type JsoncScalar =
  | { readonly type: 'string'; readonly value: string; readonly start: number; readonly end: number }
  | { readonly type: 'number'; readonly value: number; readonly start: number; readonly end: number }
  | { readonly type: 'boolean'; readonly value: boolean; readonly start: number; readonly end: number }
  | { readonly type: 'null'; readonly value: null; readonly start: number; readonly end: number };

export interface JsoncComment {
  readonly start: number;
  readonly end: number;
  /** the comment as written, `//` or `/*` included */
  readonly text: string;
}

export interface JsoncDocument {
  readonly value: JsoncNode;
  readonly comments: readonly JsoncComment[];
}

/** 1-based line and column of `offset` in `text`. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

export class JsoncSyntaxError extends Error {
  readonly line: number;
  readonly column: number;
  constructor(
    readonly reason: string,
    readonly offset: number,
    text: string,
  ) {
    const { line, column } = lineColumn(text, offset);
    super(`line ${line}, column ${column}: ${reason}`);
    this.name = 'JsoncSyntaxError';
    this.line = line;
    this.column = column;
  }
}

const ESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

const LITERAL = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/;

export function parseJsonc(text: string): JsoncDocument {
  return new Parser(text).document();
}

/** The plain value of a node, as `JSON.parse` would give it (the last of duplicate keys wins). */
export function jsoncValue(node: JsoncNode): unknown {
  if (node.type === 'object') {
    const out: Record<string, unknown> = {};
    for (const entry of node.entries) out[entry.key] = jsoncValue(entry.value);
    return out;
  }
  if (node.type === 'array') return node.items.map(jsoncValue);
  return node.value;
}

/** `JSON.parse` for the rules dialect: comments allowed. */
export function parseJsoncValue(text: string): unknown {
  return jsoncValue(parseJsonc(text).value);
}

class Parser {
  private offset = 0;
  private readonly comments: JsoncComment[] = [];

  constructor(private readonly text: string) {}

  private fail(reason: string, offset = this.offset): never {
    throw new JsoncSyntaxError(reason, offset, this.text);
  }

  document(): JsoncDocument {
    const value = this.value();
    this.skip();
    if (this.offset < this.text.length)
      this.fail(`unexpected '${this.text[this.offset]}' after the end of the document`);
    return { value, comments: this.comments };
  }

  /** Skips whitespace and records comments. */
  private skip(): void {
    const text = this.text;
    while (this.offset < text.length) {
      const c = text[this.offset];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\ufeff') {
        this.offset++;
      } else if (c === '/' && text[this.offset + 1] === '/') {
        const newline = text.indexOf('\n', this.offset);
        // The comment ends before the line break (and before a CR of a CRLF file).
        let end = newline < 0 ? text.length : newline;
        if (end > this.offset && text[end - 1] === '\r') end--;
        this.comments.push({ start: this.offset, end, text: text.slice(this.offset, end) });
        this.offset = end;
      } else if (c === '/' && text[this.offset + 1] === '*') {
        const close = text.indexOf('*/', this.offset + 2);
        if (close < 0) this.fail('unterminated /* comment');
        this.comments.push({ start: this.offset, end: close + 2, text: text.slice(this.offset, close + 2) });
        this.offset = close + 2;
      } else {
        return;
      }
    }
  }

  private value(): JsoncNode {
    this.skip();
    const start = this.offset;
    const c = this.text[start];
    if (c === undefined) this.fail('unexpected end of the file: a value is missing');
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') {
      const value = this.string();
      return { type: 'string', value, start, end: this.offset };
    }
    const word = LITERAL.exec(this.text.slice(start, start + 64));
    if (word === null)
      this.fail(`unexpected '${c}': expected a value (object, array, string, number, true, false or null)`);
    this.offset = start + word[0].length;
    const end = this.offset;
    if (word[0] === 'true' || word[0] === 'false') return { type: 'boolean', value: word[0] === 'true', start, end };
    if (word[0] === 'null') return { type: 'null', value: null, start, end };
    return { type: 'number', value: Number(word[0]), start, end };
  }

  private object(): JsoncObject {
    const start = this.offset++;
    const entries: JsoncEntry[] = [];
    this.skip();
    if (this.text[this.offset] === '}') {
      this.offset++;
      return { type: 'object', entries, start, end: this.offset };
    }
    for (;;) {
      this.skip();
      const keyStart = this.offset;
      if (this.text[keyStart] !== '"') {
        this.fail(this.text[keyStart] === '}' ? 'trailing comma before }' : 'expected a key in double quotes');
      }
      const key = this.string();
      this.skip();
      if (this.text[this.offset] !== ':') this.fail(`expected ':' after the key "${key}"`);
      this.offset++;
      const value = this.value();
      this.skip();
      const c = this.text[this.offset];
      if (c === ',') {
        entries.push({ key, keyStart, value, commaAt: this.offset++ });
        continue;
      }
      entries.push({ key, keyStart, value, commaAt: -1 });
      if (c === '}') {
        this.offset++;
        return { type: 'object', entries, start, end: this.offset };
      }
      this.fail(
        c === undefined
          ? `unexpected end of the file: '}' missing for the object at offset ${start}`
          : "expected ',' or '}'",
      );
    }
  }

  private array(): JsoncArray {
    const start = this.offset++;
    const items: JsoncNode[] = [];
    this.skip();
    if (this.text[this.offset] === ']') {
      this.offset++;
      return { type: 'array', items, start, end: this.offset };
    }
    for (;;) {
      this.skip();
      if (this.text[this.offset] === ']') this.fail('trailing comma before ]');
      items.push(this.value());
      this.skip();
      const c = this.text[this.offset];
      if (c === ']') {
        this.offset++;
        return { type: 'array', items, start, end: this.offset };
      }
      if (c !== ',') this.fail(c === undefined ? "unexpected end of the file: ']' missing" : "expected ',' or ']'");
      this.offset++;
    }
  }

  private string(): string {
    const start = this.offset;
    let out = '';
    let i = start + 1;
    const text = this.text;
    for (;;) {
      const c = text[i];
      if (c === undefined) this.fail('unterminated string', start);
      if (c === '"') break;
      if (c === '\\') {
        const e = text[i + 1] ?? '';
        if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
          out += String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16));
          i += 6;
          continue;
        }
        const simple = ESCAPES[e];
        if (simple === undefined) this.fail(`invalid escape '\\${e}' in a string`, i);
        out += simple;
        i += 2;
        continue;
      }
      out += c;
      i++;
    }
    this.offset = i + 1;
    return out;
  }
}
