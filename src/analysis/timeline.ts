/**
 * Normalised timelines (METHOD.md §2.6), seed aggregation, Pareto fronts and metric helpers.
 * Pure functions over records; every algorithm and threshold is documented in src/analysis/README.md.
 */
import { GrokinfoError, invalidArgument } from '../core/errors.js';
import type { MetricsRecord, OInfoRecord, Timeline } from '../config/types.js';

/** EMA weight on the new value used by the paper's plots (METHOD.md §2.6). */
export const PAPER_EMA_ALPHA = 0.1;
/** Steps between measurements in the paper's protocol: PAPER_EMA_ALPHA is the weight per 5 steps. */
export const PAPER_MEASURE_EVERY = 5;

/**
 * EMA weight that keeps the paper's smoothing time constant in STEPS when measurements are `every` steps
 * apart: 1 - (1 - 0.1)^(every / 5). Every 5 steps gives the paper's 0.1; every 25 gives 0.41 (a step
 * response reaches the same level after the same number of training steps).
 */
export function paperEmaAlpha(every: number): number {
  if (!(Number.isFinite(every) && every > 0)) throw invalidArgument('every', 'a number of steps > 0', every);
  return Math.min(1, 1 - Math.pow(1 - PAPER_EMA_ALPHA, every / PAPER_MEASURE_EVERY));
}

/** Median spacing of increasing steps (the measurement interval); PAPER_MEASURE_EVERY with fewer than 2 steps. */
export function medianInterval(steps: readonly number[]): number {
  if (steps.length < 2) return PAPER_MEASURE_EVERY;
  const d = steps.slice(1).map((s, i) => s - steps[i]!).sort((a, b) => a - b);
  return median(d);
}
/**
 * Hampel half-window used for the size curve. The authors call `hampel(x, window_size=3, n_sigma=3.0)`
 * from the `hampel` package (>= 1.0, the version whose result has `.filtered_data`), where window_size is
 * the FULL window length and the half-window is window_size // 2 = 1. See README.md for the discussion.
 */
export const PAPER_HAMPEL_HALF_WINDOW = 1;
export const PAPER_HAMPEL_SIGMA = 3;
/** Gaussian consistency factor of the median absolute deviation. */
export const MAD_SCALE = 1.4826;

function checkFinite(x: readonly number[], what: string): void {
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i])) {
      throw new GrokinfoError('INVALID_DATA', `${what}[${i}] is not a finite number (got ${x[i]})`, { what, index: i });
    }
  }
}

/** Median of any array (NaN when empty). */
export function medianOf(xs: readonly number[]): number {
  return xs.length === 0 ? Number.NaN : median([...xs].sort((a, b) => a - b));
}

function median(sorted: readonly number[]): number {
  const n = sorted.length;
  const h = n >> 1;
  return n % 2 === 1 ? sorted[h]! : 0.5 * (sorted[h - 1]! + sorted[h]!);
}

/**
 * Hampel filter: for every i with a full window [i - halfWindow, i + halfWindow] inside the series, the
 * window median m and MAD (median of |x_j - m|) give a threshold nSigma * 1.4826 * MAD; if |x_i - m| exceeds
 * it, x_i is replaced by m. Windows are taken on the ORIGINAL series (not recursive); the first and last
 * halfWindow points are left as they are (as the `hampel` package does).
 */
export function hampel(x: readonly number[], halfWindow: number, nSigma: number): number[] {
  if (!Number.isInteger(halfWindow) || halfWindow < 1) throw invalidArgument('halfWindow', 'an integer >= 1', halfWindow);
  if (!(Number.isFinite(nSigma) && nSigma >= 0)) throw invalidArgument('nSigma', 'a finite number >= 0', nSigma);
  checkFinite(x, 'x');
  const out = x.slice();
  const w = new Array<number>(2 * halfWindow + 1);
  for (let i = halfWindow; i < x.length - halfWindow; i++) {
    for (let j = -halfWindow; j <= halfWindow; j++) w[j + halfWindow] = x[i + j]!;
    w.sort((a, b) => a - b);
    const m = median(w);
    const dev = w.map((v) => Math.abs(v - m)).sort((a, b) => a - b);
    const mad = median(dev);
    if (Math.abs(x[i]! - m) > nSigma * MAD_SCALE * mad) out[i] = m;
  }
  return out;
}

