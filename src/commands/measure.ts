import type { Command } from 'commander';
import { remeasureRun } from '../measures/remeasure.js';
import { consoleProgress } from '../core/progress.js';
import { interruptController } from './runflags.js';

export function register(program: Command): void {
  program
    .command('measure')
    .description('recompute the progress measures (docs/measures.md) from a run\'s saved checkpoints')
    .argument('<dir>', 'a run directory (or its checkpoints/ directory)')
    .option('--measure <names>', "comma-separated measure names or 'all' (default: the run's measures, else all that apply)")
    .option('--out <file>', 'output JSON-lines file (default <run>/measures-checkpoints.jsonl)')
    .option('--quiet', 'no progress output')
    .action(async (dir: string, o: Record<string, unknown>) => {
      const progress = consoleProgress({ quiet: !!o.quiet });
      const intr = interruptController();
      try {
        const res = await remeasureRun(dir, {
          ...(o.measure !== undefined ? { names: String(o.measure).split(',') } : {}),
          ...(o.out !== undefined ? { out: String(o.out) } : {}),
          signal: intr.signal,
          progress,
        });
        progress.done();
        process.stdout.write(`${res.out}: ${res.records.length} checkpoints x ${res.names.length} measures (${res.names.join(', ')})\n`);
      } finally {
        intr.dispose();
      }
    });
}
