/**
 * Chromium for the console's browser tests: Debian's `chromium` driven by playwright-core, one browser per test
 * file, screenshots saved under `test-artifacts/console/` (each path printed, so the test output says where).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';

export const ROOT = path.resolve(import.meta.dirname, '../..');
const SHOTS = path.join(ROOT, 'test-artifacts', 'console');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** A Chromium for this test file, launched before its tests and closed after them. */
export function useBrowser(): () => Browser {
  let browser: Browser | undefined;
  beforeAll(async () => {
    // `npm test` builds the console first (pretest); a direct vitest run builds it here.
    if (!existsSync(path.join(ROOT, 'dist/console/index.html'))) execFileSync('npm', ['run', 'build:console'], { cwd: ROOT, stdio: 'ignore' });
    if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: install Debian's chromium (.ci/run does) or set CHROMIUM_PATH`);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
    mkdirSync(SHOTS, { recursive: true });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });
  return () => {
    if (!browser) throw new Error('the browser has not started');
    return browser;
  };
}

/** Saves a screenshot of the whole page as `test-artifacts/console/<name>.png` and prints where. */
export async function shot(page: Page, name: string): Promise<void> {
  const file = path.join(SHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  console.log(`console screenshot: ${path.relative(ROOT, file)}`);
}

/** The dialog open on the page (the console asks before every action). */
export const dialog = (page: Page) => page.getByRole('dialog');
