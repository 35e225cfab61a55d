/**
 * `grokinfo analyze`: (re)computes, from the records alone, each run's normalised timeline
 * (timeline.json) and phases (phases.json), and for a sweep the grokking prediction evaluated on
 * held-out configurations and the claims table (analysis.json). Nothing is retrained.
 */
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ablationClaimInput, type AblationResult } from './ablate.js';
import {
  buildClaims,
  configLabel,
  detectPhases,
  evaluate,
  normalizeRun,
  type ClaimRow,
  type ClaimRun,
  type EvaluationReport,
} from './analysis/index.js';
import { GrokinfoError } from './errors.js';
import { readJson, readJsonl, writeJsonAtomic } from './fsutil.js';
import type { ProgressSink } from './progress.js';
import { checkSummary } from './run.js';
import { listRuns } from './sweep.js';
import type { MetricsRecord, OInfoRecord, PhasesFile, RunConfig, RunSummary, Timeline } from './types.js';

export interface LoadedRun {
  dir: string;
  id: string;
  config: RunConfig;
  summary: RunSummary;
  metrics: MetricsRecord[];
  oinfo: OInfoRecord[];
}

export async function loadRun(dir: string): Promise<LoadedRun> {
  if (!existsSync(join(dir, 'summary.json'))) throw new GrokinfoError('INVALID_ARGUMENT', `${dir} is not a finished run (no summary.json)`);
  const config = await readJson<RunConfig>(join(dir, 'config.json'));
  const summary = checkSummary(await readJson<unknown>(join(dir, 'summary.json')), join(dir, 'summary.json'));
  return { dir, id: basename(dir), config, summary, metrics: readJsonl(join(dir, 'metrics.jsonl')), oinfo: readJsonl(join(dir, 'oinfo.jsonl')) };
}

export interface RunAnalysis {
  timeline: Timeline | null;
  phases: PhasesFile | null;
}

/** Timeline and phases of one run, written to timeline.json and phases.json (when it was measured). */
export async function analyzeRun(run: LoadedRun): Promise<RunAnalysis> {
  if (run.oinfo.length < 3 || run.summary.failed) return { timeline: null, phases: null };
  const timeline = normalizeRun(run.oinfo);
  const phases = detectPhases(run.metrics, run.oinfo);
  await writeJsonAtomic(join(run.dir, 'timeline.json'), timeline);
  await writeJsonAtomic(join(run.dir, 'phases.json'), phases);
  return { timeline, phases };
}

export interface PredictionSplit {
  name: string;
  train: string[];
  heldOut: string[];
  report: EvaluationReport | null;
  error: string | null;
}

export interface SweepAnalysis {
  runs: number;
  configurations: { label: string; runs: number; grokked: number; meanGrokStep: number | null; meanFinalTestAcc: number }[];
  prediction: PredictionSplit[];
  claims: ClaimRow[];
}

/** Held-out splits: the weight-decay family against the alpha family (both ways) when both exist, else half of the configurations. */
export function predictionSplits(runs: LoadedRun[]): { name: string; train: string[]; heldOut: string[] }[] {
  const labels = [...new Set(runs.map((r) => configLabel(r.config)))].sort();
  const wd = [...new Set(runs.filter((r) => !r.config.init.constantNorm).map((r) => configLabel(r.config)))].sort();
  const alpha = [...new Set(runs.filter((r) => r.config.init.constantNorm).map((r) => configLabel(r.config)))].sort();
  if (wd.length && alpha.length)
    return [
      { name: 'train on weight-decay runs, predict alpha runs', train: wd, heldOut: alpha },
      { name: 'train on alpha runs, predict weight-decay runs', train: alpha, heldOut: wd },
    ];
  if (labels.length < 2) return [];
  return [{ name: 'train on even configurations, predict odd ones', train: labels.filter((_, i) => i % 2 === 0), heldOut: labels.filter((_, i) => i % 2 === 1) }];
}

export async function analyzeSweep(dir: string, opts: { ablations?: AblationResult[]; progress?: ProgressSink } = {}): Promise<SweepAnalysis> {
  const unfinished: string[] = [];
  const dirs = await listRuns(dir, unfinished);
  if (dirs.length === 0) throw new GrokinfoError('INVALID_ARGUMENT', `${dir} has no finished runs${unfinished.length ? ` (${unfinished.length} unfinished: rerun the sweep to finish them)` : ''}`);
  if (unfinished.length)
    opts.progress?.line(`analysis: ${unfinished.length} unfinished run(s) left out (rerun the sweep to finish them): ${unfinished.map((d) => basename(d)).join(', ')}`);
  const runs: LoadedRun[] = [];
  const claimRuns: ClaimRun[] = [];
  for (const d of dirs) {
    const run = await loadRun(d);
    const { phases } = await analyzeRun(run);
    runs.push(run);
    claimRuns.push({ config: run.config, summary: run.summary, metrics: run.metrics, oinfo: run.oinfo, ...(phases ? { phases } : {}) });
  }
  opts.progress?.line(`analysis: ${runs.length} runs: timelines and phases written`);
  const byLabel = new Map<string, LoadedRun[]>();
  for (const r of runs) {
    const l = configLabel(r.config);
    if (!byLabel.has(l)) byLabel.set(l, []);
    byLabel.get(l)!.push(r);
  }
  const configurations = [...byLabel.entries()].map(([label, rs]) => {
    const grok = rs.map((r) => r.summary.grokStep).filter((s): s is number => s !== null);
    return {
      label,
      runs: rs.length,
      grokked: grok.length,
      meanGrokStep: grok.length ? grok.reduce((a, b) => a + b, 0) / grok.length : null,
      meanFinalTestAcc: rs.reduce((a, r) => a + r.summary.finalTestAcc, 0) / rs.length,
    };
  });
  const measured = runs.filter((r) => r.oinfo.length > 0);
  const prediction: PredictionSplit[] = predictionSplits(measured).map((s) => {
    try {
      const report = evaluate(measured, { trainConfigs: s.train, heldOutConfigs: s.heldOut });
      return { ...s, report, error: null };
    } catch (e) {
      return { ...s, report: null, error: (e as Error).message };
    }
  });
  const { ablation, skipped: ablationSkipped } = ablationClaimInput(opts.ablations ?? []);
  const claims = buildClaims({ runs: claimRuns, ...(ablation.length ? { ablation } : {}), ablationSkipped });
  const analysis: SweepAnalysis = { runs: runs.length, configurations, prediction, claims };
  await writeJsonAtomic(join(dir, 'analysis.json'), analysis);
  return analysis;
}
