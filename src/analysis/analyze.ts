/**
 * `grokinfo analyze`: (re)computes, from the records alone, each run's normalised timeline
 * (timeline.json) and phases (phases.json), and for a sweep the grokking prediction evaluated on
 * held-out configurations and the claims table (analysis.json). Nothing is retrained.
 */
import { PAPER_FAMILY_LIST, type RunFamily } from '../config/paper.js';
import { basename, join } from 'node:path';
import { ablationClaimInput, type AblationResult } from '../experiments/ablate.js';
import { buildClaims, detectPhases, evaluate, normalizeRun, type ClaimRow, type ClaimRun, type EvaluationReport } from './index.js';
import { configKey, runField } from '../config/config.js';
import { GrokinfoError, invalidArgument } from '../core/errors.js';
import { writeFileAtomic, writeJsonAtomic } from '../core/fsutil.js';
import { buildLeaderboard, leaderboardToMarkdown, type Leaderboard } from '../measures/leaderboard.js';
import type { ProgressSink } from '../core/progress.js';
import { versioned } from '../core/version.js';
import { groupRuns, loadFinishedRun, type FinishedRun, type LoadedRun } from '../experiments/runs.js';
import { getPath } from '../config/schema.js';
import { listRuns } from '../experiments/sweep.js';
import type { PhasesFile, RunConfig, Timeline } from '../config/types.js';

export { loadFinishedRun as loadRun, type FinishedRun, type LoadedRun };

export interface RunAnalysis {
  timeline: Timeline | null;
  phases: PhasesFile | null;
}

/** Timeline and phases of one run, written to timeline.json and phases.json (when it was measured). */
export async function analyzeRun(run: FinishedRun): Promise<RunAnalysis> {
  if (!run.oinfo || run.oinfo.length < 3 || run.summary.failed) return { timeline: null, phases: null };
  const timeline = normalizeRun(run.oinfo);
  const phases = detectPhases(run.metrics, run.oinfo, { grokThreshold: run.config.grokThreshold });
  await writeJsonAtomic(join(run.dir, 'timeline.json'), versioned(timeline));
  await writeJsonAtomic(join(run.dir, 'phases.json'), versioned(phases));
  return { timeline, phases };
}

export interface PredictionSplit {
  name: string;
  /** Labels of the configurations trained on and held out. */
  train: string[];
  heldOut: string[];
  report: EvaluationReport | null;
  error: string | null;
}

export interface ConfigurationSummary {
  /** Names only the fields that vary within the sweep ("wd=0.1", "lr=0.01"). */
  label: string;
  /** configKey: the full configuration. */
  key: string;
  runs: number;
  grokked: number;
  meanGrokStep: number | null;
  meanFinalTestAcc: number;
}

export interface SweepAnalysis {
  runs: number;
  configurations: ConfigurationSummary[];
  prediction: PredictionSplit[];
  claims: ClaimRow[];
  /** Every progress measure ranked (src/measures/leaderboard.ts); also leaderboard.json and leaderboard.md. */
  leaderboard: Leaderboard;
}

/** A family of configurations for held-out prediction: a name and which configurations belong to it. */
export type Family = RunFamily;

/**
 * How configurations are split into families for prediction (each family is predicted by a model
 * trained on the others): a configuration field (one family per value, e.g. 'optim.optimizer'), or
 * explicit families (predicates).
 */
export type FamilySplit = { field: string } | { families: Family[] };

/** The paper's split (§6): the alpha runs (constant norm) against the weight-decay runs; each held out in turn. */
export const PAPER_FAMILIES: FamilySplit = { families: [...PAPER_FAMILY_LIST] };

function familiesOf(runs: readonly LoadedRun[], split: FamilySplit): Family[] {
  if ('field' in split) {
    const f = runField(split.field);
    const values = [...new Set(runs.map((r) => JSON.stringify(getPath(r.config, f.path))))].sort();
    return values.map((v) => ({ name: `${f.label ?? f.path}=${JSON.parse(v)} runs`, select: (c: RunConfig) => JSON.stringify(getPath(c, f.path)) === v }));
  }
  if (!Array.isArray(split.families) || split.families.some((x) => typeof x?.name !== 'string' || typeof x.select !== 'function'))
    throw invalidArgument('families', 'a list of {name, select(config) -> boolean}', split.families);
  return split.families;
}

/**
 * Held-out splits over whole configurations (configKey): with families, each family that has runs is
 * predicted by a model trained on the other families' runs; without, the paper's split when both of
 * its families are present, else every other configuration (sorted by label).
 */
