/**
 * Table-driven tests of how a ruleset judges writes: cascading `.write` (and descendants granting a
 * write to their parent), non-cascading `.validate`, and multi-location updates judged as one write
 * against their final state. Cases follow "Understand Firebase Realtime Database Security Rules".
 */
import type { AuthVariable } from '../database/access';
import { type Rules, judgeWrite as write } from './harness.test-support';

const alice = { uid: 'alice' };

describe('.write cascades, and descendants can grant a write to their parent', () => {
  const userRules = { users: { $uid: { '.write': 'auth.uid === $uid' } } };
  test.each([
    // [case, rules, data, writes, auth, allowed]
    ['no rules: denied by default', {}, {}, { '/a': 1 }, null, false],
    ['root grant', { '.write': true }, {}, { '/a/b': 1 }, null, true],
    ['own node', userRules, {}, { '/users/alice/name': 'A' }, alice, true],
    ['another user', userRules, {}, { '/users/bob/name': 'B' }, alice, false],
    [
      'docs: shallower rules override deeper ones',
      { '.write': 'auth != null', users: { $uid: { '.write': 'auth.uid === $uid' } } },
      {},
      { '/users/bob': 1 },
      alice,
      true,
    ],
    [
      'a false deeper rule does not revoke',
      { a: { '.write': true, b: { '.write': false } } },
      {},
      { '/a/b': 1 },
      null,
      true,
    ],
    [
      'set at the parent, every changed child granted below',
      userRules,
      {},
      { '/users': { alice: { n: 1 } } },
      alice,
      true,
    ],
    [
      'set at the parent, one changed child not granted',
      userRules,
      {},
      { '/users': { alice: { n: 1 }, bob: { n: 2 } } },
      alice,
      false,
    ],
    [
      'set at the parent, an unchanged child needs no grant',
      userRules,
      { users: { bob: { n: 2 } } },
      { '/users': { alice: { n: 1 }, bob: { n: 2 } } },
      alice,
      true,
    ],
    [
      'set at the parent deleting a child that is not granted',
      userRules,
      { users: { bob: { n: 2 } } },
      { '/users': { alice: { n: 1 } } },
      alice,
      false,
    ],
    ['a deleted child that is granted', userRules, { users: { alice: { n: 1 } } }, { '/users': null }, alice, true],
    [
      'a no-op write with no grant is denied',
      userRules,
      { users: { alice: 1 } },
      { '/users': { alice: 1 } },
      alice,
      false,
    ],
    [
      'replacing a leaf by children needs a grant at the leaf',
      { a: { b: { '.write': true } } },
      { a: 5 },
      { '/a': { b: 1 } },
      null,
      false,
    ],
    ['a child with no rules at all', { a: { b: { '.write': true } } }, {}, { '/a': { b: 1, c: 2 } }, null, false],
    ['newData sees the write', { msg: { '.write': "newData.val() == 'hi'" } }, {}, { '/msg': 'hi' }, null, true],
    [
      'data sees the old value (create only)',
      { msg: { '.write': '!data.exists()' } },
      { msg: 'old' },
      { '/msg': 'new' },
      null,
      false,
    ],
    ['docs: write-once', { msg: { '.write': '!data.exists()' } }, {}, { '/msg': 'new' }, null, true],
    [
      'docs: delete only when newData is null',
      { msg: { '.write': '!newData.exists()' } },
      { msg: 'x' },
      { '/msg': null },
      null,
      true,
    ],
    ['setPriority is a write to the node', { a: { '.write': true } }, { a: 1 }, { '/a/.priority': 5 }, null, true],
    ['now: timestamps not in the future', { t: { '.write': 'newData.val() <= now' } }, {}, { '/t': 1000 }, null, true],
    ['now: future timestamp', { t: { '.write': 'newData.val() <= now' } }, {}, { '/t': 1001 }, null, false],
  ] as Array<[string, Rules, unknown, Record<string, unknown>, AuthVariable, boolean]>)(
    '%s',
    (_, rules, data, writes, auth, allowed) => {
      expect(write(rules, data, writes, auth).allowed).toBe(allowed);
    },
  );
});

