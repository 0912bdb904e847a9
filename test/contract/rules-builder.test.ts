/**
 * The rules builder (contract/src/rules): the expression builder prints what it means (precedence,
 * navigation), each named piece evaluates to what its name says (judged by our emulator's rules
 * evaluator), bad options are refused with a code and the option's name, and the generated file is
 * valid rules for every option set, commented above every rule.
 */
import { DEFAULT_PATHS, PING_DEADLINE_MS, STALE_AFTER_MS } from '../../contract/src/index';
import { parseJsoncValue } from '../../contract/src/merge/jsonc';
import {
  EXAMPLE_APP_DATA_PATH,
  RULES_OPTIONS_ERROR_CODE,
  buildRules,
  isRulesOptionsError,
  renderRulesFile,
  standaloneRules,
  toRulesJson,
} from '../../contract/src/rules';
import type { RulesOptionsInput } from '../../contract/src/rules';
import {
  At,
  type Expr,
  and,
  cond,
  data,
  eq,
  identifier,
  minus,
  named,
  not,
  num,
  or,
  plus,
} from '../../contract/src/rules/expr';
import * as pieces from '../../contract/src/rules/pieces';
import { compileRules } from '../../emulator/src/rules';
import { evaluateExpression } from '../../emulator/src/rules/harness.test-support';

const a = identifier('a');
const b = identifier('b');
const c = identifier('c');

describe('expressions print with the parentheses their structure needs', () => {
  test.each<[string, Expr, string]>([
    ['&& chains flatten', and(a, and(b, c)), 'a && b && c'],
    ['|| inside && is grouped', and(a, or(b, c)), 'a && (b || c)'],
    ['&& inside || is grouped for the reader', or(and(a, b), c), '(a && b) || c'],
    ['a conditional operand is grouped', plus(cond(a, b, c), num(1)), '(a ? b : c) + 1'],
    ['subtraction keeps its right operand grouped', minus(a, minus(b, c)), 'a - (b - c)'],
    ['! of a call needs nothing', not(data.exists()), '!data.exists()'],
    ['! of a conjunction is grouped', not(and(a, b)), '!(a && b)'],
    ['== binds looser than +', eq(a, plus(b, num(1))), 'a == b + 1'],
  ])('%s', (_name, expr, text) => {
    expect(expr.text).toBe(text);
  });

  test('a named piece keeps its text and shows its name in the formula', () => {
    const expr = and(a, named('both', or(b, c)));
    expect(expr.text).toBe('a && (b || c)');
    expect(expr.formula).toBe('a && both');
  });
});

describe('At navigates from a rule location to another node', () => {
  const uid = identifier('$uid');
  test.each<[string, At, 'data' | 'newData' | 'root', Array<string | Expr>, string]>([
    ['itself', new At(['presence', uid, 'count']), 'data', ['presence', uid, 'count'], 'data'],
    ['a sibling', new At(['presence', uid, 'op']), 'data', ['presence', uid, 'count'], "data.parent().child('count')"],
    [
      'a cousin',
      new At(['presence', uid, 'devices', identifier('$deviceId')]),
      'newData',
      ['presence', uid, 'op'],
      "newData.parent().parent().child('op')",
    ],
    [
      'another root (there is no newRoot)',
      new At(['presenceEvents', uid, identifier('$eventId')]),
      'newData',
      ['presence', uid],
      "newData.parent().parent().parent().child('presence').child($uid)",
    ],
    ['from root', new At(['appData', uid]), 'root', ['presence', uid], "root.child('presence').child($uid)"],
  ])('%s', (_name, at, base, target, text) => {
    expect(at[base](target).expr.text).toBe(text);
  });
});

