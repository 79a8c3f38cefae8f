import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { startHarness, type Harness } from '../support/harness.ts';

/** Chromium as Debian ships it, headless, with nothing phoning home. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface E2E {
  harness: Harness;
  /** Screenshots of every open tab, for a failed test (written to the OS temp dir). */
  snapshot(label: string): Promise<string[]>;
  /** A fresh browser profile (own cookies) in the given locale: one per simulated person. */
  person(locale?: string): Promise<Person>;
  stop(): Promise<void>;
}

/** One person's browser tab, with every page error and missing translation key collected. */
export interface Person {
  context: BrowserContext;
  page: Page;
  errors: string[];
  goto(path: string): Promise<void>;
  /** Fails when the UI asked for a translation key that does not exist in the language shown. */
  expectNoMissingKeys(): Promise<void>;
}

/**
 * Starts the real server (PGlite, built web app). Each person gets their own Chromium with a fresh
 * user-data dir, so cookies, storage and the remembered language never leak between people.
 */
export async function startE2E(env: Record<string, string> = {}): Promise<E2E> {
  const harness = await startHarness(env);
  const contexts: BrowserContext[] = [];
  const dirs: string[] = [];
  const pages: Page[] = [];
  return {
    harness,
    async snapshot(label: string) {
      const files: string[] = [];
      for (const [i, p] of pages.entries()) {
        const file = join(tmpdir(), `schoolgate-e2e-${label.replace(/[^a-z0-9]+/gi, '-').slice(0, 60)}-${i}.png`);
        await p.screenshot({ path: file }).catch(() => undefined);
        files.push(file);
      }
      return files;
    },
    async person(locale = 'en-GB') {
      const userDataDir = await mkdtemp(join(tmpdir(), 'schoolgate-chromium-'));
      dirs.push(userDataDir);
      const context = await chromium.launchPersistentContext(userDataDir, {
        executablePath: '/usr/bin/chromium',
        args: CHROMIUM_ARGS,
        locale,
        baseURL: harness.url,
        viewport: { width: 1400, height: 900 },
      });
      context.setDefaultTimeout(10_000);
      contexts.push(context);
      const page = context.pages()[0] ?? (await context.newPage());
      pages.push(page);
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
      page.on('console', (m) => {
        if (m.type() === 'error' && m.text().startsWith('i18n missing key')) errors.push(m.text());
      });
      return {
        context,
        page,
        errors,
        async goto(path: string) {
          await page.goto(path);
        },
        async expectNoMissingKeys() {
          const missing = await page.evaluate(() => window.__i18nMissing ?? []);
          expect(missing).toEqual([]);
          expect(errors).toEqual([]);
        },
      };
    },
    async stop() {
      for (const c of contexts) await c.close().catch(() => undefined);
      for (const d of dirs) await rm(d, { recursive: true, force: true });
      await harness.stop();
    },
  };
}

declare global {
  interface Window {
    __i18nMissing?: string[];
  }
}

/** Signs in through the sign-in page. */
export async function signIn(page: Page, email: string, password: string): Promise<void> {
  await page
    .getByLabel(/e-mail|courriel|e-post/i)
    .first()
    .fill(email);
  await page.locator('input[type=password]').fill(password);
  await page.locator('form button[type=submit]').click();
}

/**
 * Visible form controls and buttons without an accessible name (aria-label, aria-labelledby, a
 * <label>, a title, or text content for buttons), described so a failure says which one.
 */
export async function unlabelledControls(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    const controls = document.querySelectorAll<HTMLElement>(
      'input:not([type=hidden]), select, textarea, button, [role=combobox], [role=checkbox], [role=switch], [role=tab]',
    );
    for (const el of controls) {
      const style = getComputedStyle(el);
      const rect = el.getBoundingClientRect();
      const hidden = style.display === 'none' || style.visibility === 'hidden' || el.closest('[aria-hidden=true]');
      // antd hides native checkboxes visually (opacity 0) but they stay focusable: they count.
      if (hidden || (rect.width === 0 && rect.height === 0 && !(el instanceof HTMLInputElement))) continue;
      const labelledBy = el.getAttribute('aria-labelledby');
      const byIds = labelledBy
        ? labelledBy
            .split(/\s+/)
            .map((id) => document.getElementById(id)?.textContent?.trim() ?? '')
            .join('')
        : '';
      const labels =
        el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement || el instanceof HTMLSelectElement
          ? [...(el.labels ?? [])].map((l) => l.textContent?.trim() ?? '').join('')
          : '';
      const text =
        el.tagName === 'BUTTON' || el.getAttribute('role') === 'tab'
          ? (el.textContent?.trim() ?? '') || [...el.querySelectorAll('[aria-label]')].map((x) => x.getAttribute('aria-label')).join('')
          : '';
      const name = el.getAttribute('aria-label') || byIds || labels || el.getAttribute('title') || text;
      if (!name) out.push(`${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}.${[...el.classList].join('.')} in ${el.parentElement?.className ?? ''}`);
    }
    return out;
  });
}

/**
 * Clicks `target` until `gone` (the list or dialog the click closes) is hidden: on a loaded machine a
 * click that lands while that list or dialog is still opening can be lost (seen in CI with a select's
 * list and a confirmation dialog). Only for clicks that close what they act in, so that a second
 * click cannot act twice: the first that counts takes the target away. At most `attempts` clicks.
 */
export async function clickUntilGone(target: Locator, gone: Locator, attempts = 3): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await target.click();
    try {
      await gone.waitFor({ state: 'hidden', timeout: 3000 });
      return;
    } catch (error) {
      if (attempt >= attempts) throw error;
      if (!(await gone.isVisible())) return;
    }
  }
}
