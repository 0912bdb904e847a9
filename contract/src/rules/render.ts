/**
 * Prints rules as the commented JSON that `database.rules.json` may be: the Realtime Database
 * accepts `//` comments in rules (the console's own default rules carry one), firebase-tools deploys
 * the file as text, and our emulator reads the same dialect. Strings stay on one line, so apart from
 * the comments the file is plain JSON.
 */
import { PROTOCOL_VERSION } from '../index';
import { type RuleEntry, type RuleObject, isRuleObject } from './document';
import { type BuiltRules, buildRules, standaloneRules } from './build';
import { EXAMPLE_APP_DATA_PATH, type RulesOptionsInput } from './options';
import { PIECES } from './pieces';

export interface Layout {
  /** one level of indentation, e.g. two spaces or a tab */
  readonly unit: string;
  /** line ending */
  readonly newline: string;
  /** comments are wrapped to this many columns, indentation included (Prettier's printWidth here) */
  readonly width: number;
}

export const DEFAULT_LAYOUT: Layout = { unit: '  ', newline: '\n', width: 110 };

/** Greedy word wrap; a word longer than the line gets a line of its own. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}

/**
 * Splits a formula at its top-level `&&`/`||` operators (outside parentheses and quotes):
 * `a && (b || c) || d` gives `a`, `&& (b || c)`, `|| d`.
 */
function topLevelParts(formula: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < formula.length; i++) {
    const c = formula[i];
    if (c === "'") quoted = !quoted;
    if (quoted) continue;
    if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth--;
    else if (depth === 0 && c === ' ' && /^ (&&|\|\|) /.test(formula.slice(i, i + 4)) && i > start) {
      parts.push(formula.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(formula.slice(start));
  return parts;
}

/** Whether `text` is one parenthesised group: `(…)` whose first `(` closes at the end. */
function isGroup(text: string): boolean {
  if (!text.startsWith('(') || !text.endsWith(')')) return false;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')' && --depth === 0) return i === text.length - 1;
  }
  return false;
}

/**
 * A formula laid out to `width`: operands of the top-level `&&`/`||` packed onto lines, and a group
 * too long for one line opened up the same way, one level deeper, so the structure of a rule (e.g.
 * claim || release || update) shows in the indentation.
 */
