/**
 * The invariants of `engine-invariants.md`, checked against the simulated world after every step and at
 * quiescence. Each violation names its invariant, so a failing property says which promise broke.
 * @module
 */
import { isTaskDone, isTerminalJob, type JobStatus, type TaskStatus } from '../../functions/core/statuses';
import type { JobRecord } from '../../functions/core/model';
import { nextPipelineStep } from '../../functions/core/reactions';
import { MAX_PARENT_OUTPUT_BYTES, MAX_PARENT_OUTPUT_ON_RECORD_BYTES } from '../../functions/core/views';
import type { Observation, World } from './world';

/** Invariant ids, as numbered in engine-invariants.md. */
export type InvariantId = 'I1' | 'I2' | 'I3' | 'I4' | 'I5' | 'I6' | 'I7' | 'I8' | 'I9' | 'I10' | 'I12';

/** Every invariant the harness checks. */
export const ALL_INVARIANTS: readonly InvariantId[] = ['I1', 'I2', 'I3', 'I4', 'I5', 'I6', 'I7', 'I8', 'I9', 'I10', 'I12'];

/** One broken promise. */
export interface Violation {
  invariant: InvariantId;
  message: string;
}

const FINAL_TASK = new Set<TaskStatus>(['succeeded', 'skipped', 'discarded']);

/** JSON with sorted keys: the store, like DynamoDB, keeps no key order; an attempt is compared by content. */
function canonicalJson(value: unknown): string {
  const sort = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(sort) : v !== null && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sort((v as Record<string, unknown>)[k])])) : v;
  return JSON.stringify(sort(value));
}

/** Checks invariants step by step; keeps what it needs from the previous step. */
export class InvariantChecker {
  private readonly jobStatus = new Map<string, JobStatus>();
  private readonly taskStatus = new Map<string, TaskStatus>();
  private readonly endedAttempts = new Map<string, string>();
  private seenObservations = 0;
  private seenSends = 0;
  /** Jobs paused by a pause that answered 200, and not resumed since (with when the pause was written). */
  private readonly paused = new Map<string, number | undefined>();

  /**
   * The job, or the ancestor whose pause reaches it (through pausable jobs only), that a pause holds; a pause
   * written after the claim (`claimSeq`) holds nothing: that attempt was already running.
   */
  private pausedOver(jobs: ReadonlyMap<string, JobRecord>, jobId: string, claimSeq?: number): string | undefined {
    for (let id: string | undefined = jobId; id !== undefined; ) {
      const pausedAt = this.paused.get(id);
      if (this.paused.has(id) && (claimSeq === undefined || pausedAt === undefined || pausedAt < claimSeq)) return id;
      const job = jobs.get(id);
      id = job?.pausable ? job.parentId : undefined;
    }
    return undefined;
  }

  constructor(private readonly enabled: ReadonlySet<InvariantId>) {}

