import type { Command } from 'commander';
import { invalidArgument } from '../core/errors.js';
import { deepMergeConfig } from '../config/config.js';
import { readJson } from '../core/fsutil.js';
import { consoleProgress } from '../core/progress.js';
import { checkMaxBatch, parseShard, planSweep, runSweep, type SweepDefinition } from '../experiments/sweep.js';
import { emitJobs } from '../experiments/emit.js';
import type { BackendName } from '../addon/native.js';
import { addRunFlags, interruptController, parseNumber, runFlagsToConfig } from './runflags.js';
import { jsonOutput } from './output.js';

export function register(program: Command): void {
  const cmd = program
    .command('sweep')
    .description('train a grid or list of configurations x seeds in batched native calls; resumable (rerun the same command) and shardable')
    .requiredOption('--out <dir>', 'sweep directory')
    .option('--config <file>', 'sweep definition (JSON: {name, base, list, grid, seeds}); flags add to its base')
    .option('--seeds <list>', 'model seeds, e.g. 0,100,200,300,400')
    .option('--shard <i/n>', 'train only shard i of n (deterministic split for job arrays); join with `grokinfo merge`')
    .option('--max-batch <n>', 'most models per native call (default 64)')
    .option('--plan', 'print the expanded plan and exit')
    .option('--emit <scheduler>', "write a job-array script for a cluster instead of training: 'slurm' or 'k8s' (an Indexed Job); see --shards")
    .option('--shards <n>', 'with --emit: number of array tasks (default 4)')
    .option('--json', 'print the result as JSON on stdout')
    .option('--quiet', 'no progress output');
  addRunFlags(cmd, { lists: true });
  cmd.action(async (o: Record<string, unknown>) => {
    const def: SweepDefinition = o.config ? await readJson<SweepDefinition>(String(o.config)) : {};
    const { base, grid } = runFlagsToConfig(o, true);
    def.base = deepMergeConfig(def.base ?? {}, base);
    def.grid = { ...(def.grid ?? {}), ...grid };
    if (o.seeds !== undefined) def.seeds = String(o.seeds).split(',').map((s) => parseNumber('--seeds', s.trim(), true));
    const plan = planSweep(def);
    const maxBatch = o.maxBatch !== undefined ? checkMaxBatch(parseNumber('--max-batch', String(o.maxBatch), true)) : undefined;
    const shard = o.shard ? parseShard(String(o.shard)) : undefined;
    if (o.emit !== undefined) {
      if (shard) throw invalidArgument('--emit', 'without --shard (the emitted job array runs every shard)');
      const files = await emitJobs(String(o.out), def, plan, {
        scheduler: String(o.emit),
        shards: o.shards !== undefined ? parseNumber('--shards', String(o.shards), true) : undefined,
        backend: o.backend as string | undefined,
        maxBatch,
      });
      for (const f of files) process.stdout.write(`${f}\n`);
      return;
    }
    if (o.plan) {
      process.stdout.write(jsonOutput(plan.runs.map((r) => ({ id: r.id, config: r.config })), 2));
      return;
    }
    const progress = consoleProgress({ quiet: !!o.quiet });
    const intr = interruptController(() => progress.line('cancelling: finished runs are kept; rerun the same command to resume'));
    try {
      const res = await runSweep(String(o.out), plan, {
        backend: o.backend as BackendName,
        signal: intr.signal,
        progress,
        shard,
        maxBatch,
      });
      progress.done();
      if (o.json) process.stdout.write(jsonOutput(res, 2));
    } finally {
      intr.dispose();
    }
  });
}
