/**
 * The progress-measure leaderboard (docs/measures.md#leaderboard): for every measure, one transition time per
 * run by ONE change-point rule applied to every measure alike, its lead over the grok step, detection and
 * false-alarm rates, and the accuracy of predicting "will grok" from the early window (before any run groks),
 * within each family and across families, beside the weight-norm and train-loss baselines.
 */
import { PAPER_FAMILY_LIST, type RunFamily } from '../config/paper.js';
import { fitLogistic } from '../analysis/predict.js';
import { medianOf, medianWindowFor, runningMedian } from '../analysis/timeline.js';
import { invalidArgument } from '../core/errors.js';
import type { MetricsRecord, OInfoRecord, RunConfig, RunSummary } from '../config/types.js';
import type { MeasuresRecord } from './compute.js';
import { MEASURES, readPath } from './registry.js';

/** Minimum share of the series' variance the two-level fit must explain for a transition to count. */
export const CHANGE_POINT_MIN_R2 = 0.5;
/** Running-median smoothing before the change point, in training steps (as the phase segmenter). */
export const CHANGE_POINT_SMOOTH_STEPS = 25;
/** Fewest points (step > 0) a series needs. */
export const CHANGE_POINT_MIN_POINTS = 6;

export interface ChangePoint {
  /** First step of the second segment, or null when the split explains < CHANGE_POINT_MIN_R2 of the variance or a straight line fits better. */
  step: number | null;
  r2: number;
  /** Share of the variance the best straight line explains (the step fit must beat it). */
  r2Line: number;
  index: number;
}

/**
 * The change-point rule: drop step 0 and every step before `from` (the run's memorisation step: see
 * buildLeaderboard), smooth with a centred running median over ~25 steps, then fit a two-level step function
 * (one mean before, one after) by least squares over every split with at least two points on each side. The
 * transition is the first step after the best split when that fit explains at least half of the variance
 * (R^2 >= 0.5) AND leaves less residual than the least-squares straight line over the same points (an abrupt
 * change, not a drift: a steady ramp is fitted better by the line), else none.
 */
export function changePoint(steps: readonly number[], values: readonly number[], from = 0): ChangePoint {
  if (steps.length !== values.length) throw invalidArgument('values', `one per step (${steps.length})`, values.length);
  if (!Number.isFinite(from) || from < 0) throw invalidArgument('from', 'a step >= 0', from);
  const none = { step: null, r2: 0, r2Line: 0, index: -1 };
  const pts = steps.map((s, i) => [s, values[i]!] as const).filter(([s, v]) => s > 0 && s > from && Number.isFinite(v));
  if (pts.length < CHANGE_POINT_MIN_POINTS) return none;
  const t = pts.map((p) => p[0]);
  const interval = medianOf(t.slice(1).map((s, i) => s - t[i]!));
  const x = runningMedian(
    pts.map((p) => p[1]),
    medianWindowFor(CHANGE_POINT_SMOOTH_STEPS, Math.max(interval, 1)),
  );
  const n = x.length;
  const pre = [0],
    pre2 = [0];
  for (const v of x) {
    pre.push(pre[pre.length - 1]! + v);
    pre2.push(pre2[pre2.length - 1]! + v * v);
  }
  const sse = (a: number, b: number) => {
    const m = b - a;
    const s = pre[b]! - pre[a]!;
    return pre2[b]! - pre2[a]! - (s * s) / m;
  };
  const total = sse(0, n);
  if (!(total > 1e-300 * n)) return none;
  let best = -1,
    bestSse = Infinity;
  for (let k = 2; k <= n - 2; k++) {
    const e = sse(0, k) + sse(k, n);
    if (e < bestSse - 1e-12 * total) {
      bestSse = e;
      best = k;
    }
  }
  const r2 = 1 - bestSse / total;
  // the best straight line through (step, smoothed value)
  const ms = t.reduce((a, s) => a + s, 0) / n,
    mx = pre[n]! / n;
  let sxy = 0,
    sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (t[i]! - ms) * (x[i]! - mx);
    sxx += (t[i]! - ms) ** 2;
  }
  const r2Line = sxx > 0 ? (sxy * sxy) / (sxx * total) : 0;
  return { step: r2 >= CHANGE_POINT_MIN_R2 && r2 > r2Line ? t[best]! : null, r2, r2Line, index: best };
}

