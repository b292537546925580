import type { DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { processStreamBatch } from '../../../functions/runtime/stream-processor';
import { deferred, eachCase, streamRecord, type Deferred } from '../../helpers/core-factories';

const seqOf = (r: DynamoDBRecord): string => r.dynamodb!.SequenceNumber!;
const keyOf = (r: DynamoDBRecord): string => r.dynamodb!.Keys!.pk!.S!;
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A handler that records start/end of each record and waits on a per-sequence gate when one is set. */
function recordingHandler(gates: Record<string, Deferred> = {}, failing: ReadonlySet<string> = new Set()) {
  const log: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const handler = async (r: DynamoDBRecord): Promise<void> => {
    const seq = seqOf(r);
    log.push(`start ${seq}`);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      await gates[seq]?.promise;
      await tick();
      if (failing.has(seq)) throw new Error(`record ${seq} failed`);
    } finally {
      inFlight--;
      log.push(`end ${seq}`);
    }
  };
  return { handler, log, maxInFlight: () => maxInFlight };
}

describe('processStreamBatch: success', () => {
  it('an empty batch calls nothing and reports no failure', async () => {
    // Prepare
    const onRecord = vi.fn(async () => {});

    // Act
    const result = await processStreamBatch([], onRecord);

    // Assess
    expect(result).toEqual({ batchItemFailures: [] });
    expect(onRecord).not.toHaveBeenCalled();
  });

  it('processes every record exactly once and, with no failures, reports an empty list', async () => {
    // Prepare
    const records = [streamRecord(1, 'A'), streamRecord(2, 'B'), streamRecord(3, 'A'), streamRecord(4, 'C'), streamRecord(5, 'B')];
    const seen: string[] = [];

    // Act
    const result = await processStreamBatch(records, async (r) => {
      seen.push(seqOf(r));
    });

    // Assess
    expect(result).toEqual({ batchItemFailures: [] });
    expect([...seen].sort()).toEqual(['1', '2', '3', '4', '5']);
  });
});

describe('processStreamBatch: ordering and concurrency', () => {
  it('records of one item run in stream order, each only after the previous one ended', async () => {
    // Prepare: the first record is held back; the second must not start before it ends
    const gate = deferred();
    const { handler, log } = recordingHandler({ '1': gate });
    const records = [streamRecord(1, 'A'), streamRecord(2, 'A'), streamRecord(3, 'A')];

    // Act
    const run = processStreamBatch(records, handler);
    await tick();
    const whileHeld = [...log];
    gate.resolve();
    await run;

    // Assess
    expect(whileHeld).toEqual(['start 1']);
    expect(log).toEqual(['start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3']);
  });

  it('records of different items run concurrently (both are in flight at once)', async () => {
    // Prepare: A1 and B1 each wait until both have started; run one at a time, this never resolves
    const bothStarted = deferred();
    let started = 0;
    const failsafe = setTimeout(() => bothStarted.reject(new Error('records of different items did not overlap')), 2_000);
    const handler = async () => {
      if (++started === 2) bothStarted.resolve();
      await bothStarted.promise;
    };

    // Act
    const result = await processStreamBatch([streamRecord(1, 'A'), streamRecord(2, 'B')], handler);
    clearTimeout(failsafe);

    // Assess
    expect(result).toEqual({ batchItemFailures: [] });
    expect(started).toBe(2);
  });

  it('an item held back does not hold back other items, and keeps its own order', async () => {
    // Prepare
    const gate = deferred();
    const { handler, log } = recordingHandler({ '1': gate });
    const records = [streamRecord(1, 'A'), streamRecord(2, 'B'), streamRecord(3, 'A'), streamRecord(4, 'B'), streamRecord(5, 'C')];

    // Act
    const run = processStreamBatch(records, handler);
    for (let i = 0; i < 10; i++) await tick();
    const whileHeld = [...log];
    gate.resolve();
    await run;

    // Assess
    expect(whileHeld).toEqual(expect.arrayContaining(['end 2', 'end 4', 'end 5']));
    expect(whileHeld).not.toContain('start 3');
    expect(log.indexOf('start 3')).toBeGreaterThan(log.indexOf('end 1'));
  });

  it('items that share a partition key but not a sort key are different items (they run concurrently)', async () => {
    // Prepare
    const bothStarted = deferred();
    let started = 0;
    const failsafe = setTimeout(() => bothStarted.reject(new Error('no overlap')), 2_000);

    // Act
    await processStreamBatch([streamRecord(1, 'J#1', 'J'), streamRecord(2, 'J#1', 'T#0000')], async () => {
      if (++started === 2) bothStarted.resolve();
      await bothStarted.promise;
    });
    clearTimeout(failsafe);

    // Assess
    expect(started).toBe(2);
  });

  eachCase(
    [
      { concurrency: 1, items: 5, max: 1 },
      { concurrency: 2, items: 5, max: 2 },
      { concurrency: undefined, items: 20, max: 16 },
      { concurrency: 8, items: 3, max: 3 },
    ],
    (c) => `with concurrency ${c.concurrency ?? 'default (16)'} and ${c.items} items, at most ${c.max} records are in flight`,
    async ({ concurrency, items, max }) => {
      // Prepare
      const { handler, maxInFlight } = recordingHandler();
      const records = Array.from({ length: items * 2 }, (_, i) => streamRecord(i + 1, `K${i % items}`));

      // Act
      const result = await processStreamBatch(records, handler, concurrency === undefined ? {} : { concurrency });

      // Assess
      expect(result.batchItemFailures).toEqual([]);
      expect(maxInFlight()).toBe(max);
    },
  );
});

