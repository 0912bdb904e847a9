/**
 * The rules each namespace runs: the default (`--rules`, or a reload of it) for every namespace
 * without its own, a namespace's own (`PUT /.settings/rules.json?ns=`) until it is replaced.
 */
import type { Caller } from '../database/access';
import type { ListenSink } from '../database';
import { NamespaceRegistry } from '../database';
import { createServerLog } from '../log';
import { isRulesError } from './errors';
import { OPEN_RULES_SOURCE, RulesRegistry } from './registry';

const bob: Caller = { kind: 'user', auth: { uid: 'bob' } };
const PUBLIC_ONLY = JSON.stringify({ rules: { public: { '.read': true, '.write': true } } });
const NOTHING = JSON.stringify({ rules: {} });

function setup(): { rules: RulesRegistry } {
  const registry = new NamespaceRegistry({ clock: { now: () => 1_000 } });
  return { rules: new RulesRegistry(registry, createServerLog(undefined, { quiet: true, debug: false }), false) };
}

function recordingSink(): ListenSink & { events: string[] } {
  const events: string[] = [];
  return { events, data: (path) => events.push(`data /${path.join('/')}`), revoked: () => events.push('revoked') };
}

const denied = (write: () => void): boolean => {
  try {
    write();
    return false;
  } catch (error) {
    return (error as { code?: string }).code === 'permission_denied';
  }
};

test('without rules every namespace is open, and says so', () => {
  const { rules } = setup();
  rules.database('a').set(bob, ['x'], 1);
  expect(rules.rulesSource('a')).toBe(OPEN_RULES_SOURCE);
});

test('new default rules apply to existing and new namespaces and revoke listens they no longer allow', () => {
  const { rules } = setup();
  const sink = recordingSink();
  rules.database('old').listen(bob, ['private'], undefined, sink);
  rules.setDefaultRules(PUBLIC_ONLY);
  expect(sink.events).toEqual(['data /private', 'revoked']);
  expect(denied(() => rules.database('new').set(bob, ['private'], 1))).toBe(true);
  expect(rules.rulesSource('new')).toBe(PUBLIC_ONLY);
});

test("a namespace's own rules survive a new default; invalid rules change nothing", () => {
  const { rules } = setup();
  rules.putRules('own', NOTHING);
  rules.setDefaultRules(PUBLIC_ONLY);
  expect(rules.rulesSource('own')).toBe(NOTHING);
  expect(denied(() => rules.database('own').set(bob, ['public'], 1))).toBe(true);
  expect(() => rules.setDefaultRules('{ "rules": { ".read": "nope(" } }')).toThrow();
  expect(() => rules.putRules('own', '{')).toThrow(expect.objectContaining({ code: 'invalid_rules' }));
  let caught: unknown;
  try {
    rules.putRules('own', '{');
  } catch (error) {
    caught = error;
  }
  expect(isRulesError(caught)).toBe(true);
  expect(rules.rulesSource('own')).toBe(NOTHING);
  expect(rules.rulesSource('other')).toBe(PUBLIC_ONLY);
});
