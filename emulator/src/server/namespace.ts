/**
 * The `ns` parameter selects the database (§1.1). A request without it uses `fake-server`, as the
 * official emulator does (firebase-tools `DEFAULT_DATABASE_EMULATOR_NAMESPACE`).
 */
import { DEFAULT_NAMESPACE, UrlParam } from '../protocol/constants';

/**
 * Database instance names are letters, digits and dashes (`<project>-default-rtdb`); we also accept
 * `_` and upper case, which the official emulator does not reject either. Deliberately bounded.
 */
const NAMESPACE_RE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/;

export function isValidNamespace(name: string): boolean {
  return NAMESPACE_RE.test(name);
}

/** The namespace named by `ns`, the default without it, or null when it is not a valid name. */
export function namespaceFromParams(params: URLSearchParams): string | null {
  const ns = params.get(UrlParam.namespace);
  if (ns === null || ns === '') return DEFAULT_NAMESPACE;
  return isValidNamespace(ns) ? ns : null;
}
