/** `jobx submit -f job.yaml|job.json [--wait S] [--json]`. @module */
import { parseSeconds, type CliContext } from '../context';
import { CliExit, EXIT } from '../io';
import { renderTree, shallowTree } from '../render/tree';
import type { Program } from '../program';
import { waitForJob } from './wait';

const EXAMPLE = `
Example job.yaml:
  name: jober1
  owner: sqc
  env: { env: test }
  tasks:
    - { name: task_1, provider: demo }
    - { name: task_2, provider: demo }
    - name: task_3
      provider: demo
      input: { all_config: "yes" }

  $ jobx submit -f job.yaml --wait 60`;

/** Registers `submit`. */
export function registerSubmit(program: Program, ctx: CliContext): void {
  program
    .command('submit')
    .description('submit a job from a YAML or JSON spec file (validated before it is sent)')
    .requiredOption('-f, --file <path>', 'job spec: .yaml, .yml or .json (- reads stdin)')
    .option('--wait <seconds>', 'wait up to this long for the job to finish (exit 0 succeeded, 1 failed, 2 still running)', parseSeconds)
    .option('--json', 'print the job as JSON')
    .addHelpText('after', EXAMPLE)
    .action(async (opts) => {
      // yaml and zod load only for this command (they are most of the CLI's start-up time).
      const { parseJobSpec } = await import('../spec-file');
      const spec = parseJobSpec(ctx.readFile(opts.file), opts.file === '-' ? '<stdin>' : opts.file);
      const client = ctx.client();
      const job = await client.submit(spec);
      if (opts.wait !== undefined && opts.wait > 0) {
        if (!opts.json) ctx.err(`submitted ${job.jobId}, waiting up to ${opts.wait}s`);
        const code = await waitForJob(ctx, client, job.jobId, opts.wait, Boolean(opts.json));
        if (code !== EXIT.ok) throw new CliExit(code);
        return;
      }
      if (opts.json) return ctx.json(job);
      renderTree(shallowTree(job), { colors: ctx.colors, now: ctx.now() }).forEach((l) => ctx.out(l));
      ctx.err(ctx.errColors.dim(`follow it: jobx wait ${job.jobId}`));
    });
}
