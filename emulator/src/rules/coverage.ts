import type { CoverageReport } from './coverage-types';

export function renderCoverageHtml(report: CoverageReport): string {
  return `<!doctype html><title>Rules coverage</title><pre>${JSON.stringify(report)}</pre>`;
}
