/** `jobx ls [--status S] [--owner O] [--name N] [--biz-id B] [--limit n] [--cursor C] [--all] [--json]`. @module */
import { JOB_STATUSES } from '../../core/statuses';
import type { JobxClient } from '../../sdk/client';
import type { JobListItem, JobListPage, ListFilter } from '../../sdk/types';
import { parsePositiveInt, type CliContext } from '../context';
import type { Colors } from '../io';
import { colorStatus } from '../render/tree';
import type { Program } from '../program';
import { Option } from '@commander-js/extra-typings';

/** Default page size of `ls`. */
export const DEFAULT_LS_LIMIT = 20;

/** `2026-11-25T10:55:42.123Z` → `2026-11-25 10:55:42`. */
function shortTime(iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, '');
}

/** The listing as a table (header + one row per job), padded on visible width. */
export function renderJobTable(items: readonly JobListItem[], c: Colors): string[] {
  const rows = items.map((j) => [shortTime(j.createdAt), j.jobId, j.name, j.owner, j.status, j.bizId ?? '']);
  const header = ['CREATED (UTC)', 'JOB ID', 'NAME', 'OWNER', 'STATUS', 'BIZ ID'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[], color: (cell: string, i: number) => string) =>
    cells
      .map((cell, i) => color(cell, i) + (i === cells.length - 1 ? '' : ' '.repeat(widths[i]! - cell.length + 2)))
      .join('')
      .trimEnd();
  return [
    line(header, (h) => c.dim(h)),
    ...rows.map((r) => line(r, (cell, i) => (i === 4 ? colorStatus(cell as JobListItem['status'], c) : i === 1 ? c.bold(cell) : cell))),
  ];
}

/**
 * Up to `limit` jobs: the API may answer a filtered request with a short (even empty) page and a cursor, so ask
 * for the rest until the page is full or the listing ends; the returned cursor continues right after.
 */
async function fillPage(client: JobxClient, filter: ListFilter, limit: number): Promise<JobListPage> {
  const items: JobListItem[] = [];
  let cursor = filter.cursor;
  for (let i = 0; i < 50 && items.length < limit; i++) {
    const page = await client.listPage({ ...filter, limit: limit - items.length, ...(cursor !== undefined ? { cursor } : {}) });
    items.push(...page.items);
    if (!page.cursor || page.cursor === cursor) return { items };
    cursor = page.cursor;
  }
  return cursor !== undefined ? { items, cursor } : { items };
}

/** Registers `ls`. */
export function registerLs(program: Program, ctx: CliContext): void {
  program
    .command('ls')
    .description('list jobs, newest first')
    .addOption(new Option('--status <status>', 'only jobs in this status').choices(JOB_STATUSES))
    .option('--owner <owner>', 'only jobs of this owner')
    .option('--name <name>', 'only jobs with this name')
    .option('--biz-id <bizId>', 'only the job with this business id')
    .option('--limit <n>', 'jobs per page', parsePositiveInt, DEFAULT_LS_LIMIT)
    .option('--cursor <cursor>', 'continue after a previous page')
    .option('--all', 'follow every page')
    .option('--json', 'print { items, cursor? } as JSON')
    .action(async (opts) => {
      const client = ctx.client();
      const filter: ListFilter = {
        limit: opts.limit,
        ...(opts.status ? { status: opts.status } : {}),
        ...(opts.owner ? { owner: opts.owner } : {}),
        ...(opts.name ? { name: opts.name } : {}),
        ...(opts.bizId ? { bizId: opts.bizId } : {}),
        ...(opts.cursor ? { cursor: opts.cursor } : {}),
      };
      const page: JobListPage = opts.all ? { items: await client.list(filter).toArray() } : await fillPage(client, filter, opts.limit);
      if (opts.json) return ctx.json(page);
      if (page.items.length === 0) {
        ctx.err('no jobs');
        return;
      }
      renderJobTable(page.items, ctx.colors).forEach((l) => ctx.out(l));
      if (page.cursor) {
        const again = [`--cursor '${page.cursor}'`, `--limit ${opts.limit}`];
        if (opts.status) again.push(`--status ${opts.status}`);
        if (opts.owner) again.push(`--owner '${opts.owner}'`);
        if (opts.name) again.push(`--name '${opts.name}'`);
        if (opts.bizId) again.push(`--biz-id '${opts.bizId}'`);
        ctx.err(ctx.errColors.dim(`more: jobx ls ${again.join(' ')}`));
      }
    });
}
