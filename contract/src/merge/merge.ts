/**
 * `mergeRules`: puts our rules into an existing `database.rules.json` and leaves every other byte of
 * it as it was. It works on the text, not on a re-serialised object, so the user's comments,
 * indentation, key order and line endings survive: our root locations go in as one block between
 * `BEGIN`/`END device-limit rules` comments at the end of their `"rules"` object, and a later merge
 * replaces only that block.
 */
import { PROTOCOL_VERSION } from '../index';
import { type BuiltRules, buildRules } from '../rules/build';
import { toRulesJson } from '../rules/document';
import type { RulesOptionsInput } from '../rules/options';
import { type Layout, commentLines, glossaryLines, renderEntries } from '../rules/render';
import { type MergeProblem, RulesMergeError } from './errors';
import { BLOCK_BEGIN, BLOCK_END, type InspectedRules, inspectRules } from './inspect';
import { type JsoncObject, jsoncValue, lineColumn, parseJsonc } from './jsonc';

export interface MergeOptions extends Omit<RulesOptionsInput, 'appDataPath'> {
  /** how the file is named in messages */
  readonly file?: string;
}

export interface MergePlan {
  readonly file: string;
  /** `inserted`: a first merge; `updated`: an earlier block replaced; `unchanged`: already up to date */
  readonly action: 'inserted' | 'updated' | 'unchanged';
  /** the merged file */
  readonly text: string;
  /** 1-based lines of the block in the merged file */
  readonly blockLines: { readonly from: number; readonly to: number };
  readonly warnings: readonly string[];
}

/** Like {@link mergeRules}, but returns the problems instead of throwing; nothing is written either way. */
export function planMerge(
  text: string,
  options: MergeOptions = {},
): { ok: true; plan: MergePlan } | { ok: false; problems: [MergeProblem, ...MergeProblem[]] } {
  const built = buildRules(options);
  const roots = built.roots.map((r) => r.key);
  const inspected = inspectRules(text, roots);
  const [first, ...rest] = inspected.problems;
  if (first !== undefined) return { ok: false, problems: [first, ...rest] };
  if (!('rules' in inspected)) throw new Error('internal error: a rules file without problems but without rules');
  return { ok: true, plan: splice(inspected, built, options, options.file ?? 'database.rules.json') };
}

/** The merged text; throws RulesMergeError (every problem listed) when the file cannot take our rules. */
export function mergeRules(text: string, options: MergeOptions = {}): MergePlan {
  const result = planMerge(text, options);
  if (!result.ok) throw new RulesMergeError(options.file ?? 'database.rules.json', result.problems);
  return result.plan;
}

