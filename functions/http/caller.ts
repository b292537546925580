/**
 * Who is calling: the identity API Gateway's authorizer established (IAM: the principal's ARN; JWT: the
 * token's subject and scopes). The API records it on every job it creates and every manual action, and, with
 * owner binding on (`JOBX_BIND_OWNER`), lets only a job's owner, or a caller with the control scope, act on it.
 * @module
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { JobxError } from '../core/errors';
import { ENV } from '../runtime/env-names';

/** A caller as the API knows it. */
export interface Caller {
  /** `arn:aws:iam::…` / `arn:aws:sts::…:assumed-role/…` (IAM), `jwt:<subject>` (JWT), or `anonymous`. */
  id: string;
  /** JWT scopes (none with IAM authorization). */
  scopes: string[];
}

/** The scope that lets a JWT caller act on any job when owner binding is on. @default 'jobx/control' */
export function controlScope(): string {
  return process.env[ENV.controlScope] || 'jobx/control';
}

interface AuthorizerContext {
  iam?: { userArn?: string; callerId?: string; accountId?: string };
  jwt?: { claims?: Record<string, unknown>; scopes?: string[] | null };
}

/** The caller of a request. */
export function callerOf(event: APIGatewayProxyEventV2): Caller {
  const authorizer = (event.requestContext as { authorizer?: AuthorizerContext }).authorizer;
  const iam = authorizer?.iam;
  if (iam?.userArn) return { id: iam.userArn, scopes: [] };
  if (iam?.callerId) return { id: `iam:${iam.accountId ?? ''}:${iam.callerId}`, scopes: [] };
  const jwt = authorizer?.jwt;
  const sub = jwt?.claims?.sub;
  if (typeof sub === 'string' && sub) {
    const fromClaim = typeof jwt?.claims?.scope === 'string' ? jwt.claims.scope.split(' ') : [];
    return { id: `jwt:${sub}`, scopes: [...new Set([...(jwt?.scopes ?? []), ...fromClaim].filter(Boolean))] };
  }
  return { id: 'anonymous', scopes: [] };
}

/** Whether owner binding is on (`JOBX_BIND_OWNER=true`). */
export function ownerBound(): boolean {
  return process.env[ENV.bindOwner] === 'true';
}

/**
 * The owner a submission gets: with owner binding, the caller (a different `owner` in the body is refused);
 * without, the body's.
 * @throws JobxError FORBIDDEN when the body names another owner under owner binding
 */
export function boundOwner(caller: Caller, owner: string | undefined): string | undefined {
  if (!ownerBound()) return owner;
  if (owner !== undefined && owner !== caller.id) {
    throw new JobxError('FORBIDDEN', `owner is bound to the caller: submit with owner "${caller.id}" or none`, { owner, caller: caller.id });
  }
  return caller.id;
}

/**
 * Checks that a caller may act on a job owned by `owner` (owner binding only: the owner, or a caller with the
 * control scope).
 * @throws JobxError FORBIDDEN otherwise
 */
export function assertMayControl(caller: Caller, owner: string): void {
  if (!ownerBound() || caller.id === owner || caller.scopes.includes(controlScope())) return;
  throw new JobxError('FORBIDDEN', `only the job's owner, or a caller with scope ${controlScope()}, may act on it`, { owner, caller: caller.id });
}
