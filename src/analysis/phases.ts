/**
 * Phase segmentation of one run (METHOD.md §3): feature learning, emergence, divergence, delayed emergence,
 * decoupling. Deterministic: a zigzag (hysteresis) segmentation of the normalised synergy into significant
 * rises and falls, each labelled from the net change of redundancy and size over it and from test accuracy.
 * The algorithm and every threshold are documented in src/analysis/README.md.
 */
import { GrokinfoError, invalidArgument } from '../core/errors.js';
import { fieldDefault } from '../config/schema.js';
import type { MetricsRecord, OInfoRecord, Phase, PhaseName, PhasesFile, Timeline } from '../config/types.js';
import {
  argmaxStep,
  firstStepAbove,
  LOG_MEDIAN_WINDOW,
  MEDIAN_SMOOTHER_STEPS,
  measuredRecords,
  medianInterval,
  medianOf,
  medianWindowFor,
  minMax,
  normalizeRun,
  paperEmaAlpha,
} from './timeline.js';

export interface ZigzagSegment {
  /** Index of the first and last sample of the segment (pivots). */
  a: number;
  b: number;
  /** x[b] - x[a]. */
  delta: number;
  /** |delta| >= minSwing. */
  significant: boolean;
}

/**
 * Zigzag pivots with hysteresis minSwing: a peak is confirmed once the series has fallen minSwing below it,
 * a trough once it has risen minSwing above it. Returns the pivot indices: 0, the confirmed extrema, the last
 * (unconfirmed) extremum candidate, and n - 1. Consecutive pivots alternate between troughs and peaks.
 */
export function zigzagPivots(x: readonly number[], minSwing: number): number[] {
  if (!(Number.isFinite(minSwing) && minSwing > 0)) throw invalidArgument('minSwing', 'a number > 0', minSwing);
  const n = x.length;
  if (n === 0) return [];
  const piv = [0];
  let dir = 0;
  let hi = 0;
  let lo = 0;
  let cand = 0;
  for (let i = 1; i < n; i++) {
    const v = x[i]!;
    if (dir === 0) {
      if (v > x[hi]!) hi = i;
      if (v < x[lo]!) lo = i;
      if (v - x[lo]! >= minSwing) {
        if (lo > 0) piv.push(lo);
        dir = 1;
        cand = i;
      } else if (x[hi]! - v >= minSwing) {
        if (hi > 0) piv.push(hi);
        dir = -1;
        cand = i;
      }
    } else if (dir === 1) {
      if (v > x[cand]!) cand = i;
      else if (x[cand]! - v >= minSwing) {
        piv.push(cand);
        dir = -1;
        cand = i;
      }
    } else {
      if (v < x[cand]!) cand = i;
      else if (v - x[cand]! >= minSwing) {
        piv.push(cand);
        dir = 1;
        cand = i;
      }
    }
  }
  if (dir !== 0 && cand !== piv[piv.length - 1]) piv.push(cand);
  if (piv[piv.length - 1] !== n - 1) piv.push(n - 1);
  return piv;
}

/** Segments between consecutive zigzag pivots. */
export function zigzagSegments(x: readonly number[], minSwing: number): ZigzagSegment[] {
  const piv = zigzagPivots(x, minSwing);
  const segs: ZigzagSegment[] = [];
  for (let i = 1; i < piv.length; i++) {
    const a = piv[i - 1]!;
    const b = piv[i]!;
    const delta = x[b]! - x[a]!;
    segs.push({ a, b, delta, significant: Math.abs(delta) >= minSwing });
  }
  return segs;
}

/** Index of the first significant peak (end of the first rise of at least minSwing), or null. */
export function firstSignificantPeak(x: readonly number[], minSwing: number): number | null {
  const s = zigzagSegments(x, minSwing).find((g) => g.significant && g.delta > 0);
  return s ? s.b : null;
}

