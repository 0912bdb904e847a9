/**
 * Table-driven tests of the expression language: every operator, method and type rule.
 * Rows are `[expression, environment, expected]`, expected being true, false, or 'error' (a runtime
 * error, which makes the rule false). Sources: the "Firebase Database Security Rules API" reference,
 * "Use conditions in Realtime Database Security Rules", and the outcomes targaryen recorded from a
 * live server (goldibex/targaryen test/spec/lib/parser/fixtures.json) — rows marked [live].
 */
import { type ExpressionEnv, evaluateExpression } from './harness.test-support';

type Row = [string, ExpressionEnv, boolean | 'error'];

const bob = {
  uid: 'custom:bob',
  provider: 'custom',
  someBool: true,
  someInt: 1,
  someString: 'one',
  foo: { bar: true },
};
const asBob = { auth: bob };

function table(rows: Row[]): void {
  test.each(rows)('%s', (expression, env, expected) => {
    expect(evaluateExpression(expression, env)).toBe(expected);
  });
}

describe('literals and variables', () => {
  table([
    ['true', {}, true],
    ['false', {}, false],
    ['1 < 2', {}, true], // [live]
    ["'foo'.contains('o')", {}, true], // [live]
    ['auth !== null', {}, false], // [live]
    ['auth === null', {}, true],
    ["auth.uid !== 'eviluser'", {}, true], // [live] property of null auth is null
    ['auth.foo.baz == null', {}, true], // [live]
    ["auth.provider === 'custom'", asBob, true], // [live]
    ['auth.someInt < 5', asBob, true], // [live]
    ['auth.foo.bar == true', asBob, true], // [live]
    ["auth.foo['bar'] == true", asBob, true], // [live]
    ['auth.foo[$bar] == true', { ...asBob, wildcards: { $bar: 'bar' } }, true], // [live]
    [
      "auth.token.firebase.identities['google.com'][0] == 'x'",
      { auth: { token: { firebase: { identities: { 'google.com': ['x'] } } } } },
      true,
    ],
    ['auth.missing == null', asBob, true],
    ["$color == 'blue'", { wildcards: { $color: 'blue' } }, true], // [live]
    ["$color == 'green'", { wildcards: { $color: 'orange' } }, false], // [live]
    ['now == 1234', { now: 1234 }, true],
    ['now > 0', { now: 1 }, true],
    ['"double" == \'double\'', {}, true],
    ["'it\\'s' == \"it's\"", {}, true],
    ['1.5e1 == 15', {}, true],
    ['.5 == 0.5', {}, true],
  ]);
});

describe('equality: == and === are both strict (no coercion)', () => {
  table([
    ["'1' == 1", {}, false],
    ["'1' === 1", {}, false],
    ['1 == 1.0', {}, true],
    ['true != false', {}, true],
    ['null == null', {}, true],
    ["'foo' == auth.foo", {}, false], // [live] string vs null: false, not an error
    ["auth.foo !== 'foo'", {}, true], // [live]
    ["'one' == auth.someInt", asBob, false], // [live]
    ["auth.someInt != 'one'", asBob, true], // [live]
    ['!(auth.foo == null)', {}, false], // [live]
    ['!(auth.someString == null)', asBob, true], // [live]
    ['data.val() == null', { data: { a: 1 } }, false], // val() of a node with children is a sentinel, not null
    ['data.val() != null', { data: null }, false],
  ]);
});

