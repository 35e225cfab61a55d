import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeRun, analyzeSweep, loadRun } from '../analyze.js';
import type { AblationResult } from '../ablate.js';
import { readJson } from '../fsutil.js';
import { listRuns } from '../sweep.js';
import { claimsToMarkdown } from '../analysis/index.js';

export function register(program: Command): void {
  program
    .command('analyze')
    .description('recompute timelines, phases (per run), and prediction + claims (per sweep) from the records')
    .argument('<dir>', 'a run or sweep directory')
    .option('--json', 'print the analysis as JSON')
    .action(async (dir: string, o: Record<string, unknown>) => {
      if (existsSync(join(dir, 'summary.json'))) {
        const res = await analyzeRun(await loadRun(dir));
        if (o.json) process.stdout.write(JSON.stringify(res, null, 2) + '\n');
        else if (!res.phases) process.stdout.write(`${dir}: no O-information records (train with --measure oinfo)\n`);
        else for (const p of res.phases.phases) process.stdout.write(`${p.name.padEnd(18)} steps ${p.start}-${p.end}\n`);
        return;
      }
      const ablations: AblationResult[] = [];
      for (const d of await listRuns(dir)) if (existsSync(join(d, 'ablation.json'))) ablations.push(await readJson<AblationResult>(join(d, 'ablation.json')));
      // unfinished runs are left out of the analysis, and said so (on stderr)
      const res = await analyzeSweep(dir, { ablations, progress: { status() {}, line: (t) => process.stderr.write(`${t}\n`), done() {} } });
      if (o.json) process.stdout.write(JSON.stringify(res, null, 2) + '\n');
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
