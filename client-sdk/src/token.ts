/**
 * What the session reads from the user's ID token besides `auth_time`: the plan limit, the custom
 * claim `deviceLimit` (docs/protocol.md §11.1), read exactly as the rules and the functions read it.
 */
import { planLimitFromClaims } from '@device-limit/contract';
import type { DeviceSessionUser } from './session-api';

/**
 * The plan limit of the user's current ID token, or null when it carries none (or the user object
 * has no token, e.g. `{ uid }`). `getIdTokenResult()` answers from the cached token and refreshes it
 * only when it expired, so calling this at every lease renewal costs nothing extra.
 */
export async function planLimitOf(user: DeviceSessionUser): Promise<number | null> {
  if (!user.getIdTokenResult) return null;
  const { claims } = await user.getIdTokenResult();
  return planLimitFromClaims(claims);
}
