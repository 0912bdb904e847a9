/**
 * The four published packages, packed by `npm pack` (which runs each one's `prepack`: a clean build)
 * and installed from the tarballs into a fresh app outside this repository, offline from npm's cache:
 * - each tarball carries LICENSE, a README with an Installation section and no link that needs this
 *   repository, no *.tsbuildinfo, and no source map that points at a file it does not ship;
 * - every entry point loads from the installed app: the client and the contract both as CommonJS and
 *   as ES modules (with the same exports), the emulator as a library and as its `rtdb-emulator` bin,
 *   the functions under the Node major of their runtime.
 *
 * `npm pack` rebuilds the packages' dist/ and lib/ in place, as it does before a publish.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { childEnv, npm, readJson, ROOT, runNode, tarballFiles, tarballName } from './support';
import { execFileSync } from 'node:child_process';

const PACKAGES = ['contract', 'emulator', 'client-sdk', 'functions'] as const;
type Folder = (typeof PACKAGES)[number];

interface PackageJson {
  name: string;
  version: string;
  private?: boolean;
  license?: string;
  files?: string[];
  scripts?: Record<string, string>;
  engines?: { node?: string };
}

const manifests = Object.fromEntries(
  PACKAGES.map((folder) => [folder, readJson<PackageJson>(path.join(ROOT, folder, 'package.json'))]),
) as Record<Folder, PackageJson>;

let work: string;
let app: string;
const tarballs = {} as Record<Folder, string>;
const contents = {} as Record<Folder, string[]>;

/** The text of one file inside a tarball. */
function fileInTarball(tarball: string, file: string): string {
  return execFileSync('tar', ['-xzOf', tarball, `package/${file}`], { encoding: 'utf8', maxBuffer: 64 << 20 });
}

/** Markdown link targets (inline `[text](target)` and reference `[id]: target`) of a README. */
function linkTargets(markdown: string): string[] {
  const inline = [...markdown.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1] ?? '');
  const reference = [...markdown.matchAll(/^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/gm)].map((m) => m[1] ?? '');
  return [...inline, ...reference];
}

beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'device-limit-packages-'));
  npm(['pack', '--pack-destination', work, ...PACKAGES.flatMap((folder) => ['--workspace', folder])], ROOT, 600_000);
  for (const folder of PACKAGES) {
    tarballs[folder] = path.join(work, tarballName(manifests[folder]));
    contents[folder] = tarballFiles(tarballs[folder]);
  }
  // A fresh app outside the repository: nothing resolves from this workspace's node_modules.
  app = path.join(work, 'app');
  execFileSync('mkdir', [app]);
  writeFileSync(
    path.join(app, 'package.json'),
    `${JSON.stringify({ name: 'packaging-test-app', version: '1.0.0', private: true }, null, 2)}\n`,
  );
  npm(['install', ...PACKAGES.map((folder) => tarballs[folder])], app, 600_000);
}, 900_000);

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe.each(PACKAGES)('the %s tarball', (folder) => {
  it('is publishable: not private, Apache-2.0, built by prepack, with engines', () => {
    const pkg = manifests[folder];
    expect(pkg.private).toBeUndefined();
    expect(pkg.license).toBe('Apache-2.0');
    expect(pkg.scripts?.prepack).toMatch(/npm run build$/);
    expect(pkg.engines?.node).toBeDefined();
  });

  it('ships LICENSE (the Apache-2.0 text) and a README with an Installation section', () => {
    expect(contents[folder]).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'package.json']));
    expect(fileInTarball(tarballs[folder], 'LICENSE')).toMatch(/Apache License\s+Version 2\.0, January 2004/);
    expect(fileInTarball(tarballs[folder], 'README.md')).toMatch(/^## Installation$/m);
  });

  it('has no README link that needs this repository', () => {
    const targets = linkTargets(fileInTarball(tarballs[folder], 'README.md'));
    // Absolute URLs of public pages and anchors within the README work on npm's page and in node_modules.
    expect(targets.filter((target) => !/^(https:\/\/|#)/.test(target))).toEqual([]);
  });

  it('ships no *.tsbuildinfo and no test files', () => {
    expect(contents[folder].filter((file) => /\.tsbuildinfo$|\.test\.[jt]s$/.test(file))).toEqual([]);
  });

  it('has source maps only for sources it ships', () => {
    const shipped = new Set(contents[folder]);
    const maps = contents[folder].filter((file) => file.endsWith('.map'));
    expect(maps.length).toBeGreaterThan(0);
    const missing: string[] = [];
    for (const map of maps) {
      const { sources, sourceRoot = '' } = JSON.parse(fileInTarball(tarballs[folder], map)) as {
        sources: string[];
        sourceRoot?: string;
      };
      for (const source of sources) {
        const target = path.posix.normalize(path.posix.join(path.posix.dirname(map), sourceRoot, source));
        if (!shipped.has(target)) missing.push(`${map} → ${target}`);
      }
    }
    expect(missing).toEqual([]);
  });
});

describe('installed from the tarballs into a fresh app', () => {
  /** Export names of a package, loaded by `require` (cjs) or `import` (esm) in the app. */
  function exportsOf(name: string, how: 'cjs' | 'esm'): string[] {
    const script =
      how === 'cjs'
        ? `console.log(JSON.stringify(Object.keys(require(${JSON.stringify(name)})).sort()))`
        : `const m = await import(${JSON.stringify(name)});
           console.log(JSON.stringify(Object.keys(m).filter((k) => k !== 'default').sort()))`;
    const args = how === 'cjs' ? ['-e', script] : ['--input-type=module', '-e', script];
    return JSON.parse(runNode(process.execPath, args, app)) as string[];
  }

  it.each(['@device-limit/client', '@device-limit/contract'])('%s loads as CommonJS and as an ES module', (name) => {
    const cjs = exportsOf(name, 'cjs');
    expect(cjs.length).toBeGreaterThan(0);
    expect(exportsOf(name, 'esm')).toEqual(cjs);
  });

  it('the client resolves its peer firebase and its contract from the app, not from this repository', () => {
    const script = `for (const m of ['@device-limit/contract', 'firebase/database']) {
      console.log(require.resolve(m, { paths: [require.resolve('@device-limit/client')] }));
    }`;
    const resolved = runNode(process.execPath, ['-e', script], app).trim().split('\n');
    for (const file of resolved) expect(file.startsWith(`${app}${path.sep}`)).toBe(true);
  });

  it('@device-limit/rtdb-emulator starts as a library and answers REST', async () => {
    const script = `
      const { startEmulator } = require('@device-limit/rtdb-emulator');
      (async () => {
        const emulator = await startEmulator({ host: '127.0.0.1', port: 0, log: false });
        const url = 'http://' + emulator.host + ':' + emulator.port + '/probe.json?ns=packaging';
        await fetch(url, { method: 'PUT', body: JSON.stringify({ ok: true }) });
        console.log(JSON.stringify(await (await fetch(url)).json()));
        await emulator.stop();
      })().catch((error) => { console.error(error); process.exit(1); });`;
    expect(JSON.parse(runNode(process.execPath, ['-e', script], app))).toEqual({ ok: true });
  });

  it('the rtdb-emulator bin prints its usage', () => {
    const bin = path.join(app, 'node_modules/.bin/rtdb-emulator');
    const out = execFileSync(bin, ['--help'], { cwd: app, env: childEnv(), encoding: 'utf8' });
    expect(out).toMatch(/rtdb-emulator/);
  });

  it('@device-limit/functions loads and exports deployable functions', () => {
    const script = `const lib = require('@device-limit/functions');
      console.log(JSON.stringify(Object.keys(lib).filter((k) => typeof lib[k] === 'function' && '__endpoint' in lib[k])));`;
    expect((JSON.parse(runNode(process.execPath, ['-e', script], app)) as string[]).length).toBeGreaterThan(0);
  });

  it('installs nothing from this repository: every @device-limit package is a real folder in the app', () => {
    for (const folder of PACKAGES) {
      const installed = path.join(app, 'node_modules', manifests[folder].name, 'package.json');
      expect(readFileSync(installed, 'utf8')).toContain(`"version": "${manifests[folder].version}"`);
    }
    const lock = readJson<{ packages: Record<string, { resolved?: string; link?: boolean }> }>(
      path.join(app, 'package-lock.json'),
    );
    const links = Object.entries(lock.packages).filter(([, entry]) => entry.link);
    expect(links).toEqual([]);
  });
});
