/**
 * Whole-namespace export and import in export format (`.priority` kept), for the CLI's `--import`
 * and `--export-on-exit` and for REST `format=export`. An import is one owner write at the root with
 * triggers disabled, like firebase-tools' `PUT /.json?disableTriggers=true` (docs/wire-protocol.md §12.2).
 */
import { OWNER } from './access';
import type { NamespaceDatabase } from './database';
import { nodeToJSON } from './node';

export function exportNode(database: NamespaceDatabase): unknown {
  return nodeToJSON(database.root, true);
}

export function importNode(database: NamespaceDatabase, json: unknown): void {
  database.set(OWNER, [], json, { disableTriggers: true });
}
