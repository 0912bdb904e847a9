/**
 * `RuleDataSnapshot`: the `root`, `data` and `newData` rule variables, a view of one location of an
 * immutable {@link DbNode} tree ("RuleDataSnapshot methods" in the rules reference).
 */
import { type DbNode, isEmptyNode, nodeChild } from '../database/node';
import { EvalFailure } from './runtime';

/**
 * What `val()` returns for a node with children. The reference: "calling val() on a snapshot that
 * has child data will not return an object containing the children; it will instead return a
 * special sentinel value", so rules cannot walk children through `val()`.
 */
export const CHILDREN_SENTINEL: Readonly<Record<string, never>> = Object.freeze({});

/**
 * Splits a rules path argument: `child('a/b')` descends two levels; empty segments are ignored.
 * Names the database cannot store are not an error: a live server answers
 * `root.child('banned/bob@example.com').val() != true` with true (targaryen's recorded fixtures).
 */
function splitChildPath(path: unknown, method: string): string[] {
  if (typeof path !== 'string') throw new EvalFailure(`${method}() expects a string, got ${describeValue(path)}`);
  return path.split('/').filter((s) => s !== '');
}

export function describeValue(value: unknown): string {
  if (value === CHILDREN_SENTINEL) return '<children>';
  if (value instanceof RuleSnapshot) return `<snapshot ${value.pathString()}>`;
  if (value instanceof RegExp) return String(value);
  if (typeof value === 'number' && Number.isNaN(value)) return 'NaN';
  return JSON.stringify(value) ?? String(value);
}

export class RuleSnapshot {
  constructor(
    /** the whole tree this snapshot belongs to (`root` before the write, or the projected new root) */
    readonly tree: DbNode,
    readonly path: readonly string[],
    readonly node: DbNode,
  ) {}

  pathString(): string {
    return '/' + this.path.join('/');
  }

  val(): unknown {
    const node = this.node;
    if (node.kind === 'leaf') return node.value;
    return node.children.size === 0 ? null : CHILDREN_SENTINEL;
  }

  child(path: unknown): RuleSnapshot {
    const segments = splitChildPath(path, 'child');
    if (segments.length === 0) return this;
    let node = this.node;
    for (const key of segments) node = nodeChild(node, key);
    return new RuleSnapshot(this.tree, this.path.concat(segments), node);
  }

  /** `root.parent()` is null; calling a method on it is then a runtime error (live-server fixture). */
  parent(): RuleSnapshot | null {
    if (this.path.length === 0) return null;
    const path = this.path.slice(0, -1);
    let node = this.tree;
    for (const key of path) node = nodeChild(node, key);
    return new RuleSnapshot(this.tree, path, node);
  }

  hasChild(path: unknown): boolean {
    let node = this.node;
    for (const key of splitChildPath(path, 'hasChild')) node = nodeChild(node, key);
    return !isEmptyNode(node);
  }

  /** With no argument: whether the node has any child. With a list: whether it has all of them. */
  hasChildren(names?: unknown): boolean {
    if (names === undefined) return this.node.kind === 'children' && this.node.children.size > 0;
    for (const name of names as unknown[]) {
      let node = this.node;
      for (const key of splitChildPath(name, 'hasChildren')) node = nodeChild(node, key);
      if (isEmptyNode(node)) return false;
    }
    return true;
  }

  exists(): boolean {
    return !isEmptyNode(this.node);
  }

  getPriority(): string | number | null {
    return this.node.priority;
  }

  isNumber(): boolean {
    return this.node.kind === 'leaf' && typeof this.node.value === 'number';
  }

  isString(): boolean {
    return this.node.kind === 'leaf' && typeof this.node.value === 'string';
  }

  isBoolean(): boolean {
    return this.node.kind === 'leaf' && typeof this.node.value === 'boolean';
  }
}
