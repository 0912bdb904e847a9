// The client suites once more, against the low end of @device-limit/client's firebase peer range
// (`^12.0.0 || ^13.0.0`): the workspace itself develops and tests on firebase 13, so this is what
// keeps firebase 12 supported. CI runs it after `npm test`.
//
// 1. `npm ci` in .ci/firebase12, which pins firebase 12.0.0 with its own lockfile, unless that exact
//    version is installed there already.
// 2. tsc checks client-sdk/src against firebase 12's declarations (.ci/firebase12/tsconfig.json).
// 3. jest runs test/client and client-sdk/src with `firebase` and `firebase/*` mapped to that folder
//    (everything that requires them, @firebase/rules-unit-testing included), plus a test there that
//    fails unless the SDK the suites saw is that version.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DIR = join(ROOT, '.ci/firebase12');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const require = createRequire(import.meta.url);

const wanted = JSON.parse(readFileSync(join(DIR, 'package.json'), 'utf8')).dependencies.firebase;
const installedManifest = join(DIR, 'node_modules/firebase/package.json');
const installed = existsSync(installedManifest) ? JSON.parse(readFileSync(installedManifest, 'utf8')).version : null;
if (installed !== wanted) {
  console.log(`test:firebase12: installing firebase ${wanted} in ${DIR}`);
  execFileSync(NPM, ['ci', '--no-audit', '--no-fund'], { cwd: DIR, stdio: 'inherit' });
}

console.log(`test:firebase12: type-checking client-sdk/src against firebase ${wanted}`);
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(DIR, 'tsconfig.json')], {
  cwd: ROOT,
  stdio: 'inherit',
});

const base = require(join(ROOT, 'jest.config.js'));
const firebase = join(DIR, 'node_modules/firebase');
const config = {
  ...base,
  rootDir: ROOT,
  testMatch: [...base.testMatch, '<rootDir>/.ci/firebase12/*.test.ts'],
  moduleNameMapper: { '^firebase$': firebase, '^firebase/(.*)$': `${firebase}/$1`, ...base.moduleNameMapper },
};
console.log(`test:firebase12: the client suites against firebase ${wanted}`);
try {
  execFileSync(
    process.execPath,
    [
      require.resolve('jest/bin/jest'),
      '--config',
      JSON.stringify(config),
      ...process.argv.slice(2),
      '--',
      'test/client/',
      'client-sdk/src/',
      '.ci/firebase12/',
    ],
    { cwd: ROOT, stdio: 'inherit' },
  );
} catch (error) {
  // jest has printed the failures; exit with its status, without a stack trace of this script's.
  process.exit(typeof error.status === 'number' ? error.status : 1);
}
