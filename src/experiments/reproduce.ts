/**
 * `grokinfo reproduce`: the paper's experiments (METHOD.md §1-3) from one command.
 *   1. one sweep: weight decay 0.1, 2, 10, 50 (standard init) and alpha 1, 8, 50 (weight decay 0,
 *      output zeroed, constant norm), x seeds, measured with O-information every `every` steps;
 *   2. the §7 ablation (synergistic sub-network and its inverse) of weight decay 2 and 0.1: every seed
 *      (the first in quick mode), trained as one batch;
 *   3. analysis: timelines, phases, grokking prediction, the claims table (verdicts computed);
 *   4. the report: every figure as SVG and PNG, and report.html.
 * Every stage resumes: finished runs, ablations and analyses are kept when the command is rerun.
 * --quick keeps the paper's task, model and 4000 steps but trains 2 seeds instead of 5 and measures
 * every 25 steps instead of 5; what it changed is written in reproduce.json and in the report header.
 */
import { existsSync, promises as fs } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { ablateRuns, type AblationResult } from './ablate.js';
import type { SweepAnalysis } from '../analysis/analyze.js';
import { deepMergeConfig, type PartialRunConfig } from '../config/config.js';
import { readJson, writeJsonAtomic } from '../core/fsutil.js';
import { fieldDefault } from '../config/schema.js';
import { resolveBackend, type BackendName } from '../addon/native.js';
import { formatDuration, type ProgressSink } from '../core/progress.js';
import { versioned } from '../core/version.js';
import { PAPER_ALPHAS, PAPER_SEEDS, PAPER_WEIGHT_DECAYS, paperExperimentList } from '../config/paper.js';
import { planSweep, runSweep, type SweepPlan } from './sweep.js';
import { GrokinfoError } from '../core/errors.js';

export interface ReproduceOptions {
  quick?: boolean;
  out?: string;
  backend?: BackendName;
  signal?: AbortSignal;
  progress?: ProgressSink;
  /** Overrides of the run settings (e.g. a tiny configuration for CI). */
  overrides?: PartialRunConfig;
  seeds?: number[];
  /** Measure every n steps (default: the protocol's; the paper's 5, quick 25; MNIST 2,000, quick 500). */
  every?: number;
  /** Skip the PNG/SVG/HTML report (analysis still runs). */
  noReport?: boolean;
}

export { PAPER_ALPHAS, PAPER_SEEDS, PAPER_WEIGHT_DECAYS };

export interface ReproduceSettings {
  quick: boolean;
  seeds: number[];
  steps: number;
  every: number;
  evalEvery: number;
  note: string;
}

export function reproduceSettings(opts: ReproduceOptions): ReproduceSettings {
  const quick = !!opts.quick;
  const seeds = opts.seeds ?? (quick ? [0, 100] : PAPER_SEEDS);
  const steps = opts.overrides?.steps ?? fieldDefault<number>('steps');
  const every = opts.every ?? (quick ? 25 : fieldDefault<number>('measure.every'));
  const evalEvery = opts.overrides?.evalEvery ?? (quick ? 10 : fieldDefault<number>('evalEvery'));
  const note = quick
    ? `quick mode: ${seeds.length} seed(s) instead of 5, ${steps} steps, O-information every ${every} steps instead of 5, evaluation every ${evalEvery}`
    : `full protocol: ${seeds.length} seeds, ${steps} steps, O-information every ${every} steps`;
  return { quick, seeds, steps, every, evalEvery, note };
}

export function reproducePlan(opts: ReproduceOptions): SweepPlan {
  const s = reproduceSettings(opts);
  const base = deepMergeConfig(
    { steps: s.steps, evalEvery: s.evalEvery, measure: { kind: 'oinfo', every: s.every } },
    opts.overrides ?? {},
  );
  return planSweep({
    name: s.quick ? 'paper-quick' : 'paper',
    base,
    list: paperExperimentList(),
    seeds: s.seeds,
  });
}

export interface ReproduceResult {
  out: string;
  settings: ReproduceSettings;
  backend: string;
  machine: string;
  seconds: { train: number; ablation: number; analysis: number; report: number; total: number };
  analysis: SweepAnalysis;
  ablations: AblationResult[];
}

