/**
 * The ID token of a request: `Authorization: Bearer <token>` (RFC 6750 docs/protocol.md §2.1), verified with the Admin
 * SDK's `verifyIdToken` (https://firebase.google.com/docs/auth/admin/verify-id-tokens). A token the
 * SDK refuses is the client's problem (401: refresh and retry); a failure to check it at all is the
 * server's (DeviceGateUnavailableError), so an outage never makes clients drop good tokens.
 */
import type { DecodedIdToken } from 'firebase-admin/auth';
import { DeviceGateUnavailableError, unauthenticated, type GateRefusal } from './refusal';

/** What the gate needs of the Admin SDK's `Auth`; `getAuth()` fits. */
export interface IdTokenVerifier {
  verifyIdToken(idToken: string): Promise<DecodedIdToken>;
}

const BEARER = /^Bearer +([^\s]+) *$/i;

/** The token of an `Authorization` header, or null when there is none. */
export function bearerToken(header: string | string[] | undefined): string | null {
  const value = Array.isArray(header) ? header[0] : header;
  if (typeof value !== 'string') return null;
  return BEARER.exec(value)?.[1] ?? null;
}

/**
 * `FirebaseAuthError` codes (firebase-admin lib/utils/error.js, `AuthClientErrorCode`) that mean the
 * server could not check the token, rather than that the token is bad: the public keys could not be
 * fetched, the app has no project id or credential, the Auth backend did not answer (in emulator mode
 * verifyIdToken also reads the user, lib/auth/base-auth.js).
 */
const SERVER_SIDE_AUTH_ERRORS: ReadonlySet<string> = new Set([
  'auth/internal-error',
  'auth/invalid-credential',
  'auth/project-not-found',
  'app/network-error',
  'app/network-timeout',
  'app/internal-error',
]);

export type VerifiedToken = { readonly token: DecodedIdToken } | { readonly refusal: GateRefusal };

export async function verifyBearerToken(verifier: IdTokenVerifier, idToken: string | null): Promise<VerifiedToken> {
  if (idToken === null) {
    return { refusal: unauthenticated('Send the Firebase ID token as `Authorization: Bearer <token>`.') };
  }
  try {
    return { token: await verifier.verifyIdToken(idToken) };
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    if (typeof code === 'string' && SERVER_SIDE_AUTH_ERRORS.has(code)) {
      throw new DeviceGateUnavailableError(`The ID token could not be verified (${code}).`, { cause: error });
    }
    if (typeof code === 'string' && code === 'auth/id-token-expired') {
      return { refusal: unauthenticated('The ID token has expired: refresh it and try again.') };
    }
    return {
      refusal: unauthenticated(
        typeof code === 'string' ? `The ID token was not accepted (${code}).` : 'The ID token was not accepted.',
      ),
    };
  }
}
