/**
 * A client generated from the API's OpenAPI document works: openapi-typescript generates types from the document
 * (programmatic, offline), a client program written with openapi-fetch against them (client-program.ts.txt)
 * type-checks with `tsc --noEmit`, and then drives every route against the local stack; every answer it gets
 * has a status the document lists for its operation and a body the named schema accepts. The document also
 * passes Redocly's `recommended` ruleset.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { createConfig, lintFromString } from '@redocly/openapi-core';
import openapiTS, { astToString, type OpenAPI3 } from 'openapi-typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { routes as apiRoutes } from '../../functions/handlers/http-api';
import { routes as waitRoutes } from '../../functions/handlers/http-wait';
import { openApiDocument } from '../../functions/http/openapi';
import { responseSchemasByName } from '../../functions/http/openapi-components';
import { useStack } from '../helpers/local-stack';

const ROOT = join(import.meta.dirname, '..', '..');
/**
 * Rules of Redocly's `recommended` ruleset turned off, each with its reason. None: the document passes them all
 * (errors and warnings alike). Add a rule here only with a reason a reviewer would accept.
 */
const RULES_OFF: Record<string, string> = {};

type Doc = { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: SchemaRef }> }> }>> };
type SchemaRef = { $ref?: string; oneOf?: SchemaRef[]; type?: string };
interface Seen {
  method: string;
  path: string;
  status: number;
  body: unknown;
}

/** Every route of the API: the API function's and the wait function's. */
const routes = [...apiRoutes, ...waitRoutes];
const { stack } = useStack();
const document = openApiDocument();
const doc = document as unknown as Doc;

// The client is generated and type-checked while the stack starts (both take seconds; neither needs the other).
const dir = mkdtempSync(join(tmpdir(), 'jobx-openapi-client-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const typeChecked = (async () => {
  const types = astToString(await openapiTS(document as unknown as OpenAPI3));
  writeFileSync(join(dir, 'api.ts'), types);
  writeFileSync(join(dir, 'drive.ts'), readFileSync(join(import.meta.dirname, 'client-program.ts.txt'), 'utf8').replaceAll('__JOBX_ROOT__', ROOT));
  // The program resolves openapi-fetch (and @types/node) as a user's project would: from its own node_modules.
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  const compilerOptions = { target: 'ES2022', module: 'ESNext', moduleResolution: 'Bundler', lib: ['ES2023'], types: ['node'], strict: true, noUncheckedIndexedAccess: true, skipLibCheck: true, noEmit: true };
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['drive.ts'] }));
  try {
    await promisify(execFile)(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], { cwd: dir });
    return { ok: true as const, types };
  } catch (err) {
    return { ok: false as const, types, output: String((err as { stdout?: string }).stdout ?? err) };
  }
})();

const key = (method: string, path: string) => `${method.toUpperCase()} ${path}`;

/** The zod schemas a documented response names (a `oneOf` names several; any may match). */
function namedSchemas(schema: SchemaRef): string[] {
  if (schema.$ref) return [schema.$ref.replace('#/components/schemas/', '')];
  return (schema.oneOf ?? []).flatMap(namedSchemas);
}

describe('the OpenAPI document', () => {
  it('has one operation per route of the router, and nothing else', () => {
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((method) => key(method, path)));
    expect(documented.sort()).toEqual(routes.map((r) => key(r.method, r.path)).sort());
  });

  it("carries the package's version", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect((document as { info: { version: string } }).info.version).toBe(pkg.version);
  });

  it("passes Redocly's recommended rules", async () => {
    const config = await createConfig({ extends: ['recommended'], rules: Object.fromEntries(Object.keys(RULES_OFF).map((rule) => [rule, 'off'])) });
    const problems = await lintFromString({ source: JSON.stringify(document), absoluteRef: 'openapi.json', config });
    const shown = problems.map((p) => `${p.severity} ${p.ruleId}: ${p.message} at ${p.location[0]?.pointer ?? '?'}`);
    expect(shown.filter((p) => p.startsWith('error'))).toEqual([]);
    // Warnings too: none today, and a new one is worth a look before it is accepted.
    expect(shown).toEqual([]);
  });
});

describe('a client generated from it', () => {
  it('type-checks a program that uses every route (openapi-typescript + openapi-fetch, tsc --noEmit)', async () => {
    const result = await typeChecked;
    expect(result.ok ? '' : result.output).toBe('');
  }, 60_000);

  it('drives every route against the local stack; each answer is documented and matches its schema', async () => {
    expect((await typeChecked).ok).toBe(true);
    const program = (await import(pathToFileURL(join(dir, 'drive.ts')).href)) as { driveEveryRoute: (baseUrl: string, tag: string) => Promise<Seen[]> };
    const seen = await program.driveEveryRoute(stack().url, Date.now().toString(36));

    expect([...new Set(seen.map((s) => key(s.method, s.path)))].sort()).toEqual(routes.map((r) => key(r.method, r.path)).sort());
    const schemas = responseSchemasByName();
    const problems: string[] = [];
    for (const s of seen) {
      const where = `${key(s.method, s.path)} → ${s.status}`;
      const response = doc.paths[s.path]?.[s.method.toLowerCase()]?.responses[String(s.status)];
      if (!response) {
        problems.push(`${where}: status not documented`);
        continue;
      }
      const schema = response.content?.['application/json']?.schema;
      if (!schema) {
        if (s.body !== undefined) problems.push(`${where}: a body where the document says none`);
        continue;
      }
      const names = namedSchemas(schema);
      // `/openapi.json` answers the document itself: `{ type: object }`.
      if (names.length === 0) {
        if (schema.type !== 'object' || typeof s.body !== 'object') problems.push(`${where}: not an object`);
        continue;
      }
      const results = names.map((name) => schemas.get(name)?.safeParse(s.body));
      if (!results.some((r) => r?.success)) problems.push(`${where}: ${names.join(' | ')} refuses ${JSON.stringify(s.body).slice(0, 300)}: ${results.map((r) => r?.error?.message ?? 'no schema').join('; ')}`);
    }
    expect(problems).toEqual([]);
  }, 60_000);
});
