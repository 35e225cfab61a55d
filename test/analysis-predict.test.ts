import { describe, expect, it } from 'vitest';
import {
  evaluate,
  featuresAt,
  fitLogistic,
  lsSlope,
  predictOnline,
  trainPredictor,
  type RunRecords,
} from '../src/analysis/index.js';
import { GrokinfoError } from '../src/core/errors.js';
import { gauss, highWdSpec, lowWdSpec, paperConfig, pl, rng, summaryOf, synthRun, type SynthSpec } from './analysis-synth.js';

function make(spec: SynthSpec, wd: number, alpha: number, seed: number): RunRecords {
  const { metrics, oinfo } = synthRun({ ...spec, seed: 100 * seed + Math.round(wd * 10) + alpha });
  return { config: paperConfig(wd, alpha, seed), metrics, oinfo, summary: summaryOf(metrics) };
}

const lowSynergy = (extra: Partial<SynthSpec>): SynthSpec => ({
  S: pl([[0, 0.1], [400, 1], [4000, 0.5]]),
  R: pl([[0, 0.9], [400, 0.5], [4000, 0.8]]),
  Z: pl([[0, 0.2], [400, 0.5], [4000, 0.4]]),
  testAcc: pl([[0, 0.01], [4000, 0.08]]),
  synScale: 0.4,
  ...extra,
});

/** Weight-decay family: 0.1 and 2 grok; 10 and 50 do not (cannot fit: high train loss, collapsed norm). */
function wdRun(wd: number, seed: number): RunRecords {
  if (wd === 0.1) return make(lowWdSpec(), wd, 1, seed);
  if (wd === 2) return make(highWdSpec(), wd, 1, seed);
  return make(
    lowSynergy({
      trainLoss: pl([[0, 4.6], [4000, wd === 10 ? 3 : 4.4]]),
      weightNorm: pl([[0, 40], [wd === 10 ? 200 : 100, wd === 10 ? 3 : 1], [4000, wd === 10 ? 2 : 0.8]]),
    }),
    wd, 1, seed,
  );
}

/** Alpha family (constant weight norm): alpha 8 groks; 1 and 50 memorise (low train loss) but do not grok. */
function alphaRun(alpha: number, seed: number): RunRecords {
  const flat = () => 40;
  if (alpha === 8) {
    return make({
      ...highWdSpec(),
      testAcc: pl([[0, 0.01], [1300, 0.1], [1500, 1], [4000, 1]]),
      weightNorm: flat,
    }, 0, alpha, seed);
  }
  return make(lowSynergy({ trainLoss: pl([[0, 4.6], [500, 0.01], [4000, 0.001]]), weightNorm: flat }), 0, alpha, seed);
}

const seeds = [0, 1];
const wdRuns = [0.1, 2, 10, 50].flatMap((wd) => seeds.map((s) => wdRun(wd, s)));
const alphaRuns = [1, 8, 50].flatMap((a) => seeds.map((s) => alphaRun(a, s)));

describe('logistic regression by Newton', () => {
  it('the fitted parameters zero the gradient of the penalised weighted log-loss (plain reference)', () => {
    const u = rng(11);
    const X = Array.from({ length: 300 }, () => [gauss(u), gauss(u)]);
    const y = X.map((x) => (u() < 1 / (1 + Math.exp(-(1.5 * x[0]! - 0.7 * x[1]! + 0.3))) ? 1 : 0));
    const v = X.map(() => 0.5 + u());
    const ridge = 0.05;
    const fit = fitLogistic(X, y, v, ridge);
    const V = v.reduce((a, b) => a + b, 0);
    const loss = (w0: number, w1: number, b: number) => {
      let s = 0;
      for (let i = 0; i < X.length; i++) {
        const p = 1 / (1 + Math.exp(-(w0 * X[i]![0]! + w1 * X[i]![1]! + b)));
        s += v[i]! * (y[i] ? -Math.log(p) : -Math.log(1 - p));
      }
      return s / V + (ridge / 2) * (w0 * w0 + w1 * w1);
    };
    const [w0, w1] = fit.weights as [number, number];
    const b = fit.bias;
    const h = 1e-5;
    expect((loss(w0 + h, w1, b) - loss(w0 - h, w1, b)) / (2 * h)).toBeCloseTo(0, 6);
    expect((loss(w0, w1 + h, b) - loss(w0, w1 - h, b)) / (2 * h)).toBeCloseTo(0, 6);
    expect((loss(w0, w1, b + h) - loss(w0, w1, b - h)) / (2 * h)).toBeCloseTo(0, 6);
    // and it is a minimum, not a saddle: moving away increases the loss
    expect(loss(w0 + 0.1, w1, b)).toBeGreaterThan(loss(w0, w1, b));
    expect(w0).toBeGreaterThan(0.8);
    expect(w1).toBeLessThan(-0.2);
  });

  it('lsSlope is the least-squares slope', () => {
    expect(lsSlope([0, 1, 2, 3], [1, 3, 5, 7])).toBeCloseTo(2, 12);
    expect(lsSlope([1], [1])).toBe(0);
  });
});

