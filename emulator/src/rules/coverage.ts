/**
 * Rules coverage as a page a developer can read: every expression of the rules with how often it
 * ran and how it came out, the ones never evaluated first in line of sight. The official emulator
 * serves a similar report at `/.inspect/coverage?ns=…`; the JSON form is {@link CoverageReport}.
 */
import type { CoverageReport, ExpressionCoverage } from './coverage-types';

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

type Status = 'never' | 'partial' | 'full';

/** `full` when the rule has been seen both granting and not granting; boolean rules only need to run. */
function status(entry: ExpressionCoverage): Status {
  if (entry.evaluations === 0) return 'never';
  if (entry.expression === 'true' || entry.expression === 'false') return 'full';
  return entry.trueCount > 0 && entry.falseCount + entry.errorCount > 0 ? 'full' : 'partial';
}

const STATUS_LABEL: Readonly<Record<Status, string>> = {
  never: 'never evaluated',
  partial: 'one outcome only',
  full: 'true and false seen',
};

export function renderCoverageHtml(report: CoverageReport): string {
  const entries = report.expressions;
  const counts = { never: 0, partial: 0, full: 0 };
  for (const entry of entries) counts[status(entry)]++;
  const rows = entries
    .map((entry) => {
      const s = status(entry);
      const { start, end } = entry.range;
      return (
        `<tr class="${s}"><td><code>${escapeHtml(entry.path)}</code></td>` +
        `<td><pre>${escapeHtml(entry.expression)}</pre></td>` +
        `<td class="n">${start.line}:${start.column}–${end.line}:${end.column}</td>` +
        `<td class="n">${entry.evaluations}</td><td class="n">${entry.trueCount}</td>` +
        `<td class="n">${entry.falseCount}</td><td class="n">${entry.errorCount}</td>` +
        `<td>${STATUS_LABEL[s]}</td></tr>`
      );
    })
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Realtime Database rules coverage</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; }
  table { border-collapse: collapse; width: 100%; }
  th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: left; vertical-align: top; }
  th { background: #f3f3f3; }
  td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
  pre { margin: 0; white-space: pre-wrap; font: 13px/1.3 ui-monospace, monospace; }
  tr.never { background: #fde8e8; }
  tr.partial { background: #fff6dc; }
  tr.full { background: #e8f6ea; }
  .summary span { display: inline-block; margin-right: 1.5em; padding: 2px 8px; }
</style>
</head>
<body>
<h1>Rules coverage</h1>
<p class="summary">${entries.length} expressions:
  <span class="never" style="background:#fde8e8">${counts.never} never evaluated</span>
  <span style="background:#fff6dc">${counts.partial} with one outcome only</span>
  <span style="background:#e8f6ea">${counts.full} fully exercised</span></p>
<p>An expression is fully exercised when tests have seen it both grant (true) and not grant (false or error).
Ranges are line:column in the rules file.</p>
<table>
<thead><tr><th>Rule</th><th>Expression</th><th>Range</th><th>Evaluated</th><th>True</th><th>False</th><th>Error</th><th>Status</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
</body>
</html>
`;
}
