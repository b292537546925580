/**
 * Checks of `JobFlowProps` at construction: contradictory or out-of-range props throw with a message that
 * says what to change.
 * @module
 */
import { Token } from 'aws-cdk-lib';
import type { JobFlowProps } from './job-flow-props';
import { LIFECYCLE_EVENT_TYPES, unknownEventTypes } from '../functions/core/lifecycle-events';

/** Throws the construct's error (`JobFlow: …`) unless `condition` holds. */
export function check(condition: boolean, message: string): void {
  if (!condition) throw new Error(`JobFlow: ${message}`);
}

/** Whether a value is an integer in [min, max] (a token, unknown at synthesis, passes). */
export function integerIn(value: number, min: number, max: number): boolean {
  return Token.isUnresolved(value) || (Number.isInteger(value) && value >= min && value <= max);
}

/** Refuses contradictory or out-of-range props (the construct fails at synth, not at deploy). */
export function validateProps(props: JobFlowProps): void {
  const mode = props.api?.authMode ?? 'iam';
  check(mode === 'iam' || mode === 'jwt', `api.authMode must be "iam" or "jwt", not "${String(mode)}"`);
  if (mode === 'jwt') {
    check(typeof props.api?.jwt?.issuer === 'string' && /^https:\/\//.test(props.api.jwt.issuer), 'api.authMode "jwt" needs api.jwt.issuer (an https URL)');
    check((props.api?.jwt?.audience?.length ?? 0) > 0, 'api.authMode "jwt" needs at least one api.jwt.audience');
    for (const key of Object.keys(props.api?.jwt?.routeScopes ?? {})) check(['submit', 'read', 'list', 'control', 'worker'].includes(key), `api.jwt.routeScopes.${key} is not a kind of route (submit, read, list, control, worker)`);
  } else {
    check(props.api?.jwt === undefined, 'api.jwt is set but api.authMode is "iam": set authMode "jwt" or drop jwt');
  }
  if (props.stageName !== undefined) check(/^[A-Za-z0-9-]{1,32}$/.test(props.stageName), 'stageName must be 1-32 letters, digits or dashes');
  const throttle = props.api?.throttle;
  if (throttle?.rateLimit !== undefined) check(throttle.rateLimit > 0, 'api.throttle.rateLimit must be positive');
  if (throttle?.burstLimit !== undefined) check(integerIn(throttle.burstLimit, 1, 5000), 'api.throttle.burstLimit must be an integer from 1 to 5000');
  const reserved = props.api?.reservedConcurrency;
  if (reserved !== undefined) check(integerIn(reserved, 0, 10_000), 'api.reservedConcurrency must be an integer from 0 (unreserved) to 10000');
  const waitReserved = props.api?.waitReservedConcurrency;
  if (waitReserved !== undefined) check(integerIn(waitReserved, 0, 10_000), 'api.waitReservedConcurrency must be an integer from 0 (unreserved) to 10000');
  const waitMemory = props.api?.waitMemorySize;
  if (waitMemory !== undefined) check(integerIn(waitMemory, 128, 10_240), 'api.waitMemorySize must be an integer from 128 to 10240 (MB)');
  const apiTimeout = props.api?.timeout;
  if (apiTimeout) check(apiTimeout.toSeconds() <= 30, 'api.timeout above 30 s is cut by the HTTP API integration timeout');
  const s = props.stream;
  if (s?.batchSize !== undefined) check(integerIn(s.batchSize, 1, 10_000), 'stream.batchSize must be an integer from 1 to 10000');
  if (s?.retryAttempts !== undefined) check(integerIn(s.retryAttempts, 0, 10_000), 'stream.retryAttempts must be bounded (0 to 10000)');
  if (s?.parallelizationFactor !== undefined) check(integerIn(s.parallelizationFactor, 1, 10), 'stream.parallelizationFactor must be an integer from 1 to 10');
  if (s?.maxRecordAge !== undefined) {
    const secs = s.maxRecordAge.toSeconds();
    check(secs >= 60 && secs <= 604_800, 'stream.maxRecordAge must be from 60 seconds to 7 days');
  }
  const rate = props.sweeper?.rate;
  if (rate) check(rate.toSeconds() >= 60, 'sweeper.rate must be at least one minute');
  if (props.sweeper?.requeueAfter) check(props.sweeper.requeueAfter.toSeconds() >= 1, 'sweeper.requeueAfter must be at least a second');
  const alarms = props.alarms;
  if (alarms?.enabled === false) check(alarms.topic === undefined, 'alarms.topic is set but alarms are disabled');
  if (alarms?.taskFailureRatePercent !== undefined) check(alarms.taskFailureRatePercent > 0 && alarms.taskFailureRatePercent <= 100, 'alarms.taskFailureRatePercent must be in (0, 100]');
  const pd = props.providerDefaults;
  if (pd?.timeout) check(pd.timeout.toSeconds() <= 900, 'providerDefaults.timeout is at most 15 minutes');
  validateEvents(props);
  validateConsole(props, mode);
}

/** `events.publish` names known event types (a typo would silently publish nothing a rule listens for). */
function validateEvents(props: JobFlowProps): void {
  const publish = props.events?.publish as unknown;
  if (publish === undefined || publish === 'all' || publish === 'none') return;
  check(Array.isArray(publish), `events.publish must be 'all', 'none' or a list of event types, not ${JSON.stringify(publish)}`);
  const unknown = unknownEventTypes(publish as unknown[]);
  check(unknown.length === 0, `events.publish: ${unknown.map((t) => `"${t}"`).join(', ')} ${unknown.length === 1 ? 'is not a lifecycle event type' : 'are not lifecycle event types'}; known: ${LIFECYCLE_EVENT_TYPES.join(', ')} (or 'all', 'none')`);
}

/** RFC 6749 scope tokens: printable ASCII without space, `"` or `\`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/** The console signs in with the API's JWT issuer; IAM authorization leaves a browser nothing to sign in with. */
function validateConsole(props: JobFlowProps, mode: string): void {
  const c = props.console;
  if (c === undefined) return;
  check(
    mode === 'jwt',
    "console needs authMode: 'jwt' (api: { authMode: 'jwt', jwt: { issuer, audience } }): the console signs people in against the JWT issuer (OIDC) and calls the API with their token, while IAM authorization wants SigV4-signed requests, which a browser has no AWS credentials to sign",
  );
  const text = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
  check(text(c.clientId) && (Token.isUnresolved(c.clientId) || SCOPE_TOKEN.test(c.clientId)), 'console.clientId must be the OIDC app client id (printable, no spaces)');
  if (c.issuer !== undefined) check(text(c.issuer) && (Token.isUnresolved(c.issuer) || /^https:\/\//.test(c.issuer)), 'console.issuer must be an https URL');
  if (c.scopes !== undefined) {
    check(c.scopes.length > 0, 'console.scopes must name at least one scope (or be left out for the default)');
    for (const s of c.scopes) check(text(s) && (Token.isUnresolved(s) || SCOPE_TOKEN.test(s)), `console.scopes: "${String(s)}" is not a scope (printable, no spaces or quotes)`);
  }
}
