/**
 * A simulated AWS around the real engine and core, on the in-memory store:
 * - DynamoDB Streams: every job/task change becomes a record on one of several shards (in order per item, any
 *   order across shards); a record may be delivered twice, and a shard may be rewound to replay old records late;
 * - SQS: messages are delivered in any order, duplicated, or after their consumer died;
 * - Lambda: any invocation can crash between two writes (the store throws at the n-th write);
 * - providers: succeed, fail, fail for good, or hang past their lease and report late;
 * - people: submit (with repeats), skip, retry with edits, pause, resume, discard, at any moment, and even in the
 *   middle of another invocation (two actors interleaved at every store call);
 * - the sweeper, at any moment; the clock, jumping past leases and retry gaps.
 * The world records what it did as a story, and hands every observation to the invariant checker.
 * @module
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createMemoryEngine, ItemTooLargeError, type MemoryChange, type MemoryEngine } from '../../functions/adapters/memory';
import { JobxError } from '../../functions/core/errors';
import type { JsonObject } from '../../functions/core/json';
import { MAX_CONTINUED_STEPS } from '../../functions/core/continuation';
import type { JobRecord, JobSpec, TaskMessage, TaskRecord } from '../../functions/core/model';
import { NonRetryableError } from '../../functions/core/provider-errors';
import type { AttemptOutcome } from '../../functions/core/task-transitions';
import { discardJob, pauseJob, resumeJob, retryTask, skipTask } from '../../functions/engine/control';
import { submitJob } from '../../functions/engine/jobs-service';
import { onChange } from '../../functions/engine/on-change';
import { finishJob } from '../../functions/engine/finish-job';
import type { Effect } from '../../functions/core/reactions';
import { StreamBatch } from '../../functions/engine/stream-batch';
import { sweep } from '../../functions/engine/reconcile';
import { claimTask, completeAndContinue, type ContinueBudget } from '../../functions/engine/run-task';
import { claimForWorker } from '../../functions/engine/workers';
import { succeedByToken } from '../../functions/engine/task-tokens';
import type { EngineDeps } from '../../functions/ports';

/** Stream shards (DynamoDB has many; records of different items on different shards run in parallel). */
export const SHARDS = 3;
/** The sweeper's grace before it re-sends an unclaimed dispatch. */
export const REQUEUE_AFTER_MS = 60_000;
/** Executors: `edge` has a Lambda deployment of `demo`, `offline` has none (its tasks wait for a worker). */
export const ROUTES = ['demo', 'demo@edge'] as const;

/** How long a provider invocation lives (Lambda's longest timeout, less the reserve for recording an end). */
export const INVOCATION_MS = 900_000 - 5_000;

/** A crash of a Lambda invocation between two writes (thrown by the store). */
export class Crash extends Error {
  constructor() {
    super('invocation crashed');
    this.name = 'Crash';
  }
}

/** A stream record on a shard. */
export interface StreamRecord {
  seq: number;
  change: MemoryChange;
}

/** What a provider does with an attempt it claimed. */
export type Behaviour = 'ok' | 'fail' | 'fatal' | 'hang' | 'big';

/**
 * Whether the invocation that ends an attempt may go on with the pipeline's next task: `none`, `chain` (its
 * claim is then a later step), or `dies` (it ends the attempt saying `continued`, then dies before the claim).
 */
export type Chain = 'none' | 'chain' | 'dies';

/** An attempt a provider is still running (claimed, not reported). */
export interface LiveAttempt {
  message: TaskMessage;
  claimed: TaskRecord;
  rootId: string;
  tokens: readonly string[];
  leaseUntil: number;
  taskToken?: string;
  /** The provider invocation running it (none for an external worker): it may go on with the next task. */
  invocation?: Invocation;
}

/** A provider invocation: when it ends, how many tasks it ran after its message's, the job it read. */
export interface Invocation {
  deadline: number;
  continued: number;
  job?: JobRecord;
}

/**
 * A provider invocation between the end of an attempt that said `continued` and its claim of the next task:
 * that claim may come at any later step, or never (the invocation dies), while anything else happens.
 */
export interface Continuation {
  message: TaskMessage;
  invocation: Invocation;
  /** The invocation ended the pipeline's last task and means to finish the job itself (`decideFinish`). */
  finish?: Extract<Effect, { kind: 'finishJob' }>;
}

