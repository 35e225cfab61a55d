/**
 * `grokinfo reproduce --task mnist`: Omnigrok's MNIST grid (alpha 1, 8 x weight decay 0, 0.01) and the long run
 * without weight decay (Prakash & Martin's anti-grokking), from one command, resumable:
 *   1. one sweep (src/experiments/mnist-setting.ts): O-information on every hidden layer and every progress
 *      measure that applies to MNIST;
 *   2. analysis (src/analysis/mnist.ts): per run the memorisation step, grok step (the task's grokThreshold),
 *      anti-grokking, phases per hidden layer; the claims that transfer; the progress-measure leaderboard;
 *   3. the report: accuracy curves, O-information per hidden layer, synergy and redundancy, the measures.
 * Written: <out>/sweep/ (runs, leaderboard.json/.md), <out>/mnist-analysis.json, <out>/claims.md,
 * <out>/reproduce.json, <out>/report/.
 */
import { cpus } from 'node:os';
import { join } from 'node:path';
import type { MnistRun, MnistRunAnalysis } from '../analysis/mnist.js';
import type { ClaimRow } from '../analysis/claims.js';
import { GrokinfoError } from '../core/errors.js';
import { writeFileAtomic, writeJsonAtomic } from '../core/fsutil.js';
import { resolveBackend } from '../addon/native.js';
import { formatDuration } from '../core/progress.js';
import { versioned } from '../core/version.js';
import { buildLeaderboard, leaderboardToMarkdown, type Leaderboard } from '../measures/leaderboard.js';
import { checkMeasuresForTask, parseMeasureList, readPath } from '../measures/registry.js';
import { loadFinishedRun } from './runs.js';
import type { ReproduceOptions } from './reproduce.js';
import { listRuns, planSweep, runSweep } from './sweep.js';
import { ANTI_GROK_MARGIN } from '../tasks/mnist.js';
import { mnistReproduceDefinition, mnistReproduceSettings, type MnistReproduceSettings } from './mnist-setting.js';

/** The paper protocol's options (out, seeds, every, overrides, ...), and the MNIST runs' lengths. */
export interface MnistReproduceOptions extends ReproduceOptions {
  /** Steps of the four Omnigrok runs (overrides.steps is taken here too). */
  steps?: number;
  longSteps?: number;
  /** Evaluation interval (overrides.evalEvery is taken here too). */
  evalEvery?: number;
  expensiveEvery?: number;
}

export interface MnistReproduceResult {
  out: string;
  settings: MnistReproduceSettings;
  backend: string;
  machine: string;
  seconds: { train: number; analysis: number; report: number; total: number };
  runs: MnistRunAnalysis[];
  claims: ClaimRow[];
  leaderboard: Leaderboard;
}

/** The MNIST analysis file in the output folder. */
export const MNIST_ANALYSIS_FILE = 'mnist-analysis.json';

