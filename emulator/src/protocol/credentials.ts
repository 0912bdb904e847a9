/**
 * Credentials → the rules `auth` variable (docs/wire-protocol.md §9).
 *
 * DIFFERENCE FROM PRODUCTION (the official emulator makes the same one): ID tokens are decoded
 * WITHOUT checking the signature, the issuer or the expiry. `connectDatabaseEmulator`'s
 * `mockUserToken` is unsigned (`alg: none`) and already expired (`exp: 3600`), and the Auth emulator's
 * tokens are unsigned too.
 */
import { OWNER } from '../database/access';
import type { AuthVariable, Caller } from '../database/access';
import { DatabaseError } from '../errors';
import { OWNER_CREDENTIAL } from './constants';
import { isJsonObject } from './messages';

export const UNAUTHENTICATED: Caller = Object.freeze({ kind: 'user', auth: null });

/** Production's text for a credential it cannot read. */
export const INVALID_TOKEN_MESSAGE = 'Could not parse auth token.';

function invalidToken(): DatabaseError {
  return new DatabaseError('invalid_token', INVALID_TOKEN_MESSAGE);
}

/** The claims of a JWT (`header.payload.signature`, base64url parts), or null if it is not one. */
export function decodeJwtClaims(token: string): Record<string, unknown> | null {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[1]) return null;
  const payload = parts[1];
  if (!/^[A-Za-z0-9\-_=+/]+$/.test(payload)) return null;
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    return isJsonObject(claims) ? claims : null;
  } catch {
    return null;
  }
}

/**
 * The `auth` variable for an ID token's claims: `uid` is `sub` (or `user_id`), `provider` the
 * `firebase.sign_in_provider`, `token` every claim (rules read `auth.token.email`, custom claims …).
 */
export function authVariableFromClaims(claims: Readonly<Record<string, unknown>>): AuthVariable {
  const uid = typeof claims['sub'] === 'string' ? claims['sub'] : claims['user_id'];
  const firebase = claims['firebase'];
  const provider = isJsonObject(firebase) ? firebase['sign_in_provider'] : undefined;
  const auth: Record<string, unknown> = { token: claims };
  if (typeof uid === 'string') auth['uid'] = uid;
  if (typeof provider === 'string') auth['provider'] = provider;
  return auth;
}

/**
 * The caller for a credential as the SDK sends it in `auth`/`gauth` (`{cred, authvar?, noauth?}`)
 * or as REST sends it (`auth=` / `Authorization: Bearer`). `owner` is the admin credential; with
 * firebase-admin's `databaseAuthVariableOverride` it is narrowed to `authvar`, or to
 * unauthenticated with `noauth` (docs/wire-protocol.md §9.1). Throws DatabaseError('invalid_token') for anything else
 * that is not a decodable JWT.
 */
export function callerFromCredential(credential: string, authvar?: unknown, noauth?: unknown): Caller {
  if (credential === OWNER_CREDENTIAL) {
    if (noauth === true) return UNAUTHENTICATED;
    if (authvar !== undefined && authvar !== null) {
      if (!isJsonObject(authvar)) throw new DatabaseError('invalid_token', 'authvar must be an object');
      return { kind: 'user', auth: authvar };
    }
    return OWNER;
  }
  const claims = decodeJwtClaims(credential);
  if (!claims) throw invalidToken();
  return { kind: 'user', auth: authVariableFromClaims(claims) };
}

/** The claims' `exp` (seconds), echoed in the auth reply as the real server does; null when absent. */
export function credentialExpiry(credential: string): number | null {
  const exp = decodeJwtClaims(credential)?.['exp'];
  return typeof exp === 'number' ? exp : null;
}

/**
 * REST: the `auth` query parameter wins over `Authorization: Bearer <token>`; neither means
 * unauthenticated. Firebase Admin's Google OAuth tokens are not accepted as data credentials.
 */
export function restCredential(authParam: string | null, authorization: string | undefined): string | null {
  if (authParam !== null && authParam !== '') return authParam;
  if (!authorization) return null;
  const match = /^Bearer\s+(.+)$/i.exec(authorization.trim());
  return match?.[1] ? match[1].trim() : null;
}

export function restCaller(credential: string | null): Caller {
  return credential === null ? UNAUTHENTICATED : callerFromCredential(credential);
}
