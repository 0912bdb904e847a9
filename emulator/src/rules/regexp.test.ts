/**
 * The regular expressions `matches()` takes: every construct the Security Rules reference lists under
 * "Regular expressions" is accepted and means what it means in the reference; everything else is
 * refused when the rules load, naming the rule path and the position in the pattern.
 */
import { evaluateExpression } from './harness.test-support';
import { compileRules, isRulesError } from './index';
import { checkRulesRegExp, RegExpSyntaxError } from './regexp';

/** Loads `/rules/users/$uid/.validate: newData.val().matches(<literal>)`; the error message, or null. */
function loadError(literal: string): string | null {
  const rules = { rules: { users: { $uid: { '.validate': `newData.val().matches(${literal})` } } } };
  try {
    compileRules(JSON.stringify(rules));
    return null;
  } catch (error) {
    if (!isRulesError(error)) throw error;
    expect(error.rulePath).toBe('/rules/users/$uid/.validate');
    return error.message;
  }
}

const matches = (literal: string, value: string): boolean | 'error' =>
  evaluateExpression(`newData.val().matches(${literal})`, { newData: value });

describe('accepted: every construct of the reference, with its meaning', () => {
  test.each([
    // [construct, literal, a string it matches, a string it does not match]
    ['a plain character sequence', '/bar/', 'foobarbaz', 'ba r'],
    ['^ at the start of the pattern', '/^foo/', 'foobar', 'a foo'],
    ['$ at the end of the pattern', '/bar$/', 'foobar', 'bar!'],
    ['^ and $ together', '/^foo$/', 'foo', 'foo2'],
    ['^$ alone: the empty string', '/^$/', '', 'x'],
    ['. any character', '/^a.c$/', 'abc', 'ac'],
    ['[] a character class', '/^[abc]$/', 'b', 'd'],
    ['[] with ranges', '/^[a-z0-9]+$/', 'abc123', 'ABC'],
    ['[] with - first or last', '/^[-a]+[b-]$/', '-a-', 'ab+'],
    ['[^] a negated class', '/^[^0-9]+$/', 'abc', 'a1c'],
    ['[] with escapes inside', '/^[\\]\\\\\\-]+$/', ']\\-', 'a'],
    ['[] with predefined classes inside', '/^[\\d\\s]+$/', '1 2', '1a'],
    ['\\d a digit', '/^\\d+$/', '2024', '20x4'],
    ['\\D a non-digit', '/^\\D+$/', 'abc', 'a1'],
    ['\\w a word character', '/^\\w+$/', 'a_1', 'a-1'],
    ['\\W a non-word character', '/^\\W+$/', '-+', 'a'],
    ['\\s whitespace', '/^a\\sb$/', 'a b', 'ab'],
    ['\\S non-whitespace', '/^\\S+$/', 'ab', 'a b'],
    ['* zero or more', '/^ab*$/', 'a', 'ac'],
    ['+ one or more', '/^ab+$/', 'abb', 'a'],
    ['? zero or one', '/^ab?c$/', 'ac', 'abbc'],
    ['{n} exactly n', '/^a{3}$/', 'aaa', 'aa'],
    ['{n,} at least n', '/^a{2,}$/', 'aaaa', 'a'],
    ['{n,m} between n and m', '/^a{1,2}$/', 'aa', 'aaa'],
    ['| alternation', '/^(cat|dog)$/', 'dog', 'cow'],
    ['| at the top level, anchors at the ends', '/^cat|dog$/', 'hotdog', 'hot'],
    ['() a group, quantified', '/^(ab)+$/', 'abab', 'aba'],
    ['nested groups', '/^((a|b)c)+$/', 'acbc', 'abc'],
    [
      'escaped punctuation',
      '/^a\\.b\\/c\\(d\\)\\*\\+\\?\\{\\}\\[\\]\\|\\^\\$$/',
      'a.b/c(d)*+?{}[]|^$',
      'aXb/c(d)*+?{}[]|^$',
    ],
    ['flag i', '/^abc$/i', 'AbC', 'abd'],
    ['an e-mail pattern', '/^[A-Z0-9._%+-]+@[A-Z0-9.-]+\\.[A-Z]{2,4}$/i', 'a.b@example.com', 'a@b'],
    ['a date pattern', '/^(19|20)\\d\\d[-\\/. ](0[1-9]|1[012])$/', '2024-05', '2024-13'],
  ])('%s: %s', (_construct, literal, yes, no) => {
    expect(loadError(literal)).toBeNull();
    expect(matches(literal, yes)).toBe(true);
    expect(matches(literal, no)).toBe(false);
  });
});

