/**
 * Predicting grokking online from the measures up to step t (METHOD.md §3, §6: an early synergy peak precedes
 * grokking; runs that do not grok show low synergy), with two baselines on the same runs: the weight-norm
 * trend and the train loss. One classifier for all three: L2-regularised logistic regression on standardised
 * features, fitted by Newton's method. The algorithm and every threshold are documented in README.md.
 */
import { GrokinfoError, invalidArgument } from '../core/errors.js';
import { configKey, configMatches, configurationLabels } from '../config/config.js';
import type { MetricsRecord, OInfoRecord, RunConfig, RunSummary } from '../config/types.js';
import { measuredRecords, medianOf, toBits } from './timeline.js';

export type PredictorKind = 'synergy' | 'weightNorm' | 'trainLoss';
export const PREDICTOR_KINDS: readonly PredictorKind[] = ['synergy', 'weightNorm', 'trainLoss'];

export const FEATURE_NAMES: Record<PredictorKind, readonly string[]> = {
  synergy: ['maxSynergyBits', 'synergyGrowthBits', 'redundancyTrendBitsPer1000'],
  weightNorm: ['logWeightNormRatio', 'logWeightNormTrendPer1000'],
  trainLoss: ['logTrainLoss', 'logTrainLossTrendPer1000'],
};

/** Records of one run, as written by training and measurement. */
export interface RunRecords {
  config: RunConfig;
  metrics: MetricsRecord[];
  oinfo: OInfoRecord[];
  summary: RunSummary;
}

export interface FeatureOptions {
  /** Number of most recent records the trend features are fitted over (default 20). */
  trendWindow?: number;
  /** Number of first measured values averaged into the synergy baseline (default 3). */
  baselineCount?: number;
}

/** Least-squares slope of y on x (0 when fewer than 2 points or x constant). */
export function lsSlope(x: readonly number[], y: readonly number[]): number {
  const n = x.length;
  if (n < 2) return 0;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i]!;
    my += y[i]!;
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i]! - mx) * (y[i]! - my);
    sxx += (x[i]! - mx) ** 2;
  }
  return sxx > 0 ? sxy / sxx : 0;
}

/**
 * Features of one predictor at step t from the records with step <= t (null when there are none yet).
 * synergy: max of -Omega_min so far (bits); that max minus the mean of the first `baselineCount` measured
 * values; least-squares slope of Omega_max over the last `trendWindow` measured steps (bits per 1000 steps).
 * Step 0 is excluded, as in the paper's timelines.
 * weightNorm: ln(|w|_t / |w|_first); slope of ln|w| over the last trendWindow metrics records (per 1000 steps).
 * trainLoss: ln(train loss at t); slope of ln(train loss) over the last trendWindow records (per 1000 steps).
 */
export function featuresAt(
  kind: PredictorKind,
  records: { metrics: readonly MetricsRecord[]; oinfo: readonly OInfoRecord[] },
  t: number,
  opts: FeatureOptions = {},
): number[] | null {
  const W = opts.trendWindow ?? 20;
  const B = opts.baselineCount ?? 3;
  if (kind === 'synergy') {
    const rs = records.oinfo.filter((r) => r.step !== 0 && r.step <= t);
    if (rs.length === 0) return null;
    const syn = rs.map((r) => -toBits(r.synergy, r.units));
    const max = Math.max(...syn);
    const base = syn.slice(0, B).reduce((a, b) => a + b, 0) / Math.min(B, syn.length);
    const tail = rs.slice(-W);
    const slope = lsSlope(tail.map((r) => r.step / 1000), tail.map((r) => toBits(r.redundancy, r.units)));
    return [max, max - base, slope];
  }
  const ms = records.metrics.filter((m) => m.step <= t);
  if (ms.length === 0) return null;
  const tail = ms.slice(-W);
  const x = tail.map((m) => m.step / 1000);
  if (kind === 'weightNorm') {
    const ln = (v: number) => Math.log(Math.max(v, 1e-12));
    return [ln(ms[ms.length - 1]!.weightNorm) - ln(ms[0]!.weightNorm), lsSlope(x, tail.map((m) => ln(m.weightNorm)))];
  }
  if (kind === 'trainLoss') {
    const ln = (v: number) => Math.log(Math.max(v, 1e-12));
    return [ln(ms[ms.length - 1]!.trainLoss), lsSlope(x, tail.map((m) => ln(m.trainLoss)))];
  }
  throw invalidArgument('kind', PREDICTOR_KINDS.join(' | '), kind);
}

