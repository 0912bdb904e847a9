/**
 * What `firebase deploy --only functions` would ship, checked offline:
 * - the built functions load under the Node major of firebase.json's runtime;
 * - the folder firebase.json deploys (staged by its predeploy, scripts/stage-functions.mjs) is packaged
 *   by firebase-tools' own upload code, installed the way Cloud Build installs it (`npm ci --omit=dev`,
 *   in a folder of its own, with nothing from this repository to fall back on), and then loads and
 *   yields the same endpoints through firebase-functions' manifest discovery as functions/ itself.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { childEnv, nodeBinaryForMajor, npm, readJson, ROOT, runNode, runtimeMajor, tarballFiles } from './support';

interface FunctionsConfig {
  source: string;
  codebase?: string;
  runtime: string;
  ignore?: string[];
}
type PrepareFunctionsUpload = (
  projectDir: string,
  sourceDir: string,
  config: FunctionsConfig,
  additionalSources: string[],
  runtimeConfig: undefined,
  options: { exportType: 'tar.gz' },
) => Promise<{ pathToSource: string }>;

const FUNCTIONS_CONFIG = readJson<{ functions: FunctionsConfig[] }>(path.join(ROOT, 'firebase.json')).functions[0];
if (!FUNCTIONS_CONFIG) throw new Error('firebase.json has no functions codebase');
const MAJOR = runtimeMajor(FUNCTIONS_CONFIG.runtime);

interface Loaded {
  node: string;
  exports: string[];
  /** exports that firebase-functions marks as deployable (they carry `__endpoint`) */
  endpoints: string[];
  contract: string;
}

/** Requires `<dir>/lib/index.js` in a fresh Node of the runtime's major and says what it exports. */
function loadFunctions(dir: string): Loaded {
  const script = `
    const lib = require(${JSON.stringify(path.join(dir, 'lib/index.js'))});
    const names = Object.keys(lib).sort();
    console.log(JSON.stringify({
      node: process.versions.node,
      exports: names,
      endpoints: names.filter((name) => lib[name] && typeof lib[name] === 'function' && '__endpoint' in lib[name]),
      contract: require.resolve('@device-limit/contract', { paths: [${JSON.stringify(dir)}] }),
    }));`;
  return JSON.parse(runNode(nodeBinaryForMajor(MAJOR), ['-e', script], dir)) as Loaded;
}

/** firebase-functions' manifest discovery (what `firebase deploy` runs), in its file mode. */
function discover(dir: string): string[] {
  const output = path.join(mkdtempSync(path.join(tmpdir(), 'functions-manifest-')), 'functions.yaml');
  try {
    // The SDK's bin where firebase-tools looks for it (`findFunctionsBinary`): the .bin folder of the
    // node_modules that `dir` resolves firebase-functions from (for functions/, the workspace root's).
    const locate = `const p = require.resolve('firebase-functions');
      console.log(require('path').join(p.slice(0, p.lastIndexOf('node_modules') + 12), '.bin', 'firebase-functions'))`;
    const bin = runNode(nodeBinaryForMajor(MAJOR), ['-e', locate], dir).trim();
    execFileSync(nodeBinaryForMajor(MAJOR), [bin, dir], {
      cwd: dir,
      env: { HOME: process.env.HOME, PATH: childEnv().PATH, FUNCTIONS_MANIFEST_OUTPUT_PATH: output },
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: 60_000,
    });
    return Object.keys(readJson<{ endpoints: Record<string, unknown> }>(output).endpoints).sort();
  } finally {
    rmSync(path.dirname(output), { recursive: true, force: true });
  }
}

let work: string;

beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'functions-deploy-'));
  // The current sources, built (`npm test` has built the contract they import).
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-b', 'contract', 'functions'], {
    cwd: ROOT,
  });
}, 120_000);

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe(`the functions on the runtime's Node (${FUNCTIONS_CONFIG.runtime})`, () => {
  it('functions/lib loads under that Node major and exports deployable functions', () => {
    const loaded = loadFunctions(path.join(ROOT, 'functions'));
    expect(Number(loaded.node.split('.')[0])).toBe(MAJOR);
    expect(loaded.endpoints.length).toBeGreaterThan(0);
  });
});

describe('the deployed folder, as Cloud Build installs it', () => {
  const stage = () => path.join(work, 'stage');
  const upload = () => path.join(work, 'upload');
  let uploadedFiles: string[] = [];

  beforeAll(async () => {
    // The predeploy step, into a folder of our own rather than the configured dist/functions.
    execFileSync(process.execPath, [path.join(ROOT, 'scripts/stage-functions.mjs'), '--out', stage()], {
      cwd: ROOT,
      env: childEnv(),
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: 300_000,
    });
    // firebase-tools' own packaging of the source folder: the files it uploads, its ignore rules applied.
    // Node's own require: a CommonJS module of firebase-tools' that jest need not transform.
    const { prepareFunctionsUpload } = createRequire(__filename)(
      'firebase-tools/lib/deploy/functions/prepareFunctionsUpload',
    ) as { prepareFunctionsUpload: PrepareFunctionsUpload };
    const { pathToSource } = await prepareFunctionsUpload(ROOT, stage(), { ...FUNCTIONS_CONFIG }, [], undefined, {
      exportType: 'tar.gz',
    });
    uploadedFiles = tarballFiles(pathToSource);
    mkdirSync(upload());
    execFileSync('tar', ['-xzf', pathToSource, '-C', upload()]);
    rmSync(pathToSource, { force: true });
    // Cloud Build: `npm ci` because a lockfile was uploaded; no devDependencies in a production image.
    npm(['ci', '--omit=dev'], upload(), 300_000);
  }, 600_000);

  it('uploads the built code, the lockfile and the vendored workspace package, not node_modules', () => {
    expect(uploadedFiles.filter((file) => file.startsWith('node_modules/'))).toEqual([]);
    const top = new Set(uploadedFiles.map((file) => file.split('/')[0]));
    expect([...top]).toEqual(expect.arrayContaining(['lib', 'package.json', 'package-lock.json', 'vendor']));
    const pkg = readJson<{ dependencies: Record<string, string>; scripts?: unknown; main: string }>(
      path.join(upload(), 'package.json'),
    );
    expect(pkg.dependencies['@device-limit/contract']).toMatch(/^file:vendor\/device-limit-contract-.+\.tgz$/);
    expect(pkg.scripts).toBeUndefined();
    expect(existsSync(path.join(upload(), pkg.main))).toBe(true);
  });

  it('installs the contract from the vendored tarball, as a real folder inside the upload', () => {
    const contract = path.join(upload(), 'node_modules/@device-limit/contract');
    expect(lstatSync(contract).isSymbolicLink()).toBe(false);
    const loaded = loadFunctions(upload());
    expect(loaded.contract.startsWith(`${upload()}${path.sep}`)).toBe(true);
  });

  it('loads under the runtime Node major with the same exports and endpoints as functions/', () => {
    const deployed = loadFunctions(upload());
    const workspace = loadFunctions(path.join(ROOT, 'functions'));
    expect(Number(deployed.node.split('.')[0])).toBe(MAJOR);
    expect(deployed.exports).toEqual(workspace.exports);
    expect(deployed.endpoints).toEqual(workspace.endpoints);
    expect(discover(upload())).toEqual(discover(path.join(ROOT, 'functions')));
  });
});
