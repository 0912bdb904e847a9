/**
 * The `ns` parameter selects the database (docs/wire-protocol.md §1.1). A request without it uses `fake-server`, as the
 * official emulator does (firebase-tools `DEFAULT_DATABASE_EMULATOR_NAMESPACE`).
 */
import { isValidNamespace } from '../database';
import { DEFAULT_NAMESPACE, UrlParam } from '../protocol/constants';

/** The namespace named by `ns`, the default without it, or null when it is not a valid name. */
export function namespaceFromParams(params: URLSearchParams): string | null {
  const ns = params.get(UrlParam.namespace);
  if (ns === null || ns === '') return DEFAULT_NAMESPACE;
  return isValidNamespace(ns) ? ns : null;
}