export interface PhaseOptions {
  /** Zigzag hysteresis on the normalised synergy (in [0, 1] units). Default 0.1. */
  minSwing?: number;
  /** Emergence starts when the first significant rise has covered this fraction of its height. Default 0.1. */
  onsetFraction?: number;
  /** Net change of normalised redundancy / size that counts as a rise or a fall. Default 0.02. */
  trendTol?: number;
  /** Rise of test accuracy over a synergy fall that marks decoupling without a grok step. Default 0.1. */
  accRise?: number;
  /** Test accuracy above which the run has grokked (strict). Default: the schema's grokThreshold default (a run's own: config.grokThreshold). */
  grokThreshold?: number;
  /** Grok step override (otherwise the first metrics step with testAcc > grokThreshold). */
  grokStep?: number | null;
  /** EMA weight (default: 0.1 per 5 steps, rescaled to the measurement interval; see paperEmaAlpha). */
  alpha?: number;
  /**
   * Smoother for the segmentation: 'median' (centred running median over `medianSteps`, default), 'zero-lag'
   * (forward-backward EMA, v1's default), 'ema' (the paper's plots), 'kernel' or 'log-median' (see timeline.ts).
   */
  smoother?: 'ema' | 'zero-lag' | 'median' | 'kernel' | 'log-median';
  /** Span of the 'median' smoother in training steps. */
  medianSteps?: number;
  /** Window ratio of the 'log-median' smoother. */
  logWindow?: number;
  /** With the 'median' smoother, the zigzag hysteresis is at least this many noise standard deviations. Default 6. */
  noiseSwing?: number;
}

function checkMetrics(metrics: readonly MetricsRecord[]): void {
  if (!Array.isArray(metrics)) throw invalidArgument('metrics', 'an array of MetricsRecord');
  for (let i = 0; i < metrics.length; i++) {
    const m = metrics[i]!;
    for (const k of ['step', 'testAcc', 'testLoss'] as const) {
      if (typeof m[k] !== 'number' || Number.isNaN(m[k])) {
        throw new GrokinfoError('INVALID_DATA', `metrics row ${i}: ${k} is not a number (got ${String(m[k])})`, { row: i, field: k });
      }
    }
    if (i > 0 && !(m.step > metrics[i - 1]!.step)) {
      throw new GrokinfoError('INVALID_DATA', `metrics row ${i}: step ${m.step} does not increase`, { row: i, field: 'step' });
    }
  }
}

/** Value of metrics[key] at the last record with step <= s (the first record if none); NaN without records. */
function metricAt(metrics: readonly MetricsRecord[], key: 'testAcc' | 'testLoss', s: number): number {
  if (metrics.length === 0) return Number.NaN;
  let v = metrics[0]![key];
  for (const m of metrics) {
    if (m.step > s) break;
    v = m[key];
  }
  return v;
}

const round = (v: number, d = 4) => (Number.isFinite(v) ? Math.round(v * 10 ** d) / 10 ** d : v);

function evidence(tl: Timeline, metrics: readonly MetricsRecord[], a: number, b: number): Record<string, number | string> {
  const span = Math.max(tl.steps[b]! - tl.steps[a]!, 1);
  const dS = tl.synergy[b]! - tl.synergy[a]!;
  const dR = tl.redundancy[b]! - tl.redundancy[a]!;
  const dZ = tl.size[b]! - tl.size[a]!;
  const mean = (x: readonly number[]) => x.slice(a, b + 1).reduce((u, v) => u + v, 0) / (b - a + 1);
  return {
    meanS: round(mean(tl.synergy)),
    meanR: round(mean(tl.redundancy)),
    meanZ: round(mean(tl.size)),
    dS: round(dS),
    dR: round(dR),
    dZ: round(dZ),
    slopeSper1000: round((1000 * dS) / span),
    slopeRper1000: round((1000 * dR) / span),
    slopeZper1000: round((1000 * dZ) / span),
    testAccStart: round(metricAt(metrics, 'testAcc', tl.steps[a]!)),
    testAccEnd: round(metricAt(metrics, 'testAcc', tl.steps[b]!)),
  };
}