describe('refused when the rules load, with the position in the pattern', () => {
  const at = (literal: string, message: string, position: number): [string, string] => {
    // The literal starts at column 23 of `newData.val().matches(<literal>)`; position 1 is the
    // character after its opening slash.
    const column = 'newData.val().matches('.length + 1 + position;
    const pattern = literal.slice(1, literal.lastIndexOf('/'));
    return [
      literal,
      `/rules/users/$uid/.validate: 1:${column}: Unsupported regular expression /${pattern}/: ${message} (pattern position ${position})`,
    ];
  };
  test.each([
    at('/a^b/', "'^' is only allowed as the first character of the pattern", 2),
    at('/(^a|b)/', "'^' is only allowed as the first character of the pattern", 2),
    at('/a|^b/', "'^' is only allowed as the first character of the pattern", 3),
    at('/a$b/', "'$' is only allowed as the last character of the pattern", 2),
    at('/(a$|b)/', "'$' is only allowed as the last character of the pattern", 3),
    at('/(a|b$)/', "'$' is only allowed as the last character of the pattern", 5),
    at('/a||b/', 'empty alternative', 3),
    at('/|a/', 'empty alternative', 1),
    at('/a|/', 'empty alternative', 3),
    at('/^|a/', 'empty alternative', 2),
    at('/a|$/', 'empty alternative', 3),
    at('/(a|)/', 'empty alternative', 4),
    at('/(|a)/', 'empty alternative', 2),
    at('/()/', 'empty group', 1),
    at('/(?:a)/', "'(?' groups are not supported", 1),
    at('/a(?=b)/', "'(?' groups are not supported", 2),
    at('/a(?!b)/', "'(?' groups are not supported", 2),
    at('/(?<=a)b/', "'(?' groups are not supported", 1),
    at('/(?<name>a)/', "'(?' groups are not supported", 1),
    at('/(a/', 'unterminated group', 1),
    at('/a)/', "unmatched ')'", 2),
    at('/*a/', "nothing to repeat before '*'", 1),
    at('/^+a/', "nothing to repeat before '+'", 2),
    at('/a|?b/', "nothing to repeat before '?'", 3),
    at('/{2}/', "nothing to repeat before '{'", 1),
    at('/a**/', "a quantifier cannot follow another quantifier ('*')", 3),
    at('/a*?/', "a quantifier cannot follow another quantifier ('?')", 3),
    at('/a+?/', "a quantifier cannot follow another quantifier ('?')", 3),
    at('/a{2}{3}/', "a quantifier cannot follow another quantifier ('{3}')", 5),
    at('/a{2,1}/', 'quantifier {2,1} has its bounds out of order', 2),
    at('/a{,2}/', "'{' must start a quantifier {n}, {n,} or {n,m}", 2),
    at('/a{x}/', "'{' must start a quantifier {n}, {n,} or {n,m}", 2),
    at('/a}/', "'}' must be escaped outside a character class", 2),
    at('/a]/', "']' must be escaped outside a character class", 2),
    at('/[]/', 'empty character class', 1),
    at('/[^]/', 'empty character class', 1),
    at('/[z-a]/', 'range z-a is out of order', 2),
    at('/[\\d-z]/', 'a range cannot start or end with a predefined class', 2),
    at('/[[:alpha:]]/', "'[' must be escaped inside a character class", 2),
    at('/\\bword/', "unsupported escape '\\b': only \\d \\w \\s \\D \\W \\S and escaped punctuation are allowed", 1),
    at('/a\\B/', "unsupported escape '\\B': only \\d \\w \\s \\D \\W \\S and escaped punctuation are allowed", 2),
    at('/(a)\\1/', "unsupported escape '\\1': only \\d \\w \\s \\D \\W \\S and escaped punctuation are allowed", 4),
    at('/a\\n/', "unsupported escape '\\n': only \\d \\w \\s \\D \\W \\S and escaped punctuation are allowed", 2),
    at('/\\u0041/', "unsupported escape '\\u': only \\d \\w \\s \\D \\W \\S and escaped punctuation are allowed", 1),
    at('/\\x41/', "unsupported escape '\\x': only \\d \\w \\s \\D \\W \\S and escaped punctuation are allowed", 1),
    at('/\\p{L}/', "unsupported escape '\\p': only \\d \\w \\s \\D \\W \\S and escaped punctuation are allowed", 1),
    at(
      '/[\\b]/',
      "unsupported escape '\\b' in a character class: only \\d \\w \\s \\D \\W \\S and escaped punctuation are allowed",
      2,
    ),
  ])('%s', (literal, expected) => {
    expect(loadError(literal)).toBe(expected);
  });

  test.each([
    ['/a/g', "Unsupported regular expression flag 'g': only 'i' is allowed"],
    ['/a/m', "Unsupported regular expression flag 'm': only 'i' is allowed"],
    ['/a/s', "Unsupported regular expression flag 's': only 'i' is allowed"],
    ['/a/u', "Unsupported regular expression flag 'u': only 'i' is allowed"],
    ['/a/y', "Unsupported regular expression flag 'y': only 'i' is allowed"],
    ['/a/ii', "Unsupported regular expression flag 'i': only 'i' is allowed"],
  ])('flags: %s', (literal, expected) => {
    expect(loadError(literal)).toContain(expected);
  });

  test('an unterminated class (a literal cannot even end inside one: the lexer sees no closing slash)', () => {
    expect(() => checkRulesRegExp('[abc')).toThrow(new RegExpSyntaxError('unterminated character class', 0));
    expect(loadError('/[abc/')).toBe('/rules/users/$uid/.validate: 1:23: Unterminated regular expression');
  });
});