/** A run as the leaderboard reads it (src/experiments/runs.ts loadFinishedRun, oinfo null read as none). */
export interface LeaderboardRun {
  id: string;
  config: RunConfig;
  summary: RunSummary;
  metrics: readonly MetricsRecord[];
  oinfo: readonly OInfoRecord[];
  measures: readonly MeasuresRecord[];
}

/** The first of `families` that selects a configuration (null: none does; such runs are in no family). */
const familyOf = (families: readonly RunFamily[], c: RunConfig): string | null => families.find((f) => f.select(c))?.name ?? null;

/** The series the leaderboard ranks: every registry measure (its primary field), and the two baselines from metrics.jsonl. */
export interface SeriesDef {
  name: string;
  field: string;
  baseline: boolean;
  series(run: LeaderboardRun): { steps: number[]; values: number[] };
}

export function seriesDefs(): SeriesDef[] {
  const defs: SeriesDef[] = MEASURES.map((m) => ({
    name: m.name,
    field: m.primary,
    baseline: false,
    series: (run: LeaderboardRun) => {
      if (m.name === 'oinfo') return { steps: run.oinfo.map((r) => r.step), values: run.oinfo.map((r) => r.synergy) };
      const steps: number[] = [],
        values: number[] = [];
      for (const r of run.measures) {
        const v = r.values[m.name] === undefined ? null : readPath(r.values[m.name], m.primary);
        if (v !== null) {
          steps.push(r.step);
          values.push(v);
        }
      }
      return { steps, values };
    },
  }));
  defs.push(
    { name: 'baseline: weight norm', field: 'metrics.weightNorm', baseline: true, series: (r) => ({ steps: r.metrics.map((m) => m.step), values: r.metrics.map((m) => m.weightNorm) }) },
    { name: 'baseline: train loss', field: 'metrics.trainLoss', baseline: true, series: (r) => ({ steps: r.metrics.map((m) => m.step), values: r.metrics.map((m) => m.trainLoss) }) },
  );
  return defs;
}

/** Early-window features of a series up to step T: last smoothed value, change from the first value, least-squares slope (per 1000 steps). */
export function earlyFeatures(steps: readonly number[], values: readonly number[], T: number): number[] | null {
  const idx = steps.map((s, i) => i).filter((i) => steps[i]! > 0 && steps[i]! <= T && Number.isFinite(values[i]!));
  if (idx.length < 3) return null;
  const x = idx.map((i) => steps[i]! / 1000),
    y = idx.map((i) => values[i]!);
  const last = medianOf(y.slice(-3));
  const mx = x.reduce((a, v) => a + v, 0) / x.length,
    my = y.reduce((a, v) => a + v, 0) / y.length;
  let sxy = 0,
    sxx = 0;
  for (let i = 0; i < x.length; i++) {
    sxy += (x[i]! - mx) * (y[i]! - my);
    sxx += (x[i]! - mx) ** 2;
  }
  return [last, last - y[0]!, sxx > 0 ? sxy / sxx : 0];
}

/** Accuracy of a standardised logistic classifier trained on `train` and applied to `test` (null when either is empty). */
export function predictAccuracy(train: { x: number[]; y: number }[], test: { x: number[]; y: number }[]): number | null {
  if (train.length === 0 || test.length === 0) return null;
  const d = train[0]!.x.length;
  const mean = Array.from({ length: d }, (_, k) => train.reduce((a, r) => a + r.x[k]!, 0) / train.length);
  const sd = Array.from({ length: d }, (_, k) => Math.sqrt(train.reduce((a, r) => a + (r.x[k]! - mean[k]!) ** 2, 0) / train.length) || 1);
  const z = (x: number[]) => x.map((v, k) => (v - mean[k]!) / sd[k]!);
  const fit = fitLogistic(
    train.map((r) => z(r.x)),
    train.map((r) => r.y),
  );
  let ok = 0;
  for (const r of test) {
    const s = z(r.x).reduce((a, v, k) => a + v * fit.weights[k]!, fit.bias);
    if ((s > 0 ? 1 : 0) === r.y) ok++;
  }
  return ok / test.length;
}