export function predictionSplits(runs: readonly LoadedRun[], split?: FamilySplit): { name: string; train: string[]; heldOut: string[]; trainKeys: string[]; heldOutKeys: string[] }[] {
  const groups = groupRuns([...runs]);
  const labelOf = new Map(groups.map((g) => [g.key, g.label]));
  const keysWhere = (sel: (c: RunConfig) => boolean) => groups.filter((g) => sel(g.runs[0].config)).map((g) => g.key);
  const out = (name: string, trainKeys: string[], heldOutKeys: string[]) => ({
    name,
    train: trainKeys.map((k) => labelOf.get(k)!),
    heldOut: heldOutKeys.map((k) => labelOf.get(k)!),
    trainKeys,
    heldOutKeys,
  });
  const families = split ? familiesOf(runs, split) : familiesOf(runs, PAPER_FAMILIES);
  const members = families.map((f) => ({ f, keys: keysWhere(f.select) })).filter((x) => x.keys.length > 0);
  if (members.length >= 2 || split) {
    return members.map(({ f, keys }) => {
      const others = members.filter((m) => m.f !== f);
      const trainKeys = others.flatMap((m) => m.keys).filter((k) => !keys.includes(k));
      return out(`train on ${others.map((m) => m.f.name).join(' and ')}, predict ${f.name}`, trainKeys, keys);
    }).filter((s) => s.trainKeys.length > 0);
  }
  const sorted = [...groups].sort((a, b) => a.label.localeCompare(b.label)).map((g) => g.key);
  if (sorted.length < 2) return [];
  return [out('train on even configurations, predict odd ones', sorted.filter((_, i) => i % 2 === 0), sorted.filter((_, i) => i % 2 === 1))];
}

export interface AnalyzeOptions {
  ablations?: AblationResult[];
  progress?: ProgressSink;
  /** Families for held-out prediction (default: the paper's weight-decay / alpha split where both exist). */
  families?: FamilySplit;
}

export async function analyzeSweep(dir: string, opts: AnalyzeOptions = {}): Promise<SweepAnalysis> {
  const unfinished: string[] = [];
  const dirs = await listRuns(dir, unfinished);
  if (dirs.length === 0) throw new GrokinfoError('INVALID_ARGUMENT', `${dir} has no finished runs${unfinished.length ? ` (${unfinished.length} unfinished: rerun the sweep to finish them)` : ''}`);
  if (unfinished.length)
    opts.progress?.line(`analysis: ${unfinished.length} unfinished run(s) left out (rerun the sweep to finish them): ${unfinished.map((d) => basename(d)).join(', ')}`);
  const runs: FinishedRun[] = [];
  const claimRuns: ClaimRun[] = [];
  for (const d of dirs) {
    const run = await loadFinishedRun(d);
    const { phases } = await analyzeRun(run);
    runs.push(run);
    claimRuns.push({ config: run.config, summary: run.summary, metrics: run.metrics, oinfo: run.oinfo ?? [], ...(phases ? { phases } : {}) });
  }
  opts.progress?.line(`analysis: ${runs.length} runs: timelines and phases written`);
  const configurations = groupRuns(runs).map(({ key, label, runs: rs }) => {
    const grok = rs.map((r) => r.summary.grokStep).filter((s): s is number => s !== null);
    return {
      label,
      key,
      runs: rs.length,
      grokked: grok.length,
      meanGrokStep: grok.length ? grok.reduce((a, b) => a + b, 0) / grok.length : null,
      meanFinalTestAcc: rs.reduce((a, r) => a + r.summary.finalTestAcc, 0) / rs.length,
    };
  });
  const measured = runs.filter((r) => r.oinfo && r.oinfo.length > 0).map((r) => ({ ...r, oinfo: r.oinfo! }));
  const prediction: PredictionSplit[] = predictionSplits(measured, opts.families).map(({ trainKeys, heldOutKeys, ...s }) => {
    try {
      const tk = new Set(trainKeys);
      const hk = new Set(heldOutKeys);
      const report = evaluate(measured, { trainConfigs: [(c) => tk.has(configKey(c))], heldOutConfigs: [(c) => hk.has(configKey(c))] });
      return { ...s, report, error: null };
    } catch (e) {
      return { ...s, report: null, error: (e as Error).message };
    }
  });
  const { ablation, skipped: ablationSkipped } = ablationClaimInput(opts.ablations ?? []);
  const claims = buildClaims({ runs: claimRuns, ...(ablation.length ? { ablation } : {}), ablationSkipped });
  const leaderboard = buildLeaderboard(
    runs.map((r) => ({ ...r, oinfo: r.oinfo ?? [] })),
    familiesOf(runs, opts.families ?? PAPER_FAMILIES),
  );
  await writeJsonAtomic(join(dir, 'leaderboard.json'), versioned(leaderboard));
  await writeFileAtomic(join(dir, 'leaderboard.md'), leaderboardToMarkdown(leaderboard));
  const analysis: SweepAnalysis = { runs: runs.length, configurations, prediction, claims, leaderboard };
  await writeJsonAtomic(join(dir, 'analysis.json'), versioned(analysis));
  return analysis;
}
