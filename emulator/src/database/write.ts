/**
 * Turning a write request into a new root: validation of the written value (keys, depth, sizes),
 * server-value resolution and the copy-on-write of the tree, in one pass over the value.
 *
 * A write is planned against the current root and only committed by the database after the rules accepted the projected
 * root, so a multi-location update is atomic: judged once, as a whole, against its final state (docs/wire-protocol.md
 * §11; Firebase docs "Simultaneous updates made this way are atomic").
 */
import { DatabaseError } from '../errors';
import { MAX_KEY_BYTES, MAX_PATH_BYTES, MAX_PATH_DEPTH, MAX_STRING_BYTES, utf8Length } from './limits';
import {
  childrenNode,
  type DbNode,
  EMPTY_NODE,
  isEmptyNode,
  leafNode,
  nodeChild,
  nodeGetAt,
  nodeSetAt,
  type Priority,
} from './node';
import { priorityNode } from './ordering';
import { isValidKey, type Path, pathToString, pathWithoutPriority, PRIORITY_KEY, validatePath } from './path';
import { isServerValue, resolveServerValue, SERVER_VALUE_KEY } from './server-values';

/** A write ready to be judged by the rules and committed. */
export interface WritePlan {
  /** the written locations (a final `.priority` removed: the parent node is what changes) */
  readonly paths: ReadonlyArray<readonly string[]>;
  readonly newRoot: DbNode;
}

const VALUE_KEY = '.value';

function invalidData(message: string): DatabaseError {
  return new DatabaseError('invalid_data', message);
}

/**
 * Builds nodes from export-format JSON while tracking the absolute key path, so the limits apply to
 * the data's own paths as the client checks them (ValidationPath: depth ≤ 32, ≤ 768 bytes).
 */
class ValueBuilder {
  private readonly keys: string[];
  private keyBytes = 0;

  constructor(
    private readonly now: number,
    base: Path,
  ) {
    this.keys = [...base];
    for (const key of base) this.keyBytes += utf8Length(key);
  }

  private where(): string {
    return pathToString(this.keys);
  }

  private push(key: string): void {
    if (!isValidKey(key)) {
      // Production REST: "Invalid data; couldn't parse key beginning at 1:58. Key value can't be empty
      // or contain $ # [ ] / or ." — we have parsed JSON, not text, so we name the path instead.
      throw invalidData(
        `Invalid data; couldn't parse key ${JSON.stringify(key)} at ${this.where()}. Key value can't be empty or contain $ # [ ] / or .`,
      );
    }
    const bytes = utf8Length(key);
    if (bytes > MAX_KEY_BYTES)
      throw invalidData(`Invalid data; key longer than ${MAX_KEY_BYTES} bytes at ${this.where()}.`);
    this.keys.push(key);
    this.keyBytes += bytes;
    if (this.keys.length > MAX_PATH_DEPTH) {
      throw invalidData(
        `Invalid data; path specified exceeds the maximum depth that can be written (${MAX_PATH_DEPTH}) at ${this.where()}.`,
      );
    }
    const pathBytes = this.keys.length + this.keyBytes;
    if (pathBytes > MAX_PATH_BYTES) {
      throw invalidData(
        `Invalid data; key path longer than ${MAX_PATH_BYTES} bytes (${pathBytes}) at ${this.where()}.`,
      );
    }
  }

  private pop(key: string): void {
    this.keys.pop();
    this.keyBytes -= utf8Length(key);
  }

