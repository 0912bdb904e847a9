/**
 * `--import` / `--export-on-exit` directories in firebase-tools' layout (`emulator/hubExport.js`):
 *
 *   <dir>/firebase-export-metadata.json   {"version", "auth": {"version","path":"auth_export"},
 *                                          "database": {"version","path":"database_export"}}
 *   <dir>/auth_export/…                    written and read by firebase-tools itself
 *   <dir>/database_export/<namespace>.json one namespace's tree in export format
 *
 * so a directory exported here imports into the official suite and the other way round. Our
 * emulator reads and writes one `{".namespaces": {"<ns>": tree}}` file; these functions translate.
 *
 * firebase-tools replaces the whole export directory when it exports (it writes a temporary one and
 * moves it over), so the database part is written after firebase-tools has exited.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

export const METADATA_FILE = 'firebase-export-metadata.json';
export const DATABASE_EXPORT = 'database_export';
/** The emulator's multi-namespace file key (emulator/src/emulator.ts NAMESPACES_KEY). */
const NAMESPACES_KEY = '.namespaces';
/** Written into the metadata's `database.version`; firebase-tools only reads `path`. */
const EXPORT_VERSION = 'rtdb-emulator-0.1.0';

export class DataDirectoryError extends Error {
  readonly code = 'data_directory';
  constructor(message: string) {
    super(message);
    this.name = 'DataDirectoryError';
  }
}

/**
 * The namespaces of an export directory, as one emulator import file written to `importFile`.
 * Returns false when the directory holds no database export.
 */
export function databaseImportFile(dir: string, importFile: string): boolean {
  const databaseDir = path.join(dir, databasePath(dir));
  if (!existsSync(databaseDir)) return false;
  const namespaces: Record<string, unknown> = {};
  for (const file of readdirSync(databaseDir)) {
    if (!file.endsWith('.json')) continue;
    const text = readFileSync(path.join(databaseDir, file), 'utf8');
    try {
      namespaces[file.slice(0, -'.json'.length)] = JSON.parse(text) as unknown;
    } catch (error) {
      throw new DataDirectoryError(
        `--import ${dir}: ${path.join(databasePath(dir), file)} is not JSON (${(error as Error).message})`,
      );
    }
  }
  writeFileSync(importFile, JSON.stringify({ [NAMESPACES_KEY]: namespaces }));
  return true;
}

/** Moves the emulator's export file into `dir` in firebase-tools' layout and records it in the metadata. */
export function writeDatabaseExport(exportFile: string, dir: string): number {
  if (!existsSync(exportFile)) return 0;
  const parsed = JSON.parse(readFileSync(exportFile, 'utf8')) as Record<string, unknown>;
  const namespaces = (parsed[NAMESPACES_KEY] ?? {}) as Record<string, unknown>;
  mkdirSync(path.join(dir, DATABASE_EXPORT), { recursive: true });
  for (const [namespace, tree] of Object.entries(namespaces)) {
    const target = path.join(dir, DATABASE_EXPORT, `${namespace}.json`);
    writeFileSync(`${target}.tmp`, JSON.stringify(tree));
    renameSync(`${target}.tmp`, target);
  }
  const metadataFile = path.join(dir, METADATA_FILE);
  const metadata = existsSync(metadataFile)
    ? (JSON.parse(readFileSync(metadataFile, 'utf8')) as Record<string, unknown>)
    : { version: EXPORT_VERSION };
  metadata['database'] = { version: EXPORT_VERSION, path: DATABASE_EXPORT };
  writeFileSync(metadataFile, `${JSON.stringify(metadata, null, 2)}\n`);
  return Object.keys(namespaces).length;
}

/** `database.path` from the metadata, as firebase-tools reads it; `database_export` by default. */
function databasePath(dir: string): string {
  const metadataFile = path.join(dir, METADATA_FILE);
  if (!existsSync(metadataFile)) return DATABASE_EXPORT;
  try {
    const metadata = JSON.parse(readFileSync(metadataFile, 'utf8')) as { database?: { path?: unknown } };
    return typeof metadata.database?.path === 'string' ? metadata.database.path : DATABASE_EXPORT;
  } catch {
    throw new DataDirectoryError(`--import ${dir}: ${METADATA_FILE} is not JSON`);
  }
}