/** Something the world observed that an invariant checker wants to see. */
export type Observation =
  /** `runStart`: where the task's run began when the attempt was claimed (a later manual retry moves it). */
  | { kind: 'claim'; message: TaskMessage; at: number; rootId: string; runStart: number; seq?: number }
  | { kind: 'late'; message: TaskMessage; outcome: AttemptOutcome }
  | { kind: 'manual'; action: string; jobId: string; taskId?: string; ok: boolean; status?: number; seq?: number }
  | { kind: 'writeFailed'; error: Error; during: string };

/** Job templates a submit picks from. */
export function template(i: number, bigInput = false): JobSpec {
  const retry = { count: 1, gapSeconds: 10 };
  const big: JsonObject = bigInput ? { blob: 'x'.repeat(90_000) } : {};
  switch (i % 8) {
    case 0:
      return { name: 'pipe3', owner: 'o', input: big, retry, tasks: [{ name: 'a', provider: 'demo' }, { name: 'b', provider: 'demo' }, { name: 'c', provider: 'demo' }] };
    case 1:
      return { name: 'fixed', owner: 'o', pausable: false, retry: { count: 1, gapSeconds: 2_000 }, tasks: [{ name: 'a', provider: 'demo' }, { name: 'b', provider: 'demo' }] };
    case 2:
      return {
        name: 'tree',
        owner: 'o',
        retry,
        children: [
          { name: 'left', owner: 'o', tasks: [{ name: 'a', provider: 'demo' }, { name: 'b', provider: 'demo' }] },
          { name: 'mid', owner: 'o', children: [{ name: 'grand', owner: 'o', tasks: [{ name: 'g', provider: 'demo' }] }] },
        ],
      };
    case 3:
      return { name: 'tokA', owner: 'o', retry, tokens: ['A'], tasks: [{ name: 'a', provider: 'demo' }, { name: 'b', provider: 'demo' }] };
    case 4:
      return { name: 'tokAB', owner: 'o', retry, tokens: ['B', 'A'], tasks: [{ name: 'a', provider: 'demo' }] };
    case 5:
      return { name: 'edge', owner: 'o', retry: { count: 1, gapSeconds: 1_500 }, preLock: 'edge', tasks: [{ name: 'a', provider: 'demo' }, { name: 'b', provider: 'demo' }] };
    case 6:
      return { name: 'offline', owner: 'o', retry, tasks: [{ name: 'a', provider: 'demo', preLock: 'offline' }] };
    default:
      return { name: 'tokTree', owner: 'o', retry, tokens: ['B'], children: [{ name: 'x', owner: 'o', tasks: [{ name: 'a', provider: 'demo' }] }, { name: 'y', owner: 'o', tasks: [{ name: 'a', provider: 'demo' }] }] };
  }
}

/** The simulated world. */
export class World {
  readonly engine: MemoryEngine;
  readonly deps: EngineDeps;
  readonly story: string[] = [];
  readonly observations: Observation[] = [];
  readonly shards: StreamRecord[][] = Array.from({ length: SHARDS }, () => []);
  /** Next record to deliver, per shard. */
  readonly positions: number[] = new Array(SHARDS).fill(0);
  /**
   * A stream invocation's batch on a shard (as the stream handler does): the jobs it read ahead for its records,
   * used when they are delivered however much happened in between, and the children they finished, counted when
   * the batch is flushed (after its last record, before the shard moves on; other actors may come in between).
   */
  readonly batches: Array<{ batch: StreamBatch; from: number; until: number } | undefined> = new Array(SHARDS).fill(undefined);
  readonly live: LiveAttempt[] = [];
  /** Invocations about to claim the next task of a pipeline themselves (see `core/continuation.ts`). */
  readonly continuing: Continuation[] = [];
  /** Roots and children in the order they appeared. */
  readonly jobIds: string[] = [];
  /** bizIds submitted, with the job ids the API answered. */
  readonly bizIds = new Map<string, Set<string>>();
  /** The job and task the last event touched: people tend to act on what just happened. */
  focus: { jobId: string; taskId: string } | undefined;
  private readonly shardOfItem = new Map<string, number>();
  /** Shards an invocation is processing now. */
  readonly busyShards = new Set<number>();
  private seq = 0;
  private readonly claimSeqs = new Map<string, number>();
  private writesLeft: number | undefined;
  /** Every queue send fails while set (the API stopped between writing a job and sending its first task). */
  private losingSends = false;
  private readonly actor = new AsyncLocalStorage<number>();
  /** Store calls waiting for their turn while actors race (an actor may have several in flight). */
  private readonly gates: Array<{ actor: number; go: () => void }> = [];
  private racing = false;