  /** Checks what must hold after every step. */
  afterStep(world: World): Violation[] {
    const out: Violation[] = [];
    const add = (invariant: InvariantId, message: string) => {
      if (this.enabled.has(invariant)) out.push({ invariant, message: message.slice(0, 600) });
    };
    const store = world.engine.store;
    const fresh = world.observations.slice(this.seenObservations);
    this.seenObservations = world.observations.length;
    const manualOk = fresh.filter((o): o is Extract<Observation, { kind: 'manual' }> => o.kind === 'manual' && o.ok);

    // I1: statuses move only forward, except by a manual action that answered 200; a job says what its tasks say.
    for (const [jobId, job] of store.jobs) {
      const before = this.jobStatus.get(jobId);
      if (before !== undefined && before !== job.status) {
        const byHand = (action: string) => manualOk.some((m) => m.action === action && (m.jobId === jobId || m.jobId.startsWith(`${jobId}.`)));
        const ancestorDiscarded = ancestors(jobId).some((a) => store.jobs.get(a)?.status === 'discarded') || manualOk.some((m) => m.action === 'discard' && (jobId === m.jobId || jobId.startsWith(`${m.jobId}.`)));
        if (before === 'succeeded' || before === 'discarded') add('I1', `job ${jobId} moved from ${before} to ${job.status}`);
        else if (before === 'failed' && job.status === 'running' && !byHand('retry') && !byHand('skip')) add('I1', `failed job ${jobId} reopened without a manual action`);
        else if (before === 'failed' && job.status === 'discarded' && !ancestorDiscarded) add('I1', `failed job ${jobId} discarded without a discard`);
      }
      this.jobStatus.set(jobId, job.status);
      const agree = agreement(world, job);
      if (agree) add('I1', agree);
    }
    for (const [key, task] of store.tasks) {
      const before = this.taskStatus.get(key);
      if (before !== undefined && before !== task.status) {
        const byHand = manualOk.some((m) => (m.action === 'retry' || m.action === 'skip') && m.jobId === task.jobId && m.taskId === task.taskId);
        if (FINAL_TASK.has(before)) add('I1', `task ${task.jobId}/${task.taskId} moved from ${before} to ${task.status}`);
        else if (before === 'failed' && task.status !== 'discarded' && !byHand) add('I1', `failed task ${task.jobId}/${task.taskId} became ${task.status} without a manual action`);
      }
      this.taskStatus.set(key, task.status);
      // I2: one running attempt at most; an ended attempt is never rewritten (a late result may be added once).
      const running = task.attempts.filter((a) => a.status === 'running').length;
      if (running > 1) add('I2', `task ${task.jobId}/${task.taskId} has ${running} running attempts`);
      if (task.status === 'running' && task.attempts[task.attemptCount - 1]?.status !== 'running') add('I2', `task ${task.jobId}/${task.taskId} is running but its attempt ${task.attemptCount} is not`);
      task.attempts.forEach((a) => {
        const id = `${key}#${a.attempt}`;
        if (a.status === 'running') return;
        const now = canonicalJson(a);
        const then = this.endedAttempts.get(id);
        if (then !== undefined && then !== now) {
          const old = JSON.parse(then) as typeof a;
          // The one change allowed: an abandoned attempt keeps the result its provider reported late.
          const strip = (x: typeof a) => canonicalJson({ ...x, output: undefined, error: undefined, late: undefined });
          const lateResultAdded = old.status === 'abandoned' && a.status === 'abandoned' && strip(old) === strip(a);
          if (!lateResultAdded) add('I2', `attempt ${a.attempt} of ${task.jobId}/${task.taskId} was rewritten: ${then} → ${now}`);
        }
        this.endedAttempts.set(id, now);
      });
    }

    // I4: a result row says what its job says.
    for (const [jobId, row] of world.engine.results.rows) {
      // A `running` row is the marker a reopen leaves (the API answers "not finished" for it).
      if (row.status === 'running') continue;
      const job = store.jobs.get(jobId);
      if (!job || !isTerminalJob(job.status)) add('I4', `result row of ${jobId} says ${row.status} while the job is ${job?.status ?? 'missing'}`);
      else if (row.status !== job.status) add('I4', `result row of ${jobId} says ${row.status}, the job says ${job.status}`);
    }

    // I6: two roots sharing a token never run attempts at the same time.
    const holders = new Map<string, Set<string>>();
    for (const run of world.live) {
      if (run.leaseUntil < world.now) continue;
      for (const token of run.tokens) {
        const set = holders.get(token) ?? new Set<string>();
        set.add(run.rootId);
        holders.set(token, set);
      }
    }
    for (const [token, roots] of holders) if (roots.size > 1) add('I6', `token ${token}: roots ${[...roots].join(', ')} run attempts at the same time`);

    // I7: a pinned task goes only to its executor; one offer per attempt in an inbox.
    const sends = world.engine.queue.history.slice(this.seenSends);
    this.seenSends = world.engine.queue.history.length;
    for (const sent of sends) {
      const pin = sent.message.preLock;
      if (pin !== undefined && sent.route !== `${sent.message.provider}@${pin}`) add('I7', `task ${sent.message.jobId}/${sent.message.taskId} pinned to ${pin} was sent to queue ${sent.route}`);
    }
    for (const [target, inbox] of store.offers) {
      const perAttempt = new Map<string, number>();
      for (const offer of inbox.values()) {
        const id = `${offer.message.jobId}/${offer.message.taskId}#${offer.message.attempt}`;
        perAttempt.set(id, (perAttempt.get(id) ?? 0) + 1);
      }
      for (const [id, n] of perAttempt) if (n > 1) add('I7', `inbox ${target} holds ${n} offers of attempt ${id}`);
    }

    // I8: after a pause answered 200, no new attempt starts in that job or its pausable children until resume.
    for (const o of fresh) {
      if (o.kind === 'manual' && o.ok && o.action === 'pause') this.paused.set(o.jobId, o.seq);
      // Resuming or discarding a job lifts the pause of everything under it too.
      if (o.kind === 'manual' && o.ok && (o.action === 'resume' || o.action === 'discard')) for (const id of [...this.paused.keys()]) if (id === o.jobId || id.startsWith(`${o.jobId}.`)) this.paused.delete(id);
      if (o.kind === 'claim') {
        const by = this.pausedOver(store.jobs, o.message.jobId, o.seq);
        if (by !== undefined) add('I8', `attempt ${o.message.attempt} of ${o.message.jobId}/${o.message.taskId} started ${by === o.message.jobId ? 'in a paused job' : `under ${by}, paused`}`);
      }
    }

    // I10: no write fails (for size, or at all) inside the limits.
    for (const o of fresh) if (o.kind === 'writeFailed') add('I10', `a write failed during ${o.during}: ${o.error.message.slice(0, 200)}`);

    // I12: every attempt recorded, manual or automatic as it was, late results included.
    for (const o of fresh) {
      if (o.kind === 'claim') {
        const task = store.tasks.get(`${o.message.jobId}#T${o.message.taskIndex}`);
        const attempt = task?.attempts[o.message.attempt - 1];
        if (!attempt) add('I12', `claimed attempt ${o.message.attempt} of ${o.message.jobId}/${o.message.taskId} has no record`);
        else if (attempt.manual !== (o.message.attempt === o.runStart && o.message.attempt > 1)) add('I12', `attempt ${o.message.attempt} of ${o.message.jobId}/${o.message.taskId} is recorded as ${attempt.manual ? 'manual' : 'automatic'}`);
      }
      if (o.kind === 'late') {
        const task = store.tasks.get(`${o.message.jobId}#T${o.message.taskIndex}`);
        const attempt = task?.attempts[o.message.attempt - 1];
        if (!attempt || (attempt.output === undefined && attempt.error === undefined)) add('I12', `late result of attempt ${o.message.attempt} of ${o.message.jobId}/${o.message.taskId} was not kept`);
      }
    }
    return out;
  }

