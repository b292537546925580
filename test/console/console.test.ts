/**
 * The console as a person uses it: Debian's Chromium driven by playwright-core against the local stack, which
 * serves the console at /console from the API's own origin. Each test saves screenshots of what it saw under
 * `test-artifacts/console/` (printed).
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useStack } from '../helpers/local-stack';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SHOTS = path.join(ROOT, 'test-artifacts', 'console');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const { client, stack } = useStack();
let browser: Browser;

beforeAll(async () => {
  // `npm test` builds it first (pretest); a direct vitest run builds it here.
  if (!existsSync(path.join(ROOT, 'dist/console/index.html'))) execFileSync('npm', ['run', 'build:console'], { cwd: ROOT, stdio: 'ignore' });
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: install Debian's chromium (.ci/run does) or set CHROMIUM_PATH`);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
  mkdirSync(SHOTS, { recursive: true });
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

async function shot(page: Page, name: string): Promise<void> {
  const file = path.join(SHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  console.log(`console screenshot: ${path.relative(ROOT, file)}`);
}

describe('the console', () => {
  it('lists jobs newest first; a job opens from its row and from its deep link, with its tasks and output', async () => {
    const created = await client.submit({ name: 'console-pipeline', owner: 'ops', tasks: [{ name: 'a', provider: 'demo', input: { a: 1 } }, { name: 'b', provider: 'demo' }] }, '?wait=20');
    const jobId = created.body.jobId as string;
    expect(created.body.status).toBe('succeeded');
    const page = await browser.newPage();
    const started = Date.now();
    await page.goto(`${stack().url}/console/`);
    const row = page.getByRole('link', { name: 'console-pipeline' }).first();
    await row.waitFor();
    console.log(`console: job list shown ${Date.now() - started} ms after navigation`);
    await shot(page, 'jobs');
    await row.click();
    await page.getByRole('heading', { name: /console-pipeline/ }).waitFor();
    expect(page.url()).toBe(`${stack().url}/console/jobs/${jobId}`);
    await expect.poll(() => page.locator('table').first().innerText()).toMatch(/t1 a[\s\S]*succeeded[\s\S]*t2 b[\s\S]*succeeded/);
    expect(await page.locator('pre').innerText()).toContain('"a": 1');
    await shot(page, 'job');
    // A deep link renders the same page from the API.
    const direct = await browser.newPage();
    await direct.goto(`${stack().url}/console/jobs/${jobId}`);
    await direct.getByRole('heading', { name: /console-pipeline/ }).waitFor();
    await direct.close();
    await page.close();
  });

  it('a task page shows every attempt side by side: the failed one with its error, the retry with its output', async () => {
    const created = await client.submit({ name: 'console-flaky', owner: 'ops', retry: { count: 2, gapSeconds: 1 }, tasks: [{ name: 'f', provider: 'flaky', input: { failTimes: 1 } }] }, '?wait=20');
    expect(created.body.status).toBe('succeeded');
    const jobId = created.body.jobId as string;
    const page = await browser.newPage();
    await page.goto(`${stack().url}/console/jobs/${jobId}`);
    await page.getByRole('link', { name: 't1 f' }).click();
    await page.getByRole('region', { name: 'attempt 2' }).waitFor();
    expect(page.url()).toBe(`${stack().url}/console/jobs/${jobId}/tasks/t1`);
    const first = await page.getByRole('region', { name: 'attempt 1' }).innerText();
    const second = await page.getByRole('region', { name: 'attempt 2' }).innerText();
    expect(first).toMatch(/failed[\s\S]*automatic/);
    expect(first).toMatch(/"failTimes": 1/);
    expect(second).toMatch(/succeeded/);
    await shot(page, 'task-attempts');
    await page.close();
  });

  it('pauses and resumes a running job with a confirmation, shows the API answer, and a 409 with the current status', async () => {
    const created = await client.submit({ name: 'console-pause', owner: 'ops', tasks: [{ name: 'wait', provider: 'delay', input: { seconds: 3 } }, { name: 'after', provider: 'demo' }] });
    const jobId = created.body.jobId as string;
    const page = await browser.newPage();
    page.on('dialog', (d) => void d.accept());
    await page.goto(`${stack().url}/console/jobs/${jobId}`);
    await page.getByRole('heading', { name: /console-pause/ }).waitFor();
    await page.getByRole('button', { name: 'Pause' }).click();
    await expect.poll(() => page.getByRole('status').innerText()).toMatch(/pause: 200, the job is paused/);
    await expect.poll(() => page.getByRole('heading').first().innerText()).toMatch(/paused/);
    await shot(page, 'paused');
    // Pausing again is refused by the API: the console shows the answer (409) and refreshes.
    await page.getByRole('button', { name: 'Pause' }).click();
    await expect.poll(() => page.getByRole('status').innerText()).toMatch(/pause: 409 INVALID_STATE/);
    await page.getByRole('button', { name: 'Resume' }).click();
    await expect.poll(() => page.getByRole('status').innerText()).toMatch(/resume: 200/);
    await expect.poll(async () => (await client.job(jobId)).body.status, { timeout: 30_000 }).toBe('succeeded');
    await expect.poll(() => page.getByRole('heading').first().innerText(), { timeout: 10_000 }).toMatch(/succeeded/);
    await shot(page, 'resumed');
    await page.close();
  });
});
