/**
 * The steps fast-check strings together: what AWS, providers, people and the sweeper may do, in any order.
 * Each step runs against the world and then checks every enabled invariant; a violation throws with the story
 * so far, and fast-check shrinks the sequence to a minimal one.
 * @module
 */
import fc from 'fast-check';
import { InvariantChecker, type InvariantId, type Violation } from './invariants';
import { SHARDS, template, World, type Behaviour, type Chain } from './world';

/** What each step runs against. */
export interface Real {
  world: World;
  checker: InvariantChecker;
}

type Manual = 'skip' | 'retry' | 'pause' | 'resume' | 'discard';

/** Thrown when an invariant breaks: its message is the readable story. */
export class InvariantBroken extends Error {
  constructor(
    readonly violations: Violation[],
    story: readonly string[],
  ) {
    super(`${violations.map((v) => `[${v.invariant}] ${v.message}`).join('\n')}\n--- story ---\n${story.join('\n')}`);
    this.name = 'InvariantBroken';
  }
}

function check(real: Real): void {
  const violations = real.checker.afterStep(real.world);
  if (violations.length) throw new InvariantBroken(violations, real.world.story);
}

/** Runs one step. */
abstract class Step implements fc.AsyncCommand<object, Real> {
  check(): boolean {
    return true;
  }
  async run(_m: object, real: Real): Promise<void> {
    await this.act(real.world);
    check(real);
  }
  abstract act(world: World): Promise<void>;
  abstract toString(): string;
}

class Submit extends Step {
  constructor(
    readonly tpl: number,
    readonly bizId: string | undefined,
    readonly twice: boolean,
    readonly big: boolean,
    /** A parent's descendants are created by the stream, one per part (core/staging.ts). */
    readonly staged: boolean,
    /** The API stops between writing a root pipeline and sending its first task (core/first-task.ts). */
    readonly loseFirstSend: boolean,
  ) {
    super();
  }
  async act(w: World) {
    const spec = { ...template(this.tpl, this.big), ...(this.bizId ? { bizId: this.bizId } : {}) };
    const ids: Array<string | undefined> = [];
    if (this.twice) await w.race([async () => ids.push(await w.submit(spec, this.staged)), async () => ids.push(await w.submit(spec, this.staged))], [0, 1, 1, 0, 1]);
    else ids.push(await w.submit(spec, this.staged, this.loseFirstSend));
    w.log(`${this}: ${ids.join(', ')}`);
  }
  toString() {
    return `submit ${template(this.tpl).name}${this.bizId ? ` bizId=${this.bizId}` : ''}${this.twice ? ' twice at once' : ''}${this.big ? ' (90 KB input)' : ''}${this.staged && template(this.tpl).children ? ' staged' : ''}${this.loseFirstSend && !this.twice ? ' (first send lost)' : ''}`;
  }
}

class Stream extends Step {
  constructor(
    readonly shard: number,
    readonly keep: boolean,
    readonly crashAfter: number | undefined,
  ) {
    super();
  }
  async act(w: World) {
    // Pick among shards that have something to deliver, so no step is wasted.
    const ready = w.shards.map((_, i) => i).filter((i) => w.shards[i]![w.positions[i]!] && !w.busyShards.has(i));
    const shard = ready[this.shard % Math.max(1, ready.length)];
    if (shard === undefined) return;
    const record = w.shards[shard]![w.positions[shard]!]!;
    const c = record.change;
    const what = c.type === 'job' ? `job ${c.after?.jobId} ${c.before?.status ?? '∅'}→${c.after?.status}` : `task ${c.after?.jobId}/${c.after?.taskId} ${c.before?.status ?? '∅'}→${c.after?.status}#${c.after?.attemptCount}`;
    w.log(`stream shard ${shard}: ${what}${this.keep ? ' (delivered again later)' : ''}${this.crashAfter !== undefined ? ` (crash after ${this.crashAfter} writes)` : ''}`);
    await w.deliverRecord(shard, { keep: this.keep, ...(this.crashAfter !== undefined ? { crashAfter: this.crashAfter } : {}) });
  }
  toString() {
    return `stream(${this.shard}${this.keep ? ', dup' : ''}${this.crashAfter !== undefined ? `, crash@${this.crashAfter}` : ''})`;
  }
}

