/**
 * Text for the explain-denials log: which rule decided, its expression, and the values it saw.
 * The official emulator says only "Permission denied"; this is what makes a denial debuggable.
 */
import type { CompiledRule, RuleTrace } from './rule';
import { describeValue } from './snapshot';

export function pathText(path: readonly string[]): string {
  return '/' + path.join('/');
}

export function ruleLine(rule: CompiledRule, trace: RuleTrace, dataPath: readonly string[]): string {
  const outcome = trace.result === 'error' ? `error: ${trace.error}` : String(trace.result);
  const seen = trace.seen
    .filter((entry) => entry.error === undefined)
    .map((entry) => `${entry.source} = ${describeValue(entry.value)}`);
  const where = rule.kind === '.validate' ? ` (at ${pathText(dataPath)})` : '';
  let line = `  ${rule.rulePath}${where}: ${oneLine(rule.source)} → ${outcome}`;
  if (seen.length > 0) line += `\n      saw ${seen.join(', ')}`;
  return line;
}

function oneLine(source: string): string {
  return source.replace(/\s*\n\s*/g, ' ');
}

/** The message the SDK logs for the `no_index` warning (`PersistentConnection.warnOnListenWarnings_`). */
export function unindexedQueryWarning(child: string, path: readonly string[]): string {
  return (
    `Using an unspecified index. Your data will be downloaded and filtered on the client. ` +
    `Consider adding ".indexOn": "${child}" at ${pathText(path)} to your security rules for better performance.`
  );
}
