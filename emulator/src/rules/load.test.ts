/**
 * Every bad-rules case is rejected at load with a clear message naming the rule path and the
 * position: `line:column` inside the expression, or in the rules file for structural errors.
 * Invalid expressions marked [live] were rejected by a live server (targaryen's recorded fixtures).
 */
import { RulesError, compileRules, isRulesError } from './index';
import { expressionError } from './harness.test-support';

function loadError(source: string): string {
  try {
    compileRules(source);
  } catch (error) {
    if (!isRulesError(error)) throw error;
    expect(error.code).toBe('invalid_rules');
    expect(error).toBeInstanceOf(RulesError);
    return error.message;
  }
  throw new Error('the rules were accepted');
}

function withRule(key: string, expression: string, wildcard = '$uid'): string {
  return JSON.stringify({ rules: { users: { [wildcard]: { [key]: expression } } } });
}

describe('expression syntax the language lacks', () => {
  test.each([
    // [expression, expected error]
    ["auth.uid == 'a'; true", "1:16: Unexpected token ';'"],
    ['var foo = 8', "1:1: 'var' is not supported in rule expressions"], // [live]
    ['root = 5', "1:6: Unexpected token '='"], // [live]
    ['auth.uid = null', "1:10: Unexpected token '='"],
    ["auth.uid === '5'; auth.id === 5", "1:17: Unexpected token ';'"], // [live]
    ['(2**2) == 4', "1:4: Unexpected token '*'"], // [live]
    ['auth.x++', "1:8: Unexpected token '+': unary plus is not supported"],
    ['1 & 2', "1:3: Unexpected token '&'"],
    ['1 | 2', "1:3: Unexpected token '|'"],
    ['~1 == 1', "1:1: Unexpected token '~'"],
    ["root.child('foo').val().matches(/bar/ig)", "1:39: Unsupported regular expression flag 'g': only 'i' is allowed"], // [live]
    ["root.child('foo').val().matches(/bar/m)", "1:38: Unsupported regular expression flag 'm': only 'i' is allowed"],
    [
      "root.child('foo').val().matches(/(/)",
      '1:34: Unsupported regular expression /(/: unterminated group (pattern position 1)',
    ],
    [
      'root["exi" + "sts"]() == false',
      '1:1: Invalid computed property access: a method or property name must be a literal',
    ], // [live]
    ['root[$uid]() == false', '1:1: Invalid computed property access: a method or property name must be a literal'], // [live]
    ["'unterminated", '1:1: Unterminated string literal'],
    ['', '1:1: Empty expression'],
    ['(true', "1:6: Unexpected end of expression: expected ')'"],
    ['true)', "1:5: Unexpected token ')'"],
    ['function() { return true }', "1:1: 'function' is not supported in rule expressions"],
    ['this.x', "1:1: 'this' is not supported in rule expressions"],
    ["typeof auth == 'object'", "1:1: 'typeof' is not supported in rule expressions"],
    ['auth.', '1:6: Unexpected end of expression: expected a property name'],
    ['+1 == 1', "1:1: Unexpected token '+': unary plus is not supported"],
    ['1 == 1 true', "1:8: Unexpected token 'true'"],
  ])('%s', (expression, expected) => {
    expect(expressionError(expression, '.write', ['$uid'])).toBe(expected);
  });
});

