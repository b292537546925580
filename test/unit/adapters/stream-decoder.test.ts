/** The DynamoDB adapter decodes stream records into typed changes; storage-only attributes never leak. */
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { changeOf } from '../../../functions/adapters/dynamodb/stream-decoder';

function record(sk: string, oldImage?: Record<string, unknown>, newImage?: Record<string, unknown>): DynamoDBRecord {
  return {
    dynamodb: {
      Keys: { pk: { S: 'J#R' }, sk: { S: sk } },
      ...(oldImage ? { OldImage: marshall(oldImage) as never } : {}),
      ...(newImage ? { NewImage: marshall(newImage) as never } : {}),
    },
  };
}

describe('stream decoder', () => {
  it('a job record: old and new image as jobs, storage attributes stripped, bucket sets as counts', () => {
    const item = { pk: 'J#R', sk: 'J', t: 'job', activeShard: 'ACTIVE#1', jobId: 'R', status: 'running', doneBuckets: new Set([0, 1]), failedBuckets: new Set([1]) };
    const change = changeOf(record('J', undefined, item));
    expect(change).toEqual({ type: 'job', after: { jobId: 'R', status: 'running', bucketsDone: 2, bucketsFailed: 1 } });
  });

  it('a task record: both images as tasks', () => {
    const change = changeOf(record('T#0001', { pk: 'J#R', sk: 'T#0001', t: 'task', status: 'running' }, { pk: 'J#R', sk: 'T#0001', t: 'task', status: 'succeeded' }));
    expect(change).toEqual({ type: 'task', before: { status: 'running' }, after: { status: 'succeeded' } });
  });

  it('buckets, tokens and offers are other changes', () => {
    expect(changeOf(record('B#0000', undefined, { pk: 'J#R', sk: 'B#0000' }))).toEqual({ type: 'other' });
    expect(changeOf(record('H', undefined, { pk: 'K#a', sk: 'H' }))).toEqual({ type: 'other' });
  });
});
