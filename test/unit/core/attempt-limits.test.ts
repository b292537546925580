/**
 * What a provider returns at run time cannot be refused with a 4xx: an output the task cannot keep ends the
 * attempt for good with the limit named, so the write of its end never fails (invariant 10).
 */
import { describe, expect, it } from 'vitest';
import { MAX_CONTEXT_BYTES, MAX_ERROR_MESSAGE_CHARS, MAX_OUTPUT_BYTES, boundedError, outputProblem } from '../../../functions/core/attempt-limits';
import type { JsonObject } from '../../../functions/core/json';
import { taskRecord } from '../../helpers/core-factories';

describe('attempt limits', () => {
  it('an output within every budget is kept', () => {
    expect(outputProblem(taskRecord(), { ok: 1 })).toBeUndefined();
  });

  it.each<[string, JsonObject, string]>([
    ['an integer beyond 2^53', { n: 2 ** 60 }, 'OUTPUT_NOT_STORABLE'],
    ['a constructor key', JSON.parse('{"constructor": 1}') as JsonObject, 'OUTPUT_NOT_STORABLE'],
    ['an output over 128 KB', { s: 'x'.repeat(MAX_OUTPUT_BYTES) }, 'OUTPUT_TOO_LARGE'],
  ])('%s ends the attempt non-retryably (%s)', (_name, output, code) => {
    expect(outputProblem(taskRecord(), output)).toMatchObject({ code, retryable: false });
  });

  it('an output that would grow the context past its budget ends the attempt, naming the limit', () => {
    const task = taskRecord({ context: { big: 'y'.repeat(MAX_CONTEXT_BYTES - 1000) } });
    const problem = outputProblem(task, { more: 'z'.repeat(2000) });
    expect(problem).toMatchObject({ code: 'CONTEXT_TOO_LARGE', retryable: false });
    expect(problem?.message).toContain(String(MAX_CONTEXT_BYTES));
  });

  it('error messages are cut, with a note', () => {
    const cut = boundedError({ message: 'e'.repeat(MAX_ERROR_MESSAGE_CHARS * 3), code: 'X' });
    expect(cut.message.length).toBeLessThan(MAX_ERROR_MESSAGE_CHARS + 100);
    expect(cut.message).toContain('cut to');
  });
});
