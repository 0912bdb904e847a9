import type { Clock } from '../clock';
import { type Caller, OWNER, type RulesGate } from './access';
import { type DatabaseChange, NamespaceDatabase } from './database';
import { exportNode, importNode } from './export';
import type { ListenSink } from './listens';
import { NamespaceRegistry } from './namespaces';
import { errorCodeOf } from '../../../test/helpers/database-errors';

const codeOf = errorCodeOf;

const clock: Clock = { now: () => 1_700_000_000_000 };
const bob: Caller = { kind: 'user', auth: { uid: 'bob' } };

/** Only /public is readable or writable by users. */
const publicOnly: RulesGate = {
  canRead: (r) => ({ allowed: r.path[0] === 'public' }),
  canWrite: (w) => ({ allowed: w.paths.every((p) => p[0] === 'public') }),
};

function recordingSink(): ListenSink & { events: string[] } {
  const events: string[] = [];
  return { events, data: (path) => events.push(`data /${path.join('/')}`), revoked: () => events.push('revoked') };
}

describe('NamespaceRegistry and export/import', () => {
  it('keeps namespaces isolated and creates them on first use', () => {
    const registry = new NamespaceRegistry({ clock });
    registry.get('one').set(OWNER, ['a'], 1);
    expect(registry.get('two').get(OWNER, [])).toBeNull();
    expect(registry.get('one').get(OWNER, [])).toEqual({ a: 1 });
    expect(registry.names().sort()).toEqual(['one', 'two']);
    expect(registry.has('three')).toBe(false);
  });

  it('setDefaultRules applies to existing and new namespaces, revoking listens', () => {
    const registry = new NamespaceRegistry({ clock });
    const sink = recordingSink();
    registry.get('old').listen(bob, ['private'], undefined, sink);
    registry.setDefaultRules(publicOnly, '{"rules":{}}');
    expect(sink.events).toEqual(['data /private', 'revoked']);
    expect(codeOf(() => registry.get('new').set(bob, ['private'], 1))).toBe('permission_denied');
    expect(registry.get('new').rulesSource).toBe('{"rules":{}}');
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
