import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

const AXE_PATH = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/** The WCAG AA checks the browser suite holds every main screen to: contrast, names and valid ARIA. */
export const AXE_RULES = ['color-contrast', 'label', 'button-name', 'link-name', 'aria-required-attr', 'aria-valid-attr-value'];

interface AxeResult {
  violations: { id: string; help: string; nodes: { target: unknown[]; failureSummary?: string }[] }[];
}

declare global {
  interface Window {
    axe?: { run(context: unknown, options: unknown): Promise<AxeResult> };
  }
}

/** Runs axe on the page as it stands and returns each violation as "rule: element — why". */
export async function axeViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => Boolean(window.axe)))) await page.addScriptTag({ path: AXE_PATH });
  // Let antd's enter animations settle: axe measures contrast on half-faded text otherwise.
  await page.waitForTimeout(400);
  const result = await page.evaluate(
    (rules) => window.axe!.run(document, { runOnly: { type: 'rule', values: rules }, resultTypes: ['violations'] }),
    AXE_RULES,
  );
  return result.violations.flatMap((v) =>
    v.nodes.map((n) => `${v.id}: ${JSON.stringify(n.target)} — ${(n.failureSummary ?? v.help).replace(/\s+/g, ' ').slice(0, 300)}`),
  );
}