/** Exponential moving average: s_0 = x_0, s_t = alpha x_t + (1 - alpha) s_{t-1}. alpha in (0, 1]. */
export function ema(x: readonly number[], alpha: number): number[] {
  if (!(alpha > 0 && alpha <= 1)) throw invalidArgument('alpha', 'a number in (0, 1]', alpha);
  checkFinite(x, 'x');
  const out = new Array<number>(x.length);
  for (let i = 0; i < x.length; i++) out[i] = i === 0 ? x[0]! : alpha * x[i]! + (1 - alpha) * out[i - 1]!;
  return out;
}

/**
 * Forward-backward EMA (zero phase lag): the EMA run forwards, then the EMA of that run backwards.
 * Used by phase detection, where the forward EMA's lag of about (1 - alpha)/alpha samples would shift the
 * boundaries; the paper's plots use the plain forward EMA.
 */
export function emaZeroLag(x: readonly number[], alpha: number): number[] {
  const f = ema(x, alpha);
  return ema(f.reverse(), alpha).reverse();
}

/**
 * Two-sided exponential kernel smoother, normalised at the ends: s_i = sum_j w_ij x_j / sum_j w_ij with
 * w_ij = (1 - alpha)^|i - j|. The same time constant as the EMA of weight alpha, no phase lag, and, unlike
 * an EMA seeded with the first sample (whose weight on x_0 stays (1 - alpha)^i), a start transient keeps
 * only its kernel weight: no leak of the randomly initialised network into later samples. O(n).
 */
export function expKernelSmooth(x: readonly number[], alpha: number): number[] {
  if (!(alpha > 0 && alpha <= 1)) throw invalidArgument('alpha', 'a number in (0, 1]', alpha);
  checkFinite(x, 'x');
  const n = x.length;
  const q = 1 - alpha;
  // Forward sums over j <= i and backward sums over j >= i (x_i counted in both, subtracted once).
  const fs = new Array<number>(n), fw = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    fs[i] = x[i]! + (i > 0 ? q * fs[i - 1]! : 0);
    fw[i] = 1 + (i > 0 ? q * fw[i - 1]! : 0);
  }
  const out = new Array<number>(n);
  let bs = 0, bw = 0;
  for (let i = n - 1; i >= 0; i--) {
    bs = x[i]! + q * bs;
    bw = 1 + q * bw;
    out[i] = (fs[i]! + bs - x[i]!) / (fw[i]! + bw - 1);
  }
  return out;
}

/**
 * Centred running median over `window` samples (odd, >= 1). Near the ends the window shrinks symmetrically
 * (sample i uses min(half, i, n - 1 - i) neighbours on each side), so the first and last samples are kept
 * as they are and no end is biased towards its interior. Unlike an EMA seeded with the first sample, a
 * transient at the start (the randomly initialised network) does not leak into later samples.
 */
export function runningMedian(x: readonly number[], window: number): number[] {
  if (!(Number.isInteger(window) && window >= 1 && window % 2 === 1)) throw invalidArgument('window', 'an odd integer >= 1', window);
  checkFinite(x, 'x');
  const half = (window - 1) >> 1;
  const n = x.length;
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const h = Math.min(half, i, n - 1 - i);
    out[i] = median(x.slice(i - h, i + h + 1).sort((a, b) => a - b));
  }
  return out;
}

