/**
 * Explain denials (the rule path, the expression that decided and the values it saw) and rules
 * coverage (per expression: evaluations and true/false/error counts).
 */
import { nodeFromJSON } from '../database/node';
import { type Rules, judgeRead as read, judgeWrite as write } from './harness.test-support';
import { compileRules } from './index';

const alice = { uid: 'alice' };

describe('explain denials: rule path, expression and the values it saw', () => {
  test('a denied read lists every .read tried on the path', () => {
    const decision = read({ '.read': false, users: { $uid: { '.read': 'auth.uid === $uid' } } }, {}, '/users/bob', {
      auth: alice,
    });
    expect(decision).toEqual({
      allowed: false,
      explanation: [
        'read of /users/bob denied: no .read rule at or above it granted access',
        '  /rules/.read: false → false',
        '  /rules/users/$uid/.read: auth.uid === $uid → false',
        '      saw auth.uid = "alice", $uid = "bob"',
      ].join('\n'),
    });
  });

  test('a read with no rule on the path says so', () => {
    expect(read({}, {}, '/x').explanation).toContain('no .read rule applies on this path');
  });

  test('a runtime error is shown with its cause', () => {
    const decision = read({ '.read': "root.child('users/' + auth.uid).exists()" }, {}, '/');
    expect(decision.explanation).toContain(
      '/rules/.read: root.child(\'users/\' + auth.uid).exists() → error: cannot add "users/" and null',
    );
    expect(decision.explanation).toContain('saw auth.uid = null');
  });

  test('a denied write names the descendant nothing grants', () => {
    const decision = write(
      { users: { $uid: { '.write': 'auth.uid === $uid' } } },
      {},
      { '/users': { alice: 1, bob: 2 } },
      alice,
    );
    expect(decision.explanation).toBe(
      [
        'write to /users denied: no .write rule granted access',
        '  /rules/users/$uid/.write: auth.uid === $uid → false',
        '      saw auth.uid = "alice", $uid = "bob"',
        '  no .write rule at or below /users grants the change at /users/bob',
      ].join('\n'),
    );
  });

  test('a failed validation names the rule and the location', () => {
    const rules = {
      '.write': true,
      items: { $id: { price: { '.validate': 'newData.isNumber() && newData.val() > 0' } } },
    };
    const decision = write(rules, {}, { '/items/i1': { price: -5 } });
    expect(decision.explanation).toBe(
      [
        'write to /items/i1 denied: new data failed .validate',
        '  /rules/items/$id/price/.validate (at /items/i1/price): newData.isNumber() && newData.val() > 0 → false',
        '      saw newData.isNumber() = true, newData.val() = -5',
      ].join('\n'),
    );
  });
});

test('a denial on a deep path explains at most 20 rules', () => {
  let rules: Rules = { '.read': false };
  for (let i = 0; i < 25; i++) rules = { '.read': false, k: rules };
  const decision = read(rules, {}, '/k'.repeat(25));
  const lines = (decision.explanation as string).split('\n');
  expect(lines.filter((l) => l.startsWith('  /rules')).length).toBe(20);
  expect(lines[lines.length - 1]).toBe('  …');
});

describe('coverage', () => {
  test('counts evaluations and outcomes per expression, and resets', () => {
    const ruleset = compileRules(
      JSON.stringify({
        rules: { '.read': 'auth != null', a: { '.read': 'auth.uid.length > 3' }, b: { '.write': true } },
      }),
    );
    const root = nodeFromJSON(null);
    ruleset.canRead({ auth: null, root, path: ['a'], now: 0 });
    ruleset.canRead({ auth: alice, root, path: ['a'], now: 0 });
    const [top, a, b] = ruleset.coverage().expressions;
    expect(top).toMatchObject({
      path: '/rules/.read',
      expression: 'auth != null',
      evaluations: 2,
      trueCount: 1,
      falseCount: 1,
      errorCount: 0,
    });
    // the second read was granted at the root, so /a/.read ran once: with auth null, an error
    expect(a).toMatchObject({ path: '/rules/a/.read', evaluations: 1, trueCount: 0, falseCount: 0, errorCount: 1 });
    expect(b).toMatchObject({ path: '/rules/b/.write', expression: 'true', evaluations: 0 });
    expect(top?.range).toEqual({ start: { line: 1, column: 20 }, end: { line: 1, column: 31 } }); // JSON.stringify: no spaces
    ruleset.resetCoverage();
    expect(ruleset.coverage().expressions.every((e) => e.evaluations === 0 && e.trueCount === 0)).toBe(true);
  });

  test('explaining a denial does not count in coverage', () => {
    const ruleset = compileRules('{"rules": {".read": "auth != null"}}');
    ruleset.canRead({ auth: null, root: nodeFromJSON(null), path: [], now: 0 });
    expect(ruleset.coverage().expressions[0]).toMatchObject({ evaluations: 1, falseCount: 1 });
  });
});