describe('static type errors', () => {
  test.each([
    ['7', '1:1: Rule must evaluate to a boolean, but this expression is a number'], // [live]
    ["'foo'", '1:1: Rule must evaluate to a boolean, but this expression is a string'], // [live]
    ['null', '1:1: Rule must evaluate to a boolean, but this expression is a null'],
    [
      "auth.someString === 'one' ? 7 : true",
      '1:1: Rule must evaluate to a boolean, but this expression is a boolean or number',
    ], // [live]
    ['auth.uid.contains(7)', '1:19: contains() expects argument 1 to be a string, but got a number'],
    ['auth.foo.contains(7)', '1:19: contains() expects argument 1 to be a string, but got a number'], // [live]
    ["skies === 'blue'", "1:1: Unknown variable 'skies'"], // [live]
    ["$color == 'red'", "1:1: Unknown variable '$color': no such $wildcard on this rule's path"], // [live]
    ["root.hasChildren('foo', 'bar')", '1:1: hasChildren() takes no argument or one array of child names'], // [live]
    ["root.hasChildren(['foo', 7])", '1:26: hasChildren() expects an array of strings, but got a number'], // [live]
    ['root.hasChildren([])', '1:18: hasChildren() got an empty array'],
    ["root.child('str').val().matches('/foo/')", '1:33: matches() expects a regular expression literal such as /^a/'], // [live]
    ['auth.foo.notFound() == false', "1:1: No such method 'notFound' on a any"], // [live]
    [
      'root.val().notFound == false',
      "1:1: No such method/property 'notFound' on a boolean or number or string or null",
    ], // [live]
    [
      "root.child('foo') != null",
      '1:1: Invalid != expression: left operand is a RuleDataSnapshot, not a value that can be compared',
    ], // [live]
    ['root.val() > true', '1:14: Invalid > expression: right operand is a boolean, not a string or a number'], // [live]
    ['root.val() <= true', '1:15: Invalid <= expression: right operand is a boolean, not a string or a number'], // [live]
    ['root["doesNotExist"]() == true', "1:1: No such method 'doesNotExist' on a RuleDataSnapshot"], // [live]
    ['auth.someString["doesNotContains"]("on") == false', "1:1: No such method 'doesNotContains' on a any"], // [live]
    ['query.foo == 1', "1:1: No such property 'query.foo'"], // [live]
    ['data.exists', '1:1: Method exists() must be called'],
    ["data.child('a').val", '1:1: Method val() must be called'],
    ['data.foo', "1:1: No such method/property 'foo' on a RuleDataSnapshot"],
    ["'abc'.contains", '1:1: Method contains() must be called'],
    ["'abc'.size > 1", "1:1: No such method/property 'size' on a string"],
    ['(1).length > 0', "1:2: No such method/property 'length' on a number"],
    ['data.child(1).exists()', '1:12: child() expects argument 1 to be a string, but got a number'],
    ['data.child().exists()', '1:1: child() expects 1 argument(s), but got 0'],
    ["data.exists('x')", '1:1: exists() expects 0 argument(s), but got 1'],
    ["'a'.replace('a')", '1:1: replace() expects 2 argument(s), but got 1'],
    ['1 + true == 2', '1:5: Invalid + expression: right operand is a boolean, not a string or a number'],
    ["'a' - 1 == 0", '1:1: Invalid - expression: left operand is a string, not a number'],
    ["1 < 'a'", '1:1: Invalid < expression: left and right operands have different types (number, string)'],
    ['!1', '1:1: Invalid ! expression: operand is a number, not a boolean'],
    ["-'a' == 1", '1:1: Invalid - expression: operand is a string, not a number'],
    ['1 && true', '1:1: Left operand of && must be a boolean, but is a number'],
    ["true || 'x'", '1:9: Right operand of || must be a boolean, but is a string'],
    ["'x' ? true : false", '1:1: Condition of ?: must be a boolean, but is a string'],
    ['/abc/ == 1', '1:1: A regular expression is only allowed as the argument of matches()'],
    ["['a'] == 1", '1:1: An array is only allowed as the argument of hasChildren()'],
    ['auth()', '1:1: Type error: function call on a target that is not a method'],
    ['now.toString() == 1', "1:1: No such method 'toString' on a number"],
  ])('%s', (expression, expected) => {
    expect(expressionError(expression, '.write', ['$uid'])).toBe(expected);
  });

  test('newData is not defined in .read rules', () => {
    expect(expressionError('newData.exists()', '.read')).toBe(
      "1:1: Unknown variable 'newData': it is only defined in .write and .validate rules",
    );
    expect(expressionError('newData.exists()', '.validate')).toBeNull();
  });

  test.each([
    ['auth.token.email_verified == true && auth.token.email.matches(/.*@google\\.com$/)'],
    ["root.child('users/' + auth.uid + '/admin').val() === true"],
    ['auth.foo[$uid] == true'],
    ['data.val() == null || data.val() + 1 == newData.val()'],
    ['newData.isString() && newData.val().length > 0 && newData.val().length < 100'],
    ['newData.val() <= now'],
    ["root.child('rooms').child($uid).child('members').hasChild(auth.uid)"],
    ["query.orderByChild == 'owner' && query.equalTo == auth.uid"],
    ['auth != null ? auth.uid == $uid : false'],
    ['data.getPriority() == null'],
  ])('valid: %s', (expression) => {
    expect(expressionError(expression, '.write', ['$uid'])).toBeNull();
  });
});

