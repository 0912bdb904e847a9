/**
 * The rules files' JSON dialect read back as plain JSON (`GET /.settings/rules.json?format=strict`).
 */
import { rulesJsonValue } from './json';
import { isRulesError } from './errors';

test('comments go, strings keep what looks like a comment, multi-line strings are joined', () => {
  const source = '{ // c\n "a": "// not a comment", /* b */ "b": [1, true, null],\n "c": "x &&\n y" }';
  expect(rulesJsonValue(source)).toEqual({ a: '// not a comment', b: [1, true, null], c: 'x &&\n y' });
});

test('a key "__proto__" is data', () => {
  const value = rulesJsonValue('{"__proto__": {"x": 1}}') as Record<string, unknown>;
  expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
  expect(Object.keys(value)).toEqual(['__proto__']);
});

test('text that is not rules JSON is a RulesError', () => {
  let caught: unknown;
  try {
    rulesJsonValue('{ "a": }');
  } catch (error) {
    caught = error;
  }
  expect(isRulesError(caught)).toBe(true);
});
