/**
 * The JSON dialect of `database.rules.json` as firebase-tools and the console accept it: JSON plus
 * `//` and `/* *\/` comments and strings that span lines (long expressions are often written that
 * way). Every value keeps its offsets so errors and coverage can point into the file.
 */
import { lineColumn } from './ast';
import { RulesError } from './errors';

export type JsonNode =
  | {
      readonly type: 'object';
      readonly entries: ReadonlyArray<{ key: string; keyStart: number; value: JsonNode }>;
      readonly start: number;
      readonly end: number;
    }
  | { readonly type: 'array'; readonly items: readonly JsonNode[]; readonly start: number; readonly end: number }
  | { readonly type: 'string'; readonly value: string; readonly start: number; readonly end: number }
  | { readonly type: 'number'; readonly value: number; readonly start: number; readonly end: number }
  | { readonly type: 'boolean'; readonly value: boolean; readonly start: number; readonly end: number }
  | { readonly type: 'null'; readonly start: number; readonly end: number };

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

export function parseRulesJson(text: string): JsonNode {
  return new JsonParser(text).parseDocument();
}

/**
 * The rules file as plain JSON: comments gone, multi-line strings joined (what firebase-admin's
 * `getRulesJSON` asks for with `format=strict`). Throws RulesError for text that is not rules JSON.
 */
export function rulesJsonValue(text: string): unknown {
  return jsonNodeValue(parseRulesJson(text));
}

function jsonNodeValue(node: JsonNode): unknown {
  switch (node.type) {
    case 'object': {
      const value: Record<string, unknown> = {};
      for (const entry of node.entries) {
        // defineProperty: a key such as "__proto__" is data here, never the object's prototype.
        Object.defineProperty(value, entry.key, {
          value: jsonNodeValue(entry.value),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return value;
    }
    case 'array':
      return node.items.map(jsonNodeValue);
    case 'null':
      return null;
    default:
      return node.value;
  }
}

class JsonParser {
  private offset = 0;

  constructor(private readonly text: string) {}

  private error(message: string, offset = this.offset): RulesError {
    const { line, column } = lineColumn(this.text, offset);
    return new RulesError(`${line}:${column}: ${message}`);
  }

  parseDocument(): JsonNode {
    const value = this.value();
    this.skip();
    if (this.offset < this.text.length)
      throw this.error(`Unexpected '${this.text[this.offset]}' after the rules object`);
    return value;
  }

  /** Skips whitespace and comments. */
  private skip(): void {
    const text = this.text;
    while (this.offset < text.length) {
      const c = text[this.offset] as string;
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\ufeff') {
        this.offset++;
      } else if (c === '/' && text[this.offset + 1] === '/') {
        const end = text.indexOf('\n', this.offset);
        this.offset = end < 0 ? text.length : end + 1;
      } else if (c === '/' && text[this.offset + 1] === '*') {
        const end = text.indexOf('*/', this.offset + 2);
        if (end < 0) throw this.error('Unterminated comment');
        this.offset = end + 2;
      } else {
        return;
      }
    }
  }

  private value(): JsonNode {
    this.skip();
    const start = this.offset;
    const c = this.text[start];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') {
      const value = this.string();
      return { type: 'string', value, start, end: this.offset };
    }
    if (c === undefined) throw this.error('Unexpected end of the rules file');
    const word = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(
      this.text.slice(start, start + 400),
    );
    if (word === null) throw this.error(`Unexpected '${c}'`);
    this.offset = start + word[0].length;
    const end = this.offset;
    if (word[0] === 'true' || word[0] === 'false') return { type: 'boolean', value: word[0] === 'true', start, end };
    if (word[0] === 'null') return { type: 'null', start, end };
    return { type: 'number', value: Number(word[0]), start, end };
  }

  private object(): JsonNode {
    const start = this.offset++;
    const entries: Array<{ key: string; keyStart: number; value: JsonNode }> = [];
    this.skip();
    if (this.text[this.offset] === '}') {
      this.offset++;
      return { type: 'object', entries, start, end: this.offset };
    }
    for (;;) {
      this.skip();
      if (this.text[this.offset] !== '"') throw this.error('Expected a quoted key');
      const keyStart = this.offset;
      const key = this.string();
      this.skip();
      if (this.text[this.offset] !== ':') throw this.error("Expected ':'");
      this.offset++;
      const value = this.value();
      const existing = entries.findIndex((e) => e.key === key);
      if (existing >= 0) entries.splice(existing, 1); // the last duplicate wins, as in JSON.parse
      entries.push({ key, keyStart, value });
      this.skip();
      const c = this.text[this.offset];
      this.offset++;
      if (c === '}') return { type: 'object', entries, start, end: this.offset };
      if (c !== ',') throw this.error("Expected ',' or '}'", this.offset - 1);
    }
  }

  private array(): JsonNode {
    const start = this.offset++;
    const items: JsonNode[] = [];
    this.skip();
    if (this.text[this.offset] === ']') {
      this.offset++;
      return { type: 'array', items, start, end: this.offset };
    }
    for (;;) {
      items.push(this.value());
      this.skip();
      const c = this.text[this.offset];
      this.offset++;
      if (c === ']') return { type: 'array', items, start, end: this.offset };
      if (c !== ',') throw this.error("Expected ',' or ']'", this.offset - 1);
    }
  }

  /** A double-quoted string; raw line breaks inside are kept (multi-line rule strings). */
  private string(): string {
    const start = this.offset;
    let i = start + 1;
    let out = '';
    const text = this.text;
    for (;;) {
      const c = text[i];
      if (c === undefined) throw this.error('Unterminated string', start);
      if (c === '"') break;
      if (c === '\\') {
        const e = text[i + 1] ?? '';
        if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
          out += String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16));
          i += 6;
          continue;
        }
        const simple = SIMPLE_ESCAPES[e];
        if (simple === undefined) throw this.error(`Invalid escape '\\${e}'`, i);
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
