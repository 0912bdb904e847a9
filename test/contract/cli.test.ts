/**
 * `device-limit rules generate|merge` as a user types them (contract/src/rules/command.ts), run
 * in-process against an in-memory file system: what goes to stdout, what is written where, and the
 * exit code (0 done, 1 refused or out of date, 2 usage or file error). The built binary itself runs
 * in test/adopt/adopt.int.test.ts.
 */
import { runRulesCommand } from '../../contract/src/rules/command';

const THEIRS = '{\n  // theirs\n  "rules": {\n    "posts": { ".read": true }\n  }\n}\n';
const OPEN = '{ "rules": { ".write": true } }';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  files: Map<string, string>;
  writes: string[];
}

function run(argv: string[], initial: Record<string, string> = {}): Run {
  const files = new Map(Object.entries(initial));
  const result: Run = { code: -1, stdout: '', stderr: '', files, writes: [] };
  result.code = runRulesCommand(argv, {
    readFile: (file) => {
      const text = files.get(file);
      if (text === undefined) throw Object.assign(new Error(`ENOENT: ${file}`), { code: 'ENOENT' });
      return text;
    },
    writeFile: (file, text) => {
      result.writes.push(file);
      files.set(file, text);
    },
    stdout: (text) => (result.stdout += text),
    stderr: (text) => (result.stderr += text),
  });
  return result;
}

describe('usage', () => {
  test.each<[string, string[], RegExp]>([
    ['no command', ['build'], /unknown command "build"/],
    ['no subcommand', ['rules'], /expected "rules generate" or "rules merge"/],
    ['an unknown option', ['rules', 'merge', 'a.json', '--force'], /unknown option --force/],
    ['merge without a file', ['rules', 'merge'], /needs the rules file to merge into/],
    ['--write with --out', ['rules', 'merge', 'a.json', '--write', '--out', 'b.json'], /contradict/],
    ['--check with --write', ['rules', 'merge', 'a.json', '--check', '--write'], /--check writes nothing/],
    ['a flag without its value', ['rules', 'merge', 'a.json', '--default-limit'], /--default-limit needs a value/],
    [
      'a limit that is not a number',
      ['rules', 'merge', 'a.json', '--default-limit', 'two'],
      /--default-limit must be an integer/,
    ],
    ['a bad path', ['rules', 'generate', '--presence-path', 'a.b'], /--presence-path must be one database key/],
    ['generate --check without --out', ['rules', 'generate', '--check'], /needs --out/],
    ['an example path for a merge', ['rules', 'merge', 'a.json', '--no-app-data'], /belong to rules generate/],
  ])('%s: exit 2 with what to do', (_name, argv, message) => {
    const result = run(argv, { 'a.json': THEIRS });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.writes).toEqual([]);
  });

  test('--help prints the usage', () => {
    const result = run(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage:\n {2}device-limit rules generate/);
    expect(result.stdout).toContain('device-limit rules merge <rules file> [--write | --out <file>] [--check]');
  });

  test('a missing file is named', () => {
    const result = run(['rules', 'merge', 'nope.json']);
    expect(result).toMatchObject({ code: 2, stderr: 'device-limit: cannot read nope.json: no such file\n' });
  });
});

describe('rules merge', () => {
  test('prints the merged file on stdout and writes nothing', () => {
    const result = run(['rules', 'merge', 'a.json'], { 'a.json': THEIRS });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('// BEGIN device-limit rules');
    expect(result.stdout.startsWith('{\n  // theirs\n  "rules": {\n    "posts": { ".read": true },\n')).toBe(true);
    expect(result.writes).toEqual([]);
  });

  test('--write rewrites the file in place', () => {
    const result = run(['rules', 'merge', 'a.json', '--write'], { 'a.json': THEIRS });
    expect(result.code).toBe(0);
    expect(result.writes).toEqual(['a.json']);
    expect(result.files.get('a.json')).toContain('"presenceEvents": {');
    expect(result.stderr).toMatch(/^a\.json: added the device-limit rules \(lines \d+-\d+\)\.\n$/);
  });

  test('--out writes another file and leaves theirs', () => {
    const result = run(['rules', 'merge', 'a.json', '--out', 'merged.json', '--default-limit', '3'], {
      'a.json': THEIRS,
    });
    expect(result.code).toBe(0);
    expect(result.writes).toEqual(['merged.json']);
    expect(result.files.get('a.json')).toBe(THEIRS);
    expect(result.files.get('merged.json')).toContain("root.child('limits').child($uid).val() : 3)");
  });

  test('--check reports what it would do, exit 0, and writes nothing', () => {
    const result = run(['rules', 'merge', 'a.json', '--check'], { 'a.json': THEIRS });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /^a\.json: the merge would insert the device-limit rules \(lines \d+-\d+ of the result\)\.\n$/,
    );
    expect(result.writes).toEqual([]);
  });

  test('--check on an up-to-date file says so, exit 0', () => {
    const merged = run(['rules', 'merge', 'a.json'], { 'a.json': THEIRS }).stdout;
    const result = run(['rules', 'merge', 'a.json', '--check'], { 'a.json': merged });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/the device-limit rules are up to date/);
    const again = run(['rules', 'merge', 'a.json', '--write'], { 'a.json': merged });
    expect(again.writes).toEqual([]);
  });

  test.each<[string, string[]]>([
    ['a merge', ['rules', 'merge', 'open.json', '--write']],
    ['a check', ['rules', 'merge', 'open.json', '--check']],
  ])(
    '%s of a file with ".write": true on "/" is refused: exit 1, the path and code named, nothing written',
    (_name, argv) => {
      const result = run(argv, { 'open.json': OPEN });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        /^open\.json:1:24: "\/\.write" is true\. Read and write rules cascade, .* \[rules-merge\/cascade-override\]\n/,
      );
      expect(result.writes).toEqual([]);
      expect(result.files.get('open.json')).toBe(OPEN);
    },
  );
});

describe('rules generate', () => {
  test('prints the standalone rules, with the example app path unless told not to', () => {
    const withExample = run(['rules', 'generate']);
    expect(withExample.code).toBe(0);
    expect(withExample.stdout).toContain('"appData": {');
    const without = run(['rules', 'generate', '--no-app-data']);
    expect(without.stdout).not.toContain('"appData"');
    expect(without.stdout).toContain('`device-limit rules generate --no-app-data`');
  });

  test('--out --check: exit 1 when the file differs, 0 when it is current, never writing', () => {
    const current = run(['rules', 'generate']).stdout;
    const stale = run(['rules', 'generate', '--out', 'r.json', '--check'], { 'r.json': '{}' });
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(
      /r\.json differs from the generated rules: run `device-limit rules generate --out r\.json`/,
    );
    const fresh = run(['rules', 'generate', '--out', 'r.json', '--check'], { 'r.json': current });
    expect(fresh.code).toBe(0);
    expect([...stale.writes, ...fresh.writes]).toEqual([]);
  });
});
