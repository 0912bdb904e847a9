/**
 * Reads a user's rules file for the merge: checks that it is shaped like Realtime Database rules,
 * finds the block of an earlier merge, and lists what would make our rules ineffective or collide.
 */
import { MERGE_ERROR_CODES, type MergeProblem } from './errors';
import {
  type JsoncComment,
  type JsoncEntry,
  type JsoncNode,
  type JsoncObject,
  JsoncSyntaxError,
  lineColumn,
  parseJsonc,
} from './jsonc';

export const BLOCK_BEGIN = '// BEGIN device-limit rules';
export const BLOCK_END = '// END device-limit rules';

export interface InspectedRules {
  readonly text: string;
  /** the `"rules"` object */
  readonly rules: JsoncObject;
  /** offset of the `"rules"` key */
  readonly rulesKeyStart: number;
  /** the block an earlier merge wrote, if any */
  readonly block: { readonly begin: JsoncComment; readonly end: JsoncComment } | null;
  readonly problems: MergeProblem[];
  readonly warnings: string[];
}

const RULE_KINDS = new Set(['.read', '.write', '.validate']);
const WILDCARD = /^\$[A-Za-z_][A-Za-z0-9_]*$/;
const INVALID_KEY = /[.#$/[\]\u0000-\u001f\u007f]/;

function describe(node: JsoncNode): string {
  return node.type === 'object'
    ? 'an object'
    : node.type === 'array'
      ? 'an array'
      : node.type === 'null'
        ? 'null'
        : `a ${node.type}`;
}

class Inspector {
  readonly problems: MergeProblem[] = [];
  readonly warnings: string[] = [];

  constructor(readonly text: string) {}

  problem(code: MergeProblem['code'], path: string, offset: number, message: string): void {
    const { line, column } = lineColumn(this.text, offset);
    this.problems.push({ code, path, line, column, message });
  }

  invalid(path: string, offset: number, message: string): void {
    this.problem(MERGE_ERROR_CODES.invalidRules, path, offset, `${path}: ${message}`);
  }

  /** The shape the server accepts when rules are saved; expressions are left to the server (and our emulator). */
  checkNode(node: JsoncNode, path: string): void {
    if (node.type !== 'object') {
      this.invalid(path, node.start, `expected an object of rules, got ${describe(node)}`);
      return;
    }
    let wildcard: string | null = null;
    for (const { key, keyStart, value } of node.entries) {
      const child = path === '/' ? `/${key}` : `${path}/${key}`;
      if (RULE_KINDS.has(key)) {
        if (value.type !== 'boolean' && value.type !== 'string') {
          this.invalid(child, value.start, `${key} must be a string or true/false, got ${describe(value)}`);
        }
      } else if (key === '.indexOn') {
        const ok = value.type === 'string' || (value.type === 'array' && value.items.every((i) => i.type === 'string'));
        if (!ok) this.invalid(child, value.start, '.indexOn must be a string or an array of strings');
      } else if (key.startsWith('.')) {
        this.invalid(child, keyStart, `unknown rule type '${key}': expected .read, .write, .validate or .indexOn`);
      } else if (key.startsWith('$')) {
        if (!WILDCARD.test(key)) this.invalid(child, keyStart, `invalid wildcard name '${key}'`);
        else if (wildcard !== null) {
          this.invalid(child, keyStart, `only one $wildcard is allowed at a location, found ${wildcard} and ${key}`);
        }
        wildcard = key;
        this.checkNode(value, child);
      } else if (key === '' || INVALID_KEY.test(key)) {
        this.invalid(child, keyStart, `invalid key ${JSON.stringify(key)}: keys cannot contain . # $ / [ ]`);
      } else {
        this.checkNode(value, child);
      }
    }
  }
}

/** Comments that sit directly in `object`, between its entries rather than inside their values. */
function commentsAt(object: JsoncObject, comments: readonly JsoncComment[]): JsoncComment[] {
  return comments.filter(
    (c) =>
      c.start > object.start &&
      c.end < object.end &&
      !object.entries.some((e) => c.start > e.value.start && c.start < e.value.end),
  );
}

/**
 * Parses and checks `text` against our root keys. Structural problems stop the inspection there;
 * the cascade and path checks all run, so a refusal lists every path the user has to change.
 */
export function inspectRules(text: string, roots: readonly string[]): InspectedRules | { problems: MergeProblem[] } {
  const inspector = new Inspector(text);
  let document;
  try {
    document = parseJsonc(text);
  } catch (error) {
    if (!(error instanceof JsoncSyntaxError)) throw error;
    inspector.problem(MERGE_ERROR_CODES.invalidRules, '/', error.offset, `not a valid rules file: ${error.reason}`);
    return { problems: inspector.problems };
  }
  const top = document.value;
  if (top.type !== 'object') {
    inspector.invalid('/', top.start, `a rules file is an object with a "rules" key, got ${describe(top)}`);
    return { problems: inspector.problems };
  }
  for (const entry of top.entries) {
    if (entry.key !== 'rules') {
      inspector.invalid('/', entry.keyStart, `unknown key "${entry.key}": a rules file holds only "rules"`);
    }
  }
  const rulesEntries = top.entries.filter((e) => e.key === 'rules');
  const rulesEntry = rulesEntries[rulesEntries.length - 1];
  if (rulesEntry === undefined) inspector.invalid('/', top.start, 'a rules file is an object with a "rules" key');
  else if (rulesEntries.length > 1) {
    inspector.invalid('/', rulesEntry.keyStart, '"rules" appears twice; keep one');
  } else inspector.checkNode(rulesEntry.value, '/');
  if (inspector.problems.length > 0 || rulesEntry === undefined || rulesEntry.value.type !== 'object') {
    return { problems: inspector.problems };
  }
  const rules = rulesEntry.value;

  // Read and write rules cascade: a grant at "/" (the only ancestor of our root-level paths) grants
  // every read or write below it, and no rule of ours can take it back.
  for (const entry of rules.entries) {
    if (entry.key !== '.read' && entry.key !== '.write') continue;
    const value = entry.value;
    // The checks above made every .read/.write a boolean or a string.
    const literallyFalse =
      (value.type === 'boolean' && !value.value) || (value.type === 'string' && value.value.trim() === 'false');
    if (literallyFalse) continue;
    const shown = value.type === 'string' ? JSON.stringify(value.value) : text.slice(value.start, value.end);
    const what = entry.key === '.read' ? 'read' : 'write';
    inspector.problem(
      MERGE_ERROR_CODES.cascadeOverride,
      `/${entry.key}`,
      value.start,
      `"/${entry.key}" is ${shown}. Read and write rules cascade, so it grants every ${what} below "/", including /${roots.join(', /')}, whatever the device-limit rules there say. Set it to false (or remove it) and grant ${what}s on your own paths instead, then run the merge again.`,
    );
  }

  const markers = commentsAt(rules, document.comments);
  const begins = markers.filter((c) => c.text.startsWith(BLOCK_BEGIN));
  const ends = markers.filter((c) => c.text.startsWith(BLOCK_END));
  let block: InspectedRules['block'] = null;
  const begin = begins[0];
  const end = ends[0];
  if (begins.length > 1 || ends.length > 1) {
    const extra = (begins.length > 1 ? begins[1] : ends[1]) as JsoncComment;
    inspector.problem(
      MERGE_ERROR_CODES.blockDamaged,
      '/',
      extra.start,
      'the file has more than one device-limit block; delete all but one (from "BEGIN device-limit rules" to "END device-limit rules"), then run the merge again.',
    );
  } else if (begin !== undefined && (end === undefined || end.start < begin.start)) {
    inspector.problem(
      MERGE_ERROR_CODES.blockDamaged,
      '/',
      begin.start,
      'the device-limit block has no "END device-limit rules" line after its BEGIN line; delete the block and run the merge again.',
    );
  } else if (end !== undefined && begin === undefined) {
    inspector.problem(
      MERGE_ERROR_CODES.blockDamaged,
      '/',
      end.start,
      'an "END device-limit rules" line without its BEGIN line; delete what is left of the block and run the merge again.',
    );
  } else if (begin !== undefined && end !== undefined) {
    block = { begin, end };
  }

  // The BEGIN line lists the paths the block was written for, so a merge with other paths may
  // replace them; any other key in the block is the user's, and replacing the block would lose it.
  const written = block === null ? undefined : /^\/\/ BEGIN device-limit rules for ([^(]*)/.exec(block.begin.text)?.[1];
  const recorded = (written ?? '').split(',').map((p) => p.trim().replace(/^\//, ''));
  const ours = new Set([...roots, ...recorded.filter((p) => p !== '')]);
  const inBlock = (entry: JsoncEntry) =>
    block !== null && entry.keyStart > block.begin.end && entry.keyStart < block.end.start;
  for (const entry of rules.entries) {
    if (entry.key.startsWith('.')) continue;
    if (inBlock(entry)) {
      if (!ours.has(entry.key)) {
        inspector.problem(
          MERGE_ERROR_CODES.blockDamaged,
          `/${entry.key}`,
          entry.keyStart,
          `"/${entry.key}" is inside the device-limit block, which the merge replaces as a whole, but it is not one of the device-limit paths (/${[...ours].join(', /')}). Move it out of the block (or delete the block to merge with other paths), then run the merge again.`,
        );
      }
    } else if (roots.includes(entry.key)) {
      inspector.problem(
        MERGE_ERROR_CODES.pathInUse,
        `/${entry.key}`,
        entry.keyStart,
        `"/${entry.key}" already has rules, and the device-limit rules need that path for themselves. Move your data and rules elsewhere, or give ours another root (--presence-path, --limits-path, --events-path), then run the merge again.`,
      );
    }
  }

  const validate = rules.entries.find((e) => e.key === '.validate');
  if (validate !== undefined) {
    const { line } = lineColumn(text, validate.keyStart);
    inspector.warnings.push(
      `line ${line}: "/.validate" is checked on every write, the device-limit writes included; make sure it accepts them (a claim is a multi-location update at the root).`,
    );
  }

  return {
    text,
    rules,
    rulesKeyStart: rulesEntry.keyStart,
    block,
    problems: inspector.problems,
    warnings: inspector.warnings,
  };
}
