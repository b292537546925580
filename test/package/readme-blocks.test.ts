/**
 * The README's code for a user's own project is the consumer app that `consumer-app.test.ts` installs, type-checks,
 * synthesizes and runs: each block that names a fixture file on its first line must be that file, verbatim.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from './support/consumer';

const FIXTURE = 'test/package/fixtures/consumer-app';

function blocksNamingFixtures(): Array<{ file: string; body: string }> {
  const readme = readFileSync(path.join(REPO, 'README.md'), 'utf8');
  const out: Array<{ file: string; body: string }> = [];
  for (const m of readme.matchAll(/```(?:ts|js)\n\/\/ ([^\n]+)\n([\s\S]*?)```/g)) {
    const file = m[1]!.trim();
    if (/^(bin|lib|lambda|scripts)\/[^ ]+$/.test(file)) out.push({ file, body: m[2]! });
  }
  return out;
}

describe('README: your own project', () => {
  it('shows the consumer app the package test runs, file by file, verbatim', () => {
    const blocks = blocksNamingFixtures();
    expect(blocks.map((b) => b.file).sort()).toEqual(['bin/consumer-app.ts', 'lambda/orders.ts', 'lib/jobs-stack.ts', 'lib/orders-stack.ts', 'scripts/sdk-esm.mjs']);
    for (const b of blocks) expect(b.body, b.file).toBe(readFileSync(path.join(REPO, FIXTURE, b.file), 'utf8'));
  });

  it("the quick start's command is the one the package test runs", () => {
    const readme = readFileSync(path.join(REPO, 'README.md'), 'utf8');
    expect(readme).toContain('npx jobx dev --providers lambda/orders.ts');
    expect(readFileSync(path.join(REPO, 'test/package/consumer-app.test.ts'), 'utf8')).toContain("'--providers', 'lambda/orders.ts'");
  });
});
