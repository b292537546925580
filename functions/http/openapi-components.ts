/**
 * The `components` of the OpenAPI document, generated from the zod schemas: the request schemas that validate
 * requests (as clients send them: zod's `input` side) and the response schemas the views are checked against
 * (as the API answers: the `output` side). zod's registry output names each schema once and refers to it by
 * `$ref`, so the document has one `Job`, one `Json`, … and no copies.
 * @module
 */
import * as z from 'zod';
import { jsonValueSchema, payloadObjectSchema } from './json-limits';
import {
  attemptStatusSchema,
  attemptViewSchema,
  auditEntrySchema,
  childViewSchema,
  claimedTaskSchema,
  errorBodySchema,
  errorDetailsSchema,
  gatewayErrorSchema,
  healthViewSchema,
  jobListItemSchema,
  jobListPageSchema,
  jobViewSchema,
  jsonObjectSchema,
  pendingResultViewSchema,
  resultViewSchema,
  taskDetailViewSchema,
  taskStatusSchema,
  taskSummaryViewSchema,
  executorClaimSchema,
  executorDetailSchema,
  executorListSchema,
  executorOfferSchema,
  executorSummarySchema,
  jobCountsSchema,
  tokenHolderSchema,
  tokenPageSchema,
  tokenReportSchema,
  tokenSummarySchema,
  tokenViewSchema,
  tokenWaiterSchema,
  type ErrorStatus,
} from './response-schemas';
import { discardSchema, emptySchema, failureSchema, jobSpecSchema, jobStatusSchema, retryActionSchema, retrySchema, skipSchema, successSchema, taskSpecSchema } from './schemas';

/** A JSON Schema or OpenAPI object as plain JSON. */
export type JsonObject = Record<string, unknown>;

const SCHEMAS = '#/components/schemas/';

/** Request schemas by component name (shared parts first, so they are referred to rather than repeated). */
const REQUEST_SCHEMAS: ReadonlyArray<readonly [string, z.ZodType]> = [
  ['Json', jsonValueSchema],
  ['JsonPayload', payloadObjectSchema],
  ['JobStatus', jobStatusSchema],
  ['RetryPolicy', retrySchema],
  ['TaskSpec', taskSpecSchema],
  ['JobSpec', jobSpecSchema],
  ['SkipRequest', skipSchema],
  ['RetryRequest', retryActionSchema],
  ['DiscardRequest', discardSchema],
  ['EmptyRequest', emptySchema],
  ['SuccessRequest', successSchema],
  ['FailureRequest', failureSchema],
];

/** The error body of each status, by component name. */
export const ERROR_SCHEMA_NAMES: Record<ErrorStatus, string> = {
  400: 'BadRequestError',
  403: 'ForbiddenError',
  404: 'NotFoundError',
  409: 'ConflictError',
  413: 'PayloadTooLargeError',
  500: 'InternalError',
};

/** Response schemas by component name. */
const RESPONSE_SCHEMAS: ReadonlyArray<readonly [string, z.ZodType]> = [
  ['Json', jsonValueSchema],
  ['JsonObject', jsonObjectSchema],
  ['JobStatus', jobStatusSchema],
  ['TaskStatus', taskStatusSchema],
  ['AttemptStatus', attemptStatusSchema],
  ['Attempt', attemptViewSchema],
  ['TaskSummary', taskSummaryViewSchema],
  ['TaskDetail', taskDetailViewSchema],
  ['Child', childViewSchema],
  ['AuditEntry', auditEntrySchema],
  ['Job', jobViewSchema],
  ['Result', resultViewSchema],
  ['PendingResult', pendingResultViewSchema],
  ['JobListItem', jobListItemSchema],
  ['JobList', jobListPageSchema],
  ['JobCounts', jobCountsSchema],
  ['TokenHolder', tokenHolderSchema],
  ['TokenWaiter', tokenWaiterSchema],
  ['TokenView', tokenViewSchema],
  ['TokenSummary', tokenSummarySchema],
  ['TokenPage', tokenPageSchema],
  ['ExecutorClaim', executorClaimSchema],
  ['ExecutorOffer', executorOfferSchema],
  ['Executor', executorSummarySchema],
  ['ExecutorList', executorListSchema],
  ['ExecutorDetail', executorDetailSchema],
  ['ClaimedTask', claimedTaskSchema],
  ['TokenReport', tokenReportSchema],
  ['Health', healthViewSchema],
  ['ErrorDetails', errorDetailsSchema],
  ...(Object.entries(ERROR_SCHEMA_NAMES).map(([status, name]) => [name, errorBodySchema(Number(status) as ErrorStatus)] as const)),
  ['GatewayError', gatewayErrorSchema],
];

