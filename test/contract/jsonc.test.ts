/**
 * The JSON-with-comments reader of the rules merge (contract/src/merge/jsonc.ts): the values JSON.parse
 * would give, every comment with its offsets, and errors that point at the line and column.
 */
import { JsoncSyntaxError, parseJsonc, parseJsoncValue } from '../../contract/src/merge/jsonc';

describe('values', () => {
  test.each<[string, string, unknown]>([
    ['plain JSON', '{"a": [1, -2.5e3, true, false, null, "x"]}', { a: [1, -2500, true, false, null, 'x'] }],
    ['line and block comments', '// top\n{ /* a */ "a": 1 // one\n}', { a: 1 }],
    ['comment markers inside strings are text', '{"a": "x // y /* z */"}', { a: 'x // y /* z */' }],
    ['escapes', '{"a": "\\"\\\\\\/\\n\\u0041"}', { a: '"\\/\nA' }],
    ['a string that spans lines (long rule expressions)', '{"a": "x &&\n  y"}', { a: 'x &&\n  y' }],
    ['the last of duplicate keys wins, as in JSON.parse', '{"a": 1, "a": 2}', { a: 2 }],
    ['a byte-order mark', '\ufeff{}', {}],
  ])('%s', (_name, text, value) => {
    expect(parseJsoncValue(text)).toEqual(value);
  });
});

test('comments are recorded with their offsets and exact text', () => {
  const text = '{\r\n  // one\r\n  "a": /* two */ 1\r\n}';
  const { comments } = parseJsonc(text);
  expect(comments.map((c) => c.text)).toEqual(['// one', '/* two */']);
  for (const c of comments) expect(text.slice(c.start, c.end)).toBe(c.text);
});

test('entries know where their separating comma is', () => {
  const text = '{"a": 1 , "b": {"c": true}}';
  const top = parseJsonc(text).value;
  if (top.type !== 'object') throw new Error('expected an object');
  expect(top.entries.map((e) => [e.key, e.commaAt])).toEqual([
    ['a', 8],
    ['b', -1],
  ]);
  expect(text.slice(top.entries[1]?.value.start, top.entries[1]?.value.end)).toBe('{"c": true}');
});

describe('errors name the line and column', () => {
  test.each<[string, string, number, number, RegExp]>([
    ['a trailing comma', '{\n  "a": 1,\n}', 3, 1, /trailing comma/],
    ['an unquoted key', '{\n  a: 1\n}', 2, 3, /expected a key in double quotes/],
    ['a single-quoted string', '{"a": \'x\'}', 1, 7, /unexpected '''/],
    ['an unterminated block comment', '{ /* x', 1, 3, /unterminated \/\* comment/],
    ['an unterminated string', '{"a": "x}', 1, 7, /unterminated string/],
    ['a missing brace', '{"a": 1', 1, 8, /'}' missing/],
    ['text after the document', '{} x', 1, 4, /after the end of the document/],
    ['a bad escape', '{"a": "\\q"}', 1, 8, /invalid escape/],
  ])('%s', (_name, text, line, column, reason) => {
    let caught: unknown;
    try {
      parseJsonc(text);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(JsoncSyntaxError);
    expect(caught).toMatchObject({ line, column });
    expect((caught as Error).message).toMatch(reason);
  });
});