/** A stream invocation reads ahead the jobs its batch of a shard's next records will react from. */
class ReadAhead extends Step {
  constructor(
    readonly shard: number,
    readonly count: number,
  ) {
    super();
  }
  async act(w: World) {
    const ready = w.shards.map((_, i) => i).filter((i) => w.shards[i]![w.positions[i]!] && !w.busyShards.has(i));
    const shard = ready[this.shard % Math.max(1, ready.length)];
    if (shard === undefined) return;
    const n = await w.readAheadFor(shard, this.count);
    w.log(`stream shard ${shard}: reads ahead the jobs of its next ${n} records`);
  }
  toString() {
    return `readAhead(${this.shard}, ${this.count})`;
  }
}

/** A stream invocation ends its batch: counts the children its records finished (and may crash doing it). */
class Flush extends Step {
  constructor(
    readonly shard: number,
    readonly crashAfter: number | undefined,
  ) {
    super();
  }
  async act(w: World) {
    const open = w.batches.map((b, i) => (b && w.positions[i]! >= b.until && b.batch.pendingReports > 0 ? i : -1)).filter((i) => i >= 0);
    const shard = open[this.shard % Math.max(1, open.length)];
    if (shard === undefined) return;
    w.log(`stream shard ${shard}: ends its batch, counting ${w.batches[shard]!.batch.pendingReports} finished children${this.crashAfter !== undefined ? ` (crash after ${this.crashAfter} writes)` : ''}`);
    await w.flushBatch(shard, this.crashAfter);
  }
  toString() {
    return `flush(${this.shard}${this.crashAfter !== undefined ? `, crash@${this.crashAfter}` : ''})`;
  }
}

class Replay extends Step {
  constructor(
    readonly shard: number,
    readonly back: number,
  ) {
    super();
  }
  async act(w: World) {
    w.rewind(this.shard, this.back);
    w.log(`stream shard ${this.shard} rewinds ${this.back} records (replayed late)`);
  }
  toString() {
    return `replay(${this.shard}, ${this.back})`;
  }
}

class Deliver extends Step {
  constructor(
    readonly pick: number,
    readonly behaviour: Behaviour,
    readonly keep: boolean,
    readonly crashAfter: number | undefined,
    /** The invocation may go on with the pipeline's next task (core/continuation.ts), or die right after saying so. */
    readonly chain: Chain = 'none',
  ) {
    super();
  }
  async act(w: World) {
    const visible = w.visibleMessages();
    const m = visible[this.pick % Math.max(1, visible.length)];
    if (!m) return;
    w.log(`sqs → ${m.route}: ${m.message.jobId}/${m.message.taskId}#${m.message.attempt}${m.message.manual ? ' (manual)' : ''}, provider ${this.behaviour}${this.chain === 'none' ? '' : this.chain === 'dies' ? ', may continue but dies before the claim' : ', may continue'}${this.keep ? ' (message delivered again later)' : ''}${this.crashAfter !== undefined ? ` (crash after ${this.crashAfter} writes)` : ''}`);
    await w.deliverMessage(this.pick, this.behaviour, { keep: this.keep, chain: this.chain, ...(this.crashAfter !== undefined ? { crashAfter: this.crashAfter } : {}) });
  }
  toString() {
    return `deliver(${this.pick}, ${this.behaviour}${this.chain === 'none' ? '' : `, ${this.chain}`}${this.keep ? ', dup' : ''}${this.crashAfter !== undefined ? `, crash@${this.crashAfter}` : ''})`;
  }
}