  /** Checks what must hold once nothing is in flight. */
  atQuiescence(world: World): Violation[] {
    const out: Violation[] = [];
    const add = (invariant: InvariantId, message: string) => {
      if (this.enabled.has(invariant)) out.push({ invariant, message });
    };
    const store = world.engine.store;
    for (const [jobId, job] of store.jobs) {
      // I3: terminal, or waiting in a state a person can see and act on.
      const stuck = stuckReason(world, job);
      if (stuck) add('I3', `job ${jobId} is stuck: ${stuck}`);
      // I4 and I5: a root has a result row iff it is terminal; a parent's output names every child's output.
      if (job.parentId === undefined) {
        const stored = world.engine.results.rows.get(jobId);
        const row = stored?.status === 'running' ? undefined : stored;
        if (isTerminalJob(job.status) && !row) add('I4', `root ${jobId} is ${job.status} but has no result row`);
        if (row && job.status === 'succeeded' && job.kind === 'parent') {
          const want = canonicalJson(expectedOutput(world, jobId, MAX_PARENT_OUTPUT_BYTES));
          if (canonicalJson(row.output) !== want) add('I5', `parent ${jobId} answers output ${JSON.stringify(row.output).slice(0, 300)}, its children say ${want.slice(0, 300)}`);
        }
      }
    }
    // I9: one job per bizId, nothing left behind in token queues.
    for (const [bizId, answered] of world.bizIds) {
      const roots = [...store.jobs.values()].filter((j) => j.parentId === undefined && j.bizId === bizId);
      if (roots.length !== 1 || answered.size !== 1) add('I9', `bizId ${bizId}: ${roots.length} roots, answered ${[...answered].join(', ')}`);
    }
    for (const [token, queue] of store.waiters) {
      for (const w of queue.values()) {
        const job = store.jobs.get(w.jobId);
        if (!job || job.status !== 'pending' || job.createdAt !== w.createdAt) add('I9', `token ${token} has a waiter for ${w.jobId} (${job ? `${job.status}, created ${job.createdAt}` : 'no such job'}, queued as ${w.createdAt})`);
      }
    }
    for (const [token, holder] of store.holders) {
      const job = store.jobs.get(holder.jobId);
      if (!job || job.status === 'succeeded' || job.status === 'discarded') add('I9', `token ${token} is still held by ${holder.jobId} (${job?.status ?? 'no such job'})`);
    }
    return out;
  }
}

function ancestors(jobId: string): string[] {
  const out: string[] = [];
  let id = jobId;
  for (let i = id.lastIndexOf('.'); i > 0; i = id.lastIndexOf('.')) {
    id = id.slice(0, i);
    out.push(id);
  }
  return out;
}

function children(world: World, job: JobRecord): JobRecord[] {
  const out: JobRecord[] = [];
  for (let i = 1; i <= (job.childCount ?? 0); i++) {
    const child = world.engine.store.jobs.get(`${job.jobId}.${i}`);
    if (child) out.push(child);
  }
  return out;
}

function tasksOf(world: World, job: JobRecord) {
  return (job.tasks ?? []).map((_, i) => world.engine.store.tasks.get(`${job.jobId}#T${i}`));
}