/**
 * Running median over a window of constant width on a LOG step axis (the axis the paper's phases are
 * plotted on): sample i uses the samples with step in [t_i / r, t_i * r], r = `ratio` > 1, shrunk
 * symmetrically (in log step) near the ends so that no end is biased towards the interior. Early, fast
 * events (tens of steps) keep their shape while late, slow ones (thousands of steps) are averaged over
 * many samples. Steps must be positive and increasing.
 */
export function logStepMedian(steps: readonly number[], x: readonly number[], ratio: number): number[] {
  if (!(Number.isFinite(ratio) && ratio > 1)) throw invalidArgument('ratio', 'a number > 1', ratio);
  checkFinite(x, 'x');
  const n = x.length;
  if (steps.length !== n) throw invalidArgument('steps', `${n} steps (one per value)`, steps.length);
  for (let i = 0; i < n; i++)
    if (!(steps[i]! > 0) || (i > 0 && !(steps[i]! > steps[i - 1]!))) throw invalidArgument('steps', 'positive and increasing', steps[i]);
  const out = new Array<number>(n);
  const first = steps[0]!, last = steps[n - 1]!;
  let lo = 0, hi = 0;
  for (let i = 0; i < n; i++) {
    const t = steps[i]!;
    const r = Math.min(ratio, t / first, last / t);
    const a = t / r * (1 - 1e-12), b = t * r * (1 + 1e-12);
    while (steps[lo]! < a) lo++;
    if (hi < i) hi = i;
    while (hi + 1 < n && steps[hi + 1]! <= b) hi++;
    out[i] = median(x.slice(lo, hi + 1).sort((u, v) => u - v));
  }
  return out;
}

/** Running-median window (samples, odd, >= 3) spanning about `steps` training steps at interval `every`. */
export function medianWindowFor(steps: number, every: number): number {
  const w = Math.max(3, Math.round(steps / every));
  return w % 2 === 1 ? w : w + 1;
}

/** Min-max scaling to [0, 1]; a constant series maps to all zeros (as sklearn's MinMaxScaler does). */
export function minMax(x: readonly number[]): number[] {
  checkFinite(x, 'x');
  if (x.length === 0) return [];
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of x) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const span = hi - lo;
  return x.map((v) => (span > 0 ? (v - lo) / span : 0));
}

/** Converts an Omega value to bits. */
export function toBits(value: number, units: 'bits' | 'nats'): number {
  return units === 'nats' ? value / Math.LN2 : value;
}

/**
 * Validates a run's O-information records (finite values, strictly increasing steps, one unit) and returns
 * them with step 0 dropped. Throws INVALID_DATA naming the row and the field.
 */
export function measuredRecords(oinfo: readonly OInfoRecord[], dropStepZero = true): OInfoRecord[] {
  if (!Array.isArray(oinfo)) throw invalidArgument('oinfo', 'an array of OInfoRecord');
  const units = oinfo[0]?.units;
  for (let i = 0; i < oinfo.length; i++) {
    const r = oinfo[i]!;
    for (const k of ['step', 'synergy', 'redundancy', 'synergySize'] as const) {
      if (typeof r[k] !== 'number' || !Number.isFinite(r[k])) {
        throw new GrokinfoError('INVALID_DATA', `oinfo row ${i}: ${k} is not a finite number (got ${String(r[k])})`, { row: i, field: k });
      }
    }
    if (i > 0 && !(r.step > oinfo[i - 1]!.step)) {
      throw new GrokinfoError('INVALID_DATA', `oinfo row ${i}: step ${r.step} does not increase (previous ${oinfo[i - 1]!.step})`, { row: i, field: 'step' });
    }
    if (r.units !== units) {
      throw new GrokinfoError('INVALID_DATA', `oinfo row ${i}: units ${r.units} differ from row 0 (${units})`, { row: i, field: 'units' });
    }
  }
  return dropStepZero ? oinfo.filter((r) => r.step !== 0) : oinfo.slice();
}

