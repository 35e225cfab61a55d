import type { Command } from 'commander';
import { GrokinfoError } from '../core/errors.js';
import type { BackendName } from '../addon/native.js';
import { consoleProgress } from '../core/progress.js';
import { reproduce } from '../experiments/reproduce.js';
import { reproduceMnist } from '../experiments/reproduce-mnist.js';
import { ANTI_GROKKING } from '../experiments/mnist-setting.js';
import type { PartialRunConfig } from '../config/config.js';
import { interruptController, parseNumber, runFlagsToConfig, addRunFlags } from './runflags.js';
import { jsonOutput } from './output.js';

/**
 * The run settings of `reproduce` from its flags: every run flag applies, the measurement ones included
 * (--measure adds progress measures; the O-information is always measured, so 'oinfo' is implied).
 */
export function reproduceOverrides(o: Record<string, unknown>): PartialRunConfig {
  const names = o.measure === undefined ? 'oinfo' : `oinfo,${String(o.measure)}`;
  return runFlagsToConfig({ ...o, measure: names }, false).base;
}

export function register(program: Command): void {
  const cmd = program
    .command('reproduce')
    .description("the paper's experiments, ablation, analysis, figures and claims table from one command (resumable)")
    .option('--quick', 'fewer seeds, fewer steps, coarser measurement (stated in the output); about 10 minutes on 2 CPU cores')
    .option('--out <dir>', 'output directory', 'grokinfo-reproduce')
    .option('--seeds <list>', 'model seeds (default 0,100,200,300,400; quick: 0)')
    .option('--long-steps <n>', `--task mnist: steps of the long run without weight decay (default ${ANTI_GROKKING.steps}, as Prakash & Martin; quick: 10000)`)
    .option('--no-report', 'skip the figures and report.html')
    .option('--json', 'print the result as JSON')
    .option('--quiet', 'no progress output');
  addRunFlags(cmd);
  cmd.action(async (o: Record<string, unknown>) => {
    const base = reproduceOverrides(o);
    const progress = consoleProgress({ quiet: !!o.quiet });
    const intr = interruptController(() => progress.line('cancelling: finished work is kept; rerun the same command to resume'));
    try {
      const seeds = o.seeds !== undefined ? String(o.seeds).split(',').map((s) => parseNumber('--seeds', s.trim(), true)) : undefined;
      const every = o.every !== undefined ? parseNumber('--every', String(o.every), true) : undefined;
      // the options both protocols take
      const common = {
        quick: !!o.quick,
        out: String(o.out),
        backend: o.backend as BackendName,
        signal: intr.signal,
        progress,
        overrides: base,
        ...(seeds ? { seeds } : {}),
        ...(every !== undefined ? { every } : {}),
        noReport: o.report === false,
      };
      const printClaims = (claims: readonly { verdict: string; id: string; claim: string; measured: string }[]) => {
        for (const c of claims) process.stdout.write(`  [${c.verdict}] ${c.id}: ${c.claim} — ${c.measured}\n`);
      };
      if ((base.task as { kind?: string } | undefined)?.kind === 'mnist') {
        const expensiveEvery = (base.measures as { expensiveEvery?: number } | undefined)?.expensiveEvery;
        const res = await reproduceMnist({
          ...common,
          ...(o.longSteps !== undefined ? { longSteps: parseNumber('--long-steps', String(o.longSteps), true) } : {}),
          ...(expensiveEvery !== undefined ? { expensiveEvery } : {}),
        });
        progress.done();
        if (o.json) process.stdout.write(jsonOutput(res, 2));
        else {
          process.stdout.write(`\n${res.settings.note}\n\nruns:\n`);
          for (const r of res.runs)
            process.stdout.write(
              `  ${r.name ?? r.id} (seed ${r.seed}): memorised at ${r.memorisationStep ?? 'never'}, grok step (test acc > ${r.grokThreshold}) ${r.grokStep ?? 'none'}, best test ${r.bestTestAcc.toFixed(3)} at ${r.bestTestStep}, final ${r.finalTestAcc.toFixed(3)}, anti-grokking ${r.antiGrokking ? `at ${r.antiGrokking.step}` : 'none'}\n`,
            );
          process.stdout.write('\nclaims:\n');
          printClaims(res.claims);
          process.stdout.write(`\nreport: ${res.out}/report/report.html\n`);
        }
        return;
      }
      if (o.longSteps !== undefined) throw new GrokinfoError('INVALID_ARGUMENT', '--long-steps: applies to reproduce --task mnist only (the long run without weight decay)', { what: '--long-steps', allowed: ['--task mnist'], got: 'modular' });
      const res = await reproduce(common);
      progress.done();
      if (o.json) process.stdout.write(jsonOutput(res, 2));
      else {
        process.stdout.write(`\nclaims (${res.settings.note}):\n`);
        printClaims(res.analysis.claims);
        process.stdout.write(`\nreport: ${res.out}/report/report.html\n`);
      }
    } finally {
      intr.dispose();
    }
  });
}