describe('each named piece means what its name says', () => {
  const now = 1_000_000_000_000;
  const user = (presence: unknown) => ({ presence: { u1: presence } });
  const entry = (lastSeen: number) => ({ claimedAt: 1, lastSeen, generation: 0, platform: 'web', label: 'x' });
  const at = new At(['presence', identifier('$uid'), 'count']);
  const op = pieces.opValue(at.newData(['presence', identifier('$uid'), 'op']));
  const devices = (snap: 'data' | 'newData') => at[snap](['presence', identifier('$uid'), 'devices', op]);
  const entryAt = new At(['presence', identifier('$uid'), 'evicted', identifier('$deviceId')]);
  const swept = entryAt.data(['presence', identifier('$uid'), 'devices', identifier('$deviceId')]);
  const ping = entryAt.data(['presence', identifier('$uid'), 'ping']);

  test.each<[string, Expr, Record<string, unknown>, boolean]>([
    ['isOwner: the owner', pieces.isOwner(identifier('$uid')), { auth: { uid: 'u1' } }, true],
    ['isOwner: another user', pieces.isOwner(identifier('$uid')), { auth: { uid: 'u2' } }, false],
    ['isOwner: signed out', pieces.isOwner(identifier('$uid')), { auth: null }, false],
    [
      'entryAppears(op): created by the write',
      pieces.entryAppears(op, devices('data'), devices('newData')),
      { data: user({}), newData: user({ op: 'dev-00001', devices: { 'dev-00001': entry(1) } }) },
      true,
    ],
    [
      'entryAppears(op): already there',
      pieces.entryAppears(op, devices('data'), devices('newData')),
      {
        data: user({ devices: { 'dev-00001': entry(1) } }),
        newData: user({ op: 'dev-00001', devices: { 'dev-00001': entry(1) } }),
      },
      false,
    ],
    [
      'entryDisappears(op): removed by the write',
      pieces.entryDisappears(op, devices('data'), devices('newData')),
      { data: user({ devices: { 'dev-00001': entry(1) } }), newData: user({ op: 'dev-00001' }) },
      true,
    ],
    ['countBefore: absent reads as 0', eq(pieces.countBefore(data), num(0)), { data: user({}) }, true],
    [
      'limitFor: the per-user limit when set',
      eq(pieces.limitFor(identifier('$uid'), at.root(['limits', identifier('$uid')]), 2), num(5)),
      { data: { limits: { u1: 5 } } },
      true,
    ],
    [
      'limitFor: the default otherwise',
      eq(pieces.limitFor(identifier('$uid'), at.root(['limits', identifier('$uid')]), 2), num(2)),
      { data: {} },
      true,
    ],
    [
      'limitFor: the plan claim when there is no override',
      eq(pieces.limitFor(identifier('$uid'), at.root(['limits', identifier('$uid')]), 2), num(7)),
      { auth: { uid: 'u1', token: { deviceLimit: 7 } }, data: {} },
      true,
    ],
    [
      'limitFor: the override before the plan claim',
      eq(pieces.limitFor(identifier('$uid'), at.root(['limits', identifier('$uid')]), 2), num(5)),
      { auth: { uid: 'u1', token: { deviceLimit: 7 } }, data: { limits: { u1: 5 } } },
      true,
    ],
    [
      'hasPlanLimit: an integer in bounds',
      pieces.hasPlanLimit,
      { auth: { uid: 'u1', token: { deviceLimit: 0 } } },
      true,
    ],
    ["hasPlanLimit: a string '3'", pieces.hasPlanLimit, { auth: { uid: 'u1', token: { deviceLimit: '3' } } }, false],
    ['hasPlanLimit: a fraction', pieces.hasPlanLimit, { auth: { uid: 'u1', token: { deviceLimit: 1.5 } } }, false],
    ['hasPlanLimit: above the bound', pieces.hasPlanLimit, { auth: { uid: 'u1', token: { deviceLimit: 101 } } }, false],
    ['hasPlanLimit: a boolean', pieces.hasPlanLimit, { auth: { uid: 'u1', token: { deviceLimit: true } } }, false],
    ['hasPlanLimit: absent', pieces.hasPlanLimit, { auth: { uid: 'u1', token: {} } }, false],
    [
      'passesForceLoginGate: signed in after the cut-off',
      pieces.passesForceLoginGate(at.data(['presence', identifier('$uid'), 'notBefore'])),
      { auth: { uid: 'u1', token: { auth_time: 200 } }, data: user({ notBefore: 100 }) },
      true,
    ],
    [
      'passesForceLoginGate: signed in before the cut-off',
      pieces.passesForceLoginGate(at.data(['presence', identifier('$uid'), 'notBefore'])),
      { auth: { uid: 'u1', token: { auth_time: 99 } }, data: user({ notBefore: 100 }) },
      false,
    ],
    [
      'isStaleEntry: the lease ran out',
      pieces.isStaleEntry(identifier('$deviceId'), swept, ping),
      { data: user({ devices: { 'dev-00001': entry(now - STALE_AFTER_MS - 1) } }), path: 'evicted' },
      true,
    ],
    [
      'isStaleEntry: renewed within the lease and no ping',
      pieces.isStaleEntry(identifier('$deviceId'), swept, ping),
      { data: user({ devices: { 'dev-00001': entry(now - STALE_AFTER_MS + 1) } }), path: 'evicted' },
      false,
    ],
    [
      'isStaleEntry: did not answer a ping past its deadline',
      pieces.isStaleEntry(identifier('$deviceId'), swept, ping),
      {
        data: user({ ping: now - PING_DEADLINE_MS, devices: { 'dev-00001': entry(now - PING_DEADLINE_MS - 1) } }),
        path: 'evicted',
      },
      true,
    ],
    [
      'isStaleEntry: the ping deadline has not passed yet',
      pieces.isStaleEntry(identifier('$deviceId'), swept, ping),
      {
        data: user({ ping: now - PING_DEADLINE_MS + 1, devices: { 'dev-00001': entry(now - PING_DEADLINE_MS) } }),
        path: 'evicted',
      },
      false,
    ],
  ])('%s', (_name, expr, env, expected) => {
    const path = env.path === 'evicted' ? ['presence', 'u1', 'evicted', 'dev-00001'] : ['presence', 'u1', 'count'];
    const wildcards: Record<string, string> =
      env.path === 'evicted' ? { $uid: 'u1', $deviceId: 'dev-00001' } : { $uid: 'u1' };
    const result = evaluateExpression(expr.text, {
      auth: 'auth' in env ? (env.auth as Record<string, unknown> | null) : { uid: 'u1' },
      data: env.data,
      ...(env.newData !== undefined ? { newData: env.newData } : {}),
      path,
      wildcards,
      now,
    });
    expect(result).toBe(expected);
  });
});