describe('arithmetic and +', () => {
  table([
    ['(auth.someInt + 1) == 2', asBob, true], // [live]
    ['(1 + auth.someInt) == 2', asBob, true], // [live]
    ['(auth.someInt - 1) == 0', asBob, true], // [live]
    ['(auth.someInt * 1) == 1', asBob, true], // [live]
    ['(auth.someInt / 2) == 0.5', asBob, true], // [live]
    ['(auth.someInt % 2) == 1', asBob, true], // [live]
    ['(1 % auth.someInt) == 1', asBob, false], // [live]
    ["(auth.someString + 'two') == 'onetwo'", asBob, true], // [live]
    ['(auth.someString + 1) == 2', asBob, false], // [live] 'one1' is a string
    ["(auth.someString + 1) == 'one1'", asBob, true],
    ["(1 + auth.someString) == '1one'", asBob, true],
    ['(1 + 1) == 2', {}, true], // [live]
    ['(auth.someString - 1) == 0', asBob, 'error'], // [live]
    ['(1 * auth.someString) == 1', asBob, 'error'], // [live]
    ['(auth.someString % 2) == 1', asBob, 'error'], // [live]
    ['(1 + auth.someBool) == 2', asBob, 'error'], // [live]
    ['(auth.someBool * 1) == 1', asBob, 'error'], // [live]
    ['(1 + auth.none) == 2', asBob, 'error'], // [live] null is not a number
    ['(auth.none / 2) == 0', asBob, 'error'], // [live]
    ["(1/0 + '') == 'NaN'", {}, true], // [live] division by zero is NaN
    ['(1/0) > 2', {}, false], // [live]
    ['(1/0) < 2', {}, false], // [live]
    ['-auth.someInt == -1', asBob, true],
    ['-auth.foo == -1', {}, 'error'], // [live]
    ['-auth.someString == -1', asBob, 'error'], // [live]
    ['2 * 3 + 4 == 10', {}, true],
    ['2 + 3 * 4 == 14', {}, true],
    ['(2 + 3) * 4 == 20', {}, true],
    ['10 - 4 - 3 == 3', {}, true],
    ['7 % 4 == 3', {}, true],
    ["'a' + 'b' + 1 + 2 == 'ab12'", {}, true],
    ["1 + 2 + 'a' == '3a'", {}, true],
    ["('users/' + auth.uid) == 'users/custom:bob'", asBob, true],
    ["root.child('users/' + auth.uid).exists()", {}, 'error'], // [live] 'users/' + null
  ]);
});

describe('comparison operators: two numbers or two strings', () => {
  table([
    ['1 >= auth.someInt', asBob, true], // [live]
    ['2 > auth.someInt', asBob, true], // [live]
    ['1 <= auth.someInt', asBob, true], // [live]
    ['0 < auth.someInt', asBob, true], // [live]
    ["'a' < 'b'", {}, true],
    ["'b' <= 'a'", {}, false],
    ["'abc' > 'abd'", {}, false],
    ["'foo' > auth.foo", {}, 'error'], // [live] string vs null
    ["auth.foo <= 'foo'", {}, 'error'], // [live]
    ["'one' > auth.someInt", asBob, 'error'], // [live] string vs number
    ["auth.someInt >= 'one'", asBob, 'error'], // [live]
    ['newData.val() > data.val()', { data: { '.value': 1 }, newData: 2 }, true],
    ['newData.val() < now', { newData: 5, now: 10 }, true],
  ]);
});

describe('logical operators, negation and ternary', () => {
  table([
    ['true && true', {}, true],
    ['true && false', {}, false],
    ['false || true', {}, true],
    ['false || false', {}, false],
    ['!false', {}, true],
    ['!true', {}, false],
    ['!!true', {}, true],
    ['false && auth.dreams.length > 1', {}, false], // short-circuit: the right side never runs
    ['true || auth.dreams.length > 1', {}, true],
    ['auth.dreams.length > 1 || true', {}, 'error'], // a runtime error is not rescued by ||
    ['auth.dreams.length > 1 ? false : true', {}, 'error'], // [live]
    ['!(auth.dreams.length > 1)', {}, 'error'], // [live]
    ["auth.isTernary === true ? root.child('x').exists() : true", asBob, true], // [live]
    ['true ? false : true', {}, false],
    ['false ? false : true', {}, true],
    ['true || false && false', {}, true], // && binds tighter than ||
    ['auth.someBool && true', asBob, true],
    ['auth.someString && true', asBob, 'error'], // && needs booleans at run time
    ['auth.someInt ? true : false', asBob, 'error'],
    ['!auth.someString', asBob, 'error'],
    ['auth.someBool', asBob, true],
    ['auth.someString', asBob, 'error'], // a rule that does not produce a boolean fails
  ]);
});

