/**
 * `firebase deploy --only database,functions` needs credentials, so it cannot run here. What it checks
 * first can: firebase.json against firebase-tools' own schema, validated the way firebase-tools does it
 * (`lib/firebaseConfigValidate.js`: its own ajv, with ajv-formats and `allowUnionTypes`), and the
 * functions runtime against the Node version everything else here runs on.
 */
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { readJson, ROOT, runtimeMajor } from './support';

interface FunctionsConfig {
  source: string;
  codebase?: string;
  runtime?: string;
  predeploy?: string | string[];
}

interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: unknown;
}
type Validate = ((data: unknown) => boolean) & { errors?: AjvError[] | null };
type AjvClass = new (options: { allowUnionTypes: boolean }) => { compile(schema: unknown): Validate };

const firebaseJson = readJson<{ functions: FunctionsConfig[]; database: { rules: string } }>(
  path.join(ROOT, 'firebase.json'),
);

/** firebase-tools' schema, compiled by the ajv that firebase-tools itself resolves. */
function firebaseToolsValidator(): Validate {
  const toolsDir = path.dirname(require.resolve('firebase-tools/package.json'));
  const fromTools = createRequire(path.join(toolsDir, 'package.json'));
  const { Ajv } = fromTools('ajv') as { Ajv: AjvClass };
  const addFormats = (fromTools('ajv-formats') as { default: (ajv: unknown) => void }).default;
  const ajv = new Ajv({ allowUnionTypes: true });
  addFormats(ajv);
  return ajv.compile(readJson(path.join(toolsDir, 'schema/firebase-config.json')));
}

describe('firebase.json', () => {
  it("is valid against firebase-tools' own schema", () => {
    const validate = firebaseToolsValidator();
    const valid = validate(firebaseJson);
    // The errors, in firebase-tools' wording, are the failure message.
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('the schema refuses what firebase-tools refuses (the check is not vacuous)', () => {
    const validate = firebaseToolsValidator();
    const functions = [{ ...firebaseJson.functions[0], runtime: 'nodejs19' }];
    expect(validate({ ...firebaseJson, functions })).toBe(false);
    expect(validate({ ...firebaseJson, functions: [{ ...firebaseJson.functions[0], sourceDir: 'x' }] })).toBe(false);
  });

  it('deploys the functions on Node 24, the Node that runs the tests, and functions/ says the same', () => {
    const [functions] = firebaseJson.functions;
    expect(functions?.runtime).toBe('nodejs24');
    const major = runtimeMajor(functions?.runtime ?? '');
    expect(Number(process.versions.node.split('.')[0])).toBe(major);
    // Cloud Functions reads engines.node when firebase.json names no runtime: the two must agree.
    const pkg = readJson<{ engines: { node: string } }>(path.join(ROOT, 'functions/package.json'));
    expect(pkg.engines.node).toBe(String(major));
  });

  it('deploys the staged functions folder, which its predeploy builds', () => {
    const [functions] = firebaseJson.functions;
    expect(functions?.source).toBe('dist/functions');
    expect([functions?.predeploy].flat()).toEqual(['npm run stage:functions']);
    const scripts = readJson<{ scripts: Record<string, string> }>(path.join(ROOT, 'package.json')).scripts;
    expect(scripts['stage:functions']).toBe('node scripts/stage-functions.mjs');
  });
});
