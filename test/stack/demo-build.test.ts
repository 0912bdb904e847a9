/**
 * When the launcher rebuilds the demo (stack/src/demo.ts `demoNeedsBuild`): after an edit in demo/,
 * and after a rebuild of a workspace package the bundle contains (the client module, the contract),
 * so `npm start` after a change to the client never serves the old client.
 */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { demoNeedsBuild } from '../../stack/src/demo';

let root: string;
let demo: string;

/** A repository layout with a built demo at time 1000 s and sources and packages at `times` (s). */
function layout(times: { source: number; client: number; contract: number }): void {
  const files: Array<[string, number]> = [
    [path.join(demo, 'src/main.ts'), times.source],
    [path.join(root, 'client-sdk/dist/esm/index.js'), times.client],
    [path.join(root, 'contract/dist/esm/index.js'), times.contract],
    [path.join(demo, 'dist/index.html'), 1000],
  ];
  for (const [file, seconds] of files) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, '');
    utimesSync(file, seconds, seconds);
    // A directory's own time moves when files are added: pin it too.
    utimesSync(path.dirname(file), Math.min(seconds, 1000), Math.min(seconds, 1000));
  }
}

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'demo-build-'));
  demo = path.join(root, 'demo');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

test.each([
  ['nothing changed since the build: no build', { source: 900, client: 900, contract: 900 }, false],
  ['a demo source changed: a build', { source: 1100, client: 900, contract: 900 }, true],
  ['the client module was rebuilt: a build', { source: 900, client: 1100, contract: 900 }, true],
  ['the contract was rebuilt: a build', { source: 900, client: 900, contract: 1100 }, true],
])('%s', (_name, times, expected) => {
  layout(times);
  expect(demoNeedsBuild(demo)).toBe(expected);
});

test('a missing build always needs one', () => {
  layout({ source: 900, client: 900, contract: 900 });
  rmSync(path.join(demo, 'dist'), { recursive: true });
  expect(demoNeedsBuild(demo)).toBe(true);
});