describe('RuleDataSnapshot methods', () => {
  const data = {
    users: { bob: { name: 'Bob', age: 30, admin: true, '.priority': 5 }, eve: { name: 'Eve' } },
    str: 'hello',
    num: 1.5,
    flag: false,
    banned: { 'bob@example.com': true },
  };
  const at = (path: string[], extra: ExpressionEnv = {}): ExpressionEnv => ({ data, path, ...extra });
  table([
    ["root.child('str').val() == 'hello'", { data }, true],
    ["root.child('users/bob/name').val() == 'Bob'", { data }, true], // multi-segment child path
    ["root.child('users').child('bob').child('age').val() == 30", { data }, true],
    ["root.child('users/').child('/bob/').exists()", { data }, true], // empty segments ignored
    ["root.child('nothing/here').val() == null", { data }, true],
    ["root.child('users').val() != null", { data }, true], // sentinel, not null
    ["data.child('name').val() == 'Bob'", at(['users', 'bob']), true],
    ["data.parent().child('eve/name').val() == 'Eve'", at(['users', 'bob']), true],
    ['data.parent().parent().parent().exists()', at(['users', 'bob']), 'error'], // root.parent() is null
    ['root.parent().exists()', {}, 'error'], // [live]
    ["root.hasChild('users/bob')", { data }, true],
    ["root.hasChild('users/carol')", { data }, false],
    ["root.hasChild('banned/' + 'bob@example.com')", { data }, true],
    ["root.hasChild('banned/' + auth.uid) == false", { auth: { uid: 'bob@example.com' } }, true], // [live]
    ["root.child('banned/' + auth.uid).val() != true", { auth: { uid: 'bob@example.com' } }, true], // [live]
    ["data.hasChildren(['name', 'age'])", at(['users', 'bob']), true],
    ["data.hasChildren(['name', 'email'])", at(['users', 'bob']), false],
    ['data.hasChildren()', at(['users', 'bob']), true],
    ['data.hasChildren()', at(['str']), false],
    ['root.hasChildren()', {}, false], // [live]
    ["root.hasChildren(['foo', 'bar', 'baz'])", {}, false], // [live]
    ['root.hasChildren([auth.uid])', {}, 'error'], // [live] null in the list
    ["root.child('foo').hasChild(auth.foo)", { data: { foo: { bar: true } } }, 'error'], // [live]
    ["root.child('foo').child(auth.foo).exists()", { data: { foo: { bar: true } } }, 'error'], // [live]
    ['root.child(auth.someString.toUpperCase()).val() === null', {}, 'error'], // [live]
    ["root.child('a.b').exists()", {}, false], // a key the database cannot store just has no data
    ['data.exists()', at(['users', 'bob']), true],
    ['data.exists()', at(['users', 'nobody']), false],
    ["root['exists']() == true", { data }, true], // [live] a literal computed method name
    ["root.child('users/bob').getPriority() == 5", { data }, true],
    ["root.child('users/eve').getPriority() == null", { data }, true],
    ["root.child('num').isNumber()", { data }, true],
    ["root.child('str').isNumber()", { data }, false],
    ["root.child('str').isString()", { data }, true],
    ["root.child('users').isString()", { data }, false],
    ["root.child('flag').isBoolean()", { data }, true],
    ['root.isBoolean()', {}, false], // [live]
    ["root.child('flag').val() === false", { data }, true],
    ["root.child('str').val().length == 5", { data }, true],
    ['root.child("foo").val().length < 100', { data: { foo: '' } }, true], // [live]
    ["root.child('users').val().length == 1", { data }, 'error'], // the sentinel has no length
    ["root.child('missing').val().length == 0", { data }, 'error'], // [live] length of null
    ["root.val() == 'bar'", { data: 'bar' }, true], // [live]
  ]);
});

describe('newData, data and root in writes', () => {
  const before = { users: { bob: { name: 'Bob' } }, counter: 1 };
  const after = { users: { bob: { name: 'Robert' } }, counter: 2 };
  table([
    ["newData.child('name').val() == 'Robert'", { data: before, newData: after, path: ['users', 'bob'] }, true],
    ["data.child('name').val() == 'Bob'", { data: before, newData: after, path: ['users', 'bob'] }, true],
    ["root.child('counter').val() == 1", { data: before, newData: after }, true],
    [
      "newData.parent().child('bob/name').val() == 'Robert'",
      { data: before, newData: after, path: ['users', 'bob'] },
      true,
    ],
    ['newData.val() == data.val() + 1', { data: before, newData: after, path: ['counter'] }, true],
    ['newData.exists()', { data: before, newData: { users: null }, path: ['users'] }, false],
  ]);
});

