/**
 * The `rtdb-emulator` binary (built: `npx tsc -b emulator`): the exact ready line, flag errors that
 * name the flag and exit 1, and a clean stop on SIGTERM that exports first.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const CLI = path.resolve(__dirname, '../dist/cli.js');

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 10_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

test.each<[string[], RegExp]>([
  [['--bogus'], /Unknown option --bogus/],
  [['--port', 'abc'], /--port must be an integer/],
  [['--rules', '/no/such/file.json'], /--rules \/no\/such\/file\.json: cannot read the file/],
  [['--import', '/no/such/data.json'], /--import \/no\/such\/data\.json: cannot read the file/],
  [['--export-on-exit', '/no/such/dir/out.json'], /--export-on-exit \/no\/such\/dir\/out\.json: cannot write/],
])('%j exits 1 naming the flag', (args, message) => {
  const result = run(args);
  expect(result.status).toBe(1);
  expect(result.stderr).toMatch(message);
  expect(result.stdout).toBe('');
});

test('bad file contents are reported with their flag', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rtdb-cli-'));
  const rules = path.join(dir, 'rules.json');
  const data = path.join(dir, 'data.json');
  writeFileSync(rules, '{"rules": {".read": "auth.uid ==="}}');
  writeFileSync(data, '{not json');
  const badRules = run(['--port', '0', '--rules', rules]);
  expect(badRules.status).toBe(1);
  expect(badRules.stderr).toMatch(/--rules: Invalid rules in .*rules\.json/);
  const badData = run(['--port', '0', '--import', data]);
  expect(badData.status).toBe(1);
  expect(badData.stderr).toMatch(/--import: Cannot import .*data\.json: not JSON/);
});

test('--help prints the usage and exits 0', () => {
  const result = run(['--help']);
  expect(result.status).toBe(0);
  expect(result.stdout).toMatch(/Usage: rtdb-emulator/);
});

test('prints exactly the ready line, serves, and on SIGTERM exports then exits 0', async () => {
  const out = path.join(mkdtempSync(path.join(tmpdir(), 'rtdb-cli-')), 'out.json');
  const child = spawn(process.execPath, [CLI, '--port', '0', '--export-on-exit', out], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, RTDB_EMULATOR_QUIET: '1' },
  });
  let stdout = '';
  const address = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /^rtdb-emulator listening on http:\/\/(127\.0\.0\.1:\d+)\n$/.exec(stdout);
      if (match?.[1]) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`exited ${code}`)));
  });
  const put = await fetch(`http://${address}/saved.json?ns=demo-cli`, { method: 'PUT', body: '"yes"' });
  expect(put.status).toBe(200);
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  expect(await exited).toBe(0);
  expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual({ '.namespaces': { 'demo-cli': { saved: 'yes' } } });
});
