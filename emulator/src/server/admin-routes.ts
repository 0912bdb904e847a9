/**
 * The tooling endpoints (docs/wire-protocol.md §12–13): `/.settings/rules.json` (firebase-tools, rules-unit-testing,
 * firebase-admin), `/.settings/functionTriggers.json` (the Functions emulator), `/.inspect/databases.json`
 * (export and the Emulator UI) and `/.inspect/coverage[.html]` (rules coverage).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isRulesError, renderCoverageHtml, rulesJsonValue } from '../rules';
import type { RulesRegistry } from '../rules';
import type { FunctionTriggerRegistration, FunctionTriggerRegistry } from '../triggers';
import { OWNER_CREDENTIAL } from '../protocol/constants';
import { isJsonObject } from '../protocol/messages';
import { decodeJwtClaims, restCredential } from '../protocol/credentials';
import { HttpError, readBody, sendError, sendJson, sendText } from './http';
import type { NamespaceRegistry } from '../database';
import type { ServerLog } from '../log';
import type { Profiler } from '../profiler/profiler';
import { handleProfileRequest } from './profile-route';

/** DIFFERENCE FROM PRODUCTION: emulator bounds. Rules files are small; a larger body is not a rules file. */
const MAX_RULES_BYTES = 16 * 1024 * 1024; /* 16 MiB */
const MAX_TRIGGER_BYTES = 1024 * 1024; /* 1 MiB */

export interface AdminContext {
  readonly rules: RulesRegistry;
  readonly functionTriggers: FunctionTriggerRegistry;
  readonly registry: NamespaceRegistry;
  readonly profiler: Profiler;
  readonly log: ServerLog;
}

/** Returns false when `pathname` is not one of these routes. */
export async function handleAdminRequest(
  context: AdminContext,
  namespace: string,
  pathname: string,
  request: IncomingMessage,
  response: ServerResponse,
  url: URL,
): Promise<boolean> {
  const method = (request.method ?? 'GET').toUpperCase();
  switch (pathname) {
    case '/.settings/rules.json':
      await rules(context, namespace, method, request, response, url);
      return true;
    case '/.settings/profile.json':
      requireOwner(request, url);
      handleProfileRequest(context, method, response, url);
      return true;
    case '/.settings/functionTriggers.json':
      await functionTriggers(context, method, request, response, url);
      return true;
    case '/.inspect/databases.json':
      requireMethod(method, 'GET');
      sendJson(
        response,
        200,
        context.registry
          .names()
          .sort()
          .map((name) => ({ name })),
      );
      return true;
    // DIFFERENCE FROM PRODUCTION: rules coverage is the emulator's own (the official emulator's
    // coverage report differs, production has none).
    case '/.inspect/coverage':
    case '/.inspect/coverage.json':
      requireMethod(method, 'GET');
      sendJson(response, 200, context.rules.coverage(namespace), {
        pretty: url.searchParams.get('print') === 'pretty',
      });
      return true;
    case '/.inspect/coverage.html':
      requireMethod(method, 'GET');
      sendText(response, 200, renderCoverageHtml(context.rules.coverage(namespace)), 'text/html; charset=utf-8');
      return true;
    default:
      return false;
  }
}

async function rules(
  context: AdminContext,
  namespace: string,
  method: string,
  request: IncomingMessage,
  response: ServerResponse,
  url: URL,
): Promise<void> {
  requireAdmin(request, url);
  if (method === 'GET') {
    const source = context.rules.rulesSource(namespace);
    if (url.searchParams.get('format') === 'strict') {
      // firebase-admin `getRulesJSON`: the rules as plain JSON, read by the rules' own JSON reader
      // (stored rules always parse: they were compiled when they were put).
      sendText(response, 200, JSON.stringify(rulesJsonValue(source)));
    } else {
      sendText(response, 200, source);
    }
    return;
  }
  if (method !== 'PUT' && method !== 'POST') throw new HttpError(405, `Method ${method} not allowed.`);
  const source = await readBody(request, MAX_RULES_BYTES);
  try {
    context.rules.putRules(namespace, source);
  } catch (error) {
    // firebase-tools reads `{"error": "..."}` (`e.context.body.error`); rules-unit-testing throws the text.
    if (isRulesError(error)) return sendError(response, 400, error.message);
    throw error;
  }
  sendJson(response, 200, { status: 'ok' });
}

async function functionTriggers(
  context: AdminContext,
  method: string,
  request: IncomingMessage,
  response: ServerResponse,
  url: URL,
): Promise<void> {
  if (method === 'GET') {
    sendJson(response, 200, context.functionTriggers.list());
    return;
  }
  if (method !== 'POST' && method !== 'PUT') throw new HttpError(405, `Method ${method} not allowed.`);
  const body = await readBody(request, MAX_TRIGGER_BYTES);
  let trigger: unknown;
  try {
    trigger = JSON.parse(body);
  } catch {
    return sendError(response, 400, "Invalid data; couldn't parse JSON object, array, or value.");
  }
  if (
    !isJsonObject(trigger) ||
    typeof trigger['name'] !== 'string' ||
    typeof trigger['path'] !== 'string' ||
    typeof trigger['event'] !== 'string'
  ) {
    return sendError(response, 400, 'A function trigger needs string "name", "path" and "event".');
  }
  const ns = url.searchParams.get('ns');
  const registered: FunctionTriggerRegistration = {
    name: trigger['name'],
    path: trigger['path'],
    event: trigger['event'],
    ...(typeof trigger['topic'] === 'string' ? { topic: trigger['topic'] } : {}),
    ...(typeof trigger['namespacePattern'] === 'string' ? { namespacePattern: trigger['namespacePattern'] } : {}),
    ...(ns ? { namespace: ns } : {}),
  };
  context.functionTriggers.add(registered);
  // The official emulator's answer (https://github.com/firebase/firebase-tools/issues/1523).
  sendJson(response, 200, { status: 'ok' });
}

/**
 * `/.settings` takes an admin credential: `owner` (firebase-tools, rules-unit-testing, and the
 * emulator docs' "Authorization: Bearer owner"), or a non-JWT bearer token such as firebase-admin's
 * Google OAuth token (`setRules`). An end-user ID token or no credential is refused as production
 * refuses it. DIFFERENCE FROM PRODUCTION: production checks that the OAuth token is valid and may
 * administer the database; the emulator cannot, and takes any bearer that is not an ID token.
 */
function requireAdmin(request: IncomingMessage, url: URL): void {
  const credential = restCredential(url.searchParams.get('auth'), request.headers.authorization);
  if (credential === OWNER_CREDENTIAL) return;
  if (credential !== null && decodeJwtClaims(credential) === null) return;
  throw new HttpError(401, 'Permission denied');
}

/** Only the admin credential `owner` (`Authorization: Bearer owner` or `auth=owner`), as firebase-tools sends it. */
function requireOwner(request: IncomingMessage, url: URL): void {
  const credential = restCredential(url.searchParams.get('auth'), request.headers.authorization);
  if (credential !== OWNER_CREDENTIAL) throw new HttpError(401, 'Permission denied');
}

function requireMethod(method: string, expected: string): void {
  if (method !== expected) throw new HttpError(405, `Method ${method} not allowed.`);
}