  constructor() {
    this.engine = createMemoryEngine({
      routes: [...ROUTES],
      onChange: (change) => this.record(change),
      beforeWrite: (what) => {
        if (this.losingSends && what === 'sendMessage') throw new Crash();
        if (this.writesLeft === undefined) return;
        if (this.writesLeft <= 0) throw new Crash();
        this.writesLeft--;
      },
    });
    this.deps = { ...this.engine.deps, store: this.gated(this.engine.deps.store), results: this.gated(this.engine.deps.results) };
  }

  get now(): number {
    return this.engine.clock.now();
  }

  log(line: string): void {
    this.story.push(`${String(this.story.length + 1).padStart(3)}. ${line}`);
  }

  private record(change: MemoryChange): void {
    let shard = this.shardOfItem.get(change.key);
    if (shard === undefined) {
      shard = this.shardOfItem.size % SHARDS;
      this.shardOfItem.set(change.key, shard);
    }
    if (change.type === 'job' && change.after && !this.jobIds.includes(change.after.jobId)) this.jobIds.push(change.after.jobId);
    this.shards[shard]!.push({ seq: ++this.seq, change });
    // When each claim was written: a pause that answered after it does not make its attempt a violation (I8),
    // even if the invocation that claimed notes its start after the pause's answer.
    if (change.type === 'task' && change.after?.status === 'running' && (change.before?.status !== 'running' || change.before.attemptCount !== change.after.attemptCount)) {
      this.claimSeqs.set(`${change.after.jobId}#${change.after.taskIndex}#${change.after.attemptCount}`, this.seq);
    }
  }

