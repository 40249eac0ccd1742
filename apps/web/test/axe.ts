// axe-core run inside the page (Chromium), so an accessibility regression fails the browser tests. The rules are
// WCAG 2.0–2.2 A and AA plus axe's best practices: what Lighthouse's accessibility score is made of (its
// target-size audit is WCAG 2.2's).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'];

export interface AxeViolation {
  page: string;
  rule: string;
  impact: string | null;
  help: string;
  /** The first few offending elements (CSS selectors), each with what axe says about it. */
  targets: string[];
  detail: string;
}

interface AxeResult {
  violations: { id: string; impact: string | null; help: string; nodes: { target: string[]; failureSummary?: string }[] }[];
}

/** The page's violations as it stands now; `page` names it in the report. */
export async function axeViolations(page: Page, name: string): Promise<AxeViolation[]> {
  // A client-side navigation streams the new page's <title> after its URL changes, so the document is briefly
  // untitled; wait (a bounded while) for the page to settle. A page that never gets a title still fails below.
  await page.waitForFunction(() => document.title.trim() !== '', undefined, { timeout: 5_000 }).catch(() => undefined);
  // Evaluated through the debugging protocol, so the dashboard's Content-Security-Policy does not block it.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE_SOURCE);
  const result = (await page.evaluate(
    (tags) =>
      (window as unknown as { axe: { run(context: Document, options: unknown): Promise<unknown> } }).axe.run(document, {
        runOnly: { type: 'tag', values: tags },
      }),
    TAGS,
  )) as AxeResult;
  return result.violations.map((violation) => ({
    page: name,
    rule: violation.id,
    impact: violation.impact,
    help: violation.help,
    targets: violation.nodes.slice(0, 5).map((node) => `${node.target.join(' ')}: ${(node.failureSummary ?? '').split('\n')[1]?.trim() ?? ''}`),
    detail: violation.nodes[0]?.failureSummary ?? '',
  }));
}

/** A readable list for a failing assertion. */
export function formatViolations(violations: readonly AxeViolation[]): string {
  return violations.map((v) => `${v.page}: ${v.rule} (${v.impact}) ${v.help}\n  ${v.targets.join('\n  ')}\n  ${v.detail.replace(/\n/g, '\n  ')}`).join('\n');
}