export interface NormalizeOptions {
  /**
   * EMA weight on the new value. Default: the paper's 0.1 per 5 steps, rescaled to the run's measurement
   * interval (paperEmaAlpha of the median step spacing): 0.1 when measured every 5 steps.
   */
  alpha?: number;
  /** Hampel half-window for the size curve (default 1: the authors' window_size=3). */
  hampelHalfWindow?: number;
  /** Hampel threshold in robust standard deviations (default 3). */
  hampelSigma?: number;
  /**
   * Smoother: 'ema' (the paper's forward EMA, default), 'zero-lag' (forward-backward EMA), 'kernel' (two-sided
   * exponential kernel with the EMA's time constant, normalised at the ends; see expKernelSmooth) or 'median'
   * (centred running median over about `medianSteps` training steps; see runningMedian) or 'log-median'
   * (running median in a window of constant width on a log step axis; see logStepMedian).
   */
  smoother?: 'ema' | 'zero-lag' | 'median' | 'kernel' | 'log-median';
  /** Window of the 'log-median' smoother: steps within a factor `logWindow` of each step (default 1.2). */
  logWindow?: number;
  /** Span of the 'median' smoother in training steps (default 25: 5 samples at the paper's every-5). */
  medianSteps?: number;
}

/** Default span of the 'median' smoother in training steps. */
export const MEDIAN_SMOOTHER_STEPS = 25;
/** Default window of the 'log-median' smoother: steps within a factor 1.2 of each step. */
export const LOG_MEDIAN_WINDOW = 1.2;

/**
 * The paper's normalised timeline of one run (METHOD.md §2.6): step 0 dropped; synergy = EMA(minMax(-Omega_min));
 * redundancy = EMA(minMax(Omega_max)); size = EMA(minMax(hampel(synergySize))). Units cancel in min-max.
 */
export function normalizeRun(oinfo: readonly OInfoRecord[], opts: NormalizeOptions = {}): Timeline {
  const k = opts.hampelHalfWindow ?? PAPER_HAMPEL_HALF_WINDOW;
  const sig = opts.hampelSigma ?? PAPER_HAMPEL_SIGMA;
  const smoother = opts.smoother ?? 'ema';
  if (!['ema', 'zero-lag', 'median', 'kernel', 'log-median'].includes(smoother))
    throw invalidArgument('smoother', "'ema', 'zero-lag', 'kernel', 'median' or 'log-median'", smoother);
  const logWindow = opts.logWindow ?? LOG_MEDIAN_WINDOW;
  const medianSteps = opts.medianSteps ?? MEDIAN_SMOOTHER_STEPS;
  if (!(Number.isFinite(medianSteps) && medianSteps > 0)) throw invalidArgument('medianSteps', 'a number of steps > 0', medianSteps);
  const recs = measuredRecords(oinfo);
  if (recs.length === 0) throw new GrokinfoError('INVALID_DATA', 'oinfo: no measured step after step 0', { rows: oinfo.length });
  const steps = recs.map((r) => r.step);
  const every = medianInterval(steps);
  const alpha = opts.alpha ?? paperEmaAlpha(every);
  const win = medianWindowFor(medianSteps, every);
  const smooth = (x: number[]) =>
    smoother === 'ema'
      ? ema(x, alpha)
      : smoother === 'zero-lag'
        ? emaZeroLag(x, alpha)
        : smoother === 'kernel'
          ? expKernelSmooth(x, alpha)
          : smoother === 'log-median'
            ? logStepMedian(steps, x, logWindow)
            : runningMedian(x, win);
  return {
    steps,
    synergy: smooth(minMax(recs.map((r) => -r.synergy))),
    redundancy: smooth(minMax(recs.map((r) => r.redundancy))),
    size: smooth(minMax(hampel(recs.map((r) => r.synergySize), k, sig))),
  };
}

export interface SeedAggregate {
  steps: number[];
  /** Number of timelines (seeds) aggregated. */
  n: number;
  mean: Timeline;
  /** Standard error sd/sqrt(n) with the sample sd (n - 1); all zeros when n = 1 (undefined, see README). */
  stderr: Timeline;
}

