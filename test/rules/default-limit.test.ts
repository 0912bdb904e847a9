/**
 * The default device limit N has one authoritative place: the `presence/$uid/count/.validate` rule
 * in database.rules.json (docs/protocol.md §2, "The default limit N = 2"). Code that needs the number
 * takes `DEFAULT_DEVICE_LIMIT` from `@device-limit/contract` (protocol version 2), which the client
 * module and the functions re-export; this test fails as soon as that constant, or any copy of it
 * left in a package, disagrees.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_DEVICE_LIMIT } from '@device-limit/contract';
import { defaultLimitFromRules, RULES_FILE } from '../helpers/presence';

const ROOT = path.resolve(__dirname, '../..');
const CONSTANT = /\bDEFAULT_DEVICE_LIMIT\b\s*(?::\s*[A-Za-z]+\s*)?=\s*(\d+)/g;

function sourceFiles(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return []; // the package does not exist (yet)
  }
  return entries.flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return name === 'node_modules' ? [] : sourceFiles(full);
    return /\.(ts|tsx|js|mjs|cjs)$/.test(name) && !/\.test\.ts$/.test(name) ? [full] : [];
  });
}

describe('the default device limit', () => {
  const limit = defaultLimitFromRules();

  test('is a positive integer, and every rule that needs the limit states the same one', () => {
    const text = readFileSync(RULES_FILE, 'utf8');
    expect(Number.isInteger(limit) && limit > 0).toBe(true);
    // The count rule, and the replace form of a claim (docs/protocol.md §11.2), each spell out limitFor.
    const stated = [...text.matchAll(/root\.child\('limits'\)\.child\(\$uid\)\.val\(\) : (\d+)\)/g)].map((m) =>
      Number(m[1]),
    );
    expect(stated.length).toBeGreaterThanOrEqual(1);
    expect(stated.filter((n) => n !== limit)).toEqual([]);
    expect(text.split("root.child('limits').child($uid).val() :").length - 1).toBe(stated.length);
  });

  test('docs/protocol.md states the same number', () => {
    const doc = readFileSync(path.join(ROOT, 'docs/protocol.md'), 'utf8');
    const stated = /The default is \*\*(\d+)\*\*/.exec(doc);
    expect(Number(stated?.[1])).toBe(limit);
    const row = /\| `DEFAULT_DEVICE_LIMIT` \| (\d+) \|/.exec(doc);
    expect(Number(row?.[1])).toBe(limit);
  });

  test('@device-limit/contract states the same number', () => {
    expect(DEFAULT_DEVICE_LIMIT).toBe(limit);
  });

  test('every DEFAULT_DEVICE_LIMIT constant in contract/, functions/ and client-sdk/ agrees with the rules', () => {
    const copies = ['contract/src', 'functions/src', 'client-sdk/src'].flatMap((dir) =>
      sourceFiles(path.join(ROOT, dir)).flatMap((file) =>
        [...readFileSync(file, 'utf8').matchAll(CONSTANT)].map((m) => ({
          file: path.relative(ROOT, file),
          value: Number(m[1]),
        })),
      ),
    );
    // The contract package keeps the one copy: finding none would make this check pass vacuously.
    expect(copies.map((copy) => copy.file)).toContain('contract/src/index.ts');
    expect(copies.filter((copy) => copy.value !== limit)).toEqual([]);
  });
});