export interface RunTransition {
  run: string;
  family: string | null;
  /** The first step the training accuracy reached the grok threshold: the search starts after it. */
  memorizeStep: number;
  grokStep: number | null;
  transition: number | null;
  r2: number;
  /** grokStep - transition (positive: the measure moved first). */
  lead: number | null;
}

export interface LeaderboardRow {
  measure: string;
  field: string;
  baseline: boolean;
  /** Runs with a usable series (six or more points after step 0), memorised or not. */
  runs: number;
  grokking: number;
  /** Grokking runs with a transition at or before the grok step. */
  detected: number;
  detectionRate: number | null;
  nonGrokking: number;
  /** Non-grokking runs with a transition. */
  falseAlarms: number;
  falseAlarmRate: number | null;
  /** Median lead over the grok step of the detected runs. */
  medianLead: number | null;
  /** Leave-one-run-out accuracy of "will grok" from the early window, within each family (keyed by family name). */
  withinFamily: Record<string, number | null>;
  /** Trained on one family, tested on another: keyed "<train family> -> <test family>", every ordered pair. */
  acrossFamilies: Record<string, number | null>;
  transitions: RunTransition[];
}

export interface Leaderboard {
  rule: string;
  /** The early window's end: the first grok step of any run (null when none groks). */
  earlyWindowEnd: number | null;
  runs: number;
  /** The families compared (names, in order). */
  families: string[];
  /** Runs left out of the transition counts (not of the prediction) because their training accuracy never reached the threshold. */
  notMemorized: string[];
  rows: LeaderboardRow[];
}

export const LEADERBOARD_RULE =
  `transition = first step after the least-squares two-level split of the series after the run's memorisation step (running median over ~${CHANGE_POINT_SMOOTH_STEPS} steps, >= 2 points per side), counted when the split explains >= ${CHANGE_POINT_MIN_R2} of the variance and more than a straight line does; runs that never memorise have no transition (left out of detection and false alarms, kept for prediction); ` +
  'detected = a grokking run with a transition at or before its grok step; false alarm = a non-grokking run with a transition; ' +
  'prediction = L2 logistic regression on (last value, change, slope) of the series up to the first grok step of any run.';

/**
 * Builds the leaderboard of every measure over a set of runs (failed runs are left out). `families` (default:
 * the paper's alpha and weight-decay runs) decide the within- and across-family prediction columns.
 */
