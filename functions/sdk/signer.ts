/**
 * SigV4 signing of API requests (API Gateway's `iam` authorization), with the AWS SDK's own signer.
 * @module
 */
import type { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialsInput } from './types';

/**
 * A request to sign: what goes on the wire.
 * @example
 * ```ts
 * const req: SignableRequest = { method: 'GET', url: new URL('https://abc.execute-api.eu-west-1.amazonaws.com/jobs/x'), headers: {} };
 * ```
 */
export interface SignableRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: string;
}

/**
 * Options of {@link createSigner}.
 * @example
 * ```ts
 * const opts: SignerOptions = { credentials: { accessKeyId: 'AKIA…', secretAccessKey: '…' }, region: 'eu-west-1' };
 * ```
 */
export interface SignerOptions {
  credentials: AwsCredentialsInput;
  region: string;
  /** @default 'execute-api' */
  service?: string;
  /** Add `x-amz-content-sha256` (signed). @default true */
  applyChecksum?: boolean;
  /** Clock for the signature (tests). @default () => new Date() */
  now?: () => Date;
}

/**
 * Signs a request; returns the headers to send (the given ones plus `authorization`, `x-amz-date`,
 * `x-amz-content-sha256` and `x-amz-security-token` with temporary credentials). `host` is signed but left out of
 * the result: fetch sets it from the URL.
 * @example
 * ```ts
 * const sign = createSigner({ credentials, region: 'eu-west-1' });
 * const headers = await sign({ method: 'GET', url: new URL(`${base}/jobs/${id}`), headers: {} });
 * await fetch(`${base}/jobs/${id}`, { headers });
 * ```
 */
export type Signer = (req: SignableRequest) => Promise<Record<string, string>>;

/**
 * Creates a {@link Signer} for service `execute-api`.
 * @example
 * ```ts
 * const sign = createSigner({ credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }, region: 'us-east-1' });
 * ```
 */
export function createSigner(opts: SignerOptions): Signer {
  // The signer is loaded on first use, so clients without credentials never load it.
  let signer: Promise<SignatureV4> | undefined;
  const load = async () => {
    const [{ SignatureV4 }, { Sha256 }] = await Promise.all([import('@smithy/signature-v4'), import('@smithy/core/checksum')]);
    return new SignatureV4({
      service: opts.service ?? 'execute-api',
      region: opts.region,
      credentials: opts.credentials,
      sha256: Sha256,
      applyChecksum: opts.applyChecksum ?? true,
    });
  };
  const now = opts.now ?? (() => new Date());
  return async (req) => {
    const query: Record<string, string | string[]> = {};
    for (const [k, v] of req.url.searchParams) {
      const prev = query[k];
      query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
    }
    const headers: Record<string, string> = { host: req.url.host };
    for (const [k, v] of Object.entries(req.headers)) headers[k.toLowerCase()] = v;
    signer ??= load();
    const signed = await (await signer).sign(
      {
        method: req.method.toUpperCase(),
        protocol: req.url.protocol,
        hostname: req.url.hostname,
        ...(req.url.port ? { port: Number(req.url.port) } : {}),
        path: req.url.pathname,
        query,
        headers,
        ...(req.body !== undefined ? { body: req.body } : {}),
      },
      { signingDate: now() },
    );
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(signed.headers)) if (k.toLowerCase() !== 'host') out[k] = v;
    return out;
  };
}

/**
 * The region of an `execute-api` host name (`abc123.execute-api.eu-west-1.amazonaws.com` → `eu-west-1`).
 * @example
 * ```ts
 * regionFromUrl('https://abc123.execute-api.eu-west-1.amazonaws.com'); // 'eu-west-1'
 * regionFromUrl('http://127.0.0.1:3000'); // undefined
 * ```
 */
export function regionFromUrl(url: string): string | undefined {
  try {
    return /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/.exec(new URL(url).hostname)?.[1];
  } catch {
    return undefined;
  }
}
