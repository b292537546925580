/**
 * The fluent job definition, read like the original library:
 * `NewJober("jober1", "sqc").AddPipeline("task_1", "demo").Exec()` becomes
 * `jobx.job('jober1', 'sqc').pipeline('task_1', 'demo').submit()`.
 * @module
 */
import type { JobxClient } from './client';
import type { Env, JobSpec, JobView, JsonObject, RetryPolicyInput, SubmitOptions, TaskSpec } from './types';

/**
 * Automatic retries of a job's tasks (or one task's): how many and how far apart.
 * @example
 * ```ts
 * const retry: RetryOptionsSpec = { count: 5, gapSeconds: 2, backoff: 'exponential', maxDelaySeconds: 60 };
 * ```
 */
export interface RetryOptionsSpec extends RetryPolicyInput {
  /** Automatic retries after the first attempt (0–100). @default 3 */
  count?: number;
  /** Base gap in seconds; linear backoff waits gap × k before the k-th retry. @default 10 */
  gapSeconds?: number;
  /** @default 'linear' */
  backoff?: 'linear' | 'exponential';
  /** Cap of one exponential delay in seconds. @default 3600 */
  maxDelaySeconds?: number;
}

/**
 * Options of a job (the original's `JobDesc`, `JobInput`, `JobEnv`, `BizId`, `Pause`, `RetryNum`,
 * `RetryGapSecond`, `AddTokens`, `PreLock`).
 * @example
 * ```ts
 * const opts: JobOptions = { desc: 'nightly sync', env: { env: 'test' }, bizId: 'order-42', retry: { count: 5, gapSeconds: 5 } };
 * ```
 */
export interface JobOptions {
  /** Free text. */
  desc?: string;
  /** Input of every task (a task's own input is overlaid on it). @default {} */
  input?: JsonObject;
  /** Env of every task and child (inherited down the tree, overlaid by their own). @default {} */
  env?: Env;
  /** Business id: submitting the same `bizId` again returns the existing job and creates nothing. */
  bizId?: string;
  /** Whether the job can be paused. @default true */
  pausable?: boolean;
  /** Retry policy inherited by the job's tasks and children. @default { count: 3, gapSeconds: 10, backoff: 'linear' } */
  retry?: RetryOptionsSpec;
  /** Mutual-exclusion tokens: two jobs holding the same token never run at once. */
  tokens?: string[];
  /** Run the job's tasks only on this worker. */
  preLock?: string;
}

/**
 * Options of one pipeline task.
 * @example
 * ```ts
 * const opts: TaskOptions = { input: { all_config: 'yes' }, retry: { count: 0 }, timeoutSeconds: 60 };
 * ```
 */
export interface TaskOptions {
  desc?: string;
  /** Overlaid on the job's input. @default {} */
  input?: JsonObject;
  /** Overlaid on the job's env. @default {} */
  env?: Env;
  /** Overrides the job's retry policy field by field. */
  retry?: RetryOptionsSpec;
  /** Lease of one attempt in seconds (1–43200). @default 300 */
  timeoutSeconds?: number;
  /** Run this task only on this worker. */
  preLock?: string;
}

function copy<T>(value: T): T {
  return value === undefined ? value : structuredClone(value);
}

function assertName(what: string, value: unknown, example: string): asserts value is string {
  if (typeof value !== 'string' || value.trim().length === 0) {
    throw new TypeError(`${what} must be a non-empty string, e.g. ${example}; got ${JSON.stringify(value)}`);
  }
}

/**
 * A job being defined: a pipeline of tasks run in order (`.pipeline(...)`), or a parent of child jobs run
 * concurrently (`.child(...)`), never both. Methods return the builder, so calls chain; `toSpec()` gives the JSON
 * spec the API takes, `submit()` sends it with the client that made the builder.
 *
 * @example
 * ```ts
 * import { jobx } from 'jobx/sdk';
 *
 * // a pipeline of three tasks, the last with its own input
 * const job = await jobx
 *   .job('jober1', 'sqc', { env: { env: 'test' } })
 *   .pipeline('task_1', 'demo')
 *   .pipeline('task_2', 'demo')
 *   .pipeline('task_3', 'demo', { input: { all_config: 'yes' } })
 *   .submit({ wait: 30 });
 *
 * // a parent whose two children run concurrently
 * await jobx
 *   .job('jober3', 'sqc')
 *   .child(jobx.job('jober3_1', 'sqc').pipeline('task_1', 'demo').pipeline('task_2', 'demo'))
 *   .child(jobx.job('jober3_2', 'sqc').pipeline('task_1', 'demo'))
 *   .submit({ wait: 30 });
 * ```
 */
export class JobBuilder {
  private readonly tasks: TaskSpec[] = [];
  private readonly children: Array<JobBuilder | JobSpec> = [];
  private readonly options: JobOptions;

  /**
   * Prefer `jobx.job(name, owner, options)` or `client.job(...)`, which bind the builder to a client.
   * @param name - the job's name
   * @param owner - who owns it
   * @param options - see {@link JobOptions}
   * @param client - the client `submit()` uses
   * @example
   * ```ts
   * const spec = new JobBuilder('jober1', 'sqc').pipeline('task_1', 'demo').toSpec();
   * ```
   */
  constructor(
    readonly name: string,
    readonly owner: string,
    options: JobOptions = {},
    private readonly client?: JobxClient,
  ) {
    this.options = copy(options);
    assertName('job name', name, "jobx.job('jober1', 'sqc')");
    assertName('job owner', owner, "jobx.job('jober1', 'sqc')");
  }