function checkTimeline(t: Timeline, i: number): void {
  const n = t.steps.length;
  for (const k of ['synergy', 'redundancy', 'size'] as const) {
    if (t[k].length !== n) {
      throw new GrokinfoError('INVALID_DATA', `timelines[${i}].${k} has ${t[k].length} values for ${n} steps`, { index: i, field: k });
    }
  }
}

/** Mean and standard error over seeds, on the steps common to every timeline (ascending). */
export function aggregateSeeds(timelinesIn: readonly Timeline[]): SeedAggregate {
  const timelines: readonly Timeline[] = timelinesIn;
  if (!Array.isArray(timelinesIn) || timelines.length === 0) throw invalidArgument('timelines', 'a non-empty array of Timeline');
  timelines.forEach(checkTimeline);
  let common = new Set<number>(timelines[0]!.steps);
  for (const t of timelines.slice(1)) {
    const s = new Set<number>(t.steps);
    common = new Set<number>([...common].filter((v) => s.has(v)));
  }
  const steps: number[] = [...common].sort((a, b) => a - b);
  if (steps.length === 0) throw new GrokinfoError('INVALID_DATA', 'timelines share no common step', { count: timelines.length });
  const n = timelines.length;
  const idx = timelines.map((t) => {
    const m = new Map<number, number>();
    t.steps.forEach((s, i) => m.set(s, i));
    return steps.map((s) => m.get(s)!);
  });
  const agg = (k: 'synergy' | 'redundancy' | 'size') => {
    const mean: number[] = [];
    const se: number[] = [];
    for (let j = 0; j < steps.length; j++) {
      const v = timelines.map((t, i) => t[k][idx[i]![j]!]!);
      const mu = v.reduce((a, b) => a + b, 0) / n;
      const ss = v.reduce((a, b) => a + (b - mu) * (b - mu), 0);
      mean.push(mu);
      se.push(n > 1 ? Math.sqrt(ss / (n - 1)) / Math.sqrt(n) : 0);
    }
    return [mean, se] as const;
  };
  const [sm, ss] = agg('synergy');
  const [rm, rs] = agg('redundancy');
  const [zm, zs] = agg('size');
  return {
    steps,
    n,
    mean: { steps, synergy: sm, redundancy: rm, size: zm },
    stderr: { steps, synergy: ss, redundancy: rs, size: zs },
  };
}

/** A point for the Pareto analysis: both coordinates are MAXIMISED (synergy = -Omega_min, redundancy = Omega_max). */
export interface ParetoPoint {
  step: number;
  synergy: number;
  redundancy: number;
}

/** Pareto points of a run in bits: synergy = -Omega_min, redundancy = Omega_max (step 0 dropped). */
export function paretoPoints(oinfo: readonly OInfoRecord[]): ParetoPoint[] {
  return measuredRecords(oinfo).map((r) => ({
    step: r.step,
    synergy: -toBits(r.synergy, r.units),
    redundancy: toBits(r.redundancy, r.units),
  }));
}

/** a dominates b: at least as good in both coordinates, strictly better in one. */
export function dominates(a: ParetoPoint, b: ParetoPoint): boolean {
  return a.synergy >= b.synergy && a.redundancy >= b.redundancy && (a.synergy > b.synergy || a.redundancy > b.redundancy);
}

/** The non-dominated subset (equal points are all kept), sorted by decreasing synergy then step. */
export function paretoSet(points: readonly ParetoPoint[]): ParetoPoint[] {
  const front = points.filter((p, i) => !points.some((q, j) => j !== i && dominates(q, p)));
  return front.sort((a, b) => b.synergy - a.synergy || a.step - b.step);
}

export interface ParetoFrontAt {
  /** The step at which this front is taken (the last point of its window). */
  step: number;
  /** First step of the window the front is taken over. */
  from: number;
  front: ParetoPoint[];
}