class Finish extends Step {
  constructor(
    readonly pick: number,
    readonly behaviour: Behaviour,
    readonly chain: Chain = 'none',
  ) {
    super();
  }
  async act(w: World) {
    const run = w.live[this.pick % Math.max(1, w.live.length)];
    if (!run) return;
    w.log(`provider reports ${run.message.jobId}/${run.message.taskId}#${run.message.attempt}: ${this.behaviour}${this.chain === 'none' ? '' : this.chain === 'dies' ? ', may continue but dies before the claim' : ', may continue'}${run.leaseUntil < w.now ? ' (after its lease)' : ''}`);
    await w.finish(this.pick % w.live.length, this.behaviour, { chain: this.chain });
  }
  toString() {
    return `finish(${this.pick}, ${this.behaviour}${this.chain === 'none' ? '' : `, ${this.chain}`})`;
  }
}

/** An invocation that ended an attempt with `continued` claims the next task itself, or dies before it. */
class Continue extends Step {
  constructor(
    readonly pick: number,
    readonly behaviour: Behaviour,
    readonly die: boolean,
    readonly crashAfter: number | undefined,
  ) {
    super();
  }
  async act(w: World) {
    const c = w.continuing[this.pick % Math.max(1, w.continuing.length)];
    if (!c) return;
    const what = c.finish ? `finishes ${c.message.jobId}${this.die ? ' — dies first' : ''}` : `${c.message.jobId}/${c.message.taskId}#${c.message.attempt}${this.die ? ' — dies before its claim' : `, provider ${this.behaviour}`}`;
    w.log(`invocation goes on: ${what}${this.crashAfter !== undefined && !this.die ? ` (crash after ${this.crashAfter} writes)` : ''}`);
    await w.continueWith(this.pick, this.behaviour, { die: this.die, ...(this.crashAfter !== undefined ? { crashAfter: this.crashAfter } : {}) });
  }
  toString() {
    return `continue(${this.pick}, ${this.die ? 'dies' : this.behaviour}${this.crashAfter !== undefined ? `, crash@${this.crashAfter}` : ''})`;
  }
}

class Act extends Step {
  constructor(
    readonly action: Manual,
    readonly jobPick: number,
    readonly taskPick: number,
    readonly edit: boolean,
  ) {
    super();
  }
  target(w: World): { jobId: string; taskId: string } | undefined {
    // Half the time on what just happened (a task that just failed, a job that just changed), else on any job.
    if (this.jobPick % 2 === 0 && w.focus) {
      const parts = w.focus.jobId.split('.');
      const jobId = this.jobPick % 4 === 0 || parts.length === 1 ? w.focus.jobId : parts.slice(0, -1).join('.');
      return { jobId, taskId: w.focus.taskId };
    }
    const jobId = w.jobIds[this.jobPick % Math.max(1, w.jobIds.length)];
    return jobId ? { jobId, taskId: `t${(this.taskPick % 3) + 1}` } : undefined;
  }
  async act(w: World) {
    const t = this.target(w);
    if (!t) return;
    // Mostly what a person looking at the job would do (retry a failed task, resume a paused job, …).
    const plausible = this.taskPick !== 2 ? plausibleActions(w, t.jobId, t.taskId) : [];
    const action = plausible.length ? plausible[this.jobPick % plausible.length]! : this.action;
    await w.manual(action, t.jobId, t.taskId, this.edit);
  }
  toString() {
    return `${this.action}(${this.jobPick % 2 === 0 ? (this.jobPick % 4 === 0 ? 'focus' : 'focus parent') : `job#${this.jobPick}`}, t${(this.taskPick % 3) + 1}${this.edit ? ', edited' : ''})`;
  }
}

