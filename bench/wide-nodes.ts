/**
 * Writes under a wide node (e.g. `/presence` with one child per user): the persistent children map
 * (emulator/src/database/persistent-map.ts) against copying the parent's Map on every write, which is what the
 * tree did before. Side by side in one run, same keys, same number of writes.
 */
import { type DbNode, leafNode, nodeFromJSON, nodeSetAt } from './emulator-internals';

export interface WideNodeResult {
  readonly children: number;
  readonly persistentMicros: number;
  readonly mapCopyMicros: number;
  readonly ratio: number;
}

const WRITES = 20_000;

export function runWideNodeBench(widths: readonly number[] = [16, 64, 256, 1_000, 10_000]): WideNodeResult[] {
  return widths.map((children) => {
    const users: Record<string, unknown> = {};
    for (let i = 0; i < children; i++) users[`user${i}`] = { count: i };
    let root = nodeFromJSON({ presence: users });
    let start = process.hrtime.bigint();
    for (let i = 0; i < WRITES; i++) root = nodeSetAt(root, ['presence', `user${i % children}`, 'count'], leafNode(i));
    const persistentMicros = Number(process.hrtime.bigint() - start) / WRITES / 1000;
    const initial = nodeFromJSON(users);
    let base: Map<string, DbNode> = new Map(initial.kind === 'children' ? initial.children : []);
    start = process.hrtime.bigint();
    for (let i = 0; i < WRITES; i++) {
      const copy = new Map(base);
      copy.set(`user${i % children}`, leafNode(i));
      base = copy;
    }
    const mapCopyMicros = Number(process.hrtime.bigint() - start) / WRITES / 1000;
    return { children, persistentMicros, mapCopyMicros, ratio: mapCopyMicros / persistentMicros };
  });
}

export function formatWideNodeBench(results: readonly WideNodeResult[]): string {
  const rows = results.map(
    (r) =>
      `| ${r.children} | ${r.persistentMicros.toFixed(2)} | ${r.mapCopyMicros.toFixed(2)} | ${r.ratio.toFixed(1)}x |`,
  );
  return [
    'writes under a wide node (µs per write)',
    '| children | persistent map | Map copy | ratio |',
    '| ---: | ---: | ---: | ---: |',
    ...rows,
  ].join('\n');
}