  /**
   * Appends a task to the pipeline (the original's `AddPipeline(name, provider, ...)`). Tasks run in the order
   * they are added; each gets the merged outputs of the ones before it as its `context`.
   * @param name - task name, unique in the job (letters, digits, `_ . : -`)
   * @param provider - the provider that runs it, e.g. `demo`
   * @param options - input, env, retry, timeoutSeconds, preLock, desc
   * @example
   * ```ts
   * jobx.job('jober1', 'sqc').pipeline('task_1', 'demo').pipeline('task_2', 'demo', { input: { all_config: 'yes' } });
   * ```
   */
  pipeline(name: string, provider: string, options: TaskOptions = {}): this {
    assertName('task name', name, ".pipeline('task_1', 'demo')");
    assertName('task provider', provider, ".pipeline('task_1', 'demo')");
    if (this.children.length > 0) {
      throw new Error(`job ${this.name} already has children; a job has tasks or children, not both. Put the tasks in a child: .child(jobx.job('${this.name}_tasks', '${this.owner}').pipeline('${name}', '${provider}'))`);
    }
    if (this.tasks.some((t) => t.name === name)) throw new Error(`job ${this.name} already has a task named ${name}; task names are unique in a job`);
    const task: TaskSpec = { name, provider };
    if (options.desc !== undefined) task.desc = options.desc;
    if (options.input !== undefined) task.input = copy(options.input);
    if (options.env !== undefined) task.env = copy(options.env);
    if (options.retry !== undefined) task.retry = copy(options.retry);
    if (options.timeoutSeconds !== undefined) task.timeoutSeconds = options.timeoutSeconds;
    if (options.preLock !== undefined) task.preLock = options.preLock;
    this.tasks.push(task);
    return this;
  }

  /**
   * Adds a child job (the original's `AddJob(...)`). Children run concurrently; the parent finishes when all of
   * them have, and its output maps child name → child output.
   * @param job - a builder (`jobx.job(...)`) or a plain spec
   * @example
   * ```ts
   * jobx.job('parent', 'sqc')
   *   .child(jobx.job('a', 'sqc').pipeline('task_1', 'demo'))
   *   .child({ name: 'b', owner: 'sqc', tasks: [{ name: 'task_1', provider: 'demo' }] });
   * ```
   */
  child(job: JobBuilder | JobSpec): this {
    if (this.tasks.length > 0) {
      throw new Error(`job ${this.name} already has tasks; a job has tasks or children, not both. Make a parent: jobx.job('parent', '${this.owner}').child(jobx.job('${this.name}', '${this.owner}').pipeline(...)).child(...)`);
    }
    if (job === (this as JobBuilder)) throw new Error(`job ${this.name} cannot be its own child`);
    const childName = job.name;
    if (this.children.some((c) => c.name === childName)) throw new Error(`job ${this.name} already has a child named ${childName}; a parent's output maps child names, so they are unique`);
    this.children.push(job instanceof JobBuilder ? job : copy(job));
    return this;
  }

  /**
   * The JSON spec the API takes (`POST /jobs`), a fresh copy each call. `JSON.stringify(builder)` gives the same.
   * @example
   * ```ts
   * jobx.job('jober1', 'sqc').pipeline('task_1', 'demo').toSpec();
   * // { name: 'jober1', owner: 'sqc', tasks: [{ name: 'task_1', provider: 'demo' }] }
   * ```
   */
  toSpec(): JobSpec {
    const o = this.options;
    const spec: JobSpec = { name: this.name, owner: this.owner };
    if (o.desc !== undefined) spec.desc = o.desc;
    if (o.bizId !== undefined) spec.bizId = o.bizId;
    if (o.input !== undefined) spec.input = copy(o.input);
    if (o.env !== undefined) spec.env = copy(o.env);
    if (o.pausable !== undefined) spec.pausable = o.pausable;
    if (o.retry !== undefined) spec.retry = copy(o.retry);
    if (o.tokens !== undefined) spec.tokens = [...o.tokens];
    if (o.preLock !== undefined) spec.preLock = o.preLock;
    if (this.tasks.length > 0) spec.tasks = this.tasks.map((t) => copy(t));
    if (this.children.length > 0) spec.children = this.children.map((c) => (c instanceof JobBuilder ? c.toSpec() : copy(c)));
    return spec;
  }

  /**
   * Same as {@link JobBuilder.toSpec}, so `JSON.stringify(builder)` prints the spec.
   * @example
   * ```ts
   * JSON.stringify(jobx.job('a', 'sqc').pipeline('t', 'demo')); // '{"name":"a","owner":"sqc","tasks":[…]}'
   * ```
   */
  toJSON(): JobSpec {
    return this.toSpec();
  }

  /**
   * Submits the job with the builder's client (the original's `Exec()`, with `Sync(true, timeout)` as `wait`).
   * @param options - `wait`: seconds to wait for the job to finish (any length)
   * @returns the job view: finished if it finished within `wait`, else as it is now
   * @example
   * ```ts
   * const job = await jobx.job('jober1', 'sqc').pipeline('task_1', 'demo').submit({ wait: 30 });
   * console.log(job.jobId, job.status, job.output);
   * ```
   */
  submit(options: SubmitOptions = {}): Promise<JobView> {
    if (!this.client) throw new Error(`job ${this.name} has no client; create it with jobx.job(...) or client.job(...), or pass builder.toSpec() to client.submit()`);
    return this.client.submit(this.toSpec(), options);
  }
}