/** Solves A x = b (small dense system) by Gaussian elimination with partial pivoting. */
function solve(A: number[][], b: number[]): number[] {
  const n = b.length;
  const M = A.map((row, i) => [...row, b[i]!]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r]![c]!) > Math.abs(M[p]![c]!)) p = r;
    [M[c], M[p]] = [M[p]!, M[c]!];
    const piv = M[c]![c]!;
    if (Math.abs(piv) < 1e-300) throw new GrokinfoError('INTERNAL', 'logistic regression: singular Newton system');
    for (let r = c + 1; r < n; r++) {
      const f = M[r]![c]! / piv;
      for (let k = c; k <= n; k++) M[r]![k]! -= f * M[c]![k]!;
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = M[r]![n]!;
    for (let k = r + 1; k < n; k++) s -= M[r]![k]! * x[k]!;
    x[r] = s / M[r]![r]!;
  }
  return x;
}

const sigmoid = (z: number) => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

export interface LogisticFit {
  weights: number[];
  bias: number;
  iterations: number;
}

/**
 * Weighted L2-regularised logistic regression by Newton's method. Minimises
 *   L(w, b) = sum_i v_i [ -y_i ln p_i - (1 - y_i) ln(1 - p_i) ] / sum_i v_i + ridge/2 |w|^2,  p_i = sigmoid(w.x_i + b)
 * (the bias is not penalised). Stops when the Newton step is below 1e-10 or after 100 iterations.
 */
export function fitLogistic(X: readonly number[][], y: readonly number[], v?: readonly number[], ridge = 1e-2): LogisticFit {
  const n = X.length;
  if (n === 0) throw invalidArgument('X', 'at least one example');
  if (y.length !== n || (v && v.length !== n)) throw invalidArgument('y, v', `arrays of the length of X (${n})`);
  if (!(ridge > 0)) throw invalidArgument('ridge', 'a number > 0', ridge);
  const d = X[0]!.length;
  const vw = v ?? new Array<number>(n).fill(1);
  const V = vw.reduce((a, b) => a + b, 0);
  for (let i = 0; i < n; i++) {
    if (X[i]!.length !== d || !X[i]!.every(Number.isFinite)) throw new GrokinfoError('INVALID_DATA', `X row ${i}: ${d} finite numbers expected`, { row: i });
    if (y[i] !== 0 && y[i] !== 1) throw new GrokinfoError('INVALID_DATA', `y[${i}] must be 0 or 1`, { row: i });
  }
  let beta = new Array<number>(d + 1).fill(0); // [w..., b]
  let it = 0;
  for (; it < 100; it++) {
    const g = new Array<number>(d + 1).fill(0);
    const H = Array.from({ length: d + 1 }, () => new Array<number>(d + 1).fill(0));
    for (let i = 0; i < n; i++) {
      const xi = [...X[i]!, 1];
      let z = 0;
      for (let k = 0; k <= d; k++) z += beta[k]! * xi[k]!;
      const p = sigmoid(z);
      const wi = vw[i]! / V;
      for (let k = 0; k <= d; k++) {
        g[k]! += wi * (p - y[i]!) * xi[k]!;
        for (let l = 0; l <= d; l++) H[k]![l]! += wi * p * (1 - p) * xi[k]! * xi[l]!;
      }
    }
    for (let k = 0; k < d; k++) {
      g[k]! += ridge * beta[k]!;
      H[k]![k]! += ridge;
    }
    H[d]![d]! += 1e-12;
    const step = solve(H, g);
    beta = beta.map((b, k) => b - step[k]!);
    if (Math.sqrt(step.reduce((a, s) => a + s * s, 0)) < 1e-10) {
      it++;
      break;
    }
  }
  return { weights: beta.slice(0, d), bias: beta[d]!, iterations: it };
}

export interface PredictModel {
  kind: PredictorKind;
  features: readonly string[];
  /** Standardisation: (x - mean) / scale. */
  mean: number[];
  scale: number[];
  weights: number[];
  bias: number;
  /** Predict "groks" when score >= threshold (0.5). */
  threshold: number;
  ridge: number;
  featureOptions: FeatureOptions;
  trainedOn: { runs: number; examples: number; grokking: number; notGrokking: number };
}

export interface TrainOptions extends FeatureOptions {
  /** L2 penalty on the standardised weights (default 0.01). */
  ridge?: number;
  /** At most this many evenly spaced steps per run are used as training examples (default 200). */
  maxExamplesPerRun?: number;
}

/** The steps a run is evaluated at: its measured O-information steps (step 0 excluded), else its metrics steps. */
export function evaluationSteps(run: { metrics: readonly MetricsRecord[]; oinfo: readonly OInfoRecord[] }): number[] {
  const o = run.oinfo.filter((r) => r.step !== 0).map((r) => r.step);
  return o.length > 0 ? o : run.metrics.map((m) => m.step);
}