function lineStart(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

/** The whitespace that starts the line of `offset`. */
function leadingWhitespace(text: string, offset: number): string {
  const start = lineStart(text, offset);
  return /^[ \t]*/.exec(text.slice(start))?.[0] ?? '';
}

/** Whether only whitespace precedes `offset` on its line. */
function startsLine(text: string, offset: number): boolean {
  return text.slice(lineStart(text, offset), offset).trim() === '';
}

/** Indentation and line ending as the user's file has them, so the block looks like the rest. */
function layoutOf(
  text: string,
  rules: JsoncObject,
  rulesKeyStart: number,
): { layout: Layout; indent: string; close: string } {
  const newline = text.includes('\r\n') ? '\r\n' : '\n';
  const close = leadingWhitespace(text, rulesKeyStart);
  const first = rules.entries[0];
  let indent: string | null =
    first !== undefined && startsLine(text, first.keyStart) ? leadingWhitespace(text, first.keyStart) : null;
  let unit =
    indent !== null && indent.startsWith(close) && indent.length > close.length ? indent.slice(close.length) : '';
  if (unit === '') unit = close.startsWith('\t') ? '\t' : '  ';
  if (indent === null || indent.length <= close.length) indent = close + unit;
  return { layout: { unit, newline, width: 110 }, indent, close };
}

/** The regenerate command for the block's first comment: the flags that differ from the defaults. */
function mergeCommand(options: MergeOptions, built: BuiltRules): string {
  const flags: string[] = [];
  if (options.paths?.presence !== undefined) flags.push(`--presence-path ${built.options.paths.presence}`);
  if (options.paths?.limits !== undefined) flags.push(`--limits-path ${built.options.paths.limits}`);
  if (options.paths?.presenceEvents !== undefined) flags.push(`--events-path ${built.options.paths.presenceEvents}`);
  if (options.defaultLimit !== undefined) flags.push(`--default-limit ${built.options.defaultLimit}`);
  if (options.platforms !== undefined) flags.push(`--platforms ${built.options.platforms.join(',')}`);
  return ['npx device-limit rules merge <this file> --write', ...flags].join(' ');
}

function blockText(
  built: BuiltRules,
  options: MergeOptions,
  indent: string,
  layout: Layout,
  trailingComma: boolean,
): string[] {
  return [
    `${indent}${BLOCK_BEGIN} for /${built.roots.map((r) => r.key).join(', /')} (@device-limit/contract, protocol version ${PROTOCOL_VERSION}).`,
    ...commentLines(
      `Written by \`${mergeCommand(options, built)}\`; run it again to update this block, which it replaces as a whole: keep your own rules outside it. §N is a section of the device-limit protocol (docs/protocol.md).`,
      indent,
      layout,
    ),
    `${indent}//`,
    ...glossaryLines(indent, layout),
    '',
    ...renderEntries(built.roots, indent, layout, trailingComma),
    `${indent}${BLOCK_END}`,
  ];
}

interface Edit {
  readonly at: number;
  readonly remove: number;
  readonly insert: string;
}

/**
 * Applies edits from the end of the text backwards, so earlier offsets stay valid. Two edits at one
 * offset (a comma right before a block in a one-line file) land in the order they were made.
 */
function applyEdits(text: string, edits: readonly Edit[]): string {
  let out = text;
  const order = edits.map((edit, index) => ({ edit, index }));
  order.sort((a, b) => b.edit.at - a.edit.at || b.index - a.index);
  for (const { edit } of order) {
    out = out.slice(0, edit.at) + edit.insert + out.slice(edit.at + edit.remove);
  }
  return out;
}

function splice(inspected: InspectedRules, built: BuiltRules, options: MergeOptions, file: string): MergePlan {
  const { text, rules, rulesKeyStart, block } = inspected;
  const { layout, indent, close } = layoutOf(text, rules, rulesKeyStart);
  const nl = layout.newline;
  const edits: Edit[] = [];
  let blockStart: number;

  if (block === null) {
    // A first merge: the block goes after their last entry, before the closing brace.
    const last = rules.entries[rules.entries.length - 1];
    if (last !== undefined) edits.push({ at: last.value.end, remove: 0, insert: ',' });
    const lines = blockText(built, options, indent, layout, false);
    const brace = rules.end - 1;
    const separator = last !== undefined ? nl : '';
    if (startsLine(text, brace)) {
      blockStart = lineStart(text, brace);
      edits.push({ at: blockStart, remove: 0, insert: separator + lines.join(nl) + nl });
    } else {
      blockStart = brace;
      edits.push({ at: brace, remove: 0, insert: nl + separator + lines.join(nl) + nl + close });
    }
  } else {
    // An earlier merge: replace its block, from the BEGIN line to the end of the END line.
    const from = startsLine(text, block.begin.start) ? lineStart(text, block.begin.start) : block.begin.start;
    let to = block.end.end;
    if (text.startsWith('\r\n', to)) to += 2;
    else if (text[to] === '\n') to += 1;
    const before = rules.entries.filter((e) => e.keyStart < from);
    const after = rules.entries.some((e) => e.keyStart >= to);
    const previous = before[before.length - 1];
    if (previous !== undefined && previous.commaAt === -1)
      edits.push({ at: previous.value.end, remove: 0, insert: ',' });
    const lines = blockText(built, options, indent, layout, after);
    blockStart = from;
    edits.push({ at: from, remove: to - from, insert: (from === block.begin.start ? nl : '') + lines.join(nl) + nl });
  }

  const merged = applyEdits(text, edits);
  verify(merged, built, file);
  const begin = merged.indexOf(BLOCK_BEGIN, blockStart);
  const end = merged.indexOf(BLOCK_END, begin);
  return {
    file,
    action: merged === text ? 'unchanged' : block === null ? 'inserted' : 'updated',
    text: merged,
    blockLines: { from: lineColumn(merged, begin).line, to: lineColumn(merged, end).line },
    warnings: inspected.warnings,
  };
}

/**
 * The merged file must parse and carry exactly our rules at our roots; anything else is a bug here,
 * and writing a broken rules file would be worse than stopping.
 */
function verify(merged: string, built: BuiltRules, file: string): void {
  const top = parseJsonc(merged).value;
  const rules = top.type === 'object' ? top.entries.find((e) => e.key === 'rules')?.value : undefined;
  if (rules?.type !== 'object') throw new Error(`internal error: the merged ${file} has no "rules" object`);
  const expected = toRulesJson({ entries: built.roots });
  for (const [key, value] of Object.entries(expected)) {
    const found = rules.entries.filter((e) => e.key === key);
    const only = found.length === 1 ? found[0] : undefined;
    const got = only !== undefined ? JSON.stringify(jsoncValue(only.value)) : `${found.length} entries`;
    if (got !== JSON.stringify(value)) throw new Error(`internal error: the merged ${file} has other rules at /${key}`);
  }
}
