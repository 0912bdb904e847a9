/**
 * The router's pure pieces, table-driven: credentials → auth (§9), REST query parameters → the wire
 * query (§5.2), CLI flags, push ids.
 */
import { DatabaseError } from '../errors';
import { authVariableFromClaims, callerFromCredential, decodeJwtClaims, restCredential } from './auth-token';
import { CliUsageError, parseCliArgs } from './cli-args';
import { stripJsonComments } from './json-comments';
import { PushIdGenerator } from './push-id';
import { plainValue, restQueryParams, shallowValue } from './rest-query';

const jwt = (claims: object): string =>
  `${Buffer.from('{"alg":"none","type":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`;

describe('credentials', () => {
  test('a mock ID token becomes auth {uid, provider, token: every claim}, unverified and expired', () => {
    const claims = {
      sub: 'alice',
      user_id: 'alice',
      iat: 0,
      exp: 3600,
      firebase: { sign_in_provider: 'custom' },
      role: 'x',
    };
    expect(callerFromCredential(jwt(claims))).toEqual({
      kind: 'user',
      auth: { uid: 'alice', provider: 'custom', token: claims },
    });
    expect(authVariableFromClaims({ user_id: 'bob' })).toEqual({ uid: 'bob', token: { user_id: 'bob' } });
  });

  test.each<[string, unknown, unknown, unknown]>([
    ['owner', undefined, undefined, { kind: 'owner' }],
    ['owner', { uid: 'svc' }, undefined, { kind: 'user', auth: { uid: 'svc' } }],
    ['owner', undefined, true, { kind: 'user', auth: null }],
  ])('gauth %s authvar=%j noauth=%j', (cred, authvar, noauth, expected) => {
    expect(callerFromCredential(cred, authvar, noauth)).toEqual(expected);
  });

  test('anything else is invalid_token', () => {
    for (const bad of ['not-a-token', 'a.b.c', `x.${Buffer.from('[1]').toString('base64url')}.`]) {
      expect(() => callerFromCredential(bad)).toThrow(DatabaseError);
    }
    expect(decodeJwtClaims('a.%%%.c')).toBeNull();
  });

  test('REST: auth= wins over the Bearer header', () => {
    expect(restCredential('owner', 'Bearer x')).toBe('owner');
    expect(restCredential(null, 'Bearer  tok ')).toBe('tok');
    expect(restCredential(null, 'Basic abc')).toBeNull();
    expect(restCredential(null, undefined)).toBeNull();
  });
});

describe('REST query parameters', () => {
  const q = (query: string): unknown => restQueryParams(new URLSearchParams(query));
  test.each<[string, unknown]>([
    ['', undefined],
    ['orderBy="$key"&startAt="b"', { i: '.key', sp: 'b', sin: true }],
    ['orderBy="$key"&startAfter="b"&endBefore="d"', { i: '.key', sp: 'b', sin: false, ep: 'd', ein: false }],
    ['orderBy="$value"&equalTo=3', { i: '.value', sp: 3, sin: true, ep: 3, ein: true }],
    ['orderBy="age"&startAfter=5&limitToLast=3', { i: 'age', sp: 5, sin: false, sn: '[MAX_NAME]', l: 3, vf: 'r' }],
    ['orderBy="age"&endBefore=10&limitToFirst=2', { i: 'age', ep: 10, ein: false, en: '[MIN_NAME]', l: 2, vf: 'l' }],
    ['orderBy="$priority"&startAt=null', { sp: null, sin: true }],
    ['limitToFirst=1', { l: 1, vf: 'l' }],
  ])('%s', (query, expected) => {
    expect(q(query)).toEqual(expected);
  });

  test.each([
    'startAt=1',
    'orderBy=$key',
    'orderBy=""',
    'orderBy="a"&limitToFirst=0',
    'orderBy="a"&limitToFirst=1.5',
    'orderBy="a"&startAt=[1]',
    'orderBy="a"&equalTo=1&startAt=1',
    'limitToFirst=1&limitToLast=1',
  ])('400 for %s', (query) => {
    expect(() => q(query)).toThrow(expect.objectContaining({ code: 'invalid_query' }));
  });

  test('shallow and plain conversions', () => {
    expect(shallowValue({ a: { b: 1 }, c: 2, '.priority': 1 })).toEqual({ a: true, c: true });
    expect(shallowValue({ '.value': 5, '.priority': 1 })).toBe(5);
    expect(shallowValue(null)).toBeNull();
    expect(plainValue({ a: { '.value': 1, '.priority': 2 }, b: { c: 1, '.priority': 'x' }, '.priority': 3 })).toEqual({
      a: 1,
      b: { c: 1 },
    });
  });
});

describe('CLI flags', () => {
  test('defaults and every flag, in both --flag value and --flag=value forms', () => {
    expect(parseCliArgs([])).toEqual({ host: '127.0.0.1', port: 9000, explainDenials: false, help: false });
    expect(
      parseCliArgs([
        '--host',
        '0.0.0.0',
        '--port=0',
        '--rules',
        'r.json',
        '--project',
        'demo-x',
        '--import=i.json',
        '--export-on-exit',
        'e.json',
        '--explain-denials',
      ]),
    ).toEqual({
      host: '0.0.0.0',
      port: 0,
      rulesFile: 'r.json',
      project: 'demo-x',
      importFile: 'i.json',
      exportOnExit: 'e.json',
      explainDenials: true,
      help: false,
    });
    expect(parseCliArgs(['-h']).help).toBe(true);
  });

  test.each<[string[], RegExp]>([
    [['--bogus'], /Unknown option --bogus/],
    [['--port'], /--port needs a value/],
    [['--port', 'x'], /--port must be an integer/],
    [['--port', '70000'], /--port must be an integer/],
    [['--rules', '--port', '1'], /--rules needs a value/],
    [['--project', 'Bad Id'], /--project must be a project id/],
  ])('%j → %s', (argv, message) => {
    expect(() => parseCliArgs(argv)).toThrow(CliUsageError);
    expect(() => parseCliArgs(argv)).toThrow(message);
  });
});

describe('push ids and rules comments', () => {
  test('push ids are 20 characters and sort in creation order, also within one millisecond', () => {
    const generator = new PushIdGenerator({ now: () => 1_700_000_000_000 });
    const ids = Array.from({ length: 100 }, () => generator.next());
    expect(ids.every((id) => /^[-0-9A-Za-z_]{20}$/.test(id))).toBe(true);
    expect([...ids].sort()).toEqual(ids);
  });

  test('comments are stripped outside strings only', () => {
    expect(JSON.parse(stripJsonComments('{ // c\n "a": "// not a comment", /* b */ "b": 1 }'))).toEqual({
      a: '// not a comment',
      b: 1,
    });
  });
});