export async function reproduceMnist(opts: MnistReproduceOptions = {}): Promise<MnistReproduceResult> {
  const out = opts.out ?? 'grokinfo-reproduce-mnist';
  const t0 = performance.now();
  const { steps, evalEvery, ...overrides } = opts.overrides ?? {};
  const settings = mnistReproduceSettings({
    ...opts,
    ...(opts.steps !== undefined || steps !== undefined ? { steps: opts.steps ?? steps } : {}),
    ...(opts.evalEvery !== undefined || evalEvery !== undefined ? { evalEvery: opts.evalEvery ?? evalEvery } : {}),
  });
  // the O-information is always measured here (on every hidden layer); --measure may add nothing else: every
  // progress measure that applies is already on
  const { measure: _m, measures, ...rest } = overrides;
  // a measure named explicitly must still apply to MNIST (a Fourier measure is a coded error, not ignored)
  if (measures?.names !== undefined) checkMeasuresForTask(parseMeasureList(measures.names as string | string[], 'mnist'), 'mnist');
  const plan = planSweep(mnistReproduceDefinition(settings, rest));
  const backend = resolveBackend(opts.backend ?? 'auto');
  const machine = `${cpus()[0]?.model ?? 'unknown CPU'} x ${cpus().length} threads${backend.backend === 'cuda' ? `, ${backend.reason}` : ''}`;
  const progress = opts.progress;
  progress?.line(`reproduce --task mnist: ${plan.runs.length} runs; ${settings.note}; backend ${backend.backend} (${backend.reason})`);
  const sweepDir = join(out, 'sweep');
  await runSweep(sweepDir, plan, { backend: backend.backend, signal: opts.signal, progress });
  const tTrain = performance.now();

  const unfinished: string[] = [];
  const dirs = await listRuns(sweepDir, unfinished);
  if (dirs.length === 0) throw new GrokinfoError('INVALID_DATA', `${sweepDir}: no finished runs after training`);
  const loaded = await Promise.all(dirs.map((d) => loadFinishedRun(d)));
  const runs: MnistRun[] = loaded.map((r) => ({
    id: r.id,
    config: r.config,
    summary: r.summary,
    metrics: r.metrics,
    oinfoByLayer: r.oinfoByLayer,
    htsr: r.measures.filter((m) => m.values.htsr).map((m) => ({ step: m.step, alphaMean: readPath(m.values.htsr, 'alphaMean') })),
  }));
  // the analysis and report layers load here, not with the core (src/README.md)
  const { analyzeMnistRun, mnistClaims } = await import('../analysis/mnist.js');
  const { claimsToMarkdown } = await import('../analysis/claims.js');
  const analyses = runs.map(analyzeMnistRun);
  const claims = mnistClaims(runs);
  const wds = [...new Set(runs.map((r) => r.config.optim.weightDecay))].sort((a, b) => a - b);
  const leaderboard = buildLeaderboard(
    loaded.map((r) => ({ ...r, oinfo: r.oinfo ?? [] })),
    wds.map((wd) => ({ name: `wd=${wd} runs`, select: (c) => c.optim.weightDecay === wd })),
  );
  await writeJsonAtomic(join(sweepDir, 'leaderboard.json'), versioned(leaderboard));
  await writeFileAtomic(join(sweepDir, 'leaderboard.md'), leaderboardToMarkdown(leaderboard));
  await writeJsonAtomic(join(out, MNIST_ANALYSIS_FILE), versioned({ settings, runs: analyses, claims }));
  await writeFileAtomic(join(out, 'claims.md'), claimsToMarkdown(claims));
  const tAn = performance.now();
  progress?.line(`analysis: ${analyses.length} runs: memorisation, grok and anti-grokking steps, phases per hidden layer, ${claims.length} claims, leaderboard of ${leaderboard.rows.length} measures`);
  const seconds = { train: (tTrain - t0) / 1000, analysis: (tAn - tTrain) / 1000, report: 0, total: 0 };
  if (!opts.noReport) {
    const { loadReportDir, writeReport } = await import('../report/index.js');
    const rep = await loadReportDir(sweepDir);
    rep.notes.unshift(
      settings.note,
      `grok threshold (MNIST's task default, src/tasks/mnist.ts): ${runs[0]?.config.grokThreshold}; anti-grokking: test accuracy at least ${ANTI_GROK_MARGIN} below its best while training accuracy stays 1.0 (src/analysis/mnist.ts)`,
      `machine: ${machine}; backend: ${backend.backend} (${backend.reason})`,
      `time: training ${formatDuration(seconds.train)}, analysis ${formatDuration(seconds.analysis)}`,
    );
    await writeReport(rep, { out: join(out, 'report'), claims, title: "grokinfo on MNIST: Omnigrok's grid and the long run without weight decay", progress });
  }
  seconds.report = (performance.now() - tAn) / 1000;
  seconds.total = (performance.now() - t0) / 1000;
  const result: MnistReproduceResult = { out, settings, backend: backend.backend, machine, seconds, runs: analyses, claims, leaderboard };
  await writeJsonAtomic(join(out, 'reproduce.json'), versioned(result));
  progress?.line(`reproduce --task mnist: done in ${formatDuration(seconds.total)}${settings.quick ? ' (quick mode: too short to show late grokking or anti-grokking)' : ''}`);
  return result;
}
