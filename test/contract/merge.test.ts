/**
 * `device-limit rules merge` (contract/src/merge): our rules go into a user's rules file as one
 * block and every other byte stays (comments, indentation, line endings); the merge refuses, with
 * a stable code and the path, files whose root rules would override ours, files that already use
 * our paths, and files that are not rules.
 */
import { MERGE_ERROR_CODES, isRulesMergeError, mergeRules, planMerge } from '../../contract/src/merge';
import type { MergeErrorCode, MergeOptions } from '../../contract/src/merge';
import { parseJsonc, parseJsoncValue } from '../../contract/src/merge/jsonc';
import { buildRules, toRulesJson } from '../../contract/src/rules';
import { compileRules } from '../../emulator/src/rules';

const APP = `{
  /* The app's own rules. */
  "rules": {
    // Deny by default.
    ".read": false,
    ".write": false,
    // Posts: public to read, authors write their own.
    "posts": {
      ".read": true,
      "$postId": {
        ".write": "auth != null && (!data.exists() || data.child('author').val() == auth.uid)"
      }
    },
    "profiles": {
      "$uid": {
        ".read": "auth != null", // any signed-in user
        ".write": "auth != null && auth.uid == $uid"
      }
    } // end of profiles
  }
}
`;

/**
 * The merged file without our block: from the blank line before BEGIN to the end of the END line,
 * and, when their closing brace shared a line with other text (`compact`), the line break and
 * indentation the merge put before it.
 */
function withoutBlock(merged: string, compact: boolean): string {
  const block = '[ \\t]*// BEGIN device-limit rules[\\s\\S]*?// END device-limit rules[^\\n]*\\n';
  // The leftmost match starts at the blank line the merge put before BEGIN.
  return merged.replace(new RegExp(compact ? `\\r?\\n(\\r?\\n)?${block}[ \\t]*` : `\\r?\\n${block}`), '');
}

/** `original` with the one comma the merge adds after the last entry of "rules". */
function withComma(original: string): string {
  const top = parseJsonc(original).value;
  const rules = top.type === 'object' ? top.entries.find((e) => e.key === 'rules')?.value : undefined;
  const last = rules?.type === 'object' ? rules.entries[rules.entries.length - 1] : undefined;
  if (last === undefined) return original;
  return `${original.slice(0, last.value.end)},${original.slice(last.value.end)}`;
}

