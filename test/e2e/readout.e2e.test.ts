/**
 * The readout's runs in the browser (issue 13 point 6): the operator sees a customer's runs, a chart
 * of kept counts over them in whole numbers, and opens one run's report. The runs are real readout
 * runs into the server's database (test/readout/support/runs-scenario.ts); every number expected
 * below comes from the report.json files those runs published.
 */
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { insertUser } from '../../src/seed/builders.ts';
import { runScenario, type ReportFile, type RunsScenario } from '../readout/support/runs-scenario.ts';
import { axeViolations } from './axe.ts';
import { startE2E, type E2E } from './support.ts';

const OPERATOR = 'ops@schoolgate.test';
const PASSWORD = 'a long operator password';

describe('readout runs, in Chromium', () => {
  let e2e: E2E;
  let scenario: RunsScenario;

  beforeAll(async () => {
    e2e = await startE2E();
    const { ctx, clock } = e2e.harness;
    await insertUser(ctx.db, { email: OPERATOR, password: PASSWORD, displayName: 'Operator', kind: 'operator', emailVerified: true });
    scenario = await runScenario(ctx.db, clock);
  }, 240_000);
  afterEach(async ({ task }) => {
    if (task.result?.state === 'fail') console.error('screenshots:', await e2e.snapshot(task.name));
  });
  afterAll(async () => {
    await e2e?.stop();
  });

  const n = (v: number) => v.toLocaleString('en-GB');

  /** The rows of a table, each as its cells' text; a cell of tags as the tags' texts joined by " + ". */
  const rowsOf = (page: Page, testId: string) =>
    page
      .getByTestId(testId)
      .locator('.ant-table-tbody tr.ant-table-row')
      .evaluateAll((trs) =>
        trs.map((tr) =>
          [...tr.querySelectorAll('td')].map((td) => {
            const tags = [...td.querySelectorAll('.ant-tag')].map((t) => t.textContent?.trim() ?? '');
            return tags.length ? tags.join(' + ') : (td as HTMLElement).innerText.trim();
          }),
        ),
      );

  /** The value labels on the chart's marks. */
  async function chartValues(page: Page): Promise<string[]> {
    const drawing = page.getByTestId('readout-chart-chart');
    await drawing.locator('svg').first().waitFor({ timeout: 30_000 });
    await expect.poll(() => drawing.locator('svg .label text, svg text.label').count(), { timeout: 15_000 }).toBeGreaterThan(0);
    const texts = await drawing.locator('svg .label text, svg text.label').evaluateAll((els) => els.map((e) => e.textContent?.trim() ?? ''));
    return texts.filter(Boolean).sort();
  }

  it('the operator sees the runs, a chart of whole kept counts, and opens a run', async () => {
    const [full, delta, same] = scenario.reports as [ReportFile, ReportFile, ReportFile];
    const person = await e2e.person('en-GB');
    const { page } = person;
    await page.setViewportSize({ width: 1366, height: 768 });
    await person.goto('/operator/readout');
    await page.waitForURL('**/sign-in?next=*');
    await page.locator('input[autocomplete=username]').fill(OPERATOR);
    await page.locator('input[type=password]').fill(PASSWORD);
    await page.locator('form button[type=submit]').click();
    await page.waitForURL('**/operator/readout');

    // The customer run last (whose one run failed) comes first; the operator picks the other one.
    await page.getByTestId('readout-runs').locator('.ant-table-row').first().waitFor();
    expect((await rowsOf(page, 'readout-runs')).map((r) => r[2])).toEqual(['Failed']);
    await page.getByRole('combobox', { name: 'Customer' }).click();
    await page.locator('.ant-select-item-option', { hasText: /^exempel$/ }).click();
    await page.waitForURL((u) => u.searchParams.get('customer') === 'exempel');
    await expect.poll(async () => (await rowsOf(page, 'readout-runs')).length, { timeout: 15_000 }).toBe(4);
    const rows = await rowsOf(page, 'readout-runs');
    // Mode, status, and the kept students and staff (columns: started, mode, status, duration, schools, students, staff, …).
    const warned = (r: ReportFile) => `Succeeded + ${r.namedWarnings.length} warning${r.namedWarnings.length === 1 ? '' : 's'}`;
    expect(rows.map((r) => [r[1], r[2], r[5], r[6]])).toEqual([
      ['', 'Failed', '', ''],
      ['Delta read + No change', warned(same), n(same.counts.students!.kept), n(same.counts.staff!.kept)],
      ['Delta read + Changed', warned(delta), n(delta.counts.students!.kept), n(delta.counts.staff!.kept)],
      ['Full read + First run', warned(full), n(full.counts.students!.kept), n(full.counts.staff!.kept)],
    ]);
    expect(full.namedWarnings.length).toBeGreaterThan(0);

    // The chart: kept students of the three succeeded runs, whole numbers on the marks and on the axis.
    await expect
      .poll(() => page.getByTestId('readout-chart-summary').innerText(), { timeout: 15_000 })
      .toBe(`Students kept in the last 3 runs: from ${n(full.counts.students!.kept)} to ${n(same.counts.students!.kept)}.`);
    const expected = [full, delta, same].map((r) => n(r.counts.students!.kept)).sort();
    expect(await chartValues(page)).toEqual(expected);
    const texts = await page
      .getByTestId('readout-chart-chart')
      .locator('svg text')
      .evaluateAll((els) => els.map((e) => e.textContent?.trim() ?? ''));
    const numbers = texts.filter((s) => /^[\d.,\s]+$/.test(s));
    expect(numbers.length).toBeGreaterThan(3);
    expect(numbers.filter((s) => /\d[.,]\d/.test(s) && !/^\d{1,3}(,\d{3})+$/.test(s))).toEqual([]);
    // Another category: the marks follow.
    await page.getByRole('combobox', { name: 'Chart of' }).click();
    await page.locator('.ant-select-item-option', { hasText: /^Guardians$/ }).click();
    await expect.poll(() => chartValues(page), { timeout: 15_000 }).toEqual([full, delta, same].map((r) => n(r.counts.guardians!.kept)).sort());
    expect(await axeViolations(page)).toEqual([]);

    // The delta run's report.
    await page.getByTestId('readout-runs').locator('.ant-table-row').nth(2).getByRole('link').click();
    await page.waitForURL(`**/operator/readout/runs/${delta.runId}`);
    await page.getByTestId('readout-counts').locator('.ant-table-row').first().waitFor();
    const counts = await rowsOf(page, 'readout-counts');
    expect(counts.map((r) => r[0])).toEqual(['Schools', 'Students', 'Staff', 'Guardians', 'Classes and teams', 'Memberships']);
    const students = counts[1]!;
    const excluded = Object.values(delta.counts.students!.excluded).reduce((a, b) => a + b, 0);
    expect(delta.counts.students!.kept - full.counts.students!.kept).toBe(-1);
    expect(students.slice(0, 4)).toEqual([
      'Students',
      n(delta.counts.students!.kept),
      // One pupil left between the two runs.
      '−1',
      n(excluded),
    ]);
    for (const [rule, count] of Object.entries(delta.counts.students!.excluded)) expect(students[4]).toContain(`${rule} ${n(count)}`);
    expect(await rowsOf(page, 'readout-change')).toContainEqual([
      'People',
      n(delta.delta.people.added!),
      n(delta.delta.people.updated!),
      n(delta.delta.people.removed!),
    ]);
    const warnings = await rowsOf(page, 'readout-warnings');
    expect(warnings.map((w) => [w[0], w[1]])).toEqual(delta.namedWarnings.map((w) => [w.code, n(w.count)]));
    const files = await rowsOf(page, 'readout-files');
    expect(Object.fromEntries(files.map((f) => [f[0], f[1]]))).toEqual(Object.fromEntries(Object.entries(delta.output.files).map(([f, rows]) => [f, n(rows)])));
    expect(await axeViolations(page)).toEqual([]);

    // On a phone both pages fit: the tables scroll in their own boxes, the page never sideways.
    await page.setViewportSize({ width: 390, height: 844 });
    // What sticks out past the right edge, in words; the layout settles a frame or two after a resize.
    const fits = () =>
      page.evaluate(() => {
        const scroller = document.scrollingElement!;
        if (scroller.scrollWidth <= scroller.clientWidth) return 'fits';
        const right = document.documentElement.clientWidth + 1;
        const out = [...document.querySelectorAll('body *')].filter((el) => el.getBoundingClientRect().right > right);
        return `${scroller.scrollWidth}px in ${scroller.clientWidth}px: ${out
          .slice(0, 3)
          .map((el) => `${el.tagName} ${String(el.className).slice(0, 40)}`)
          .join('; ')}`;
      });
    await expect.poll(fits, { timeout: 5_000 }).toBe('fits');
    await person.goto('/operator/readout?customer=exempel');
    await page.getByTestId('readout-chart-chart').locator('svg').first().waitFor({ timeout: 30_000 });
    await page.getByTestId('readout-runs').locator('.ant-table-row').first().waitFor();
    await expect.poll(fits, { timeout: 5_000 }).toBe('fits');
    await person.expectNoMissingKeys();
  });
});
