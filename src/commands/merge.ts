import type { Command } from 'commander';
import { GrokinfoError } from '../core/errors.js';
import { mergeSweeps } from '../experiments/sweep.js';
import { jsonOutput } from './output.js';

export function register(program: Command): void {
  program
    .command('merge')
    .description("join the shards of a sweep (`grokinfo sweep --shard i/n`) into one sweep directory")
    .argument('<shards...>', 'shard sweep directories')
    .requiredOption('--out <dir>', 'merged sweep directory')
    .option('--json', 'print the result as JSON')
    .action(async (shards: string[], o: Record<string, unknown>) => {
      const r = await mergeSweeps(String(o.out), shards);
      if (o.json) process.stdout.write(jsonOutput(r, 2));
      else {
        process.stdout.write(`${o.out}: ${r.runs} finished runs\n`);
        if (r.missing.length) process.stdout.write(`missing (not finished in any shard): ${r.missing.join(', ')}\n`);
      }
      if (r.missing.length)
        throw new GrokinfoError(
          'INVALID_DATA',
          `${r.missing.length} of ${r.runs + r.missing.length} runs are missing (not finished in any shard): ${r.missing.join(', ')}; rerun their shards (they resume), then merge again`,
          { missing: r.missing },
        );
    });
}
