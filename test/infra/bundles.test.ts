/**
 * The real bundles, once: `cdk synth` with esbuild (ESM, minified, source maps) and the console's handler as its
 * construct bundles it; then every function's `index.mjs` is loaded by a plain Node process, as the Lambda runtime
 * loads it, and must export `handler`. This is what proves the ESM output and its `require` banner work (CommonJS
 * dependencies inside an ESM bundle). Each bundle stays within its size budget and carries only the clients its
 * function calls (esbuild's metafile of the same entry and options says what it holds).
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleSizes, consoleHandlerSize, synthesizeBundles, type BundleSize } from '../../bin/bundle-sizes';
import { CONSOLE_HANDLER_ENTRY, HANDLER_ENTRIES } from '../../lib/bundling';
import { EXAMPLE_PROVIDERS } from '../../lib/jobx-stack';

const KB = 1024;

/**
 * Raw `index.mjs` budgets (issue 12, "Lighter functions"): every byte is parsed at each cold start. The API's is
 * the 450 KB. The issue asks 250 KB of the others, which the bundled AWS SDK rules out today: the DynamoDB
 * document client alone (SigV4, retries, endpoint rules, JSON protocol) is about 200 KB minified, even with the
 * engine's Lambda-only credential chain; the stream adds SQS, EventBridge Scheduler and EventBridge clients, and a
 * provider keeps the SDK's whole credential chain (its code is the user's); the wait function carries the code that
 * builds the OpenAPI description, so that the API function does not. Those budgets hold today's sizes with
 * about 3 % to spare, so that any growth is a decision. No bundle carries the request counting of the local
 * stack (`LAMBDA_DEFINES` in `lib/lambda-aliases.ts`): about 6 KB of each.
 */
const BUDGETS: ReadonlyArray<{ budget: string; bytes: number; applies: (s: BundleSize) => boolean }> = [
  { budget: 'API ≤ 450 KB', bytes: 450 * KB, applies: (s) => s.entry === HANDLER_ENTRIES.api },
  { budget: 'wait ≤ 410 KB', bytes: 410 * KB, applies: (s) => s.entry === HANDLER_ENTRIES.wait },
  { budget: 'stream and sweeper ≤ 380 KB', bytes: 380 * KB, applies: (s) => s.entry === HANDLER_ENTRIES.stream || s.entry === HANDLER_ENTRIES.sweeper },
  { budget: 'provider ≤ 445 KB', bytes: 445 * KB, applies: (s) => (Object.values(EXAMPLE_PROVIDERS) as string[]).includes(s.entry) },
  { budget: 'console ≤ 16 KB', bytes: 16 * KB, applies: (s) => s.entry === CONSOLE_HANDLER_ENTRY },
];

let outdir: string;
let sizes: BundleSize[];

beforeAll(async () => {
  outdir = mkdtempSync(path.join(tmpdir(), 'jobx-bundle-test-'));
  const stack = synthesizeBundles(outdir);
  sizes = [...(await bundleSizes(outdir, stack)), await consoleHandlerSize(outdir)];
}, 180_000);

afterAll(() => rmSync(outdir, { recursive: true, force: true }));

const bundle = (entry: string) => sizes.find((s) => s.entry === entry)!;
const packages = (s: BundleSize) => s.packages.map((p) => p.name);

