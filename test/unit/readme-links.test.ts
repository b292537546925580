/**
 * The README's links resolve in a clone: every relative link names a file or directory of the repository, and
 * every in-page link a heading (GitHub's anchor rules: lower case, punctuation dropped, spaces to dashes).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
// Code blocks hold code, not links.
const prose = readme.replace(/```[\s\S]*?```/g, '');
const links = [...prose.matchAll(/\[[^\]]*\]\(([^)\s]+)\)/g)].map((m) => m[1]!);

function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

describe('README links', () => {
  it('relative links name files of the repository', () => {
    const missing = links.filter((l) => !/^(https?:|mailto:|#)/.test(l)).filter((l) => !existsSync(path.join(ROOT, l.split('#')[0]!)));
    expect(missing).toEqual([]);
  });

  it('names no file outside the repository (a clone has none)', () => {
    expect(readme.match(/\.\.\/shared\/[^\s`)]*/g) ?? []).toEqual([]);
  });

  it('in-page links name headings', () => {
    const anchors = new Set([...readme.matchAll(/^#{1,6} (.+)$/gm)].map((m) => anchorOf(m[1]!)));
    const broken = links.filter((l) => l.startsWith('#')).filter((l) => !anchors.has(l.slice(1)));
    expect(broken).toEqual([]);
    expect(links.length).toBeGreaterThan(3);
  });
});
