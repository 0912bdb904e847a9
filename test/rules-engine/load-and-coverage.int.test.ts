/**
 * Invalid rules are refused when loaded (`PUT /.settings/rules.json` answers 400 with the rule path
 * and position, which rules-unit-testing throws), and rules coverage is served as JSON and HTML.
 * The coverage endpoints and the message text are ours: the official emulator's differ.
 */
import { assertFails, assertSucceeds } from '@firebase/rules-unit-testing';
import 'firebase/compat/database';
import { emulatorAddress } from '../helpers/emulator';
import { rulesEnvironment } from './environment';

describe('invalid rules are rejected at load with their location', () => {
  test.each([
    [
      { users: { $uid: { '.write': 'auth.uid == $uid; true' } } },
      "/rules/users/$uid/.write: 1:17: Unexpected token ';'",
    ],
    [{ users: { '.read': '$uid == auth.uid' } }, "/rules/users/.read: 1:1: Unknown variable '$uid'"],
    [
      { a: { '.write': 'auth.uid.contains(7)' } },
      '/rules/a/.write: 1:19: contains() expects argument 1 to be a string, but got a number',
    ],
    [
      { a: { '.read': "'yes'" } },
      '/rules/a/.read: 1:1: Rule must evaluate to a boolean, but this expression is a string',
    ],
    [{ a: { '.wirte': true } }, "/rules/a/.wirte: unknown rule type '.wirte'"],
  ])('%j', async (rules, message) => {
    await expect(rulesEnvironment(rules)).rejects.toThrow(message);
  });

  test('comments and multi-line strings are accepted', async () => {
    const env = await rulesEnvironment(`{
      // who may read
      "rules": { ".read": "auth != null &&
                           auth.uid.length > 0" /* a multi-line expression */ }
    }`);
    try {
      await assertSucceeds(env.authenticatedContext('alice').database().ref('x').get());
      await assertFails(env.unauthenticatedContext().database().ref('x').get());
    } finally {
      await env.cleanup();
    }
  });
});

describe('rules coverage', () => {
  test('counts every expression and renders a page', async () => {
    const env = await rulesEnvironment({ '.read': 'auth != null', private: { '.write': 'auth.uid == "admin"' } });
    try {
      await assertSucceeds(env.authenticatedContext('alice').database().ref('x').get());
      await assertFails(env.unauthenticatedContext().database().ref('x').get());
      const { hostAndPort } = emulatorAddress();
      const json = (await (await fetch(`http://${hostAndPort}/.inspect/coverage?ns=${env.projectId}`)).json()) as {
        expressions: Array<{ path: string; evaluations: number; trueCount: number; falseCount: number }>;
      };
      const read = json.expressions.find((e) => e.path === '/rules/.read');
      const write = json.expressions.find((e) => e.path === '/rules/private/.write');
      expect(read).toMatchObject({ evaluations: 2, trueCount: 1, falseCount: 1 });
      expect(write).toMatchObject({ evaluations: 0 });
      const html = await (await fetch(`http://${hostAndPort}/.inspect/coverage.html?ns=${env.projectId}`)).text();
      expect(html).toContain('<title>Realtime Database rules coverage</title>');
      expect(html).toContain('1 never evaluated');
      expect(html).toContain('auth.uid == &#34;admin&#34;');
    } finally {
      await env.cleanup();
    }
  });
});