function plausibleActions(w: World, jobId: string, taskId: string): Manual[] {
  const job = w.engine.store.jobs.get(jobId);
  const task = w.engine.store.tasks.get(`${jobId}#T${Number(taskId.slice(1)) - 1}`);
  if (!job) return [];
  if (task?.status === 'failed') return ['retry', 'skip', 'retry', 'discard'];
  if (job.status === 'paused') return ['resume', 'discard', 'skip'];
  if (task?.status === 'retrying' || task?.status === 'queued' || task?.status === 'pending') return ['skip', 'pause', 'discard'];
  if (job.status === 'running' || job.status === 'pending') return ['pause', 'discard', 'pause', 'skip'];
  return [];
}

class Race extends Step {
  constructor(
    readonly person: Act | Stream | Sweep,
    readonly other: Stream | Deliver | Sweep | Continue,
    readonly choices: number[],
  ) {
    super();
  }
  async act(w: World) {
    w.log(`-- at the same time: ${this.person} and ${this.other} --`);
    await w.race([() => this.person.act(w), () => this.other.act(w)], this.choices);
    w.log('-- end of race --');
  }
  toString() {
    return `race(${this.person}, ${this.other}, [${this.choices.join(',')}])`;
  }
}

/**
 * The event flow runs until a provider invocation is about to claim a pipeline's next task itself (submitting a
 * job with pipelines first when `submit` names one), so the steps after it race that claim.
 */
class FlowToContinuation extends Step {
  constructor(readonly submit: number | undefined) {
    super();
  }
  async act(w: World) {
    if (this.submit !== undefined) w.log(`submit ${template(this.submit).name}: ${await w.submit(template(this.submit))}`);
    w.log('the flow runs until an invocation is about to go on with a next task');
    await w.flowToContinuation();
  }
  toString() {
    return `flowToContinuation(${this.submit !== undefined ? template(this.submit).name : ''})`;
  }
}

class Sweep extends Step {
  constructor(readonly crashAfter: number | undefined) {
    super();
  }
  async act(w: World) {
    w.log(`sweeper runs${this.crashAfter !== undefined ? ` (crash after ${this.crashAfter} writes)` : ''}`);
    await w.sweep(this.crashAfter);
  }
  toString() {
    return `sweep(${this.crashAfter ?? ''})`;
  }
}

class Tick extends Step {
  constructor(readonly ms: number) {
    super();
  }
  async act(w: World) {
    w.log(`clock +${this.ms / 1000} s`);
    await w.advance(this.ms);
  }
  toString() {
    return `tick(${this.ms / 1000}s)`;
  }
}

class Worker extends Step {
  async act(w: World) {
    w.log('worker claims for executor offline');
    await w.workerClaim('offline');
  }
  toString() {
    return 'worker(offline)';
  }
}

/** Options of the generated step sequences. */
export interface StepOptions {
  /** Providers may return outputs of ~100 KB (within the 128 KB limit). */
  bigOutputs?: boolean;
  maxCommands?: number;
  /** fast-check's `replayPath` of a failing command sequence (printed with the counterexample). */
  replayPath?: string;
}

/** Now and then an invocation crashes after its n-th write. */
const crash = fc.oneof({ weight: 6, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 3 }) });
/** Now and then a record or message comes again. */
const again = fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) });

