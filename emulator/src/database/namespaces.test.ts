import type { Clock } from '../clock';
import { OWNER, type RulesGate } from './access';
import { type DatabaseChange, NamespaceDatabase } from './database';
import { exportNode, importNode } from './export';
import { NamespaceRegistry } from './namespaces';

const clock: Clock = { now: () => 1_700_000_000_000 };

/** Only /public is readable or writable by users. */
const publicOnly: RulesGate = {
  canRead: (r) => ({ allowed: r.path[0] === 'public' }),
  canWrite: (w) => ({ allowed: w.paths.every((p) => p[0] === 'public') }),
};

describe('NamespaceRegistry and export/import', () => {
  it('keeps namespaces isolated and creates them on first use', () => {
    const registry = new NamespaceRegistry({ clock });
    registry.get('one').set(OWNER, ['a'], 1);
    expect(registry.get('two').get(OWNER, [])).toBeNull();
    expect(registry.get('one').get(OWNER, [])).toEqual({ a: 1 });
    expect(registry.names().sort()).toEqual(['one', 'two']);
    expect(registry.has('three')).toBe(false);
  });

  it('round-trips export format with priorities; import does not fire triggers', () => {
    const source = new NamespaceDatabase('source', { clock });
    source.set(OWNER, [], { a: { '.value': 1, '.priority': 'p' }, b: { c: true, '.priority': 2 } });
    const target = new NamespaceDatabase('target', { clock, rules: publicOnly });
    const changes: DatabaseChange[] = [];
    target.onChange((change) => changes.push(change));
    importNode(target, exportNode(source));
    expect(exportNode(target)).toEqual({ a: { '.value': 1, '.priority': 'p' }, b: { c: true, '.priority': 2 } });
    expect(changes.map((c) => c.disableTriggers)).toEqual([true]);
  });
});