function evenly<T>(xs: readonly T[], k: number): T[] {
  if (xs.length <= k) return xs.slice();
  return Array.from({ length: k }, (_, i) => xs[Math.round((i * (xs.length - 1)) / (k - 1))]!);
}

function checkRun(run: RunRecords, i: number): void {
  if (!run || !Array.isArray(run.metrics) || !Array.isArray(run.oinfo) || !run.summary || !run.config) {
    throw invalidArgument(`runs[${i}]`, 'an object {config, metrics, oinfo, summary}');
  }
  measuredRecords(run.oinfo, false);
  run.metrics.forEach((m, r) => {
    for (const k of ['step', 'trainLoss', 'weightNorm'] as const) {
      if (!Number.isFinite(m[k])) throw new GrokinfoError('INVALID_DATA', `runs[${i}].metrics row ${r}: ${k} is not finite`, { run: i, row: r, field: k });
    }
    if (r > 0 && !(m.step > run.metrics[r - 1]!.step)) throw new GrokinfoError('INVALID_DATA', `runs[${i}].metrics row ${r}: step does not increase`, { run: i, row: r });
  });
}

/** Whether the run grokked (ground truth): summary.grokStep is not null. */
export const groks = (run: { summary: RunSummary }) => run.summary.grokStep !== null;

/**
 * Fits one predictor on training runs: examples are (features at step t, run groks) for up to
 * maxExamplesPerRun evaluation steps per run; weights make every run count equally and both classes equally.
 */
export function trainPredictor(kind: PredictorKind, runs: readonly RunRecords[], opts: TrainOptions = {}): PredictModel {
  if (!PREDICTOR_KINDS.includes(kind)) throw invalidArgument('kind', PREDICTOR_KINDS.join(' | '), kind);
  const ridge = opts.ridge ?? 1e-2;
  const maxPer = opts.maxExamplesPerRun ?? 200;
  if (!(Number.isInteger(maxPer) && maxPer >= 2)) throw invalidArgument('maxExamplesPerRun', 'an integer >= 2', maxPer);
  runs.forEach(checkRun);
  const fo: FeatureOptions = {};
  if (opts.trendWindow !== undefined) fo.trendWindow = opts.trendWindow;
  if (opts.baselineCount !== undefined) fo.baselineCount = opts.baselineCount;
  const X: number[][] = [];
  const y: number[] = [];
  const runOf: number[] = [];
  runs.forEach((run, i) => {
    for (const t of evenly(evaluationSteps(run), maxPer)) {
      const f = featuresAt(kind, run, t, fo);
      if (f === null) continue;
      X.push(f);
      y.push(groks(run) ? 1 : 0);
      runOf.push(i);
    }
  });
  const usedRuns = new Set(runOf);
  const pos = [...usedRuns].filter((i) => groks(runs[i]!)).length;
  const neg = usedRuns.size - pos;
  if (pos === 0 || neg === 0) {
    throw new GrokinfoError('INVALID_DATA', `training runs with ${kind} features must include runs that grok and runs that do not (got ${pos} and ${neg})`, { kind, pos, neg });
  }
  const perRun = new Map<number, number>();
  runOf.forEach((i) => perRun.set(i, (perRun.get(i) ?? 0) + 1));
  const v = runOf.map((i) => 1 / perRun.get(i)! / (groks(runs[i]!) ? pos : neg));
  const d = X[0]!.length;
  const mean = Array.from({ length: d }, (_, k) => X.reduce((a, x) => a + x[k]!, 0) / X.length);
  const scale = Array.from({ length: d }, (_, k) => {
    const sd = Math.sqrt(X.reduce((a, x) => a + (x[k]! - mean[k]!) ** 2, 0) / X.length);
    return sd > 0 ? sd : 1;
  });
  const Z = X.map((x) => x.map((val, k) => (val - mean[k]!) / scale[k]!));
  const fit = fitLogistic(Z, y, v, ridge);
  return {
    kind,
    features: FEATURE_NAMES[kind],
    mean,
    scale,
    weights: fit.weights,
    bias: fit.bias,
    threshold: 0.5,
    ridge,
    featureOptions: fo,
    trainedOn: { runs: usedRuns.size, examples: X.length, grokking: pos, notGrokking: neg },
  };
}

export interface OnlinePrediction {
  step: number;
  groks: boolean;
  /** Model probability that the run groks. */
  score: number;
  features: number[];
}

