// Builds the folder that `firebase deploy` uploads for the functions (firebase.json `functions[].source`,
// run as its `predeploy`): functions/ exactly as `npm pack` would publish it, with every workspace package
// it depends on (@device-limit/contract) packed into vendor/ and referenced as a `file:` tarball.
//
// Why: Cloud Build installs the uploaded folder on its own (`npm ci`, or `npm install` without a lockfile).
// A workspace dependency is only a symlink in this repository and is not on the registry at the version
// the functions ask for, so functions/ uploaded as it is cannot be installed. The staged folder can, and it
// deploys the contract from this checkout rather than whatever a registry holds.
//
// Then `npm install --omit=dev` runs in the staged folder: firebase-tools loads the functions from there
// to discover them, and the package-lock.json it writes is uploaded, so Cloud Build's `npm ci` installs
// the versions that were tested here.
//
//   node scripts/stage-functions.mjs [--out <dir>] [--no-install]
//
// --out defaults to the `source` of firebase.json's `default` codebase.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const FUNCTIONS_DIR = join(ROOT, 'functions');
// npm on Windows is npm.cmd, which execFile only runs through a shell.
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function readJson(file) {
  return JSON.parse(readFileSync(file, 'utf8'));
}

function parseArgs(argv) {
  const args = { out: undefined, install: true };
  for (let i = 0; i < argv.length; i += 1) {
    if (argv[i] === '--out' && argv[i + 1]) args.out = resolve(argv[(i += 1)]);
    else if (argv[i] === '--no-install') args.install = false;
    else throw new Error(`stage-functions: unknown argument ${argv[i]} (usage: [--out <dir>] [--no-install])`);
  }
  return args;
}

/** The `source` firebase.json deploys for the `default` codebase: where the staged folder goes. */
function configuredSource() {
  const config = readJson(join(ROOT, 'firebase.json'));
  const entries = [config.functions ?? []].flat();
  const entry = entries.find((e) => (e.codebase ?? 'default') === 'default');
  if (typeof entry?.source !== 'string')
    throw new Error('firebase.json has no functions source for codebase "default"');
  return resolve(ROOT, entry.source);
}

/** name → folder of every workspace package. */
function workspaces() {
  const map = new Map();
  for (const dir of readJson(join(ROOT, 'package.json')).workspaces) {
    map.set(readJson(join(ROOT, dir, 'package.json')).name, join(ROOT, dir));
  }
  return map;
}

/** `npm pack`'s file name for a package: `@scope/name` 1.0.0 → `scope-name-1.0.0.tgz`. */
function tarballName(pkg) {
  return `${pkg.name.replace(/^@/, '').replace('/', '-')}-${pkg.version}.tgz`;
}

/** Packs a workspace (its `prepack` builds it) into `dest`, printing npm's output on stderr. */
function pack(dir, dest) {
  execFileSync(NPM, ['pack', '--pack-destination', dest, '--workspace', relative(ROOT, dir)], {
    cwd: ROOT,
    stdio: ['ignore', process.stderr, process.stderr],
  });
  return join(dest, tarballName(readJson(join(dir, 'package.json'))));
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const out = args.out ?? configuredSource();
  if (out === FUNCTIONS_DIR || FUNCTIONS_DIR.startsWith(`${out}/`)) {
    throw new Error(`stage-functions: refusing to stage into ${out}, which holds functions/ itself`);
  }
  const byName = workspaces();
  rmSync(out, { recursive: true, force: true });
  mkdirSync(join(out, 'vendor'), { recursive: true });

  // functions/ as it is published: its `files`, README, LICENSE and package.json.
  const scratch = mkdtempSync(join(tmpdir(), 'stage-functions-'));
  try {
    const tarball = pack(FUNCTIONS_DIR, scratch);
    execFileSync('tar', ['-xzf', tarball, '-C', out, '--strip-components=1']);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }

  const pkg = readJson(join(out, 'package.json'));
  for (const [name] of Object.entries(pkg.dependencies ?? {})) {
    const dir = byName.get(name);
    if (dir === undefined) continue;
    const vendored = readJson(join(dir, 'package.json'));
    const nested = Object.keys(vendored.dependencies ?? {}).filter((dep) => byName.has(dep));
    if (nested.length > 0) {
      // Its tarball would name them by version, which Cloud Build cannot resolve either.
      throw new Error(`stage-functions: ${name} depends on workspace packages (${nested.join(', ')}); vendor them too`);
    }
    const tarball = pack(dir, join(out, 'vendor'));
    pkg.dependencies[name] = `file:${relative(out, tarball)}`;
  }
  // lib/ is built; Cloud Build must not run our build or pack scripts, nor install dev tools.
  delete pkg.scripts;
  delete pkg.devDependencies;
  // The same install-script decisions as the repository's own install (README, "Install scripts").
  pkg.allowScripts = readJson(join(ROOT, 'package.json')).allowScripts;
  writeFileSync(join(out, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);

  if (args.install) {
    execFileSync(NPM, ['install', '--omit=dev', '--no-audit', '--no-fund'], {
      cwd: out,
      stdio: ['ignore', process.stderr, process.stderr],
    });
  }
  console.log(`stage-functions: ${relative(process.cwd(), out) || '.'} is ready to deploy`);
}

main();