describe('a first merge', () => {
  // [name, their file, whether their closing brace shares a line with other text]
  test.each<[string, string, boolean]>([
    ['a commented file, two-space indentation', APP, false],
    ['tab indentation', APP.replace(/^( {2})+/gm, (m) => '\t'.repeat(m.length / 2)), false],
    ['CRLF line endings', APP.replace(/\n/g, '\r\n'), false],
    ['a one-line file', '{"rules":{"posts":{".read":true}}}', true],
    ['empty rules', '{\n  "rules": {}\n}\n', true],
    [
      'a comment between the last entry and the brace',
      '{\n  "rules": {\n    "a": { ".read": true }\n    // more to come\n  }\n}\n',
      false,
    ],
    [
      'a multi-line expression',
      '{\n  "rules": {\n    "a": {\n      ".read": "auth != null &&\n        auth.uid == \'x\'"\n    }\n  }\n}\n',
      false,
    ],
    ['root rules written as the string "false"', '{ "rules": { ".read": "false", ".write": " false " } }', true],
  ])('%s: their text is untouched but for one comma, and our rules are in', (_name, original, compact) => {
    const plan = mergeRules(original);
    expect(plan.action).toBe('inserted');
    expect(withoutBlock(plan.text, compact)).toBe(withComma(original));
    const merged = parseJsoncValue(plan.text) as { rules: Record<string, unknown> };
    const ours = toRulesJson({ entries: buildRules().roots });
    for (const key of Object.keys(ours)) expect(merged.rules[key]).toEqual(ours[key]);
    expect(() => compileRules(plan.text)).not.toThrow();
  });

  test('their comments are all there, byte for byte and in order, before ours', () => {
    const theirs = parseJsonc(APP).comments.map((c) => c.text);
    const merged = parseJsonc(mergeRules(APP).text).comments.map((c) => c.text);
    expect(merged.slice(0, theirs.length - 1)).toEqual(theirs.slice(0, -1));
    // "// end of profiles" followed the last entry; it stays on that line, now after the comma.
    expect(mergeRules(APP).text).toContain('    }, // end of profiles\n');
  });

  test('the block follows their indentation and line endings', () => {
    const tabs = mergeRules(APP.replace(/^( {2})+/gm, (m) => '\t'.repeat(m.length / 2))).text;
    expect(tabs).toMatch(/\n\t\t\/\/ BEGIN device-limit rules/);
    expect(tabs).toMatch(/\n\t\t"presence": \{\n\t\t\t"\$uid": \{/);
    const crlf = mergeRules(APP.replace(/\n/g, '\r\n')).text;
    expect(crlf.replace(/\r\n/g, '')).not.toContain('\n');
  });

  test('a root .validate is merged with a warning: it judges our writes too', () => {
    const plan = mergeRules('{"rules": {".validate": "newData.exists()", "a": {".read": true}}}');
    expect(plan.warnings).toEqual([expect.stringMatching(/"\/\.validate" is checked on every write/)]);
  });
});

describe('merging again', () => {
  test('with the same options changes nothing', () => {
    const once = mergeRules(APP).text;
    const twice = mergeRules(once);
    expect(twice.action).toBe('unchanged');
    expect(twice.text).toBe(once);
  });

  test('with other options replaces only the block', () => {
    const once = mergeRules(APP).text;
    const again = mergeRules(once, { defaultLimit: 3 });
    expect(again.action).toBe('updated');
    expect(withoutBlock(again.text, false)).toBe(withoutBlock(once, false));
    expect(again.text).toContain("root.child('limits').child($uid).val() : 3)");
  });

  test('with other paths moves our rules to them', () => {
    const again = mergeRules(mergeRules(APP).text, { paths: { presence: 'dl_presence' } });
    const rules = (parseJsoncValue(again.text) as { rules: Record<string, unknown> }).rules;
    expect(Object.keys(rules)).toEqual([
      '.read',
      '.write',
      'posts',
      'profiles',
      'dl_presence',
      'limits',
      'presenceEvents',
      'shardEpoch',
    ]);
  });

  test('keeps an entry the user put after the block, and the commas right', () => {
    const once = mergeRules(APP).text;
    const edited = once.replace(
      /\n( {4})\}\n( {4})\/\/ END device-limit rules\n/,
      '\n$1},\n$2// END device-limit rules\n$2"zzz": { ".read": false }\n',
    );
    expect(edited).not.toBe(once);
    const again = mergeRules(edited, { defaultLimit: 4 });
    const rules = (parseJsoncValue(again.text) as { rules: Record<string, unknown> }).rules;
    expect(rules.zzz).toEqual({ '.read': false });
    expect(Object.keys(rules).slice(-1)).toEqual(['zzz']);
  });
});

describe('refusals', () => {
  test.each<[string, string, MergeOptions, Array<[MergeErrorCode, string, number, number]>, RegExp]>([
    [
      '".write": true on "/"',
      '{\n  "rules": {\n    ".write": true\n  }\n}',
      {},
      [[MERGE_ERROR_CODES.cascadeOverride, '/.write', 3, 15]],
      /"\/\.write" is true\. Read and write rules cascade, so it grants every write below "\/", including \/presence, \/limits, \/presenceEvents/,
    ],
    [
      '".read": "auth != null" on "/"',
      '{ "rules": { ".read": "auth != null" } }',
      {},
      [[MERGE_ERROR_CODES.cascadeOverride, '/.read', 1, 23]],
      /"\/\.read" is "auth != null"\. .* Set it to false \(or remove it\)/,
    ],
    [
      'both on "/", each named',
      '{ "rules": { ".read": true, ".write": "auth.uid != null" } }',
      {},
      [
        [MERGE_ERROR_CODES.cascadeOverride, '/.read', 1, 23],
        [MERGE_ERROR_CODES.cascadeOverride, '/.write', 1, 39],
      ],
      /cascade/,
    ],
    [
      'a path of ours already in use',
      '{ "rules": {\n  "limits": { ".read": true } } }',
      {},
      [[MERGE_ERROR_CODES.pathInUse, '/limits', 2, 3]],
      /"\/limits" already has rules, .*\(--presence-path, --limits-path, --events-path\)/,
    ],
    [
      'our configured path in use',
      '{ "rules": { "dl": {} } }',
      { paths: { presenceEvents: 'dl' } },
      [[MERGE_ERROR_CODES.pathInUse, '/dl', 1, 14]],
      /"\/dl" already has rules/,
    ],
    [
      'not JSON',
      '{\n  "rules": {\n    "a": { ".read": true },\n  }\n}',
      {},
      [[MERGE_ERROR_CODES.invalidRules, '/', 4, 3]],
      /not a valid rules file: trailing comma/,
    ],
    [
      'not an object',
      '[]',
      {},
      [[MERGE_ERROR_CODES.invalidRules, '/', 1, 1]],
      /an object with a "rules" key, got an array/,
    ],
    ['no "rules"', '{}', {}, [[MERGE_ERROR_CODES.invalidRules, '/', 1, 1]], /an object with a "rules" key/],
    [
      'another top-level key',
      '{ "rules": {}, "indexes": {} }',
      {},
      [[MERGE_ERROR_CODES.invalidRules, '/', 1, 16]],
      /unknown key "indexes"/,
    ],
    [
      'a rule that is not a string or boolean',
      '{ "rules": { "a": { ".write": 1 } } }',
      {},
      [[MERGE_ERROR_CODES.invalidRules, '/a/.write', 1, 31]],
      /\/a\/\.write: \.write must be a string or true\/false, got a number/,
    ],
    [
      'two wildcards at one location',
      '{ "rules": { "a": { "$x": {}, "$y": {} } } }',
      {},
      [[MERGE_ERROR_CODES.invalidRules, '/a/$y', 1, 31]],
      /only one \$wildcard/,
    ],
    [
      'a block without its END',
      '{ "rules": {\n  // BEGIN device-limit rules\n  "presence": {}\n} }',
      {},
      // Without its END the block is not recognised, so /presence counts as theirs too.
      [
        [MERGE_ERROR_CODES.blockDamaged, '/', 2, 3],
        [MERGE_ERROR_CODES.pathInUse, '/presence', 3, 3],
      ],
      /no "END device-limit rules" line/,
    ],
    [
      'a path of theirs inside our block',
      '{ "rules": {\n  // BEGIN device-limit rules\n  "posts": {}\n  // END device-limit rules\n} }',
      {},
      [[MERGE_ERROR_CODES.blockDamaged, '/posts', 3, 3]],
      /"\/posts" is inside the device-limit block, .* Move it out of the block/,
    ],
  ])('%s', (_name, text, options, expected, message) => {
    const result = planMerge(text, options);
    if (result.ok) throw new Error('the merge was not refused');
    expect(result.problems.map((p) => [p.code, p.path, p.line, p.column])).toEqual(expected);
    expect(result.problems[0]?.message).toMatch(message);

    let caught: unknown;
    try {
      mergeRules(text, { ...options, file: 'app.rules.json' });
    } catch (error) {
      caught = error;
    }
    expect(isRulesMergeError(caught)).toBe(true);
    expect(caught).toMatchObject({ code: expected[0]?.[0], file: 'app.rules.json' });
    expect((caught as Error).message).toMatch(
      new RegExp(`^app\\.rules\\.json:${expected[0]?.[2]}:${expected[0]?.[3]}: `),
    );
  });

  test('".read": false and ".write": "false" on "/" are not overrides', () => {
    expect(planMerge('{ "rules": { ".read": false, ".write": "false" } }').ok).toBe(true);
  });

  test('a root $wildcard does not override our named paths', () => {
    // A named child takes precedence over a $wildcard sibling, so "$other" no longer applies to /presence.
    expect(planMerge('{ "rules": { "$other": { ".read": true, ".write": true } } }').ok).toBe(true);
  });
});