/** Arbitrary step sequences. */
export function steps(opts: StepOptions = {}) {
  const behaviours: Behaviour[] = opts.bigOutputs ? ['ok', 'ok', 'fail', 'fatal', 'hang', 'big'] : ['ok', 'ok', 'fail', 'fatal', 'hang'];
  const behaviour = fc.constantFrom(...behaviours);
  const stream = fc.tuple(fc.nat(SHARDS - 1), again, crash).map(([s, k, c]) => new Stream(s, k, c));
  // Mostly an invocation that may go on with the next task; now and then one that dies right after saying so.
  const chain = fc.constantFrom<Chain>('none', 'chain', 'chain', 'chain', 'dies');
  const deliver = fc.tuple(fc.nat(7), behaviour, again, crash, chain).map(([p, b, k, c, ch]) => new Deliver(p, b, k, c, ch));
  // An invocation that said `continued` claims the next task, or dies first (1 in 5).
  const cont = fc
    .tuple(fc.nat(3), behaviour, fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }), crash)
    .map(([p, b, d, c]) => new Continue(p, b, d, c));
  const act = fc
    .tuple(fc.constantFrom<Manual>('skip', 'retry', 'pause', 'resume', 'discard'), fc.nat(15), fc.nat(2), fc.boolean())
    .map(([a, j, t, e]) => new Act(a, j, t, e));
  const submit = fc
    .tuple(
      fc.nat(7),
      fc.option(fc.constantFrom('b1', 'b2'), { nil: undefined }),
      fc.boolean(),
      opts.bigOutputs ? fc.boolean() : fc.constant(false),
      fc.boolean(),
      fc.oneof({ weight: 3, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
    )
    .map(([t, b, tw, big, st, lose]) => new Submit(t, b, tw, big, st, lose));
  const sweepNow = fc.constant(undefined).map(() => new Sweep(undefined));
  // Two invocations at once: a person or a stream record or a sweep, against a record, a delivery or a sweep.
  const race = fc
    .tuple(fc.oneof(act, act, stream, sweepNow), fc.oneof(stream, deliver, sweepNow, cont), fc.array(fc.nat(3), { minLength: 1, maxLength: 8 }))
    .map(([a, o, c]) => new Race(a, o, c));
  // Repeats weigh the choice: mostly deliveries and people, now and then the sweeper, the clock or a replay.
  const commands = [
    submit,
    submit,
    stream,
    stream,
    stream,
    stream,
    fc.tuple(fc.nat(SHARDS - 1), fc.integer({ min: 1, max: 6 })).map(([s, b]) => new Replay(s, b)),
    fc.tuple(fc.nat(SHARDS - 1), fc.integer({ min: 2, max: 6 })).map(([s, n]) => new ReadAhead(s, n)),
    fc.tuple(fc.nat(SHARDS - 1), crash).map(([s, c]) => new Flush(s, c)),
    deliver,
    deliver,
    deliver,
    deliver,
    fc.tuple(fc.nat(5), behaviour, chain).map(([p, b, ch]) => new Finish(p, b, ch)),
    cont,
    cont,
    cont,
    // Templates with pipelines of two tasks or more on one route: pipe3, fixed, tree, tokA, edge.
    fc.option(fc.constantFrom(0, 1, 2, 3, 5), { nil: undefined }).map((t) => new FlowToContinuation(t)),
    fc.option(fc.constantFrom(0, 1, 2, 3, 5), { nil: undefined }).map((t) => new FlowToContinuation(t)),
    act,
    act,
    act,
    act,
    race,
    race,
    crash.map((c) => new Sweep(c)),
    fc.constantFrom(1_000, 11_000, 61_000, 301_000, 2_100_000).map((ms) => new Tick(ms)),
    fc.constant(new Worker()),
  ];
  return fc.commands(commands, { maxCommands: opts.maxCommands ?? 40, ...(opts.replayPath !== undefined ? { replayPath: opts.replayPath } : {}) });
}

/** One property run: the steps, then quiescence and its checks. */
export async function runSteps(cmds: Iterable<fc.AsyncCommand<object, Real>>, enabled: ReadonlySet<InvariantId>): Promise<void> {
  const real: Real = { world: new World(), checker: new InvariantChecker(enabled) };
  await fc.asyncModelRun(() => ({ model: {}, real }), cmds);
  real.world.log('-- everything in flight finishes --');
  await real.world.quiesce();
  const violations = [...real.checker.afterStep(real.world), ...real.checker.atQuiescence(real.world)];
  if (violations.length) throw new InvariantBroken(violations, real.world.story);
}
