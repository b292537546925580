/** Listing pages through every root job exactly once, newest first, with no cursor on the last page. */
import { describe, expect, it } from 'vitest';
import { useStack } from '../helpers/local-stack';

const { client } = useStack();

describe('GET /jobs paging', () => {
  it('walks 7 jobs in pages of 3, 3 and 1 (no cursor on the last), and a page that ends exactly at the end has none', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push((await client.submit({ name: `p${i}`, owner: 'pager', tasks: [{ name: 'a', provider: 'demo' }] })).body.jobId);
    const seen: string[] = [];
    const cursors: Array<string | undefined> = [];
    let cursor: string | undefined;
    do {
      const page = await client.call('GET', `/jobs?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(page.status).toBe(200);
      seen.push(...page.body.items.map((i: { jobId: string }) => i.jobId));
      cursor = page.body.cursor;
      cursors.push(cursor);
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
    expect(cursors.map((c) => c !== undefined)).toEqual([true, true, false]);
    const exact = await client.call('GET', '/jobs?limit=7');
    expect(exact.body.items).toHaveLength(7);
    expect(exact.body.cursor).toBeUndefined();
  });
});