/**
 * Pareto fronts over time, maximising synergy (-Omega_min) and redundancy (Omega_max).
 * mode 'cumulative' (default): at each step t, the front of all points with step <= t.
 * mode 'window': at each step t, the front of the points with t - window < step <= t (window in steps).
 */
export function paretoFront(
  points: readonly ParetoPoint[],
  opts: { mode?: 'cumulative' | 'window'; window?: number } = {},
): ParetoFrontAt[] {
  const mode = opts.mode ?? 'cumulative';
  if (mode !== 'cumulative' && mode !== 'window') throw invalidArgument('mode', "'cumulative' or 'window'", mode);
  if (!Array.isArray(points)) throw invalidArgument('points', 'an array of {step, synergy, redundancy}');
  points.forEach((p, i) => {
    for (const k of ['step', 'synergy', 'redundancy'] as const) {
      if (!Number.isFinite(p[k])) throw new GrokinfoError('INVALID_DATA', `points[${i}].${k} is not finite`, { index: i, field: k });
    }
    if (i > 0 && !(p.step > points[i - 1]!.step)) {
      throw new GrokinfoError('INVALID_DATA', `points[${i}].step does not increase`, { index: i, field: 'step' });
    }
  });
  const out: ParetoFrontAt[] = [];
  if (mode === 'cumulative') {
    let front: ParetoPoint[] = [];
    for (const p of points) {
      if (!front.some((q) => dominates(q, p))) front = [...front.filter((q) => !dominates(p, q)), p];
      out.push({ step: p.step, from: points[0]!.step, front: paretoSet(front) });
    }
    return out;
  }
  const w = opts.window;
  if (w === undefined || !(Number.isFinite(w) && w > 0)) throw invalidArgument('window', 'a number of steps > 0 (mode window)', w);
  let lo = 0;
  for (let i = 0; i < points.length; i++) {
    const t = points[i]!.step;
    while (points[lo]!.step <= t - w) lo++;
    out.push({ step: t, from: points[lo]!.step, front: paretoSet(points.slice(lo, i + 1)) });
  }
  return out;
}

export type MetricKey = 'trainLoss' | 'trainAcc' | 'testLoss' | 'testAcc' | 'weightNorm';
const METRIC_KEYS: readonly MetricKey[] = ['trainLoss', 'trainAcc', 'testLoss', 'testAcc', 'weightNorm'];

function checkMetricArgs(metrics: readonly MetricsRecord[], key: MetricKey, threshold: number): void {
  if (!Array.isArray(metrics)) throw invalidArgument('metrics', 'an array of MetricsRecord');
  if (!METRIC_KEYS.includes(key)) throw invalidArgument('key', METRIC_KEYS.join(' | '), key);
  if (!Number.isFinite(threshold)) throw invalidArgument('threshold', 'a finite number', threshold);
}

/** First step (in record order) whose metrics[key] > threshold (strict, as the grok step's "> 0.98"); null if none. */
export function firstStepAbove(metrics: readonly MetricsRecord[], key: MetricKey, threshold: number): number | null {
  checkMetricArgs(metrics, key, threshold);
  for (const m of metrics) if (m[key] > threshold) return m.step;
  return null;
}

/** First step whose metrics[key] < threshold (strict); null if none. */
export function firstStepBelow(metrics: readonly MetricsRecord[], key: MetricKey, threshold: number): number | null {
  checkMetricArgs(metrics, key, threshold);
  for (const m of metrics) if (m[key] < threshold) return m.step;
  return null;
}

/** Step of the maximum of metrics[key] among records with from <= step <= to (first on ties); null if none. */
export function argmaxStep(metrics: readonly MetricsRecord[], key: MetricKey, from = -Infinity, to = Infinity): number | null {
  checkMetricArgs(metrics, key, 0);
  let best: MetricsRecord | null = null;
  for (const m of metrics) if (m.step >= from && m.step <= to && Number.isFinite(m[key]) && (best === null || m[key] > best[key])) best = m;
  return best === null ? null : best.step;
}
