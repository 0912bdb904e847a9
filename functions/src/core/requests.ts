/**
 * Sign-in requests on the server (docs/protocol.md §11.4): the server answers none (an active device
 * does), but its transactions drop requests older than REQUEST_TTL_MS, answered or not, as they drop
 * old eviction notices (docs/protocol.md §5), so a user's request slots do not fill with stale ones. Pure.
 */
import { REQUEST_TTL_MS } from '@device-limit/contract';
import { isJsonObject, type JsonObject } from './presence';

/** The requests of `current` that have not expired at `now`; a request without a numeric `at` is dropped. */
export function keepOpenRequests(current: unknown, now: number): { requests: JsonObject; dropped: number } {
  const raw = isJsonObject(current) && isJsonObject(current.requests) ? current.requests : {};
  const requests: JsonObject = {};
  let dropped = 0;
  for (const [slot, request] of Object.entries(raw)) {
    const at = isJsonObject(request) ? request.at : undefined;
    if (typeof at === 'number' && at >= now - REQUEST_TTL_MS) requests[slot] = request;
    else dropped += 1;
  }
  return { requests, dropped };
}