/** The zod schema of each response component (tests parse real answers with the schema the document names). */
export function responseSchemasByName(): ReadonlyMap<string, z.ZodType> {
  return new Map(RESPONSE_SCHEMAS);
}

/** The JSON Schemas of one registry, cleaned for a document (no `$schema`/`$id`; every `$ref` a component). */
function convert(entries: ReadonlyArray<readonly [string, z.ZodType]>, io: 'input' | 'output'): Record<string, JsonObject> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of entries) registry.add(schema, { id });
  // `unrepresentable: 'any'`: the refinements (byte limits, Unicode checks) have no JSON Schema; their rules are in
  // the descriptions the schemas carry.
  const { schemas } = z.toJSONSchema(registry, { io, unrepresentable: 'any', uri: (id) => `${SCHEMAS}${id}` }) as { schemas: Record<string, JsonObject> };
  // A recursive schema that is not in the registry would land in `__shared` with a `#/…/__shared#/$defs/…` ref,
  // which no OpenAPI tool resolves: refuse it here rather than publish it.
  if (schemas.__shared) throw new Error(`unregistered shared schemas: ${Object.keys((schemas.__shared.$defs ?? {}) as JsonObject).join(', ')}`);
  const out: Record<string, JsonObject> = {};
  for (const [id, schema] of Object.entries(schemas)) {
    const { $schema: _s, $id: _i, ...rest } = schema;
    out[id] = rest;
  }
  return out;
}

/** Every schema of the document: request and response schemas (a name in both must mean the same schema). */
export function componentSchemas(): Record<string, JsonObject> {
  const requests = convert(REQUEST_SCHEMAS, 'input');
  const responses = convert(RESPONSE_SCHEMAS, 'output');
  for (const [id, schema] of Object.entries(responses)) {
    if (requests[id] && JSON.stringify(requests[id]) !== JSON.stringify(schema)) throw new Error(`schema ${id} differs between requests and responses`);
  }
  return { ...requests, ...responses, Json: loosenJsonArrays(responses.Json ?? {}) };
}

/**
 * `Json` with its arrays' items left open (`{}`: any JSON value). zod's exact definition refers to itself through
 * its array branch (`Json[]`), which TypeScript cannot type through `components["schemas"]["Json"]` (TS2502: the
 * type becomes `any`, and openapi-fetch's request bodies reject every object). Through the object branch the
 * recursion is fine, so only array items lose their JSON Schema type; the descriptions say what they hold.
 */
function loosenJsonArrays(json: JsonObject): JsonObject {
  const branches = (json.anyOf ?? []) as JsonObject[];
  if (!branches.some((b) => b.type === 'array')) throw new Error('Json has no array branch to loosen');
  return {
    ...json,
    description: 'Any JSON value.',
    anyOf: branches.map((b) => (b.type === 'array' ? { type: 'array', items: {}, description: 'an array of JSON values' } : b)),
  };
}

/** A `$ref` to a schema component. */
export const ref = (name: string): JsonObject => ({ $ref: `${SCHEMAS}${name}` });

/** A JSON Schema of one zod schema, inline (query parameters), as a client sends it. */
export function inlineInput(schema: z.ZodType): JsonObject {
  const { $schema: _s, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonObject;
  return rest;
}
