import type { Command } from 'commander';
import { ablateRun, parseSubnet } from '../experiments/ablate.js';
import type { BackendName } from '../addon/native.js';
import { consoleProgress } from '../core/progress.js';
import { interruptController } from './runflags.js';
import { jsonOutput } from './output.js';

export function register(program: Command): void {
  program
    .command('ablate')
    .description('§7 ablation: retrain a measured run from the same initialisation keeping only a sub-network of hidden layer 1')
    .argument('<run>', 'a finished run directory trained with --measure oinfo')
    .option('--subnet <list>', 'comma-separated: synergy | inverse | random:N | random:synergy | random:inverse (size-matched random controls)', 'synergy,inverse')
    .option('--mask-bias', 'also zero the masked neurons\' first-layer biases (the authors did not)')
    .option('--seed <n>', 'seed for random subnets (default: the run seed)')
    .option('--backend <b>', 'auto | cpu | cuda', 'auto')
    .option('--json', 'print the result as JSON')
    .option('--quiet', 'no progress output')
    .action(async (run: string, o: Record<string, unknown>) => {
      const progress = consoleProgress({ quiet: !!o.quiet });
      const intr = interruptController(() => progress.line('cancelling'));
      try {
        const res = await ablateRun(run, {
          subnets: String(o.subnet).split(',').map((s) => parseSubnet(s.trim())),
          maskBias: !!o.maskBias,
          seed: o.seed !== undefined ? Number(o.seed) : undefined,
          backend: o.backend as BackendName,
          signal: intr.signal,
          progress,
        });
        progress.done();
        if (o.json) process.stdout.write(jsonOutput(res, 2));
        else
          for (const c of res.curves)
            process.stdout.write(`${c.subnet.padEnd(10)} ${String(c.neurons.length).padStart(4)} neurons  final test acc ${c.finalTestAcc.toFixed(3)}  grok step ${c.grokStep ?? 'never'}\n`);
        if (!o.json) for (const s of res.skipped) process.stdout.write(`${s.subnet.padEnd(10)} not trained: ${s.reason}\n`);
      } finally {
        intr.dispose();
      }
    });
}
