/**
 * Task tokens: the handle an external worker or an asynchronous provider uses to report on one attempt.
 * A token names the attempt and carries a random nonce stored on that attempt, so a token of an attempt that
 * ended (or of an older attempt) no longer matches anything.
 * @module
 */

/** What a task token names. */
export interface TaskTokenParts {
  jobId: string;
  taskIndex: number;
  attempt: number;
  nonce: string;
}

/** Encodes a token (URL-safe). */
export function encodeTaskToken(parts: TaskTokenParts): string {
  return Buffer.from(JSON.stringify([parts.jobId, parts.taskIndex, parts.attempt, parts.nonce])).toString('base64url');
}

/** Decodes a token; undefined when it is not one. */
export function decodeTaskToken(token: string): TaskTokenParts | undefined {
  try {
    const value = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown;
    if (!Array.isArray(value) || value.length !== 4) return undefined;
    const [jobId, taskIndex, attempt, nonce] = value as [unknown, unknown, unknown, unknown];
    if (typeof jobId !== 'string' || typeof nonce !== 'string' || !Number.isInteger(taskIndex) || !Number.isInteger(attempt)) return undefined;
    if ((taskIndex as number) < 0 || (attempt as number) < 1) return undefined;
    return { jobId, taskIndex: taskIndex as number, attempt: attempt as number, nonce };
  } catch {
    return undefined;
  }
}

/** Header that carries a task token (never the URL path: paths are written to the API's access logs). */
export const TASK_TOKEN_HEADER = 'x-jobx-task-token';