/** Describes the method and parameters in PhasesFile.method. */
function methodString(o: Required<Omit<PhaseOptions, 'grokStep'>>, swing: number): string {
  return (
    `grokinfo zigzag-phases: normalised synergy/redundancy/size (step 0 dropped, min-max, ` +
    (o.smoother === 'median'
      ? `running median over ${o.medianSteps} steps), `
      : o.smoother === 'log-median'
        ? `running median over steps within a factor ${o.logWindow}), `
        : `${o.smoother} smoother alpha=${Number(o.alpha.toPrecision(4))}), `) +
    `zigzag minSwing=${o.minSwing}` +
    (o.smoother === 'median' ? ` noiseSwing=${o.noiseSwing} (hysteresis used ${Number(swing.toPrecision(3))})` : '') +
    `, onsetFraction=${o.onsetFraction}, trendTol=${o.trendTol}, accRise=${o.accRise}, ` +
    `grokThreshold=${o.grokThreshold}`
  );
}

/**
 * Segments a run into phases. Phases are ordered and do not overlap; intervals without the evidence for any
 * phase are left unlabelled (gaps). See README.md for the rules.
 */
export function detectPhases(metrics: readonly MetricsRecord[], oinfo: readonly OInfoRecord[], opts: PhaseOptions = {}): PhasesFile {
  const recs = measuredRecords(oinfo);
  const every = medianInterval(recs.map((r) => r.step));
  const o = {
    minSwing: opts.minSwing ?? 0.1,
    onsetFraction: opts.onsetFraction ?? 0.1,
    trendTol: opts.trendTol ?? 0.02,
    accRise: opts.accRise ?? 0.1,
    grokThreshold: opts.grokThreshold ?? fieldDefault<number>('grokThreshold'),
    alpha: opts.alpha ?? paperEmaAlpha(every),
    smoother: opts.smoother ?? 'median',
    medianSteps: opts.medianSteps ?? MEDIAN_SMOOTHER_STEPS,
    logWindow: opts.logWindow ?? LOG_MEDIAN_WINDOW,
    noiseSwing: opts.noiseSwing ?? 6,
  };
  if (!(o.minSwing > 0 && o.minSwing < 1)) throw invalidArgument('minSwing', 'a number in (0, 1)', o.minSwing);
  if (!(o.onsetFraction >= 0 && o.onsetFraction < 1)) throw invalidArgument('onsetFraction', 'a number in [0, 1)', o.onsetFraction);
  if (!(Number.isFinite(o.noiseSwing) && o.noiseSwing >= 0)) throw invalidArgument('noiseSwing', 'a number >= 0', o.noiseSwing);
  if (!(o.trendTol >= 0 && o.trendTol < 1)) throw invalidArgument('trendTol', 'a number in [0, 1)', o.trendTol);
  if (!(o.accRise > 0 && o.accRise <= 1)) throw invalidArgument('accRise', 'a number in (0, 1]', o.accRise);
  if (!(o.grokThreshold > 0 && o.grokThreshold <= 1)) throw invalidArgument('grokThreshold', 'a number in (0, 1]', o.grokThreshold);
  checkMetrics(metrics);
  const tl = normalizeRun(oinfo, { alpha: o.alpha, smoother: o.smoother, medianSteps: o.medianSteps, logWindow: o.logWindow });
  const n = tl.steps.length;
  if (n < 3) throw new GrokinfoError('INVALID_DATA', `oinfo: phases need at least 3 measured steps after step 0 (got ${n})`, { rows: n });
  const grokStep = opts.grokStep !== undefined ? opts.grokStep : firstStepAbove(metrics, 'testAcc', o.grokThreshold);
  const S = tl.synergy;
  const first = tl.steps[0]!;
  const last = tl.steps[n - 1]!;
  const phases: Phase[] = [];
  const push = (name: PhaseName, a: number, b: number, extra: Record<string, number | string> = {}) =>
    phases.push({ name, start: tl.steps[a]!, end: tl.steps[b]!, evidence: { ...evidence(tl, metrics, a, b), ...extra } });

  // Hysteresis: at least minSwing, and at least noiseSwing times the noise left after the median smoother
  // (robust per-sample noise from the first differences of the raw normalised synergy, divided by the
  // median's sqrt(window / (pi/2)) gain), so that a noisy run does not zigzag on its noise.
  const rawS = minMax(recs.map((r) => -r.synergy));
  const dx = rawS.slice(1).map((v, i) => v - rawS[i]!);
  const md = medianOf(dx);
  const sigmaRaw = (1.4826 * medianOf(dx.map((v) => Math.abs(v - md)))) / Math.SQRT2;
  const win = o.smoother === 'median' ? medianWindowFor(o.medianSteps, every) : 1;
  const sigma = o.smoother === 'median' ? (sigmaRaw * Math.sqrt(Math.PI / 2)) / Math.sqrt(win) : 0;
  const swing = Math.max(o.minSwing, o.noiseSwing * sigma);
  const method = methodString(o, swing);
  const segs = zigzagSegments(S, swing);
  const k0 = segs.findIndex((g) => g.significant && g.delta > 0);
  if (k0 < 0) {
    push('feature-learning', 0, n - 1, { note: `no rise of normalised synergy >= ${o.minSwing}` });
    return { method, phases };
  }
  // Feature learning ends (and emergence starts) where the first significant rise has covered onsetFraction of its height.
  const r0 = segs[k0]!;
  const level = S[r0.a]! + o.onsetFraction * r0.delta;
  let onset = r0.a;
  while (onset < r0.b && S[onset]! < level) onset++;
  const lossPeak = argmaxStep(metrics, 'testLoss', first, grokStep ?? last);
  if (onset > 0) push('feature-learning', 0, onset);
  push('emergence', onset, r0.b, {
    peakStep: tl.steps[r0.b]!,
    testLossPeakStep: lossPeak ?? 'none',
    testLossPeakWhere:
      lossPeak === null ? 'none' : lossPeak < tl.steps[onset]! ? 'before' : lossPeak > tl.steps[r0.b]! ? 'after' : 'within',
    grokStep: grokStep ?? 'none',
  });

  let prev: PhaseName | 'none' = 'emergence';
  for (const g of segs.slice(k0 + 1)) {
    if (!g.significant) continue;
    const ev = evidence(tl, metrics, g.a, g.b);
    const dR = tl.redundancy[g.b]! - tl.redundancy[g.a]!;
    const dZ = tl.size[g.b]! - tl.size[g.a]!;
    if (g.delta < 0) {
      const accGain = metricAt(metrics, 'testAcc', tl.steps[g.b]!) - metricAt(metrics, 'testAcc', tl.steps[g.a]!);
      const grokkedByEnd = grokStep !== null && grokStep <= tl.steps[g.b]!;
      if (dR > o.trendTol && (accGain >= o.accRise || grokkedByEnd)) {
        push('decoupling', g.a, n - 1, { ...ev, grokStep: grokStep ?? 'none', fallEndStep: tl.steps[g.b]! });
        break;
      }
      // Divergence: synergy falls and redundancy falls, or redundancy stays at its level (within trendTol)
      // while the sub-network shrinks (on real runs normalised redundancy often sits at its floor here).
      const redundancyDown = dR < -o.trendTol || (dR <= o.trendTol && dZ < -o.trendTol);
      if (redundancyDown && (grokStep === null || tl.steps[g.a]! < grokStep)) {
        push('divergence', g.a, g.b, { troughStep: tl.steps[g.b]! });
        prev = 'divergence';
        continue;
      }
      prev = 'none';
    } else {
      if (prev === 'divergence' && (dR > o.trendTol || dZ > o.trendTol)) {
        push('delayed-emergence', g.a, g.b, { peakStep: tl.steps[g.b]! });
        prev = 'delayed-emergence';
        continue;
      }
      prev = 'none';
    }
  }
  return { method, phases };
}