export async function reproduce(opts: ReproduceOptions = {}): Promise<ReproduceResult> {
  if ((opts.overrides?.task as { kind?: string } | undefined)?.kind === 'mnist') {
    // a different protocol with its own result (reproduce-mnist.ts); the CLI dispatches on --task
    throw new GrokinfoError('INVALID_ARGUMENT', "reproduce(): the MNIST experiments are reproduceMnist() (src/experiments/reproduce-mnist.ts; on the command line: grokinfo reproduce --task mnist)", {
      what: 'overrides.task.kind',
      allowed: ['modular'],
      got: 'mnist',
    });
  }
  const out = opts.out ?? 'grokinfo-reproduce';
  const t0 = performance.now();
  const settings = reproduceSettings(opts);
  const plan = reproducePlan(opts);
  const backend = resolveBackend(opts.backend ?? 'auto');
  const machine = `${cpus()[0]?.model ?? 'unknown CPU'} x ${cpus().length} threads${backend.backend === 'cuda' ? `, ${backend.reason}` : ''}`;
  const progress = opts.progress;
  progress?.line(`reproduce: ${plan.runs.length} runs; ${settings.note}; backend ${backend.backend} (${backend.reason})`);
  const sweepDir = join(out, 'sweep');
  await runSweep(sweepDir, plan, { backend: backend.backend, signal: opts.signal, progress });
  const tTrain = performance.now();

  // §7 ablations of weight decay 2 and 0.1: every seed in the full protocol, the first in quick mode; the
  // missing ones trained together in one batch.
  const ablationSeeds = settings.quick ? settings.seeds.slice(0, 1) : settings.seeds;
  const ablationDirs: string[] = [];
  for (const name of ['wd2', 'wd0.1'])
    for (const seed of ablationSeeds) {
      const run = plan.runs.find((r) => r.config.name === name && r.config.init.seed === seed);
      if (run) ablationDirs.push(join(sweepDir, 'runs', run.id));
    }
  const todo = ablationDirs.filter((d) => !existsSync(join(d, 'ablation.json')));
  if (todo.length)
    progress?.line(`ablation of ${todo.length} run(s) (weight decay 2 and 0.1, seeds ${ablationSeeds.join(', ')}): synergistic sub-network, inverse, random of the same size`);
  const fresh = new Map<string, AblationResult>();
  for (const r of await ablateRuns(todo, { subnets: ['synergy', 'inverse', 'random:synergy'], backend: backend.backend, signal: opts.signal, progress }))
    fresh.set(r.run, r);
  const ablations: AblationResult[] = [];
  for (const d of ablationDirs) ablations.push(fresh.get(d) ?? (await readJson<AblationResult>(join(d, 'ablation.json'))));
  const tAbl = performance.now();
  // the analysis and report layers load here, not with the core (start-up: src/README.md)
  const { analyzeSweep, PAPER_FAMILIES } = await import('../analysis/analyze.js');
  const analysis = await analyzeSweep(sweepDir, { ablations, progress, families: PAPER_FAMILIES });
  const tAn = performance.now();
  const seconds = {
    train: (tTrain - t0) / 1000,
    ablation: (tAbl - tTrain) / 1000,
    analysis: (tAn - tAbl) / 1000,
    report: 0,
    total: 0,
  };
  if (!opts.noReport) {
    const { loadReportDir, writeReport } = await import('../report/index.js');
    const rep = await loadReportDir(sweepDir);
    rep.notes.unshift(
      settings.note,
      `machine: ${machine}; backend: ${backend.backend} (${backend.reason})`,
      `time: training ${formatDuration(seconds.train)}, ablation ${formatDuration(seconds.ablation)}, analysis ${formatDuration(seconds.analysis)}`,
    );
    await writeReport(rep, {
      out: join(out, 'report'),
      claims: analysis.claims,
      title: 'grokinfo reproduction of Clauw, Marinazzo & Stramaglia (2024)',
      progress,
    });
  }
  seconds.report = (performance.now() - tAn) / 1000;
  seconds.total = (performance.now() - t0) / 1000;
  const result: ReproduceResult = { out, settings, backend: backend.backend, machine, seconds, analysis, ablations };
  await writeJsonAtomic(join(out, 'reproduce.json'), versioned(result));
  await fs.writeFile(join(out, 'claims.md'), claimsMarkdown(analysis));
  progress?.line(`reproduce: done in ${formatDuration(seconds.total)} -> ${join(out, 'report', 'report.html')}`);
  return result;
}

export function claimsMarkdown(a: SweepAnalysis): string {
  const rows = a.claims.map((c) => `| ${c.id} | ${c.claim} | ${c.measured.replace(/\|/g, '/')} | ${c.verdict} |`);
  return ['| id | claim | measured | verdict |', '|---|---|---|---|', ...rows, ''].join('\n');
}
