/**
 * The console's actions as an operator uses them under pressure: retry with edited input, skip with a substitute
 * output, pause and resume (and the 409 of a second pause), discard with a reason, and a token's queue. Each
 * action is confirmed in a dialog and the API's answer shown. Screenshots go to `test-artifacts/console/`.
 */
import { describe, expect, it } from 'vitest';
import { useStack } from '../helpers/local-stack';
import { dialog, shot, useBrowser } from './support';

const { client, stack } = useStack();
const browser = useBrowser();

/** Submits a job and waits until it is `status`. */
async function submitUntil(spec: unknown, status: string): Promise<string> {
  const created = await client.submit(spec);
  expect(created.status).toBe(201);
  const jobId = created.body.jobId as string;
  await expect.poll(async () => (await client.job(jobId)).body.status, { timeout: 30_000 }).toBe(status);
  return jobId;
}

describe('the console acts on jobs', () => {
  it('fixes a failed task by retry with edited input (prefilled from the last attempt, validated before sending); the job then succeeds', async () => {
    const jobId = await submitUntil({ name: 'console-retry', owner: 'ops', retry: { count: 0 }, tasks: [{ name: 'charge', provider: 'demo', input: { fail: true, amount: 5 } }, { name: 'after', provider: 'demo' }] }, 'failed');
    const page = await browser().newPage();
    await page.goto(`${stack().url}/console/jobs/${jobId}`);
    await page.getByRole('button', { name: 'retry t1' }).click();
    const input = dialog(page).getByRole('textbox', { name: 'Input' });
    // Prefilled with what the failed attempt ran with.
    expect(JSON.parse(await input.inputValue())).toEqual({ fail: true, amount: 5 });
    // Not JSON: the dialog says so and sends nothing.
    await input.fill('{ "fail": false, ');
    expect(await dialog(page).innerText()).toMatch(/Input is not valid JSON/);
    await dialog(page).getByRole('button', { name: 'Retry task' }).click();
    await dialog(page).getByRole('alert').waitFor();
    expect((await client.job(jobId)).body.status).toBe('failed');
    await input.fill('{ "fail": false, "amount": 7 }');
    await shot(page, 'retry-dialog');
    await dialog(page).getByRole('button', { name: 'Retry task' }).click();
    await expect.poll(() => page.getByRole('status').innerText()).toMatch(/retry t1: 200, the task is queued/);
    await expect.poll(async () => (await client.job(jobId)).body.status, { timeout: 30_000 }).toBe('succeeded');
    await expect.poll(() => page.getByRole('heading').first().innerText(), { timeout: 10_000 }).toMatch(/succeeded/);
    // The timeline shows the manual attempt and who asked for it; the actions list records the retry.
    await expect.poll(() => page.getByRole('table', { name: 'timeline' }).innerText()).toMatch(/t1 charge\s+#2\s+manual/);
    expect(await page.getByRole('list', { name: 'manual actions' }).innerText()).toMatch(/retry t1/);
    const task = await client.task(jobId, 't1');
    expect(task.body.attempts.at(-1).input).toMatchObject({ fail: false, amount: 7 });
    await shot(page, 'retried');
    await page.close();
  });

  it('skips a failed task with a substitute output typed in the JSON editor; the pipeline continues with it', async () => {
    const jobId = await submitUntil({ name: 'console-skip', owner: 'ops', retry: { count: 0 }, tasks: [{ name: 'lookup', provider: 'demo', input: { fail: true } }, { name: 'use', provider: 'demo' }] }, 'failed');
    const page = await browser().newPage();
    await page.goto(`${stack().url}/console/jobs/${jobId}/tasks/t1`);
    await page.getByRole('button', { name: 'skip t1' }).click();
    await dialog(page).getByRole('textbox', { name: 'Substitute output' }).fill('{ "price": 42 }');
    await dialog(page).getByRole('textbox', { name: 'reason' }).fill('supplier down, price from the phone');
    await dialog(page).getByRole('button', { name: 'Skip task' }).click();
    await expect.poll(() => page.getByRole('status').innerText()).toMatch(/skip t1: 200, the task is skipped/);
    await expect.poll(async () => (await client.job(jobId)).body.status, { timeout: 30_000 }).toBe('succeeded');
    // The next task ran with the substitute output in its context.
    const next = await client.task(jobId, 't2');
    expect(next.body.attempts[0].context).toMatchObject({ price: 42 });
    await page.goto(`${stack().url}/console/jobs/${jobId}`);
    await expect.poll(() => page.getByRole('list', { name: 'manual actions' }).innerText()).toMatch(/skip t1 \(supplier down, price from the phone\)/);
    await shot(page, 'skipped');
    await page.close();
  });

  it('pauses and resumes a running job with a confirmation, shows the API answer, and a 409 with the current status', async () => {
    const created = await client.submit({ name: 'console-pause', owner: 'ops', tasks: [{ name: 'wait', provider: 'delay', input: { seconds: 3 } }, { name: 'after', provider: 'demo' }] });
    const jobId = created.body.jobId as string;
    const page = await browser().newPage();
    await page.goto(`${stack().url}/console/jobs/${jobId}`);
    await page.getByRole('heading', { name: /console-pause/ }).waitFor();
    await page.getByRole('button', { name: 'Pause' }).click();
    await dialog(page).getByRole('button', { name: 'Pause' }).click();
    await expect.poll(() => page.getByRole('status').innerText()).toMatch(/pause: 200, the job is paused/);
    await expect.poll(() => page.getByRole('heading').first().innerText()).toMatch(/paused/);
    await expect.poll(() => page.locator('.waits').innerText()).toMatch(/paused by/);
    await shot(page, 'paused');
    // Pausing again is refused by the API: the console shows the answer (409, with the current status) and refreshes.
    await page.getByRole('button', { name: 'Pause' }).click();
    await dialog(page).getByRole('button', { name: 'Pause' }).click();
    await expect.poll(() => page.getByRole('status').innerText()).toMatch(/pause: 409 INVALID_STATE: .*is paused/);
    await page.getByRole('button', { name: 'Resume' }).click();
    await dialog(page).getByRole('button', { name: 'Resume' }).click();
    await expect.poll(() => page.getByRole('status').innerText()).toMatch(/resume: 200/);
    await expect.poll(async () => (await client.job(jobId)).body.status, { timeout: 30_000 }).toBe('succeeded');
    await expect.poll(() => page.getByRole('heading').first().innerText(), { timeout: 10_000 }).toMatch(/succeeded/);
    await shot(page, 'resumed');
    await page.close();
  });

  it('discards a job with a reason, recorded with who did it', async () => {
    const jobId = await submitUntil({ name: 'console-discard', owner: 'ops', tasks: [{ name: 'slow', provider: 'delay', input: { seconds: 5 } }] }, 'running');
    const page = await browser().newPage();
    await page.goto(`${stack().url}/console/jobs/${jobId}`);
    await page.getByRole('button', { name: 'Discard' }).click();
    await dialog(page).getByRole('textbox', { name: 'reason' }).fill('wrong customer');
    await dialog(page).getByRole('button', { name: 'Discard' }).click();
    await expect.poll(() => page.getByRole('status').innerText()).toMatch(/discard: 200, the job is discarded/);
    await expect.poll(() => page.getByRole('list', { name: 'manual actions' }).innerText()).toMatch(/discard \(wrong customer\)/);
    expect((await client.job(jobId)).body.status).toBe('discarded');
    await shot(page, 'discarded');
    await page.close();
  });

  it("shows a token's holder and its queue in submission order, linked from each job", async () => {
    const spec = (name: string) => ({ name, owner: 'ops', tokens: ['console-printer'], tasks: [{ name: 'print', provider: 'delay', input: { seconds: 4 } }] });
    const first = await submitUntil(spec('print-1'), 'running');
    const second = (await client.submit(spec('print-2'))).body.jobId as string;
    const third = (await client.submit(spec('print-3'))).body.jobId as string;
    const page = await browser().newPage();
    await page.goto(`${stack().url}/console/jobs/${second}`);
    await page.getByRole('link', { name: 'console-printer' }).click();
    await page.getByRole('heading', { name: 'Token console-printer' }).waitFor();
    await expect.poll(() => page.locator('[aria-label="holder"]').innerText()).toContain(first);
    const queue = page.getByRole('list', { name: 'queue' });
    await expect.poll(() => queue.innerText()).toMatch(new RegExp(`${second}[\\s\\S]*${third}`));
    await shot(page, 'token-queue');
    // The tokens view lists it with its holder and how many wait.
    await page.getByRole('link', { name: '← Tokens' }).click();
    const row = page.getByRole('table', { name: 'tokens' }).getByRole('row', { name: /console-printer/ });
    await expect.poll(() => row.innerText()).toMatch(new RegExp(`console-printer\\s+${first}[\\s\\S]*\\s2$`));
    await page.close();
  });

  it("shows an executor's waiting offers, then the worker's claim among its recent claims", async () => {
    const worker = 'console-edge-1';
    const jobId = (await client.submit({ name: 'pinned', owner: 'ops', preLock: worker, tasks: [{ name: 'p', provider: 'demo' }] })).body.jobId as string;
    const page = await browser().newPage();
    await page.goto(`${stack().url}/console/executors`);
    const row = page.getByRole('table', { name: 'executors' }).getByRole('row', { name: new RegExp(`exec:${worker}`) });
    await expect.poll(() => row.innerText()).toMatch(new RegExp(`exec:${worker}\\s+1\\s`));
    await row.getByRole('link', { name: `exec:${worker}` }).click();
    await expect.poll(() => page.getByRole('table', { name: 'offers' }).innerText()).toContain(`${jobId} t1`);
    await shot(page, 'executor-offers');
    const claimed = await client.call('POST', `/workers/${worker}/claim?wait=5`);
    expect(claimed.status).toBe(200);
    await expect.poll(() => page.locator('.claims').innerText(), { timeout: 10_000 }).toMatch(new RegExp(`${jobId} t1 #1 by ${worker}`));
    expect(await page.getByRole('heading', { name: 'Offers waiting (0)' }).count()).toBe(1);
    expect((await client.taskToken('success', claimed.body.taskToken, { output: {} })).status).toBe(200);
    await page.close();
  });
});
