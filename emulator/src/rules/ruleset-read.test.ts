/**
 * Table-driven tests of how a ruleset judges reads: cascading `.read`, "rules are not filters",
 * `$wildcards`, queries judged with `query.*`, and the `.indexOn` warning. Cases follow
 * "Understand Firebase Realtime Database Security Rules" and "Use conditions in Realtime Database
 * Security Rules" (query-based rules).
 */
import type { AuthVariable, QueryParams } from '../database/access';
import { nodeFromJSON } from '../database/node';
import { type Rules, judgeRead as read } from './harness.test-support';
import { compileRules } from './index';

const alice = { uid: 'alice' };

describe('.read cascades from the root down; rules are not filters', () => {
  const docsExample = { foo: { '.read': "data.child('baz').val() === true", bar: { '.read': false } } };
  test.each([
    // [case, rules, data, path, auth, allowed]
    ['no rules: denied by default', {}, { a: 1 }, '/a', null, false],
    ['root grant', { '.read': true }, { a: 1 }, '/a/b/c', null, true],
    [
      'a grant at an ancestor cannot be revoked below (docs: foo/bar)',
      docsExample,
      { foo: { baz: true, bar: 1 } },
      '/foo/bar',
      null,
      true,
    ],
    [
      '…and the same read fails when the ancestor rule is false',
      docsExample,
      { foo: { baz: false, bar: 1 } },
      '/foo/bar',
      null,
      false,
    ],
    [
      'a deeper rule cannot grant the parent (docs: records)',
      { records: { rec1: { '.read': true }, rec2: { '.read': false } } },
      {},
      '/records',
      null,
      false,
    ],
    [
      '…but grants its own location',
      { records: { rec1: { '.read': true }, rec2: { '.read': false } } },
      {},
      '/records/rec1',
      null,
      true,
    ],
    [
      '$wildcard: own data only',
      { users: { $uid: { '.read': 'auth.uid === $uid' } } },
      {},
      '/users/alice',
      alice,
      true,
    ],
    [
      '$wildcard: another user denied',
      { users: { $uid: { '.read': 'auth.uid === $uid' } } },
      {},
      '/users/bob',
      alice,
      false,
    ],
    [
      '$wildcard grant covers deeper paths',
      { users: { $uid: { '.read': 'auth.uid === $uid' } } },
      {},
      '/users/alice/a/b',
      alice,
      true,
    ],
    [
      'a named child wins over the $wildcard',
      { rooms: { lobby: { '.read': false }, $room: { '.read': true } } },
      {},
      '/rooms/lobby',
      null,
      false,
    ],
    [
      '$other matches the rest',
      { rooms: { lobby: { '.read': false }, $room: { '.read': true } } },
      {},
      '/rooms/x',
      null,
      true,
    ],
    [
      'data is the node at the rule',
      { docs: { $id: { '.read': "data.child('public').val() == true" } } },
      { docs: { d1: { public: true } } },
      '/docs/d1',
      null,
      true,
    ],
    ['a rule that errors is false', { '.read': 'auth.uid.length > 0' }, {}, '/', null, false],
    [
      '…and a later grant still applies',
      { '.read': 'auth.uid.length > 0', a: { '.read': true } },
      {},
      '/a',
      null,
      true,
    ],
    ['a read of .priority is a read of its node', { a: { '.read': true } }, {}, '/a/.priority', null, true],
  ] as Array<[string, Rules, unknown, string, AuthVariable, boolean]>)('%s', (_, rules, data, path, auth, allowed) => {
    expect(read(rules, data, path, { auth }).allowed).toBe(allowed);
  });
});

describe('queries are judged with query.*', () => {
  const rules = {
    baskets: {
      '.read': "auth.uid != null && query.orderByChild == 'owner' && query.equalTo == auth.uid",
      '.indexOn': 'owner',
    },
    messages: { '.read': 'query.orderByKey && query.limitToFirst <= 1000' },
  };
  test.each([
    [
      'docs: baskets owned by the caller',
      '/baskets',
      { i: 'owner', sp: 'alice', sin: true, ep: 'alice', ein: true },
      true,
    ],
    ['docs: another owner', '/baskets', { i: 'owner', sp: 'bob', sin: true, ep: 'bob', ein: true }, false],
    ['docs: no query', '/baskets', undefined, false],
    ['docs: limited read', '/messages', { i: '.key', l: 1000, vf: 'l' }, true],
    ['docs: over the limit', '/messages', { i: '.key', l: 1001, vf: 'l' }, false],
    ['docs: no limit (null <= 1000 fails)', '/messages', { i: '.key' }, false],
  ] as Array<[string, string, QueryParams | undefined, boolean]>)('%s', (_, path, query, allowed) => {
    expect(read(rules, {}, path, { auth: alice, query }).allowed).toBe(allowed);
  });
});

describe('.indexOn and the no_index warning', () => {
  const rules = { '.read': true, scores: { '.indexOn': ['score', 'a/b'] }, players: { $p: { '.indexOn': 'age' } } };
  test.each([
    ['indexed child', '/scores', { i: 'score' }, undefined],
    ['indexed nested child', '/scores', { i: 'a/b' }, undefined],
    ['unindexed child', '/scores', { i: 'level' }, ['no_index']],
    ['no rules node at the path', '/elsewhere', { i: 'x' }, ['no_index']],
    ['an index under a $wildcard', '/players/p1', { i: 'age' }, undefined],
    ['orderByKey needs no index', '/scores', { i: '.key' }, undefined],
    ['orderByValue: not warned (only orderByChild)', '/scores', { i: '.value' }, undefined],
    ['no query', '/scores', undefined, undefined],
  ] as Array<[string, string, QueryParams | undefined, string[] | undefined]>)('%s', (_, path, query, warnings) => {
    const decision = read(rules, {}, path, { query });
    expect(decision.allowed).toBe(true);
    expect(decision.warnings).toEqual(warnings);
  });

  test('the explanation is the warning the SDK logs', () => {
    expect(read(rules, {}, '/scores', { query: { i: 'level' } }).explanation).toBe(
      'Using an unspecified index. Your data will be downloaded and filtered on the client. ' +
        'Consider adding ".indexOn": "level" at /scores to your security rules for better performance.',
    );
  });

  test('indexWarnings: false turns the warning off', () => {
    const ruleset = compileRules(JSON.stringify({ rules }), { indexWarnings: false });
    const root = nodeFromJSON(null);
    expect(ruleset.canRead({ auth: null, root, path: ['scores'], query: { i: 'level' }, now: 0 })).toEqual({
      allowed: true,
    });
  });
});