  /** Wraps a port so that, while two actors race, each call waits for its turn. */
  private gated<T extends object>(target: T): T {
    return new Proxy(target, {
      get: (obj, prop, receiver) => {
        const value = Reflect.get(obj, prop, receiver) as unknown;
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          const call = () => (value as (...a: unknown[]) => unknown).apply(obj, args);
          const me = this.actor.getStore();
          // Async iterables (activeRoots) are not awaited; keep them ungated.
          if (!this.racing || me === undefined || prop === 'activeRoots') return call();
          return new Promise<void>((resolve) => this.gates.push({ actor: me, go: resolve })).then(call);
        };
      },
    });
  }

  /**
   * Runs an invocation; with `crashAfter`, the store throws before its (n+1)-th write. Returns the error it
   * ended with, if any (a crash, or a typed API error). A write refused for size is an observation.
   */
  async invoke<T>(during: string, fn: () => Promise<T>, crashAfter?: number): Promise<{ value?: T; error?: unknown }> {
    this.writesLeft = crashAfter;
    try {
      return { value: await fn() };
    } catch (error) {
      if (error instanceof ItemTooLargeError) this.observations.push({ kind: 'writeFailed', error, during });
      else if (!(error instanceof Crash) && !(error instanceof JobxError)) this.observations.push({ kind: 'writeFailed', error: error as Error, during });
      return { error };
    } finally {
      this.writesLeft = undefined;
    }
  }

  /**
   * Runs actors concurrently, interleaving them at every store call as `choices` say (each choice picks which
   * waiting actor goes next). This is how a read of one invocation lands between the read and the write of another.
   */
  async race(actors: ReadonlyArray<() => Promise<unknown>>, choices: readonly number[]): Promise<void> {
    this.racing = true;
    const done = actors.map(() => false);
    const runs = actors.map((fn, i) =>
      this.actor.run(i, () => fn().catch(() => undefined)).finally(() => {
        done[i] = true;
      }),
    );
    let k = 0;
    try {
      for (let guard = 0; guard < 10_000; guard++) {
        await new Promise<void>((r) => setImmediate(r));
        if (this.gates.length === 0) {
          if (done.every(Boolean)) break;
          continue;
        }
        const [gate] = this.gates.splice((choices[k++ % Math.max(1, choices.length)] ?? 0) % this.gates.length, 1);
        gate!.go();
      }
      await Promise.all(runs);
    } finally {
      this.racing = false;
    }
  }

  // --- what happens -------------------------------------------------------------------------------------------

  /**
   * Submits through the API's use case; `staged`: descendants created by the stream, one record per part;
   * `loseFirstSend`: the submit stops after writing the job, before a root pipeline's first task is sent
   * (`core/first-task.ts`: the sweeper must send it).
   */
  async submit(spec: JobSpec, staged = false, loseFirstSend = false): Promise<string | undefined> {
    const limits = { maxDepth: 8, maxJobPayloadBytes: 256 * 1024, ...(staged ? { stageAbove: 0, stagePart: { partRecords: 1 } } : {}) };
    this.losingSends = loseFirstSend;
    const { value } = await this.invoke('submit', () => submitJob(this.deps, spec, limits)).finally(() => (this.losingSends = false));
    if (value && spec.bizId !== undefined) {
      const ids = this.bizIds.get(spec.bizId) ?? new Set<string>();
      ids.add(value.jobId);
      this.bizIds.set(spec.bizId, ids);
    }
    return value?.jobId;
  }

  /**
   * Delivers the next record of a shard; with `keep`, it stays there (delivered again later).
   * @returns whether the shard moved on (false when it was empty, the record failed, or it is kept)
   */
  async deliverRecord(shard: number, opts: { keep?: boolean; crashAfter?: number } = {}): Promise<boolean> {
    // One invocation per shard at a time, as a stream event source mapping does.
    if (this.busyShards.has(shard)) return false;
    // A batch whose records are all handled counts its children before the shard moves on.
    const open = this.batches[shard];
    if (open && this.positions[shard]! >= open.until) await this.flushBatch(shard);
    const record = this.shards[shard]![this.positions[shard]!];
    if (!record) return false;
    this.busyShards.add(shard);
    try {
      return await this.deliverHead(shard, record, opts);
    } finally {
      this.busyShards.delete(shard);
    }
  }

  private async deliverHead(shard: number, record: StreamRecord, opts: { keep?: boolean; crashAfter?: number }): Promise<boolean> {
    const c = record.change;
    if (c.after) this.focus = c.type === 'task' ? { jobId: c.after.jobId, taskId: c.after.taskId } : { jobId: c.after.jobId, taskId: this.focus?.taskId ?? 't1' };
    const open = this.batches[shard];
    const position = this.positions[shard]!;
    const batch = open && position < open.until ? open.batch.forRecord(String(position)) : undefined;
    const { error } = await this.invoke('stream', () => onChange(this.deps, record.change, undefined, batch), opts.crashAfter);
    if (error) {
      // The invocation still counts what its earlier records finished, then the batch is retried from this record.
      if (open) await this.flushBatch(shard);
      return false;
    }
    if (opts.keep) return false;
    this.positions[shard]!++;
    return true;
  }

  /** A stream invocation reads ahead the jobs of a shard's next `count` records (its batch), delivered later. */
  async readAheadFor(shard: number, count: number): Promise<number> {
    if (this.batches[shard]) await this.flushBatch(shard);
    const from = this.positions[shard]!;
    const records = this.shards[shard]!.slice(from, from + count);
    if (records.length === 0) return 0;
    this.batches[shard] = { batch: await StreamBatch.readAhead(this.deps, records.map((r) => r.change)), from, until: from + records.length };
    return records.length;
  }

  /**
   * Ends a shard's batch: counts the children its records finished. A count that fails (or an invocation that
   * crashes meanwhile) sends the shard back to the earliest record whose children were not counted.
   * @returns children counted or given back
   */
  async flushBatch(shard: number, crashAfter?: number): Promise<number> {
    const open = this.batches[shard];
    if (!open) return 0;
    this.batches[shard] = undefined;
    const pending = open.batch.pendingReports;
    if (pending === 0) return 0;
    const { value: failedTags, error } = await this.invoke('stream', () => open.batch.flush(this.deps), crashAfter);
    // A crash loses the whole flush: every record of the batch comes again; a failed count, from its records.
    const failed = (failedTags ?? []).map(Number);
    const back = error ? open.from : failed.length ? Math.min(...failed) : undefined;
    if (back !== undefined) this.positions[shard] = Math.min(this.positions[shard]!, back);
    return pending;
  }

  /**
   * The normal flow runs until an invocation is about to go on with a pipeline's next task: every record
   * delivered, visible messages claimed and succeeding with invocations that may continue (at most `rounds`).
   */
  async flowToContinuation(rounds = 8): Promise<void> {
    for (let i = 0; i < rounds && this.continuing.length === 0; i++) {
      await this.streamAll();
      if (this.visibleMessages().length === 0) return;
      await this.deliverMessage(0, 'ok', { chain: 'chain' });
    }
  }

  /** Rewinds a shard: its last `back` delivered records come again (a batch retried from an old position). */
  rewind(shard: number, back: number): void {
    // The batch's result is lost: its records come again, from no later than the first whose children it held.
    const open = this.batches[shard];
    this.batches[shard] = undefined;
    const held = open && open.batch.pendingReports > 0 ? open.from : this.positions[shard]!;
    this.positions[shard] = Math.max(0, Math.min(this.positions[shard]! - back, held));
  }

  /** Delivers every record of every shard, in order, until the shards are empty or blocked by failing records. */
  async streamAll(): Promise<boolean> {
    let any = false;
    for (let moved = true; moved; ) {
      moved = false;
      for (let s = 0; s < SHARDS; s++) while (await this.deliverRecord(s)) moved = any = true;
      // Batches whose shards have nothing more to deliver end too.
      for (let s = 0; s < SHARDS; s++) if ((await this.flushBatch(s)) > 0) moved = any = true;
    }
    return any;
  }

  /** Delivers a shard's records up to and including the last one of `key` (an item's records, in order). */
  async streamItem(key: string): Promise<void> {
    const shard = this.shards.findIndex((s) => s.some((r) => r.change.key === key));
    if (shard < 0) return;
    const last = this.shards[shard]!.map((r) => r.change.key).lastIndexOf(key);
    while (this.positions[shard]! <= last && (await this.deliverRecord(shard)));
  }

  pendingRecords(): number {
    return this.shards.reduce((n, s, i) => n + s.length - this.positions[i]!, 0);
  }

  visibleMessages() {
    return this.engine.queue.sent.filter((m) => m.visibleAt <= this.now);
  }

  /**
   * Delivers a visible message: the provider claims its attempt and behaves as told; with `chain`, its invocation
   * may go on with the pipeline's next task (the claim of which is a later step, {@link continueWith}).
   */
  async deliverMessage(index: number, behaviour: Behaviour, opts: { keep?: boolean; crashAfter?: number; chain?: Chain } = {}): Promise<void> {
    const visible = this.visibleMessages();
    const queued = visible[index % Math.max(1, visible.length)];
    if (!queued) return;
    const { message } = queued;
    const { value: claimed, error } = await this.invoke('claim', () => claimTask(this.deps, message), opts.crashAfter);
    if (!opts.keep && !error) this.engine.queue.delete(queued.id);
    if (!claimed) return;
    await this.started(message, claimed, undefined, { deadline: this.now + INVOCATION_MS, continued: 0 });
    if (behaviour === 'hang') return;
    await this.finish(this.live.length - 1, behaviour, { chain: opts.chain ?? 'none' });
  }

  /**
   * An invocation that said `continued` claims the next task (the same claim as a message's) and runs it as told
   * (with `chain`, it may continue again); with `die`, it dies before that claim (the sweeper must repair).
   */
  async continueWith(index: number, behaviour: Behaviour, opts: { die?: boolean; crashAfter?: number } = {}): Promise<void> {
    const [c] = this.continuing.splice(index % Math.max(1, this.continuing.length), 1);
    if (!c) return;
    if (opts.die) return;
    if (c.finish) {
      const finish = c.finish;
      await this.invoke('finish', () => finishJob(this.deps, finish), opts.crashAfter);
      return;
    }
    const { value: claimed } = await this.invoke('continue', () => claimTask(this.deps, c.message), opts.crashAfter);
    if (!claimed) return;
    await this.started(c.message, claimed, undefined, c.invocation);
    if (behaviour === 'hang') return;
    await this.finish(this.live.length - 1, behaviour, { chain: 'chain' });
  }

  private async started(message: TaskMessage, claimed: TaskRecord, taskToken?: string, invocation?: Invocation): Promise<void> {
    const rootId = message.rootId;
    const root = this.engine.store.jobs.get(rootId);
    const seq = this.claimSeqs.get(`${message.jobId}#${message.taskIndex}#${message.attempt}`);
    this.observations.push({ kind: 'claim', message, at: this.now, rootId, runStart: claimed.runStart, ...(seq !== undefined ? { seq } : {}) });
    this.focus = { jobId: message.jobId, taskId: message.taskId };
    this.live.push({ message, claimed, rootId, tokens: root?.tokens ?? [], leaseUntil: claimed.leaseUntil ?? this.now, ...(taskToken ? { taskToken } : {}), ...(invocation ? { invocation } : {}) });
  }

  /**
   * A live attempt reports (possibly after its lease ran out); with `chain`, its invocation may decide to go on
   * with the next task (the end then says `continued`, and the claim waits in {@link continuing}).
   */
  async finish(index: number, behaviour: Behaviour, opts: { chain?: Chain } = {}): Promise<void> {
    const run = this.live[index];
    if (!run) return;
    this.live.splice(index, 1);
    this.focus = { jobId: run.message.jobId, taskId: run.message.taskId };
    const outcome = outcomeOf(run.message, behaviour);
    const inv = opts.chain === 'chain' || opts.chain === 'dies' ? run.invocation : undefined;
    const budget: ContinueBudget | undefined = inv ? { deadline: inv.deadline, continued: inv.continued, maxSteps: MAX_CONTINUED_STEPS, ...(inv.job ? { job: inv.job } : {}) } : undefined;
    const { value } = await this.invoke('report', () => completeAndContinue(this.deps, run.claimed, run.message, outcome, budget));
    if (value?.result === 'late') this.observations.push({ kind: 'late', message: run.message, outcome });
    if (value?.finish && inv && opts.chain === 'dies') {
      this.log(`  its invocation means to finish ${run.message.jobId} itself (the end says continued) but dies first`);
    } else if (value?.finish && inv) {
      this.continuing.push({ message: run.message, invocation: { deadline: inv.deadline, continued: inv.continued }, finish: value.finish });
      this.log(`  its invocation goes on to finish ${run.message.jobId} itself (the end says continued)`);
    } else if (value?.next && inv && opts.chain === 'dies') {
      this.log(`  its invocation means to go on with ${value.next.jobId}/${value.next.taskId} (the end says continued) but dies before its claim`);
    } else if (value?.next && inv) {
      this.focus = { jobId: value.next.jobId, taskId: value.next.taskId };
      this.continuing.push({ message: value.next, invocation: { deadline: inv.deadline, continued: inv.continued + 1, ...(value.job ? { job: value.job } : {}) } });
      this.log(`  its invocation goes on with ${value.next.jobId}/${value.next.taskId} (the end says continued)`);
    }
  }

  /** An external worker claims from an executor's inbox and reports success by task token. */
  async workerClaim(executor: string): Promise<void> {
    const { value: task } = await this.invoke('workerClaim', () => claimForWorker(this.deps, executor, [], 0));
    if (!task) return;
    const stored = this.engine.store.tasks.get(`${task.jobId}#T${Number(task.taskId.slice(1)) - 1}`);
    if (!stored) return;
    const message = { ...(stored as unknown as TaskMessage), rootId: this.engine.store.jobs.get(task.jobId)?.rootId ?? task.jobId, attempt: task.attempt, taskIndex: Number(task.taskId.slice(1)) - 1 };
    await this.started(message, stored, task.taskToken);
    const run = this.live.pop()!;
    const { error } = await this.invoke('workerReport', () => succeedByToken(this.deps, task.taskToken, { [task.taskName]: `w${task.attempt}` }));
    if (error) this.live.push(run);
  }

  /** People act. */
  async manual(action: 'skip' | 'retry' | 'pause' | 'resume' | 'discard', jobId: string, taskId: string, edit: boolean): Promise<void> {
    const run = async () => {
      switch (action) {
        case 'skip':
          return skipTask(this.deps, jobId, taskId, { output: { [`skipped_${taskId}`]: true }, reason: 'by hand' });
        case 'retry':
          return retryTask(this.deps, jobId, taskId, edit ? { input: { edited: true } } : {});
        case 'pause':
          return pauseJob(this.deps, jobId);
        case 'resume':
          return resumeJob(this.deps, jobId);
        case 'discard':
          return discardJob(this.deps, jobId, { reason: 'by hand' });
      }
    };
    const { error } = await this.invoke(action, run);
    const status = error instanceof JobxError ? error.httpStatus : error ? 500 : 200;
    this.observations.push({ kind: 'manual', action, jobId, ...(action === 'skip' || action === 'retry' ? { taskId } : {}), ok: !error, status, seq: this.seq });
    this.log(`${action} ${jobId}${action === 'skip' || action === 'retry' ? ` ${taskId}` : ''}${edit && action === 'retry' ? ' (input edited)' : ''} → ${status}`);
  }

  async sweep(crashAfter?: number): Promise<void> {
    await this.invoke(
      'sweep',
      () =>
        sweep(this.deps, {
          requeueAfterMs: REQUEUE_AFTER_MS,
          // The sweeper repairs each root on its own; a failure other than the injected crash is still a finding.
          onError: (jobId: string, error: unknown) => {
            if (!(error instanceof Crash)) this.observations.push({ kind: 'writeFailed', error: error as Error, during: `sweep of ${jobId}` });
          },
        }),
      crashAfter,
    );
  }

  /** Moves the clock; due schedules fire, attempts past their lease die (a Lambda timeout kills its provider). */
  async advance(ms: number): Promise<void> {
    this.engine.clock.advance(ms);
    await this.invoke('scheduler', () => this.engine.scheduler.fire(this.now));
    for (let i = this.live.length - 1; i >= 0; i--) if (this.live[i]!.leaseUntil < this.now && !this.live[i]!.taskToken) this.live.splice(i, 1);
    // An invocation past its deadline was stopped by Lambda: it claims nothing more.
    for (let i = this.continuing.length - 1; i >= 0; i--) if (this.continuing[i]!.invocation.deadline < this.now) this.continuing.splice(i, 1);
  }

  /**
   * Lets everything in flight finish: every record delivered in order, every message claimed and succeeding,
   * every live attempt reporting, the clock moved to the next due time, the sweeper run, until nothing changes.
   */
  async quiesce(): Promise<void> {
    for (let round = 0; round < 200; round++) {
      let progressed = await this.streamAll();
      while (this.live.length > 0 || this.continuing.length > 0) {
        if (this.live.length > 0) await this.finish(0, 'ok', { chain: 'chain' });
        else await this.continueWith(0, 'ok');
        progressed = true;
      }
      while (this.visibleMessages().length > 0) {
        await this.deliverMessage(0, 'ok', { chain: 'chain' });
        progressed = true;
        await this.streamAll();
      }
      for (const offer of this.engine.store.offers.get('exec:edge')?.values() ?? []) {
        void offer;
        await this.workerClaim('edge');
        progressed = true;
      }
      if (progressed) continue;
      const next = this.nextDue();
      if (next !== undefined && next > this.now) {
        await this.advance(next - this.now);
        continue;
      }
      const before = this.fingerprint();
      await this.advance(REQUEUE_AFTER_MS + 1);
      await this.sweep();
      if (this.pendingRecords() === 0 && this.visibleMessages().length === 0 && this.fingerprint() === before) return;
    }
  }

  private nextDue(): number | undefined {
    const times = [...this.engine.queue.sent.map((m) => m.visibleAt), ...[...this.engine.scheduler.timers.values()].map((t) => t.at)];
    return times.length ? Math.min(...times) : undefined;
  }

  private fingerprint(): string {
    const s = this.engine.store;
    return JSON.stringify([[...s.jobs.values()].map((j) => [j.jobId, j.status]), [...s.tasks.values()].map((t) => [t.jobId, t.taskIndex, t.status, t.attemptCount]), this.engine.results.rows.size]);
  }
}

function outcomeOf(message: TaskMessage, behaviour: Behaviour): AttemptOutcome {
  switch (behaviour) {
    case 'fail':
      return { ok: false, error: { message: `boom ${message.attempt}`, code: 'PROVIDER_ERROR', retryable: true } };
    case 'fatal': {
      const e = new NonRetryableError('fatal');
      return { ok: false, error: { message: e.message, code: e.code, retryable: false } };
    }
    case 'big':
      return { ok: true, output: { [message.taskName]: 'y'.repeat(100_000) } };
    default:
      return { ok: true, output: { [message.taskName]: `v${message.attempt}` } as JsonObject };
  }
}
