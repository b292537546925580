/**
 * A local stand-in for API Gateway's HTTP API: turns a Node request into a complete payload-v2 event (the
 * router reads `requestContext.http`, so nothing may be missing), calls the same Lambda handler, writes its
 * `{ statusCode, headers, body }` back.
 * @module
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { createLambdaContext } from './lambda-context';
import { consoleFile } from './console-files';

/** The API handler's shape. */
export type ApiHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

/** Largest body the gateway reads; API Gateway's own limit is 10 MB, the API refuses more than 256 KB itself. */
const MAX_GATEWAY_BODY = 10 * 1024 * 1024;

/** A request the gateway answers itself, as API Gateway would, without calling the handler (never a 500). */
class GatewayRefusal extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'GatewayRefusal';
  }
}

async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    // Past the limit the rest is read and dropped, so the client gets its 413 rather than a reset connection.
    if (size <= MAX_GATEWAY_BODY) chunks.push(chunk as Buffer);
  }
  // API Gateway answers 413 itself above its limit; so does the stand-in.
  if (size > MAX_GATEWAY_BODY) throw new GatewayRefusal(413, 'PAYLOAD_TOO_LARGE', `request body is over ${MAX_GATEWAY_BODY} bytes`);
  return chunks.length ? Buffer.concat(chunks).toString('utf8') : undefined;
}

/**
 * The URL of a request. The request target is appended to the origin rather than resolved against it, so
 * `//jobs` stays a path (resolving would read `jobs` as a host name); a target no URL can hold is a 400.
 */
function requestUrl(target: string | undefined): URL {
  const path = target ?? '/';
  try {
    return new URL(path.startsWith('/') ? `http://localhost${path}` : path, 'http://localhost');
  } catch {
    throw new GatewayRefusal(400, 'VALIDATION_FAILED', 'the request target is not a valid URL');
  }
}

/** Builds the payload-v2 event of a request. */
export function toApiEvent(req: IncomingMessage, body: string | undefined): APIGatewayProxyEventV2 {
  const url = requestUrl(req.url);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(',') : v;
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = query[k] === undefined ? v : `${query[k]},${v}`;
  const now = Date.now();
  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'local',
      http: { method: (req.method ?? 'GET').toUpperCase(), path: url.pathname, protocol: `HTTP/${req.httpVersion}`, sourceIp: req.socket.remoteAddress ?? '127.0.0.1', userAgent: headers['user-agent'] ?? '' },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: new Date(now).toUTCString(),
      timeEpoch: now,
      // What a JWT authorizer would pass on: on the laptop, who is calling comes from `x-jobx-caller` (and
      // `x-jobx-scopes`, space-separated), so identity, audit and owner binding work as they do on AWS.
      ...(headers['x-jobx-caller'] ? { authorizer: { jwt: { claims: { sub: headers['x-jobx-caller'] }, scopes: (headers['x-jobx-scopes'] ?? '').split(' ').filter(Boolean) } } } : {}),
    },
    isBase64Encoded: false,
  };
  if (Object.keys(query).length) event.queryStringParameters = query;
  if (body !== undefined) event.body = body;
  return event;
}

/** One call of the API handler, as Lambda and API Gateway would bill it (measured by the gateway). */
export interface ApiInvocation {
  /** The request's method and path: which function serves it on AWS (`isWaitRoute`: the wait function). */
  method: string;
  path: string;
  /** Wall time of the handler call, in ms (fractional; Lambda bills it rounded up to the next ms). */
  ms: number;
  requestBytes: number;
  responseBytes: number;
}

/** Starts the gateway on 127.0.0.1:`port`; `onInvoked` hears of every handler call when it ends. */
export async function startHttpGateway(
  handler: ApiHandler,
  port: number,
  onInvoke?: (request: { method: string; path: string }) => void,
  onInvoked?: (call: ApiInvocation) => void,
): Promise<{ url: string; server: Server; stop(): Promise<void> }> {
  const server = createServer((req, res) => {
    void (async () => {
      try {
        // The console is static files from the API's own origin (the deployed construct serves the same).
        if (req.method === 'GET') {
          const page = consoleFile(requestUrl(req.url).pathname);
          if (page) {
            res.writeHead(page.status, { 'content-type': page.type, 'cache-control': 'no-cache' });
            res.end(page.body);
            return;
          }
        }
        const body = await readBody(req);
        const event = toApiEvent(req, body);
        const request = { method: event.requestContext.http.method, path: event.rawPath };
        onInvoke?.(request);
        const t0 = performance.now();
        const result = await handler(event, createLambdaContext('jobx-api', 30_000));
        onInvoked?.({ ...request, ms: performance.now() - t0, requestBytes: Buffer.byteLength(body ?? ''), responseBytes: Buffer.byteLength(result.body ?? '') });
        res.writeHead(result.statusCode ?? 200, { 'content-type': 'application/json', ...(result.headers as Record<string, string> | undefined) });
        res.end(result.body ?? '');
      } catch (err) {
        const refusal = err instanceof GatewayRefusal ? err : undefined;
        res.writeHead(refusal?.statusCode ?? 500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: refusal?.code ?? 'INTERNAL', message: (err as Error).message } }));
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const actual = typeof address === 'object' && address ? address.port : port;
  return {
    url: `http://127.0.0.1:${actual}`,
    server,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
