/**
 * Credentials → the rules `auth` variable (docs/wire-protocol.md §9), table-driven.
 */
import { DatabaseError } from '../errors';
import { authVariableFromClaims, callerFromCredential, decodeJwtClaims, restCredential } from './credentials';

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