describe('processStreamBatch: failures', () => {
  it('a failure stops the later records of its item but not the records of other items', async () => {
    // Prepare
    const records = [streamRecord(1, 'A'), streamRecord(2, 'B'), streamRecord(3, 'A'), streamRecord(4, 'B'), streamRecord(5, 'A'), streamRecord(6, 'B')];
    const { handler, log } = recordingHandler({}, new Set(['3']));
    const onError = vi.fn();

    // Act
    const result = await processStreamBatch(records, handler, { onError });

    // Assess
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: '3' }] });
    expect(log.filter((l) => l.startsWith('start')).sort()).toEqual(['start 1', 'start 2', 'start 3', 'start 4', 'start 6']);
    expect(onError).toHaveBeenCalledTimes(1);
    expect(seqOf(onError.mock.calls[0]![0] as DynamoDBRecord)).toBe('3');
    expect((onError.mock.calls[0]![1] as Error).message).toBe('record 3 failed');
  });

  it('reports the lowest failed sequence number as the only failure, whichever failure happened first', async () => {
    // Prepare: B fails at 20 last (held back), A at 30 and C at 25 earlier
    const gate = deferred();
    const records = [streamRecord(10, 'A'), streamRecord(20, 'B'), streamRecord(25, 'C'), streamRecord(30, 'A'), streamRecord(40, 'B')];
    const { handler, log } = recordingHandler({ '20': gate }, new Set(['20', '25', '30']));
    const order: string[] = [];

    // Act
    const run = processStreamBatch(records, handler, { onError: (r) => order.push(seqOf(r)) });
    for (let i = 0; i < 10; i++) await tick();
    gate.resolve();
    const result = await run;

    // Assess
    expect(order).toEqual(['25', '30', '20']);
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: '20' }] });
    expect(log).not.toContain('start 40');
  });

  eachCase(
    [
      { name: 'a shorter number is lower than a longer one ("9" < "10")', failing: ['10', '9'], expected: '9' },
      {
        name: 'sequence numbers beyond 2^53 compare exactly',
        failing: ['100000000000000000000001', '99999999999999999999999', '100000000000000000000000'],
        expected: '99999999999999999999999',
      },
      { name: 'numbers that differ only in the last digit of 21', failing: ['400000000000000000002', '400000000000000000001'], expected: '400000000000000000001' },
    ],
    (c) => `compares sequence numbers as numbers: ${c.name}`,
    async ({ failing, expected }) => {
      // Prepare: one item per failing record
      const records = failing.map((seq, i) => streamRecord(seq, `K${i}`));

      // Act
      const result = await processStreamBatch(records, async () => {
        throw new Error('fail');
      });

      // Assess
      expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: expected }] });
    },
  );

  it('a thrown non-Error value is a failure too', async () => {
    // Act
    const result = await processStreamBatch([streamRecord(7, 'A')], async () => {
      throw 'plain string';
    });

    // Assess
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: '7' }] });
  });

  it('records of every item are attempted even when all items fail', async () => {
    // Prepare
    const records = Array.from({ length: 40 }, (_, i) => streamRecord(100 + i, `K${i % 20}`));
    const attempted = new Set<string>();

    // Act
    const result = await processStreamBatch(records, async (r) => {
      attempted.add(keyOf(r));
      throw new Error('down');
    });

    // Assess
    expect(attempted.size).toBe(20);
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: '100' }] });
  });
});

describe('lowestSequence', () => {
  it('compares stream sequence numbers as numbers (longer is later), ignores empty ones, and has none for none', async () => {
    const { lowestSequence } = await import('../../../functions/runtime/stream-processor');
    expect(lowestSequence(['900', '10000', '1000'])).toBe('900');
    expect(lowestSequence(['', '42'])).toBe('42');
    expect(lowestSequence([])).toBeUndefined();
  });
});