describe('options', () => {
  test.each<[string, RulesOptionsInput, string, RegExp]>([
    [
      'a path with a slash',
      { paths: { presence: 'a/b' } },
      'paths.presence',
      /--presence-path must be one database key/,
    ],
    ['a wildcard as a path', { paths: { limits: '$x' } }, 'paths.limits', /--limits-path/],
    ['two roles on one path', { paths: { limits: 'presence' } }, 'paths', /"presence" is used twice/],
    ['the app data path on one of ours', { appDataPath: 'limits' }, 'paths', /"limits" is used twice/],
    ['a fractional limit', { defaultLimit: 1.5 }, 'defaultLimit', /integer from 0 to 100/],
    ['a limit above the bounds', { defaultLimit: 101 }, 'defaultLimit', /integer from 0 to 100/],
    ['no platforms', { platforms: [] }, 'platforms', /at least one platform/],
    ['a platform that is not a word', { platforms: ['web', 'a|b'] }, 'platforms', /"a\|b" is not a platform name/],
    ['a platform twice', { platforms: ['web', 'web'] }, 'platforms', /lists "web" twice/],
  ])('refused: %s', (_name, input, option, message) => {
    let caught: unknown;
    try {
      buildRules(input);
    } catch (error) {
      caught = error;
    }
    expect(isRulesOptionsError(caught)).toBe(true);
    expect(caught).toMatchObject({ code: RULES_OPTIONS_ERROR_CODE, option });
    expect((caught as Error).message).toMatch(message);
  });

  test('the defaults are the contract constants', () => {
    const { options } = buildRules();
    expect(options.paths).toEqual(DEFAULT_PATHS);
    expect(options.defaultLimit).toBe(2);
    expect(options).not.toHaveProperty('appDataPath');
  });
});

describe('the generated file', () => {
  const variants: Array<[string, RulesOptionsInput]> = [
    ['defaults, with the example app path', { appDataPath: EXAMPLE_APP_DATA_PATH }],
    ['defaults, without it', {}],
    [
      'custom paths, limit and platforms',
      {
        paths: { presence: 'dl_presence', limits: 'dl_limits', presenceEvents: 'dl_events' },
        defaultLimit: 5,
        platforms: ['web', 'tv'],
      },
    ],
  ];

  test.each(variants)('%s: valid rules for the emulator, and exactly the built rules', (_name, input) => {
    const text = renderRulesFile(input);
    expect(() => compileRules(text)).not.toThrow();
    expect(parseJsoncValue(text)).toEqual({ rules: toRulesJson(standaloneRules(buildRules(input))) });
  });

  test.each(variants)('%s: a comment above every rule', (_name, input) => {
    const lines = renderRulesFile(input).split('\n');
    const rules = lines.flatMap((line, i) => (/^\s*"\.(read|write|validate)":/.test(line) ? [i] : []));
    expect(rules.length).toBeGreaterThan(10);
    const bare = rules.filter((i) => !/^\s*\/\/ /.test(lines[i - 1] ?? ''));
    expect(bare.map((i) => lines[i])).toEqual([]);
  });

  test('custom options reach every place that names them', () => {
    const rules = toRulesJson(
      standaloneRules(
        buildRules({
          paths: { presence: 'dl_presence', limits: 'dl_limits', presenceEvents: 'dl_events' },
          defaultLimit: 5,
          platforms: ['web', 'tv'],
        }),
      ),
    );
    expect(Object.keys(rules)).toEqual(['.read', '.write', 'dl_presence', 'dl_limits', 'dl_events', 'shardEpoch']);
    const text = JSON.stringify(rules);
    expect(text).toContain("root.child('dl_limits').child($uid).val() : 5)");
    expect(text).toContain("root.child('dl_presence').child($uid).child('devices')");
    expect(text).toContain('/^(web|tv)$/');
    expect(text).not.toMatch(/'presence'|'limits'/);
  });
});
