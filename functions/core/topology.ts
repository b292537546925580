/**
 * The deployment's queues, described once for the construct, the local stack and the handlers: each route
 * (`provider`, or `provider@executor` for a deployment that serves tasks pinned to that executor) has one SQS
 * queue whose name follows from the flow's queue-name prefix and the route. The handlers get three compact
 * values (the URL and ARN prefixes and the route list) instead of a map of every queue's URL and ARN, so a
 * function's 4 KB environment holds hundreds of routes.
 * @module
 */
import { createHash } from 'node:crypto';
import { queueRouteOf } from './routing';

/** SQS's limit on a queue name. */
export const MAX_QUEUE_NAME_LENGTH = 80;
/** Longest queue-name prefix a flow may use (leaves room for the route part). */
export const MAX_QUEUE_PREFIX_LENGTH = 28;
/** Characters SQS allows in a (standard) queue name. */
const QUEUE_NAME_CHARS = /^[A-Za-z0-9_-]+$/;
/** Readable characters of a route kept in its queue name (the hash after them tells routes apart). */
const READABLE_ROUTE_CHARS = 40;

/** Provider names: what a job's `tasks[].provider` may say (also safe in construct ids and queue names). */
export const PROVIDER_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
/** Executor names (`preLock`, worker ids): the same charset the API accepts. */
export const EXECUTOR_NAME_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;

/** A provider deployment: serves the provider's unpinned tasks, or with `executor` the tasks pinned to it. */
export interface Deployment {
  provider: string;
  executor?: string;
}

/** The queue route of a deployment (`provider` or `provider@executor`), the same key a task message routes to. */
export function routeOfDeployment(d: Deployment): string {
  return queueRouteOf({ provider: d.provider, ...(d.executor !== undefined ? { preLock: d.executor } : {}) });
}

/**
 * The part of a route's queue name after the flow's prefix: the route made name-safe and cut to 40 characters,
 * then 8 hex digits of its SHA-256, so two routes never share a queue whatever they were cut or changed to.
 * @example
 * queueSuffixOf('demo@edge-1'); // 'demo-edge-1-<8 hex>'
 */
export function queueSuffixOf(route: string): string {
  const readable = route.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, READABLE_ROUTE_CHARS);
  const hash = createHash('sha256').update(route).digest('hex').slice(0, 8);
  return `${readable}-${hash}`;
}

/** The queue name of a route under a prefix. @throws Error when the prefix is not a valid queue-name prefix */
export function queueNameOf(prefix: string, route: string): string {
  assertQueuePrefix(prefix);
  return `${prefix}${queueSuffixOf(route)}`;
}

/** Checks a queue-name prefix: SQS name characters, at most {@link MAX_QUEUE_PREFIX_LENGTH}. */
export function assertQueuePrefix(prefix: string): void {
  if (prefix.length > MAX_QUEUE_PREFIX_LENGTH || (prefix !== '' && !QUEUE_NAME_CHARS.test(prefix))) {
    throw new Error(`queue name prefix "${prefix}" must be at most ${MAX_QUEUE_PREFIX_LENGTH} letters, digits, '-' or '_'`);
  }
}

/** A queue-name prefix derived from a seed (a construct's address and stage): `jobx-<8 hex>-`. */
export function queuePrefixFor(seed: string): string {
  return `jobx-${createHash('sha256').update(seed).digest('hex').slice(0, 8)}-`;
}

/** Where a route's messages go. */
export interface RouteQueue {
  queueUrl: string;
  queueArn: string;
}

/** The queues as the handlers read them: URL and ARN of every queue are these prefixes plus its suffix. */
export interface QueueTopology {
  /** Queue URL up to the route part (`https://sqs.<region>.amazonaws.com/<account>/<prefix>`). */
  urlPrefix: string;
  /** Queue ARN up to the route part (`arn:aws:sqs:<region>:<account>:<prefix>`). */
  arnPrefix: string;
  /** Every route that has a queue. */
  routes: readonly string[];
}

/** Route → queue for every route of a topology. */
export function queuesOf(t: QueueTopology): Record<string, RouteQueue> {
  const out: Record<string, RouteQueue> = {};
  for (const route of t.routes) out[route] = { queueUrl: `${t.urlPrefix}${queueSuffixOf(route)}`, queueArn: `${t.arnPrefix}${queueSuffixOf(route)}` };
  return out;
}

/**
 * Routes as one environment value: `route` or `route=seconds`, the longest task timeout its function can run,
 * and `*=seconds` for the routes without a value of their own (the most common one, written once, so hundreds
 * of providers fit a function's 4 KB environment). `,` `=` and `*` never appear in a provider or executor name.
 * @example
 * formatRoutes(['demo', 'resize', 'fast'], { demo: 357, resize: 357, fast: 27 }); // 'demo,resize,fast=27,*=357'
 */
export function formatRoutes(routes: readonly string[], maxTaskSeconds: Readonly<Record<string, number>> = {}): string {
  const counts = new Map<number, number>();
  for (const r of routes) if (maxTaskSeconds[r] !== undefined) counts.set(maxTaskSeconds[r]!, (counts.get(maxTaskSeconds[r]!) ?? 0) + 1);
  const common = [...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]?.[0];
  const entries = routes.map((r) => (maxTaskSeconds[r] !== undefined && maxTaskSeconds[r] !== common ? `${r}=${maxTaskSeconds[r]}` : r));
  // A route without a value of its own takes the common one; a route with none at all cannot exist beside it.
  if (common !== undefined && routes.every((r) => maxTaskSeconds[r] !== undefined)) entries.push(`*=${common}`);
  else return routes.map((r) => (maxTaskSeconds[r] !== undefined ? `${r}=${maxTaskSeconds[r]}` : r)).join(',');
  return entries.join(',');
}

/** Routes from their environment value. */
export function parseRoutes(value: string | undefined): string[] {
  return Object.keys(parseRouteLimits(value));
}

/** Route → the longest task timeout (seconds) its function can run, or undefined when not bounded. */
export function parseRouteLimits(value: string | undefined): Record<string, number | undefined> {
  const out: Record<string, number | undefined> = {};
  let common: number | undefined;
  for (const entry of (value ?? '').split(',').map((r) => r.trim()).filter(Boolean)) {
    const eq = entry.indexOf('=');
    const route = eq < 0 ? entry : entry.slice(0, eq);
    const seconds = eq < 0 ? undefined : Number(entry.slice(eq + 1));
    if (route === '*') common = seconds;
    else out[route] = seconds;
  }
  if (common !== undefined) for (const route of Object.keys(out)) out[route] ??= common;
  return out;
}