describe('rule paths and positions in load errors', () => {
  test('an expression error names the rule path and the position in the expression', () => {
    expect(loadError(withRule('.write', 'auth.uid == $uid; true'))).toBe(
      "/rules/users/$uid/.write: 1:17: Unexpected token ';'",
    );
  });

  test('multi-line expressions report the line inside the expression', () => {
    const source = '{"rules": {".read": "auth != null &&\n  auth.uid ==== 1"}}';
    expect(loadError(source)).toBe("/rules/.read: 2:15: Unexpected token '='");
  });

  test('undeclared $variables, with the wildcard declared elsewhere on another branch', () => {
    const source = JSON.stringify({ rules: { a: { $x: { '.read': true } }, b: { '.read': '$x == "1"' } } });
    expect(loadError(source)).toBe("/rules/b/.read: 1:1: Unknown variable '$x': no such $wildcard on this rule's path");
  });

  test.each([
    // [rules file, expected message]
    [
      '{"rules": {".raed": true}}',
      "/rules/.raed: unknown rule type '.raed': expected .read, .write, .validate or .indexOn (rules file line 1, column 12)",
    ],
    [
      '{"rules": {".read": 1}}',
      '/rules/.read: .read must be a string or a boolean, got a number (rules file line 1, column 21)',
    ],
    [
      '{"rules": {".write": null}}',
      '/rules/.write: .write must be a string or a boolean, got null (rules file line 1, column 22)',
    ],
    [
      '{"rules": {".validate": ["x"]}}',
      '/rules/.validate: .validate must be a string or a boolean, got an array (rules file line 1, column 25)',
    ],
    [
      '{"rules": {"a": {".indexOn": 5}}}',
      '/rules/a/.indexOn: .indexOn must be a string or an array of strings, got a number (rules file line 1, column 30)',
    ],
    [
      '{"rules": {"a": {".indexOn": ["x", 1]}}}',
      '/rules/a/.indexOn: .indexOn must be a string or an array of strings, got an array (rules file line 1, column 30)',
    ],
    ['{"rules": {"a": true}}', '/rules/a: expected an object of rules, got a boolean (rules file line 1, column 17)'],
    [
      '{"rules": {"a.b": {}}}',
      '/rules/a.b: invalid key "a.b": keys cannot contain . # $ / [ ] or control characters (rules file line 1, column 12)',
    ],
    [
      '{"rules": {"a#": {}}}',
      '/rules/a#: invalid key "a#": keys cannot contain . # $ / [ ] or control characters (rules file line 1, column 12)',
    ],
    [
      '{"rules": {"$a": {}, "$b": {}}}',
      '/rules/$b: only one $wildcard is allowed at a location, found $a and $b (rules file line 1, column 22)',
    ],
    [
      '{"rules": {"$a": {"$a": {}}}}',
      '/rules/$a/$a: the wildcard $a is already declared higher on this path (rules file line 1, column 19)',
    ],
    [
      '{"rules": {"$a-b": {}}}',
      "/rules/$a-b: invalid wildcard name '$a-b': use $ followed by letters, digits or _ (rules file line 1, column 12)",
    ],
    [
      '{"rules": {}, "extra": 1}',
      '/extra: unknown key: the rules file may only contain "rules" (rules file line 1, column 15)',
    ],
    ['{"rulez": {}}', '/rulez: unknown key: the rules file may only contain "rules" (rules file line 1, column 2)'],
    ['{}', '/: the rules file must have a "rules" key'],
    ['[]', '/: the rules file must be an object with a "rules" key, got an array (rules file line 1, column 1)'],
    ['{"rules": true}', '/rules: expected an object of rules, got a boolean (rules file line 1, column 11)'],
  ])('%s', (source, expected) => {
    expect(loadError(source)).toBe(expected);
  });

  test.each([
    ['{"rules": {".read": true,}}', '1:26: Expected a quoted key'],
    ['{"rules": {".read": true}', "1:26: Expected ',' or '}'"],
    ['{"rules": {".read" true}}', "1:20: Expected ':'"],
    ['{"rules": /* never closed', '1:11: Unterminated comment'],
    ['{"rules": {".read": "abc}}', '1:21: Unterminated string'],
    ['{"rules": {".read": tru}}', "1:21: Unexpected 't'"],
    ['{"rules": {}} x', "1:15: Unexpected 'x' after the rules object"],
    ['', '1:1: Unexpected end of the rules file'],
  ])('JSON syntax error %s', (source, expected) => {
    expect(loadError(source)).toBe(expected);
  });
});

describe('the JSON dialect firebase-tools accepts', () => {
  test('comments and multi-line strings', () => {
    const source = `{
      // line comment
      "rules": {
        /* block
           comment */
        "users": {
          "$uid": {
            ".read": "auth != null &&
                      auth.uid == $uid", // trailing comment
            ".indexOn": ["name", "age"]
          }
        }
      }
    }`;
    const ruleset = compileRules(source);
    const [read] = ruleset.coverage().expressions;
    expect(read?.path).toBe('/rules/users/$uid/.read');
    expect(read?.range).toEqual({ start: { line: 8, column: 23 }, end: { line: 9, column: 38 } });
    expect(ruleset.source).toBe(source);
  });

  test('escapes in JSON strings decode before the expression is parsed', () => {
    const ruleset = compileRules('{"rules": {".read": "auth.uid == \\"a\\\\u0062\\""}}');
    expect(ruleset.coverage().expressions[0]?.expression).toBe('auth.uid == "a\\u0062"');
  });
});