describe('Lambda bundles', () => {
  it('every function is bundled: index.mjs with its source map, within its size budget', () => {
    expect(sizes.map((s) => s.entry).sort()).toEqual([...Object.values(HANDLER_ENTRIES), ...Object.values(EXAMPLE_PROVIDERS), CONSOLE_HANDLER_ENTRY].sort());
    for (const s of sizes) {
      expect(s.bytes, s.name).toBeGreaterThan(1000);
      expect(s.mapBytes, s.name).toBeGreaterThan(0);
      const budgets = BUDGETS.filter((b) => b.applies(s));
      expect(budgets, `${s.name}: exactly one budget`).toHaveLength(1);
      const [{ budget, bytes }] = budgets as [(typeof BUDGETS)[number]];
      expect(s.bytes, `${s.name}: ${(s.bytes / KB).toFixed(1)} KB is over its budget (${budget})`).toBeLessThanOrEqual(bytes);
    }
  });

  it('each function carries only the AWS clients it calls', () => {
    const clients = (s: BundleSize) => packages(s).filter((p) => /^@aws-sdk\/client-/.test(p)).sort();
    expect(clients(bundle(HANDLER_ENTRIES.api)), 'API: the tables, and the queues for a new root pipeline\'s first task').toEqual(['@aws-sdk/client-dynamodb', '@aws-sdk/client-sqs']);
    expect(clients(bundle(HANDLER_ENTRIES.wait)), 'wait: the tables only').toEqual(['@aws-sdk/client-dynamodb']);
    expect(clients(bundle(HANDLER_ENTRIES.stream)), 'stream').toEqual(['@aws-sdk/client-dynamodb', '@aws-sdk/client-eventbridge', '@aws-sdk/client-scheduler', '@aws-sdk/client-sqs']);
    expect(clients(bundle(HANDLER_ENTRIES.sweeper)), 'sweeper: no event bus').toEqual(['@aws-sdk/client-dynamodb', '@aws-sdk/client-scheduler', '@aws-sdk/client-sqs']);
    for (const entry of Object.values(EXAMPLE_PROVIDERS)) expect(clients(bundle(entry)), entry).toEqual(['@aws-sdk/client-dynamodb']);
    const console = bundle(CONSOLE_HANDLER_ENTRY);
    expect(packages(console).filter((p) => /^@(aws-sdk|smithy|aws-lambda-powertools)\//.test(p)), 'console: no AWS SDK, no Powertools').toEqual([]);
    // The API logs but emits no metrics.
    expect(packages(bundle(HANDLER_ENTRIES.api))).not.toContain('@aws-lambda-powertools/metrics');
  });

  it('no Lambda bundle carries the request counting of the local stack and the bench (nobody reads it there)', () => {
    for (const s of sizes) expect(s.modules.filter((m) => m.endsWith('functions/adapters/usage.ts') || m.endsWith('functions/adapters/billing-units.ts')), s.name).toEqual([]);
  });

  it("the engine's bundles hold the Lambda-only credential chain and no event streams; zod without its locales", () => {
    for (const entry of Object.values(HANDLER_ENTRIES)) {
      const s = bundle(entry);
      const held = packages(s).filter((p) => /^@aws-sdk\/(nested-clients|credential-provider-(node|ini|sso|process|web-identity|login))$|^@aws-sdk\/token-providers$/.test(p));
      expect(held, `${s.name}: links of the credential chain Lambda never reaches`).toEqual([]);
      expect(s.modules.filter((m) => m.includes('/submodules/event-streams/')), `${s.name}: event streams`).toEqual([]);
      expect(s.modules, s.name).toContain('functions/runtime/lambda-credentials.ts');
    }
    const locales = bundle(HANDLER_ENTRIES.api).modules.filter((m) => m.includes('zod/v4/locales/'));
    expect(locales, 'zod imported as a namespace: its locales stay out but English').toEqual(['zod/v4/locales/en.js']);
  });

  it("the API bundle signs its DynamoDB requests with the environment's credentials, as Lambda provides them", async () => {
    const seen: string[] = [];
    const dynamodb = createServer((req, res) => {
      const target = String(req.headers['x-amz-target']);
      seen.push(`${target} ${req.headers.authorization}`);
      req.resume();
      req.on('end', () => {
        res.setHeader('content-type', 'application/x-amz-json-1.0');
        res.end(JSON.stringify(target.endsWith('.Query') ? { Items: [], Count: 0 } : {}));
      });
    });
    await new Promise<void>((resolve) => dynamodb.listen(0, '127.0.0.1', resolve));
    try {
      const jobId = '01HZZZZZZZZZZZZZZZZZZZZZZZ';
      const event = {
        version: '2.0',
        routeKey: '$default',
        rawPath: `/jobs/${jobId}`,
        rawQueryString: '',
        headers: {},
        requestContext: { http: { method: 'GET', path: `/jobs/${jobId}`, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' }, requestId: 'r', routeKey: '$default', stage: '$default' },
        isBase64Encoded: false,
      };
      const api = pathToFileURL(path.join(bundle(HANDLER_ENTRIES.api).assetDir, 'index.mjs')).href;
      const script = `const { handler } = await import(${JSON.stringify(api)}); console.log(JSON.stringify(await handler(${JSON.stringify(event)}, { getRemainingTimeInMillis: () => 10_000, awsRequestId: 'r', functionName: 'api' })));`;
      const { stdout } = await promisify(execFile)(process.execPath, ['--enable-source-maps', '--input-type=module', '-e', script], {
        encoding: 'utf8',
        timeout: 60_000,
        env: {
          PATH: process.env.PATH,
          AWS_REGION: 'us-east-1',
          AWS_ACCESS_KEY_ID: 'AKIDJOBXBUNDLETEST',
          AWS_SECRET_ACCESS_KEY: 'secret',
          AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${(dynamodb.address() as AddressInfo).port}`,
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
          POWERTOOLS_DEV: 'true',
          POWERTOOLS_LOG_LEVEL: 'SILENT',
          JOBX_JOBS_TABLE: 'jobs',
          JOBX_RESULTS_TABLE: 'results',
        },
      });
      expect(JSON.parse(stdout.trim().split('\n').pop()!)).toMatchObject({ statusCode: 404 });
      expect(seen.length).toBeGreaterThan(0);
      for (const request of seen) expect(request).toMatch(/^DynamoDB_20120810\.\w+ AWS4-HMAC-SHA256 Credential=AKIDJOBXBUNDLETEST\/\d{8}\/us-east-1\/dynamodb\/aws4_request/);
    } finally {
      dynamodb.close();
    }
  });

  it('every bundle loads as an ES module in Node and exports handler', () => {
    const urls = sizes.map((s) => pathToFileURL(path.join(s.assetDir, 'index.mjs')).href);
    const script = `const out = {}; for (const u of ${JSON.stringify(urls)}) { const m = await import(u); out[u] = typeof m.handler; } console.log(JSON.stringify(out));`;
    const stdout = execFileSync(process.execPath, ['--enable-source-maps', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, AWS_REGION: 'us-east-1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', POWERTOOLS_DEV: 'true' },
      timeout: 60_000,
    });
    const loaded = JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, string>;
    for (const u of urls) expect(loaded[u], u).toBe('function');
  });
});