/**
 * Prediction from the records up to step t (default: the last step present). Only records with step <= t are
 * read, so passing a run's full records with a t is the same as passing its records truncated at t.
 * Returns null when there is no record up to t for this predictor.
 */
export function predictOnline(
  model: PredictModel,
  records: { metrics: readonly MetricsRecord[]; oinfo: readonly OInfoRecord[] },
  t?: number,
): OnlinePrediction | null {
  const step = t ?? Math.max(records.metrics[records.metrics.length - 1]?.step ?? -Infinity, records.oinfo[records.oinfo.length - 1]?.step ?? -Infinity);
  if (!Number.isFinite(step)) return null;
  const f = featuresAt(model.kind, records, step, model.featureOptions);
  if (f === null) return null;
  let z = model.bias;
  for (let k = 0; k < f.length; k++) z += (model.weights[k]! * (f[k]! - model.mean[k]!)) / model.scale[k]!;
  const score = sigmoid(z);
  return { step, groks: score >= model.threshold, score, features: f };
}

/**
 * Configurations to select: a string is a configuration key (configKey) or `name=value` terms that
 * must all match ("wd=2 alpha=1", "lr=0.01": schema labels or paths, see configMatches); or a predicate.
 */
export type ConfigSelector = string | ((config: RunConfig) => boolean);

function selects(sel: readonly ConfigSelector[], c: RunConfig): boolean {
  return sel.some((s) => (typeof s === 'string' ? configMatches(s, c) : s(c)));
}

export interface RunPrediction {
  kind: PredictorKind;
  /** Prediction at the last evaluation step. */
  finalGroks: boolean;
  finalScore: number;
  correctFinal: boolean;
  /** First evaluation step from which every prediction is correct (null if the last one is wrong). */
  stableFromStep: number | null;
  /** grokStep - stableFromStep for grokking runs (negative: right only after grokking); null otherwise. */
  leadTime: number | null;
  /** Predictions at the horizons (the last evaluation step <= h); null where there is none. */
  atHorizon: Record<string, boolean | null>;
}

export interface RunEvaluation {
  name: string;
  label: string;
  seed: number;
  groks: boolean;
  grokStep: number | null;
  /** 'ok', or why the run was not evaluated ('failed: ...'). */
  status: string;
  predictions: RunPrediction[];
}

export interface PredictorSummary {
  kind: PredictorKind;
  model: PredictModel | null;
  /** Why there is no model (e.g. no training run with O-information), or null. */
  error: string | null;
  heldOutRuns: number;
  correctFinal: number;
  accuracyFinal: number | null;
  /** Non-grokking runs predicted to grok, and grokking runs predicted not to, at the last step. */
  falsePositives: number;
  falseNegatives: number;
  accuracyAt: Record<string, number | null>;
  grokkingRuns: number;
  /** Grokking runs predicted correctly (and stably) before their grok step. */
  predictedBeforeGrok: number;
  meanLeadTime: number | null;
  medianLeadTime: number | null;
}

export interface EvaluateOptions extends TrainOptions {
  trainConfigs: ConfigSelector[];
  heldOutConfigs: ConfigSelector[];
  /** Steps at which to report held-out accuracy (prediction from records up to each). Default none. */
  horizons?: number[];
  kinds?: PredictorKind[];
}

export interface EvaluationReport {
  trainRuns: number;
  heldOutRuns: number;
  excluded: { name: string; reason: string }[];
  predictors: PredictorSummary[];
  runs: RunEvaluation[];
}

const median = (xs: number[]) => (xs.length === 0 ? null : medianOf(xs));

/**
 * Trains each predictor on the runs of trainConfigs and evaluates it on the runs of heldOutConfigs. A run in
 * both is an error; runs in neither are ignored; failed runs (summary.failed) are listed in `excluded`.
 */
