/**
 * The console's views as a person uses them: Debian's Chromium driven by playwright-core against the local
 * stack, which serves the console at /console from the API's own origin. Screenshots go to
 * `test-artifacts/console/` (each path printed).
 */
import { describe, expect, it } from 'vitest';
import { useStack } from '../helpers/local-stack';
import { shot, useBrowser } from './support';

const { client, stack } = useStack();
const browser = useBrowser();

/** WCAG contrast ratio of two `rgb(r, g, b)` colours. */
function contrast(a: string, b: string): number {
  const lum = (c: string) => {
    const [r, g, bl] = (c.match(/\d+(\.\d+)?/g) ?? []).slice(0, 3).map((v) => {
      const s = Number(v) / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * bl!;
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
}

describe('the console', () => {
  it('lists jobs newest first; a job opens from its row and from its deep link, with its tasks, durations and output', async () => {
    const created = await client.submit({ name: 'console-pipeline', owner: 'ops', tasks: [{ name: 'a', provider: 'demo', input: { a: 1 } }, { name: 'b', provider: 'demo' }] }, '?wait=20');
    const jobId = created.body.jobId as string;
    expect(created.body.status).toBe('succeeded');
    const page = await browser().newPage();
    const started = Date.now();
    await page.goto(`${stack().url}/console/`);
    const row = page.getByRole('link', { name: 'console-pipeline' }).first();
    await row.waitFor();
    console.log(`console: job list shown ${Date.now() - started} ms after navigation`);
    await shot(page, 'jobs');
    await row.click();
    await page.getByRole('heading', { name: /console-pipeline/ }).waitFor();
    expect(page.url()).toBe(`${stack().url}/console/jobs/${jobId}`);
    const tasks = page.getByRole('table', { name: 'tasks' });
    await expect.poll(() => tasks.innerText()).toMatch(/t1 a[\s\S]*succeeded[\s\S]*\d+(\.\d)? m?s[\s\S]*t2 b[\s\S]*succeeded/);
    expect(await page.locator('pre.json').first().innerText()).toContain('"a": 1');
    // The timeline lists both attempts, automatic.
    await expect.poll(() => page.getByRole('table', { name: 'timeline' }).innerText()).toMatch(/t1 a[\s\S]*#1[\s\S]*automatic[\s\S]*t2 b/);
    await shot(page, 'job');
    // A deep link renders the same page from the API.
    const direct = await browser().newPage();
    await direct.goto(`${stack().url}/console/jobs/${jobId}`);
    await direct.getByRole('heading', { name: /console-pipeline/ }).waitFor();
    await direct.close();
    await page.close();
  });

  it('filters the list by owner and name from the URL, with counts by status, and a filter form that writes the URL', async () => {
    await client.submit({ name: 'filter-me', owner: 'team-a', tasks: [{ name: 'x', provider: 'demo' }] }, '?wait=20');
    await client.submit({ name: 'filter-me', owner: 'team-b', tasks: [{ name: 'x', provider: 'demo' }] }, '?wait=20');
    const page = await browser().newPage();
    await page.goto(`${stack().url}/console/?name=filter-me`);
    const jobs = page.getByRole('table', { name: 'jobs' });
    await expect.poll(() => jobs.getByRole('row').count()).toBe(3);
    // Counts by status for the same name; a count links to the list filtered by its status.
    const counts = page.locator('[aria-label="counts by status"]');
    await counts.getByRole('link', { name: '2 succeeded' }).waitFor();
    expect(await counts.innerText()).toMatch(/failed 0/);
    await page.getByRole('textbox', { name: 'filter by owner' }).fill('team-b');
    await page.getByRole('textbox', { name: 'filter by owner' }).press('Enter');
    await expect.poll(() => page.url()).toContain('owner=team-b');
    await expect.poll(() => jobs.getByRole('row').count()).toBe(2);
    expect(await jobs.innerText()).toContain('team-b');
    expect(await jobs.innerText()).not.toContain('team-a');
    await page.close();
  });

  it('a task page shows every attempt side by side: the failed one with its error, the retry with its output', async () => {
    const created = await client.submit({ name: 'console-flaky', owner: 'ops', retry: { count: 2, gapSeconds: 1 }, tasks: [{ name: 'f', provider: 'flaky', input: { failTimes: 1 } }] }, '?wait=20');
    expect(created.body.status).toBe('succeeded');
    const jobId = created.body.jobId as string;
    const page = await browser().newPage();
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

  it('opens a parent of 1,000 children: a virtualised tree (few rows in the page), scrolled to the last child, which opens in place', async () => {
    const children = Array.from({ length: 1000 }, (_, i) => ({ name: `child-${String(i + 1).padStart(4, '0')}`, owner: 'ops', tasks: [{ name: 'x', provider: 'demo' }] }));
    const created = await client.submit({ name: 'console-wide', owner: 'ops', children });
    expect(created.status).toBe(201);
    const jobId = created.body.jobId as string;
    await expect.poll(async () => (await client.job(jobId)).body.children.length, { timeout: 60_000 }).toBe(1000);
    const page = await browser().newPage();
    const started = Date.now();
    await page.goto(`${stack().url}/console/jobs/${jobId}`);
    await page.getByRole('heading', { name: 'Children (1000)' }).waitFor();
    console.log(`console: 1,000-child parent shown ${Date.now() - started} ms after navigation`);
    const tree = page.getByRole('list', { name: 'children of console-wide' });
    const rendered = await tree.getByRole('listitem').count();
    expect(rendered).toBeGreaterThan(10);
    expect(rendered).toBeLessThan(60);
    // Scrolled to the end: the last child is in the page, the first is not.
    await tree.evaluate((el) => el.scrollTo(0, el.scrollHeight));
    await tree.getByRole('link', { name: 'child-1000' }).waitFor();
    expect(await tree.getByRole('link', { name: 'child-0001' }).count()).toBe(0);
    expect(await tree.getByRole('listitem').count()).toBeLessThan(60);
    // Opening it shows its task in the tree.
    await tree.getByRole('button', { name: 'open child-1000' }).click();
    await tree.evaluate((el) => el.scrollTo(0, el.scrollHeight));
    await tree.getByRole('link', { name: 't1 x' }).waitFor();
    await shot(page, 'wide-parent');
    // Refreshes while children finish keep the rendered rows few (no full re-render of 1,000 rows).
    await page.waitForTimeout(2500);
    expect(await tree.getByRole('listitem').count()).toBeLessThan(60);
    await page.close();
  }, 120_000);

  it('is usable with the keyboard: Tab reaches a job, Enter opens it, a dialog opens from the keyboard and Escape closes it', async () => {
    await client.submit({ name: 'keyboard-job', owner: 'ops', tasks: [{ name: 'x', provider: 'demo' }] }, '?wait=20');
    const page = await browser().newPage();
    await page.goto(`${stack().url}/console/?name=keyboard-job`);
    await page.getByRole('link', { name: 'keyboard-job' }).waitFor();
    let focused = '';
    for (let i = 0; i < 30 && focused !== 'keyboard-job'; i++) {
      await page.keyboard.press('Tab');
      focused = String(await page.evaluate("document.activeElement?.textContent ?? ''"));
    }
    expect(focused).toBe('keyboard-job');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: /keyboard-job/ }).waitFor();
    await page.getByRole('button', { name: 'Discard' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('dialog').waitFor();
    // Focus moved into the dialog; Escape closes it without acting.
    expect(await page.getByRole('dialog').locator(':focus').count()).toBe(1);
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByRole('dialog').count()).toBe(0);
    await page.close();
  });

  it('is readable in light and dark: text and statuses keep a contrast of 4.5:1 or more on the background', async () => {
    for (const scheme of ['light', 'dark'] as const) {
      const page = await browser().newPage({ colorScheme: scheme });
      await page.goto(`${stack().url}/console/`);
      await page.getByRole('table', { name: 'jobs' }).getByRole('link').first().waitFor();
      // Evaluated in the page (a string: this file is type-checked without the DOM's types).
      const colours = (await page.evaluate(`(() => {
        const colour = (el) => (el ? getComputedStyle(el).color : '');
        return {
          background: getComputedStyle(document.documentElement).backgroundColor,
          text: colour(document.body),
          link: colour(document.querySelector('table a')),
          statuses: [...document.querySelectorAll('.status')].map(colour),
        };
      })()`)) as { background: string; text: string; link: string; statuses: string[] };
      expect(colours.background).not.toBe('rgba(0, 0, 0, 0)');
      for (const c of [colours.text, colours.link, ...colours.statuses]) expect(contrast(c, colours.background), `${scheme}: ${c} on ${colours.background}`).toBeGreaterThanOrEqual(4.5);
      await shot(page, `jobs-${scheme}`);
      await page.close();
    }
  });
});
