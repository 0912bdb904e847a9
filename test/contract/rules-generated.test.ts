/**
 * database.rules.json is generated from the typed contract (contract/src/rules) and committed. This
 * fails as soon as the two differ: an edit by hand, or a change to the builder or the contract
 * constants without regenerating.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_DEVICE_LIMIT } from '../../contract/src/index';
import { runRulesCommand } from '../../contract/src/rules/command';
import { defaultLimitFromRules } from '../helpers/presence';

const ROOT = path.resolve(__dirname, '../..');
const RULES = path.join(ROOT, 'database.rules.json');
const REGENERATE = 'npx tsc -b contract && node contract/dist/cjs/cli.js rules generate --out database.rules.json';

/** What `device-limit rules generate` prints, run in-process exactly as the CLI runs it. */
function generated(): string {
  let stdout = '';
  const code = runRulesCommand(['rules', 'generate'], {
    readFile: () => {
      throw new Error('generate reads no file');
    },
    writeFile: () => {
      throw new Error('generate without --out writes no file');
    },
    stdout: (text) => (stdout += text),
    stderr: (text) => {
      throw new Error(`unexpected error output: ${text}`);
    },
  });
  expect(code).toBe(0);
  return stdout;
}

test('database.rules.json is the generator output', () => {
  const committed = readFileSync(RULES, 'utf8');
  const expected = generated();
  if (committed !== expected) {
    const a = committed.split('\n');
    const b = expected.split('\n');
    const line = a.findIndex((text, i) => text !== b[i]);
    const at = line < 0 ? b.length : line;
    throw new Error(
      `database.rules.json differs from the rules generated from contract/src (first at line ${at + 1}):\n` +
        `  committed: ${a[at] ?? '(end of file)'}\n  generated: ${b[at] ?? '(end of file)'}\n` +
        `Change contract/src/rules (or the contract constants) rather than the file, then regenerate it with:\n  ${REGENERATE}`,
    );
  }
});

test('the rules carry the default limit of the contract', () => {
  // test/rules/default-limit.test.ts checks that the rules state it once and that every copy agrees.
  expect(defaultLimitFromRules(readFileSync(RULES, 'utf8'))).toBe(DEFAULT_DEVICE_LIMIT);
});