describe('features and online prediction', () => {
  it('synergy features by hand', () => {
    const run = wdRun(0.1, 0);
    const t = 1000;
    const f = featuresAt('synergy', run, t)!;
    const syn = run.oinfo.filter((r) => r.step > 0 && r.step <= t).map((r) => -r.synergy);
    expect(f[0]).toBe(Math.max(...syn));
    expect(f[1]).toBeCloseTo(Math.max(...syn) - (syn[0]! + syn[1]! + syn[2]!) / 3, 12);
    expect(featuresAt('synergy', { metrics: [], oinfo: run.oinfo.slice(0, 1) }, 0)).toBeNull();
  });

  it('predictOnline only reads records up to t', () => {
    const model = trainPredictor('synergy', wdRuns);
    const run = alphaRun(8, 0);
    const t = 700;
    const cut = { metrics: run.metrics.filter((m) => m.step <= t), oinfo: run.oinfo.filter((o) => o.step <= t) };
    expect(predictOnline(model, run, t)).toEqual(predictOnline(model, cut));
    const p = predictOnline(model, cut)!;
    let z = model.bias;
    p.features.forEach((x, k) => (z += (model.weights[k]! * (x - model.mean[k]!)) / model.scale[k]!));
    expect(p.score).toBeCloseTo(1 / (1 + Math.exp(-z)), 12);
  });
});

describe('evaluate on held-out configurations', () => {
  it('alpha family held out: synergy predicts every run ahead of grokking; both baselines fail', () => {
    const rep = evaluate([...wdRuns, ...alphaRuns], {
      trainConfigs: ['wd=0.1 alpha=1', 'wd=2 alpha=1', 'wd=10 alpha=1', 'wd=50 alpha=1'],
      heldOutConfigs: [(c) => c.optim.weightDecay === 0],
      horizons: [1000],
    });
    expect(rep.trainRuns).toBe(8);
    expect(rep.heldOutRuns).toBe(6);
    const by = Object.fromEntries(rep.predictors.map((p) => [p.kind, p]));
    expect(by.synergy!.accuracyFinal).toBe(1);
    expect(by.synergy!.accuracyAt['1000']).toBe(1);
    expect(by.synergy!.grokkingRuns).toBe(2);
    expect(by.synergy!.predictedBeforeGrok).toBe(2);
    expect(by.synergy!.medianLeadTime!).toBeGreaterThan(500); // grok ~1500, synergy peak ~500
    // constant weight norm carries no information; memorising alpha runs have a low train loss
    expect(by.weightNorm!.accuracyFinal!).toBeLessThanOrEqual(0.5);
    expect(by.trainLoss!.accuracyFinal!).toBeLessThanOrEqual(0.5);
    expect(by.trainLoss!.falsePositives).toBeGreaterThanOrEqual(3);
    expect(by.synergy!.falsePositives + by.synergy!.falseNegatives).toBe(0);
    // per-run details, failures included
    const wrong = rep.runs.filter((r) => r.predictions.find((p) => p.kind === 'trainLoss')!.correctFinal === false);
    expect(wrong.length).toBeGreaterThanOrEqual(3);
    expect(wrong.every((r) => !r.groks)).toBe(true);
  });

  it('weight-decay configurations held out: the train-loss baseline succeeds too', () => {
    const rep = evaluate(wdRuns, { trainConfigs: ['wd=0.1 alpha=1', 'wd=50 alpha=1'], heldOutConfigs: ['wd=2 alpha=1', 'wd=10 alpha=1'] });
    const by = Object.fromEntries(rep.predictors.map((p) => [p.kind, p]));
    expect(by.synergy!.accuracyFinal).toBe(1);
    expect(by.trainLoss!.accuracyFinal).toBe(1);
    expect(by.synergy!.predictedBeforeGrok).toBe(2);
  });

  it('reports failures honestly and validates its inputs', () => {
    const failed = { ...wdRun(2, 5), summary: { ...wdRun(2, 5).summary, failed: 'NaN loss' } };
    const rep = evaluate([...wdRuns, failed], { trainConfigs: ['wd=0.1 alpha=1', 'wd=10 alpha=1'], heldOutConfigs: ['wd=2 alpha=1'] });
    expect(rep.excluded).toEqual([{ name: failed.config.name, reason: 'failed: NaN loss' }]);
    // only grokking configurations for training: no model can be fitted, said so per predictor
    const one = evaluate(wdRuns, { trainConfigs: ['wd=0.1 alpha=1'], heldOutConfigs: ['wd=2 alpha=1'] });
    expect(one.predictors.every((p) => p.model === null && /must include/.test(p.error!))).toBe(true);
    const err = (f: () => unknown) => {
      try {
        f();
        return 'none';
      } catch (e) {
        expect(e).toBeInstanceOf(GrokinfoError);
        return (e as GrokinfoError).code;
      }
    };
    expect(err(() => evaluate(wdRuns, { trainConfigs: ['wd=2 alpha=1'], heldOutConfigs: ['wd=2 alpha=1'] }))).toBe('INVALID_ARGUMENT');
    expect(err(() => evaluate(wdRuns, { trainConfigs: [], heldOutConfigs: ['wd=2 alpha=1'] }))).toBe('INVALID_ARGUMENT');
    expect(err(() => evaluate(wdRuns, { trainConfigs: ['wd=2 alpha=1'], heldOutConfigs: ['nothing'] }))).toBe('INVALID_DATA');
  });
});