export function buildLeaderboard(runsIn: readonly LeaderboardRun[], families: readonly RunFamily[] = PAPER_FAMILY_LIST): Leaderboard {
  const runs = runsIn.filter((r) => !r.summary.failed);
  const present = families.filter((f) => runs.some((r) => f.select(r.config))).map((f) => f.name);
  const groks = runs.map((r) => r.summary.grokStep).filter((s): s is number => s !== null);
  const T = groks.length ? Math.min(...groks) : null;
  const rows: LeaderboardRow[] = [];
  for (const def of seriesDefs()) {
    const transitions: RunTransition[] = [];
    const examples: { x: number[]; y: number; family: string | null; run: string }[] = [];
    let usable = 0;
    for (const run of runs) {
      const { steps, values } = def.series(run);
      if (steps.filter((s) => s > 0).length < CHANGE_POINT_MIN_POINTS) continue;
      usable++;
      const g = run.summary.grokStep;
      // prediction: every run, memorised or not (a run that never fits its training set is a "will not grok")
      const f = T !== null ? earlyFeatures(steps, values, T) : null;
      if (f) examples.push({ x: f, y: g !== null ? 1 : 0, family: familyOf(families, run.config), run: run.id });
      // transitions: searched after memorisation, so only runs that memorise
      const m = run.summary.memorizeStep;
      if (m === null || steps.filter((s) => s > m).length < CHANGE_POINT_MIN_POINTS) continue;
      const cp = changePoint(steps, values, m);
      transitions.push({ run: run.id, family: familyOf(families, run.config), memorizeStep: m, grokStep: g, transition: cp.step, r2: cp.r2, lead: g !== null && cp.step !== null ? g - cp.step : null });
    }
    if (usable === 0) continue;
    const grok = transitions.filter((t) => t.grokStep !== null);
    const detected = grok.filter((t) => t.transition !== null && t.transition <= t.grokStep!);
    const non = transitions.filter((t) => t.grokStep === null);
    const alarms = non.filter((t) => t.transition !== null);
    const leads = detected.map((t) => t.lead!);
    const withinFamily: Record<string, number | null> = {};
    for (const fam of present) {
      const ex = examples.filter((e) => e.family === fam);
      if (ex.length === 0) continue;
      let ok = 0,
        n = 0;
      for (let i = 0; i < ex.length; i++) {
        const acc = predictAccuracy(
          ex.filter((_, j) => j !== i),
          [ex[i]!],
        );
        if (acc === null) continue;
        ok += acc;
        n++;
      }
      withinFamily[fam] = n ? ok / n : null;
    }
    const acrossFamilies: Record<string, number | null> = {};
    for (const a of present)
      for (const b of present)
        if (a !== b)
          acrossFamilies[`${a} -> ${b}`] = predictAccuracy(
            examples.filter((e) => e.family === a),
            examples.filter((e) => e.family === b),
          );
    rows.push({
      measure: def.name,
      field: def.field,
      baseline: def.baseline,
      runs: usable,
      grokking: grok.length,
      detected: detected.length,
      detectionRate: grok.length ? detected.length / grok.length : null,
      nonGrokking: non.length,
      falseAlarms: alarms.length,
      falseAlarmRate: non.length ? alarms.length / non.length : null,
      medianLead: leads.length ? medianOf(leads) : null,
      withinFamily,
      acrossFamilies,
      transitions,
    });
  }
  // rank: detection minus false alarms, then lead
  const score = (r: LeaderboardRow) => (r.detectionRate ?? 0) - (r.falseAlarmRate ?? 0);
  rows.sort((a, b) => score(b) - score(a) || (b.medianLead ?? -Infinity) - (a.medianLead ?? -Infinity));
  const notMemorized = runs.filter((r) => r.summary.memorizeStep === null).map((r) => r.id);
  return { rule: LEADERBOARD_RULE, earlyWindowEnd: T, runs: runs.length, families: present, notMemorized, rows };
}

const fmt = (v: number | null | undefined, d = 2) => (v === null || v === undefined ? '-' : v.toFixed(d));

export function leaderboardToMarkdown(lb: Leaderboard): string {
  const within = lb.families;
  const pairs = within.flatMap((a) => within.filter((b) => b !== a).map((b) => `${a} -> ${b}`));
  const lines = [
    `Progress-measure leaderboard over ${lb.runs} runs; early window: steps <= ${lb.earlyWindowEnd ?? '-'} (the first grok step of any run); transitions searched after each run's memorisation step` +
      (lb.notMemorized.length ? `; ${lb.notMemorized.length} run(s) never memorised, left out of the transition counts (${lb.notMemorized.join(', ')}).` : '.'),
    '',
    `| measure (field) | detected | false alarms | median lead (steps) |${within.map((f) => ` will-grok acc. within ${f} |`).join('')}${pairs.map((p) => ` ${p} |`).join('')}`,
    `|---|---|---|---|${[...within, ...pairs].map(() => '---|').join('')}`,
  ];
  for (const r of lb.rows)
    lines.push(
      `| ${r.measure} (${r.field}) | ${r.detected}/${r.grokking} | ${r.falseAlarms}/${r.nonGrokking} | ${fmt(r.medianLead, 0)} |${within.map((f) => ` ${fmt(r.withinFamily[f])} |`).join('')}${pairs.map((p) => ` ${fmt(r.acrossFamilies[p])} |`).join('')}`,
    );
  lines.push('', `Rule: ${lb.rule}`);
  return lines.join('\n') + '\n';
}