function layoutFormula(formula: string, width: number): string[] {
  if (formula.length <= width) return [formula];
  const parts = topLevelParts(formula);
  if (parts.length === 1) {
    if (!isGroup(formula)) return [formula];
    const inner = layoutFormula(formula.slice(1, -1), width - 1);
    return inner.map((line, i) => (i === 0 ? '(' : ' ') + line + (i === inner.length - 1 ? ')' : ''));
  }
  const lines: string[] = [];
  let line = '';
  for (const part of parts) {
    if (part.length > width) {
      if (line !== '') lines.push(line);
      line = '';
      const operator = /^(&&|\|\|) /.exec(part)?.[0] ?? '';
      const sub = layoutFormula(part.slice(operator.length), width - operator.length);
      sub.forEach((l, i) => lines.push(i === 0 ? operator + l : ' '.repeat(operator.length) + l));
    } else if (line !== '' && line.length + 1 + part.length > width) {
      lines.push(line);
      line = part;
    } else {
      line = line === '' ? part : `${line} ${part}`;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}

function entryComment(entry: RuleEntry, indent: string, layout: Layout): string[] {
  const width = Math.max(60, layout.width - indent.length - 3);
  const lines = entry.why === undefined ? [] : wrap(entry.why, width);
  if (entry.formula !== undefined) {
    const formula = layoutFormula(entry.formula, width - 2);
    lines.push(`= ${formula[0] ?? ''}`, ...formula.slice(1).map((l) => `  ${l}`));
  }
  return lines.map((l) => `${indent}// ${l}`);
}

function renderValue(entry: RuleEntry, indent: string, layout: Layout): string {
  const value = entry.value;
  if (typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (!isRuleObject(value)) return `[${value.map((v) => JSON.stringify(v)).join(', ')}]`;
  return renderObjectBody(value, indent, layout);
}

/** `{`, the entries one per line at `indent + unit`, `}` at `indent`. */
export function renderObjectBody(object: RuleObject, indent: string, layout: Layout): string {
  if (object.entries.length === 0) return '{}';
  const inner = indent + layout.unit;
  const lines = renderEntries(object.entries, inner, layout, false);
  return ['{', ...lines, `${indent}}`].join(layout.newline);
}

/**
 * The lines of `entries` at `indent`, each preceded by its comment; a blank line before every
 * commented entry but the first keeps the blocks apart. `trailingComma` puts a comma after the last.
 */
export function renderEntries(
  entries: readonly RuleEntry[],
  indent: string,
  layout: Layout,
  trailingComma: boolean,
): string[] {
  const lines: string[] = [];
  entries.forEach((entry, i) => {
    const comment = entryComment(entry, indent, layout);
    if (i > 0 && comment.length > 0) lines.push('');
    lines.push(...comment);
    const comma = i < entries.length - 1 || trailingComma ? ',' : '';
    const value = renderValue(entry, indent, layout);
    lines.push(`${indent}${JSON.stringify(entry.key)}: ${value}${comma}`);
  });
  return lines;
}

/** `text` as `//` comment lines at `indent`, wrapped to the layout's width. */
export function commentLines(text: string, indent: string, layout: Layout): string[] {
  return wrap(text, Math.max(60, layout.width - indent.length - 3)).map((l) => `${indent}// ${l}`);
}

/** The glossary of named pieces, as comment lines. */
export function glossaryLines(indent: string, layout: Layout): string[] {
  const nameWidth = Math.max(...PIECES.map(([name]) => name.length));
  const lines = ['Each rule below shows, after "=", its expression in terms of these named pieces:'];
  for (const [name, meaning] of PIECES) {
    const wrapped = wrap(meaning, Math.max(40, layout.width - indent.length - 3 - nameWidth - 4));
    lines.push(`  ${name.padEnd(nameWidth)}  ${wrapped[0] ?? ''}`);
    for (const more of wrapped.slice(1)) lines.push(`  ${''.padEnd(nameWidth)}  ${more}`);
  }
  return lines.map((l) => `${indent}// ${l}`.trimEnd());
}

/** The command line that regenerates a file with these options (non-default options only). */
export function generateCommand(built: BuiltRules, input: RulesOptionsInput): string {
  const flags: string[] = [];
  if (input.paths?.presence !== undefined) flags.push(`--presence-path ${built.options.paths.presence}`);
  if (input.paths?.limits !== undefined) flags.push(`--limits-path ${built.options.paths.limits}`);
  if (input.paths?.presenceEvents !== undefined) flags.push(`--events-path ${built.options.paths.presenceEvents}`);
  if (input.defaultLimit !== undefined) flags.push(`--default-limit ${built.options.defaultLimit}`);
  if (input.platforms !== undefined) flags.push(`--platforms ${built.options.platforms.join(',')}`);
  // The CLI writes the example app path unless told not to (it is this repository's own file).
  if (built.options.appDataPath === undefined) flags.push('--no-app-data');
  else if (built.options.appDataPath !== EXAMPLE_APP_DATA_PATH)
    flags.push(`--app-data-path ${built.options.appDataPath}`);
  return ['device-limit rules generate', ...flags].join(' ');
}

/**
 * The whole standalone rules file `rules generate` writes. Without `appDataPath` it has no example
 * app path; the CLI passes {@link EXAMPLE_APP_DATA_PATH} unless told `--no-app-data`.
 */
export function renderRulesFile(input: RulesOptionsInput = {}, layout: Layout = DEFAULT_LAYOUT): string {
  const built = buildRules(input);
  const unit = layout.unit;
  const header = commentLines(
    `Generated by \`${generateCommand(built, input)}\` (@device-limit/contract, protocol version ${PROTOCOL_VERSION}). Do not edit by hand: change the options or the builder and generate again. §N is a section of the device-limit protocol (docs/protocol.md).`,
    unit,
    layout,
  );
  const lines = [
    '{',
    ...header,
    `${unit}//`,
    ...glossaryLines(unit, layout),
    `${unit}"rules": ${renderObjectBody(standaloneRules(built), unit, layout)}`,
    '}',
    '',
  ];
  return lines.join(layout.newline);
}
