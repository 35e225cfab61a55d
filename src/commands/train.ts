import type { Command } from 'commander';
import { join } from 'node:path';
import { resolveRunConfig, runId } from '../config/config.js';
import { consoleProgress } from '../core/progress.js';
import { trainRunDir } from '../training/run.js';
import type { BackendName } from '../addon/native.js';
import { addRunFlags, interruptController, runFlagsToConfig } from './runflags.js';
import { jsonOutput } from './output.js';

export function register(program: Command): void {
  const cmd = program
    .command('train')
    .description('train one model (paper defaults, METHOD.md §1) and write its run directory')
    .option('--out <dir>', 'run directory (default runs/<id>)')
    .option('--name <name>', 'run name (used in the id)')
    .option('--overwrite', 'replace an existing run in --out (atomically, once the new run has finished)')
    .option('--json', 'print the summary as JSON on stdout')
    .option('--quiet', 'no progress output');
  addRunFlags(cmd);
  cmd.action(async (o: Record<string, unknown>) => {
    const { base } = runFlagsToConfig(o, false);
    if (o.name) base.name = String(o.name);
    const config = resolveRunConfig(base);
    const id = runId(config);
    const dir = (o.out as string | undefined) ?? join('runs', id);
    const progress = consoleProgress({ quiet: !!o.quiet });
    const intr = interruptController(() => progress.line('cancelling: the run keeps its saved state; run the same command again to continue it'));
    try {
      const summary = await trainRunDir(dir, id, config, {
        overwrite: !!o.overwrite,
        backend: o.backend as BackendName,
        signal: intr.signal,
        progress,
      });
      progress.done();
      if (o.json) process.stdout.write(jsonOutput({ dir, id, ...summary }, 2));
      else process.stdout.write(`${dir}\n`);
    } finally {
      intr.dispose();
    }
  });
}
