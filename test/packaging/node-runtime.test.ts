/**
 * The tests run on the Node that the root package.json's engines ask for, and on Linux x64/arm64 on the
 * very binary npm installed (the optional dependency node-<os>-<arch>, linked as node_modules/.bin/node),
 * not on whatever Node the machine has. This file runs in a jest worker when jest uses workers, so it
 * also checks that jest hands its workers the same Node.
 */
import { existsSync, realpathSync } from 'node:fs';
import * as path from 'node:path';
import { readJson, ROOT } from './support';

const engines = readJson<{ engines: { node: string } }>(path.join(ROOT, 'package.json')).engines.node;

it(`runs on Node ${engines}`, () => {
  const wanted = /^>=(\d+)\.(\d+)$/.exec(engines);
  expect(wanted).not.toBeNull();
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  const [wantMajor, wantMinor] = [Number(wanted?.[1]), Number(wanted?.[2])];
  expect(major > wantMajor || (major === wantMajor && minor >= wantMinor)).toBe(true);
});

const bundled = path.join(ROOT, 'node_modules/.bin/node');

if (existsSync(bundled)) {
  it('runs on the Node binary npm installed in node_modules', () => {
    expect(realpathSync(process.execPath)).toBe(realpathSync(bundled));
    expect(realpathSync(bundled)).toBe(
      path.join(ROOT, 'node_modules', `node-${process.platform}-${process.arch}`, 'bin', 'node'),
    );
  });
} else {
  // npm installs a Node package only where the registry has one that this project lists (README,
  // "Node 24"); elsewhere the Node on PATH runs everything, and the engines check above is the check.
  it.todo(`runs on npm's node-${process.platform}-${process.arch}: none is installed on this platform`);
}
