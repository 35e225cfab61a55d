import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeRun, analyzeSweep, loadRun } from '../analysis/analyze.js';
import type { AblationResult } from '../experiments/ablate.js';
import { readJson } from '../core/fsutil.js';
import { listRuns } from '../experiments/sweep.js';
import { runField } from '../config/config.js';
import { claimsToMarkdown } from '../analysis/index.js';
import { consoleProgress } from '../core/progress.js';
import { jsonOutput } from './output.js';

export function register(program: Command): void {
  program
    .command('analyze')
    .description('recompute timelines, phases (per run), and prediction + claims (per sweep) from the records')
    .argument('<dir>', 'a run or sweep directory')
    .option('--families <field>', "prediction families: one per value of this configuration field (e.g. optim.lr); default: the paper's weight-decay / alpha split where both exist, else every other configuration")
    .option('--json', 'print the analysis as JSON')
    .action(async (dir: string, o: Record<string, unknown>) => {
      if (existsSync(join(dir, 'summary.json'))) {
        const res = await analyzeRun(await loadRun(dir));
        if (o.json) process.stdout.write(jsonOutput(res, 2));
        else if (!res.phases) process.stdout.write(`${dir}: no O-information records (train with --measure oinfo)\n`);
        else for (const p of res.phases.phases) process.stdout.write(`${p.name.padEnd(18)} steps ${p.start}-${p.end}\n`);
        return;
      }
      const ablations: AblationResult[] = [];
      for (const d of await listRuns(dir)) if (existsSync(join(d, 'ablation.json'))) ablations.push(await readJson<AblationResult>(join(d, 'ablation.json')));
      const families = o.families !== undefined ? { field: String(o.families) } : undefined;
      if (families) runField(families.field);
      // unfinished runs are left out of the analysis, and said so (on stderr)
      const res = await analyzeSweep(dir, { ablations, progress: consoleProgress(), ...(families ? { families } : {}) });
      if (o.json) process.stdout.write(jsonOutput(res, 2));
      else {
        for (const c of res.configurations)
          process.stdout.write(`${c.label.padEnd(20)} ${c.grokked}/${c.runs} grokked  mean grok step ${c.meanGrokStep?.toFixed(0) ?? '-'}  final test acc ${c.meanFinalTestAcc.toFixed(3)}\n`);
        for (const s of res.prediction) {
          process.stdout.write(`\nprediction: ${s.name}\n`);
          if (s.error) process.stdout.write(`  not evaluated: ${s.error}\n`);
          else
            for (const p of s.report!.predictors)
              process.stdout.write(`  ${p.kind.padEnd(11)} accuracy ${p.accuracyFinal?.toFixed(2) ?? '-'}  FP ${p.falsePositives} FN ${p.falseNegatives}  median lead ${p.medianLeadTime ?? '-'} steps${p.error ? `  (${p.error})` : ''}\n`);
        }
        process.stdout.write('\n' + claimsToMarkdown(res.claims) + '\n');
      }
    });
}