describe('.validate: every non-null new node, no cascade, not for deletes', () => {
  const rules = {
    '.write': true,
    users: {
      $uid: {
        '.validate': "newData.hasChildren(['name'])",
        name: { '.validate': 'newData.isString() && newData.val().length < 10' },
        age: { '.validate': 'newData.isNumber() && newData.val() >= 0' },
        $other: { '.validate': false },
      },
    },
    counter: { '.validate': 'newData.isNumber() && newData.val() == (data.exists() ? data.val() : 0) + 1' },
  };
  test.each([
    ['valid user', {}, { '/users/a': { name: 'Ann', age: 3 } }, true],
    ['a child fails its own validate', {}, { '/users/a': { name: 'Ann', age: -1 } }, false],
    ['$other: false forbids unknown children', {}, { '/users/a': { name: 'Ann', x: 1 } }, false],
    ['a parent validate fails (name missing)', {}, { '/users/a': { age: 3 } }, false],
    [
      "a write below runs the ancestors' validate with the projected data",
      { users: { a: { name: 'Ann' } } },
      { '/users/a/age': 4 },
      true,
    ],
    ['…and fails when the projected parent is invalid', { users: { a: { age: 1 } } }, { '/users/a/age': 4 }, false],
    ['deleting a node skips its validate', { users: { a: { name: 'Ann', age: 1 } } }, { '/users/a/name': null }, false],
    ['deleting the whole node is not validated', { users: { a: { name: 'Ann' } } }, { '/users/a': null }, true],
    ['deleting a validated child is fine', { users: { a: { name: 'Ann', age: 1 } } }, { '/users/a/age': null }, true],
    ['validate does not cascade: a granted write still needs validation', {}, { '/users/a/name': 5 }, false],
    ['a validate that errors is false', {}, { '/users/a': { name: { deep: 1 } } }, false],
    ['docs: counter increments by one', { counter: 1 }, { '/counter': 2 }, true],
    ['docs: counter jumps', { counter: 1 }, { '/counter': 3 }, false],
    ['unrelated data is not validated', { users: { bad: { x: 1 } } }, { '/counter': 1 }, true],
  ] as Array<[string, unknown, Record<string, unknown>, boolean]>)('%s', (_, data, writes, allowed) => {
    expect(write(rules, data, writes).allowed).toBe(allowed);
  });

  test('.validate alone grants nothing', () => {
    expect(write({ a: { '.validate': true } }, {}, { '/a': 1 }).allowed).toBe(false);
  });
});

describe('a multi-location update is one write, judged against its final state', () => {
  const rules = {
    users: { $uid: { '.write': 'auth.uid === $uid' } },
    usernames: {
      $name: {
        '.write': '!data.exists()',
        '.validate':
          "newData.val() === auth.uid && root.child('users/' + auth.uid).exists() == false && newData.parent().parent().child('users/' + auth.uid + '/username').val() === $name",
      },
    },
  };
  test.each([
    ['both locations granted and consistent', {}, { '/users/alice/username': 'al', '/usernames/al': 'alice' }, true],
    [
      'one location not granted denies the whole update',
      {},
      { '/users/bob/username': 'al', '/usernames/al': 'alice' },
      false,
    ],
    [
      'validation sees the other location of the same update',
      {},
      { '/users/alice/username': 'other', '/usernames/al': 'alice' },
      false,
    ],
    ['a taken name', { usernames: { al: 'bob' } }, { '/users/alice/username': 'al', '/usernames/al': 'alice' }, false],
  ] as Array<[string, unknown, Record<string, unknown>, boolean]>)('%s', (_, data, writes, allowed) => {
    expect(write(rules, data, writes, alice).allowed).toBe(allowed);
  });
});