describe('string methods and properties', () => {
  table([
    ["'hello'.length == 5", {}, true],
    ["''.length == 0", {}, true],
    ["'hello'.contains('ell')", {}, true],
    ["'hello'.contains('xyz')", {}, false],
    ["'hello'.beginsWith('he')", {}, true],
    ["'hello'.beginsWith('lo')", {}, false],
    ["'hello'.endsWith('lo')", {}, true],
    ["'hello'.endsWith('he')", {}, false],
    ["'a.b.c'.replace('.', '%2E') == 'a%2Eb%2Ec'", {}, true], // replaces every occurrence
    ["'Hello'.toLowerCase() == 'hello'", {}, true],
    ["'Hello'.toUpperCase() == 'HELLO'", {}, true],
    ["'foo'.contains(auth.foo)", {}, 'error'], // [live] null argument
    ["'foo1'.contains(auth.someInt)", asBob, 'error'], // [live] number argument
    ["'foo'.beginsWith(auth.foo)", {}, 'error'], // [live]
    ["'foo1'.endsWith(auth.someInt)", asBob, 'error'], // [live]
    ["'foo'.replace(auth.foo, 'bar') == 'foo'", {}, 'error'], // [live]
    ["'foobar'.replace('bar', auth.someInt) == 'foo1'", asBob, 'error'], // [live]
    ["auth.contains('75')", {}, 'error'], // [live] a string method on null
    ["auth.notfound.contains('75')", asBob, 'error'], // [live]
    ['auth.not.found.length > 0', asBob, 'error'], // [live]
    ['auth.someString["contains"]("on") == true', asBob, true], // [live]
    ["auth.uid.beginsWith('custom:')", asBob, true],
    ["auth.token.email.endsWith('@example.com')", { auth: { token: { email: 'a@example.com' } } }, true],
    ['auth.foo.length > 0', asBob, 'error'], // length of an object
  ]);
});

describe('matches() with regular expression literals', () => {
  const data = { foo: 'bar', date: '2024-05-01', email: 'Ann@Example.com' };
  table([
    ["root.child('foo').val().matches(/bar/)", { data }, true], // [live]
    ["root.child('foo').val().matches(/BAR/i)", { data }, true], // [live]
    ["root.child('foo').val().matches(/^ba/)", { data }, true], // [live]
    ["root.child('foo').val().matches(/^wa/)", { data }, false], // [live]
    [
      "root.child('date').val().matches(/^(19|20)[0-9][0-9][-\\/. ](0[1-9]|1[012])[-\\/. ](0[1-9]|[12][0-9]|3[01])$/)",
      { data },
      true,
    ], // reference example
    ["root.child('email').val().matches(/^[A-Z0-9._%+-]+@[A-Z0-9.-]+\\.[A-Z]{2,4}$/i)", { data }, true],
    ["root.child('missing').val().matches(/x/)", { data }, 'error'],
    ["'a/b'.matches(/a[/]b/)", {}, true], // a slash inside a class does not end the literal
    ["'a/b'.matches(/a\\/b/)", {}, true],
  ]);
});

describe('the query variable (wire query object → query.*)', () => {
  table([
    ['query.orderByChild == null', { kind: '.read' }, true], // [live]
    [
      'query.orderByKey == true && query.orderByValue == false && query.orderByPriority == false',
      { kind: '.read' },
      true,
    ], // [live] a read without query
    [
      'query.orderByKey != null && query.orderByValue != null && query.orderByPriority != null',
      { kind: '.read' },
      true,
    ], // [live]
    ['query.startAt == null && query.endAt == null && query.equalTo == null', { kind: '.read' }, true], // [live]
    ['query.limitToLast == null && query.limitToFirst == null', { kind: '.read' }, true], // [live]
    ["query.orderByChild == 'foo/bar'", { kind: '.read', query: { i: 'foo/bar' } }, true], // [live]
    [
      "query.orderByChild == 'owner' && query.equalTo == auth.uid",
      { kind: '.read', auth: { uid: 'u1' }, query: { i: 'owner', sp: 'u1', sin: true, ep: 'u1', ein: true } },
      true,
    ], // docs example
    ['query.orderByValue == true && query.orderByKey == false', { kind: '.read', query: { i: '.value' } }, true], // [live]
    ["query.orderByKey && query.startAt == 'k5'", { kind: '.read', query: { i: '.key', sp: 'k5', sin: false } }, true],
    ['query.orderByPriority', { kind: '.read', query: { sp: null, sin: true, ep: 'm', ein: true } }, true],
    ["query.startAt == 'foo'", { kind: '.read', query: { i: '.value', sp: 'foo', sin: true } }, true], // [live]
    ['query.endAt == 3 && query.startAt == null', { kind: '.read', query: { i: '.value', ep: 3, ein: true } }, true], // [live]
    [
      'query.equalTo == true',
      { kind: '.read', query: { i: '.value', sp: true, sin: true, ep: true, ein: true } },
      true,
    ], // [live]
    ['query.equalTo == null', { kind: '.read', query: { i: 'a', sp: 1, sin: true, ep: 2, ein: true } }, true],
    ['query.limitToLast == 10', { kind: '.read', query: { i: '.value', l: 10, vf: 'r' } }, true], // [live]
    ['query.limitToFirst <= 1000', { kind: '.read', query: { l: 50, vf: 'l' } }, true], // docs example
    ['query.limitToFirst <= 1000', { kind: '.read', query: { l: 50, vf: 'r' } }, 'error'], // null <= 1000
  ]);
});