  private leafValue(value: unknown, existing: DbNode): string | number | boolean | null {
    if (value === null || value === undefined) return null;
    if (typeof value === 'string') {
      // UTF-8 is at most 3 bytes per UTF-16 unit: only long strings need counting (client does the same).
      if (value.length > MAX_STRING_BYTES / 3 && utf8Length(value) > MAX_STRING_BYTES) {
        throw invalidData(`Invalid data; string greater than ${MAX_STRING_BYTES} utf8 bytes at ${this.where()}.`);
      }
      return value;
    }
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw invalidData(`Invalid data; numbers must be finite at ${this.where()}.`);
      return value;
    }
    if (typeof value === 'boolean') return value;
    if (isServerValue(value)) return resolveServerValue(value[SERVER_VALUE_KEY], existing, this.now);
    throw invalidData(`Invalid data; "${VALUE_KEY}" must be a primitive at ${this.where()}.`);
  }

  /** A `.priority` value: string, number, null or a server value resolved against the old priority. */
  priority(json: unknown, existingOwner: DbNode): Priority {
    if (json === null || json === undefined) return null;
    if (typeof json === 'string') return json;
    if (typeof json === 'number' && Number.isFinite(json)) return json;
    if (isServerValue(json)) {
      const resolved = resolveServerValue(json[SERVER_VALUE_KEY], priorityNode(existingOwner), this.now);
      if (typeof resolved !== 'boolean') return resolved;
    }
    throw invalidData(`Invalid data; "${PRIORITY_KEY}" must be a string, number or null at ${this.where()}.`);
  }

  /** Builds the node for `json` written where `existing` is stored now. */
  node(json: unknown, existing: DbNode): DbNode {
    if (json === null || json === undefined) return EMPTY_NODE;
    if (typeof json !== 'object') {
      const value = this.leafValue(json, existing);
      return value === null ? EMPTY_NODE : leafNode(value);
    }
    if (Array.isArray(json)) {
      // Arrays are objects keyed "0", "1", …; null elements are dropped (docs/wire-protocol.md §6).
      const children = new Map<string, DbNode>();
      json.forEach((element, i) => this.addChild(children, String(i), element, existing));
      return childrenNode(children);
    }
    const record = json as Record<string, unknown>;
    const priority = PRIORITY_KEY in record ? this.priority(record[PRIORITY_KEY], existing) : null;
    if (SERVER_VALUE_KEY in record || VALUE_KEY in record) {
      for (const key of Object.keys(record)) {
        if (key !== PRIORITY_KEY && key !== SERVER_VALUE_KEY && key !== VALUE_KEY) {
          throw invalidData(`Invalid data; "${VALUE_KEY}" cannot be set beside other children at ${this.where()}.`);
        }
      }
      const value = this.leafValue(SERVER_VALUE_KEY in record ? record : record[VALUE_KEY], existing);
      return value === null ? EMPTY_NODE : leafNode(value, priority);
    }
    const children = new Map<string, DbNode>();
    for (const key of Object.keys(record)) {
      if (key === PRIORITY_KEY) continue;
      this.addChild(children, key, record[key], existing);
    }
    return childrenNode(children, priority);
  }

  private addChild(children: Map<string, DbNode>, key: string, json: unknown, existing: DbNode): void {
    this.push(key);
    const child = this.node(json, nodeChild(existing, key));
    this.pop(key);
    if (!isEmptyNode(child)) children.set(key, child);
  }
}

/** The node to store at `path` (which may end in `.priority`) for the written `json`. */
function nodeForLocation(root: DbNode, path: Path, json: unknown, now: number): DbNode {
  if (path[path.length - 1] === PRIORITY_KEY) {
    const owner = path.slice(0, -1);
    const priority = new ValueBuilder(now, owner).priority(json, nodeGetAt(root, owner));
    return priority === null ? EMPTY_NODE : leafNode(priority);
  }
  return new ValueBuilder(now, path).node(json, nodeGetAt(root, path));
}

/** Plans a `set` (wire `p`): `json` replaces the value at `path`. */
export function planSet(root: DbNode, path: Path, json: unknown, now: number): WritePlan {
  validatePath(path);
  const node = nodeForLocation(root, path, json, now);
  return { paths: [pathWithoutPriority(path)], newRoot: nodeSetAt(root, path, node) };
}

/** Splits an update key ("b/x", "/c", "d/.priority") into segments below `base`. */
function updateLocation(base: Path, key: string): string[] {
  const relative = key.split('/').filter((segment) => segment.length > 0);
  if (relative.length === 0) throw invalidData(`Invalid data; an update key can't be empty at ${pathToString(base)}.`);
  const full = [...base, ...relative];
  validatePath(full);
  return full;
}

/**
 * Plans a multi-location `update` (wire `m`): each key is a path relative to `path`. Server values
 * resolve against the state before the update. No key may be an ancestor of another (the client's
 * validateFirebaseMergePaths rejects that too), so the order of application does not matter.
 */
export function planUpdate(root: DbNode, path: Path, children: unknown, now: number): WritePlan {
  validatePath(path);
  if (typeof children !== 'object' || children === null || Array.isArray(children)) {
    throw invalidData('Invalid data; an update must be an object of paths to values.');
  }
  const locations = Object.entries(children as Record<string, unknown>).map(
    ([key, value]) => [updateLocation(path, key), value] as const,
  );
  const written = new Set(locations.map(([full]) => full.join('/')));
  for (const [full] of locations) {
    for (let n = path.length + 1; n < full.length; n++) {
      const prefix = full.slice(0, n);
      if (written.has(prefix.join('/'))) {
        throw invalidData(
          `Invalid data; path ${pathToString(prefix)} is an ancestor of another path in the same update (${pathToString(full)}).`,
        );
      }
    }
  }
  let newRoot = root;
  for (const [full, value] of locations) {
    newRoot = nodeSetAt(newRoot, full, nodeForLocation(root, full, value, now));
  }
  return { paths: locations.map(([full]) => pathWithoutPriority(full)), newRoot };
}