export function evaluate(runs: readonly RunRecords[], opts: EvaluateOptions): EvaluationReport {
  if (!Array.isArray(runs)) throw invalidArgument('runs', 'an array of {config, metrics, oinfo, summary}');
  if (!opts || !Array.isArray(opts.trainConfigs) || opts.trainConfigs.length === 0) throw invalidArgument('trainConfigs', 'a non-empty array of config labels or predicates');
  if (!Array.isArray(opts.heldOutConfigs) || opts.heldOutConfigs.length === 0) throw invalidArgument('heldOutConfigs', 'a non-empty array of config labels or predicates');
  const kinds = opts.kinds ?? [...PREDICTOR_KINDS];
  kinds.forEach((k) => {
    if (!PREDICTOR_KINDS.includes(k)) throw invalidArgument('kinds', PREDICTOR_KINDS.join(' | '), k);
  });
  const horizons = opts.horizons ?? [];
  runs.forEach(checkRun);
  const labels = configurationLabels(runs.map((r) => r.config));
  const labelOf = (c: RunConfig) => labels.get(configKey(c))!;
  const excluded: { name: string; reason: string }[] = [];
  const train: RunRecords[] = [];
  const held: RunRecords[] = [];
  runs.forEach((r, i) => {
    const name = r.config.name ?? `runs[${i}]`;
    const inTrain = selects(opts.trainConfigs, r.config);
    const inHeld = selects(opts.heldOutConfigs, r.config);
    if (inTrain && inHeld) throw invalidArgument('trainConfigs/heldOutConfigs', `disjoint selections (run ${name}, ${labelOf(r.config)}, is in both)`);
    if (!inTrain && !inHeld) return;
    if (r.summary.failed !== null) {
      excluded.push({ name, reason: `failed: ${r.summary.failed}` });
      return;
    }
    (inTrain ? train : held).push(r);
  });
  if (held.length === 0) throw new GrokinfoError('INVALID_DATA', 'no usable run in heldOutConfigs');
  const evals: RunEvaluation[] = held.map((r, i) => ({
    name: r.config.name ?? `heldOut[${i}]`,
    label: labelOf(r.config),
    seed: r.config.init.seed,
    groks: groks(r),
    grokStep: r.summary.grokStep,
    status: 'ok',
    predictions: [],
  }));
  const summaries: PredictorSummary[] = [];
  for (const kind of kinds) {
    let model: PredictModel | null = null;
    let error: string | null = null;
    try {
      model = trainPredictor(kind, kind === 'synergy' ? train.filter((r) => r.oinfo.some((o) => o.step !== 0)) : train, opts);
    } catch (e) {
      if (!(e instanceof GrokinfoError) || e.code !== 'INVALID_DATA') throw e;
      error = e.message;
    }
    const leads: number[] = [];
    let nHeld = 0;
    let nCorrect = 0;
    let nGrok = 0;
    let nBefore = 0;
    let fp = 0;
    let fn = 0;
    const atCounts = horizons.map(() => ({ n: 0, ok: 0 }));
    held.forEach((run, i) => {
      if (!model) return;
      const steps = evaluationSteps(run);
      const preds = steps.map((t) => predictOnline(model!, run, t));
      const valid = preds.filter((p): p is OnlinePrediction => p !== null);
      if (valid.length === 0) return;
      const truth = groks(run);
      let stable: number | null = null;
      for (let j = valid.length - 1; j >= 0 && valid[j]!.groks === truth; j--) stable = valid[j]!.step;
      const last = valid[valid.length - 1]!;
      const grokStep = run.summary.grokStep;
      const lead = truth && stable !== null && grokStep !== null ? grokStep - stable : null;
      const atHorizon: Record<string, boolean | null> = {};
      horizons.forEach((h, k) => {
        const p = valid.filter((q) => q.step <= h).pop() ?? null;
        atHorizon[String(h)] = p ? p.groks : null;
        if (p) {
          atCounts[k]!.n++;
          if (p.groks === truth) atCounts[k]!.ok++;
        }
      });
      evals[i]!.predictions.push({
        kind,
        finalGroks: last.groks,
        finalScore: last.score,
        correctFinal: last.groks === truth,
        stableFromStep: stable,
        leadTime: lead,
        atHorizon,
      });
      nHeld++;
      if (last.groks === truth) nCorrect++;
      else if (truth) fn++;
      else fp++;
      if (truth) {
        nGrok++;
        if (lead !== null) {
          leads.push(lead);
          if (lead > 0) nBefore++;
        }
      }
    });
    const accuracyAt: Record<string, number | null> = {};
    horizons.forEach((h, k) => (accuracyAt[String(h)] = atCounts[k]!.n > 0 ? atCounts[k]!.ok / atCounts[k]!.n : null));
    summaries.push({
      kind,
      model,
      error,
      heldOutRuns: nHeld,
      correctFinal: nCorrect,
      accuracyFinal: nHeld > 0 ? nCorrect / nHeld : null,
      falsePositives: fp,
      falseNegatives: fn,
      accuracyAt,
      grokkingRuns: nGrok,
      predictedBeforeGrok: nBefore,
      meanLeadTime: leads.length > 0 ? leads.reduce((a, b) => a + b, 0) / leads.length : null,
      medianLeadTime: median(leads),
    });
  }
  evals.forEach((e) => {
    if (e.predictions.length === 0) e.status = 'no prediction (no records for any predictor)';
  });
  return { trainRuns: train.length, heldOutRuns: held.length, excluded, predictors: summaries, runs: evals };
}