/** What a finished job's status says about its tasks or children, violated. */
function agreement(world: World, job: JobRecord): string | undefined {
  if (job.status !== 'succeeded' && job.status !== 'failed') return undefined;
  if (job.kind === 'pipeline') {
    const tasks = tasksOf(world, job);
    if (job.status === 'succeeded' && !tasks.every((t) => t && isTaskDone(t.status))) return `job ${job.jobId} succeeded while its tasks are ${tasks.map((t) => t?.status ?? 'never run').join(', ')}`;
    if (job.status === 'failed' && !tasks.some((t) => t?.status === 'failed')) return `job ${job.jobId} failed while its tasks are ${tasks.map((t) => t?.status ?? 'never run').join(', ')}`;
    return undefined;
  }
  const kids = children(world, job);
  if (!kids.every((c) => isTerminalJob(c.status))) return `parent ${job.jobId} is ${job.status} while children are ${kids.map((c) => c.status).join(', ')}`;
  if (job.status === 'succeeded' && !kids.every((c) => c.status === 'succeeded')) return `parent ${job.jobId} succeeded while children are ${kids.map((c) => c.status).join(', ')}`;
  if (job.status === 'failed' && kids.every((c) => c.status === 'succeeded')) return `parent ${job.jobId} failed while every child succeeded`;
  return undefined;
}

/**
 * A finished job's output as documented: a pipeline's final context; a parent's map of child name → child output
 * (nested parents included), or, over `budget` bytes, a marker naming how many children and bytes it held.
 */
function expectedOutput(world: World, jobId: string, budget: number): unknown {
  const job = world.engine.store.jobs.get(jobId);
  if (!job) return null;
  if (job.kind === 'pipeline') return job.output ?? null;
  const kids = children(world, job);
  const out: Record<string, unknown> = {};
  for (const child of kids) out[child.name] = expectedOutput(world, child.jobId, MAX_PARENT_OUTPUT_ON_RECORD_BYTES);
  const bytes = Buffer.byteLength(JSON.stringify(out), 'utf8');
  return bytes <= budget ? out : { outputOmitted: true, children: kids.length, bytes };
}

/** Whether a pause of an ancestor reaches `job` (through pausable jobs only). */
function pausedAbove(world: World, job: JobRecord): boolean {
  const jobs = world.engine.store.jobs;
  for (let j: JobRecord | undefined = job; j?.pausable && j.parentId !== undefined; ) {
    j = jobs.get(j.parentId);
    if (j?.status === 'paused') return true;
  }
  return false;
}

/** Why a job is neither terminal nor waiting visibly, or undefined when it is fine. */
function stuckReason(world: World, job: JobRecord): string | undefined {
  const store = world.engine.store;
  if (isTerminalJob(job.status) || job.status === 'paused') return undefined;
  if (job.status === 'pending') {
    if (job.parentId !== undefined) {
      const parent = store.jobs.get(job.parentId);
      return parent && (parent.status === 'pending' || parent.status === 'paused') ? undefined : `pending under a ${parent?.status ?? 'missing'} parent`;
    }
    if (!job.tokens?.length) return 'pending without tokens';
    for (const token of job.tokens) {
      const holder = store.holders.get(token);
      const holderJob = holder && holder.jobId !== job.jobId ? store.jobs.get(holder.jobId) : undefined;
      if (holderJob && (holderJob.status === 'running' || holderJob.status === 'paused' || holderJob.status === 'failed')) return undefined;
      const head = [...(store.waiters.get(token)?.keys() ?? [])].sort()[0];
      const headJob = head ? store.jobs.get(head.slice(head.indexOf('#') + 1)) : undefined;
      // Another pending root heads the queue (submitted earlier, or in the same millisecond with a smaller id): the
      // wait is FIFO and visible; whether that root itself is stuck is judged on its own.
      if (headJob && headJob.jobId !== job.jobId && headJob.status === 'pending') return undefined;
    }
    return `pending for tokens ${job.tokens.join(', ')} that nobody live holds (${job.reason ?? 'no reason'})`;
  }
  // running
  if (job.kind === 'parent') {
    const kids = children(world, job);
    if (kids.every((c) => isTerminalJob(c.status))) return 'running although every child finished';
    return kids.some((c) => !isTerminalJob(c.status) && stuckReason(world, c) === undefined) ? undefined : 'running with only stuck children';
  }
  const step = nextPipelineStep(job, tasksOf(world, job));
  const next = step.kind === 'wait' ? step.task.taskIndex : step.kind === 'dispatch' ? step.taskIndex : undefined;
  // Waiting for a named executor that has no deployment: its offer waits in the executor's inbox.
  const waitsForExecutor = [...(store.offers.get(`exec:offline`)?.values() ?? [])].some((o) => o.message.jobId === job.jobId && o.message.taskIndex === next);
  if (waitsForExecutor) return undefined;
  if (step.kind === 'wait') {
    const task = step.task;
    // A claim handed back under a paused ancestor: held until that ancestor's resume.
    if (task.status === 'pending') return pausedAbove(world, job) ? undefined : 'running with a held task';
    return `running with task ${task.taskId} ${task.status} and nothing in flight`;
  }
  return `running with next step ${step.kind}`;
}
