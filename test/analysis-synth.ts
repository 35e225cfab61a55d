/** Synthetic runs with known structure for the analysis tests (seeded, deterministic). */
import type { MetricsRecord, OInfoRecord, RunConfig, RunSummary } from '../src/config/types.js';
import { gauss, rng } from './rng.js';

export { gauss, rng };

/** Piecewise-linear function through knots [step, value] (constant outside). */
export function pl(knots: [number, number][]): (s: number) => number {
  return (s) => {
    if (s <= knots[0]![0]) return knots[0]![1];
    for (let i = 1; i < knots.length; i++) {
      const [s1, v1] = knots[i]!;
      const [s0, v0] = knots[i - 1]!;
      if (s <= s1) return v0 + ((v1 - v0) * (s - s0)) / (s1 - s0);
    }
    return knots[knots.length - 1]![1];
  };
}

export interface SynthSpec {
  steps?: number;
  every?: number;
  /** Normalised shapes in [0, 1]. */
  S: (s: number) => number;
  R: (s: number) => number;
  Z: (s: number) => number;
  testAcc: (s: number) => number;
  testLoss?: (s: number) => number;
  trainLoss?: (s: number) => number;
  weightNorm?: (s: number) => number;
  /** Raw synergy scale in bits: Omega_min = -(synBase + synScale * S). */
  synBase?: number;
  synScale?: number;
  noise?: number;
  seed?: number;
  /** Put a size outlier every this many records (0: none). */
  spikeEvery?: number;
}

export function synthRun(spec: SynthSpec): { metrics: MetricsRecord[]; oinfo: OInfoRecord[] } {
  const steps = spec.steps ?? 4000;
  const every = spec.every ?? 5;
  const noise = spec.noise ?? 0.03;
  const u = rng(spec.seed ?? 1);
  const synBase = spec.synBase ?? 1;
  const synScale = spec.synScale ?? 4;
  const metrics: MetricsRecord[] = [];
  const oinfo: OInfoRecord[] = [];
  let k = 0;
  for (let s = 0; s <= steps; s += every, k++) {
    const acc = Math.min(1, Math.max(0, spec.testAcc(s) + 0.002 * gauss(u)));
    metrics.push({
      step: s,
      trainLoss: spec.trainLoss ? spec.trainLoss(s) * (1 + 0.01 * gauss(u)) : 1,
      trainAcc: 1,
      testLoss: spec.testLoss ? spec.testLoss(s) : 1 - acc,
      testAcc: acc,
      weightNorm: spec.weightNorm ? spec.weightNorm(s) * (1 + 0.002 * gauss(u)) : 10,
    });
    let size = Math.round(10 + 40 * (spec.Z(s) + noise * gauss(u)));
    if (spec.spikeEvery && k % spec.spikeEvery === 7) size += 200;
    oinfo.push({
      step: s,
      units: 'bits',
      synergy: -(synBase + synScale * (spec.S(s) + noise * gauss(u))),
      redundancy: 0.5 + 3 * (spec.R(s) + noise * gauss(u)),
      synergyNeurons: [],
      redundancyNeurons: [],
      synergySize: size,
      redundancySize: 10,
      dead: 0,
      binSizes: [],
      bySize: [],
      multiplets: 1013,
      seconds: 0,
    });
  }
  return { metrics, oinfo };
}

/** wd 0.1-like: feature learning to 300, emergence 300-600, divergence 600-1200, delayed emergence 1200-1800, decoupling 1800-, grok ~2100. */
export function lowWdSpec(seed = 1): SynthSpec {
  return {
    S: pl([[0, 0.1], [300, 0.1], [600, 1], [1200, 0.3], [1800, 0.8], [4000, 0.2]]),
    R: pl([[0, 0.9], [300, 0.9], [600, 0.4], [1200, 0.1], [1800, 0.5], [4000, 1]]),
    Z: pl([[0, 0.2], [300, 0.2], [600, 0.8], [1200, 0.3], [1800, 0.9], [4000, 0.5]]),
    testAcc: pl([[0, 0.01], [1900, 0.05], [2100, 1], [4000, 1]]),
    testLoss: pl([[0, 4.6], [450, 8], [1900, 6], [2100, 0.5], [4000, 0.1]]),
    trainLoss: pl([[0, 4.6], [300, 0.01], [4000, 0.001]]),
    weightNorm: pl([[0, 40], [300, 60], [4000, 20]]),
    seed,
    spikeEvery: 50,
  };
}

/** wd 2.0-like: feature learning to 200, emergence 200-500, decoupling from 500, grok ~800; no divergence. */
export function highWdSpec(seed = 2): SynthSpec {
  return {
    S: pl([[0, 0.1], [200, 0.1], [500, 1], [4000, 0.2]]),
    R: pl([[0, 0.9], [200, 0.9], [500, 0.3], [4000, 1]]),
    Z: pl([[0, 0.2], [200, 0.2], [500, 0.9], [4000, 0.3]]),
    testAcc: pl([[0, 0.01], [600, 0.1], [800, 1], [4000, 1]]),
    testLoss: pl([[0, 4.6], [350, 7], [600, 5], [800, 0.3], [4000, 0.05]]),
    trainLoss: pl([[0, 4.6], [300, 0.01], [4000, 0.001]]),
    weightNorm: pl([[0, 40], [300, 30], [4000, 12]]),
    seed,
    spikeEvery: 50,
  };
}

export function paperConfig(weightDecay: number, alpha: number, seed: number): RunConfig {
  const constantNorm = alpha !== 1 || weightDecay === 0;
  return {
    name: `wd${weightDecay}-a${alpha}-s${seed}`,
    task: { op: 'add', p: 97, trainFraction: 0.4, splitSeed: 420 },
    model: { hidden: [250], biasFirst: true, biasHidden: true, biasOut: false },
    optim: { optimizer: 'adamw', lr: 0.03, weightDecay, beta1: 0.9, beta2: 0.98, eps: 1e-8 },
    init: { seed, alpha, zeroOutput: constantNorm, constantNorm, omnigrokBiases: false },
    steps: 4000,
    evalEvery: 5,
    checkpoints: [],
    grokThreshold: 0.98,
  };
}

export function summaryOf(metrics: MetricsRecord[], threshold = 0.98): RunSummary {
  const g = metrics.find((m) => m.testAcc > threshold);
  const last = metrics[metrics.length - 1]!;
  return {
    grokStep: g ? g.step : null,
    memorizeStep: null,
    grokThreshold: threshold,
    stepsDone: last.step,
    finalTrainAcc: last.trainAcc,
    finalTestAcc: last.testAcc,
    finalTrainLoss: last.trainLoss,
    finalTestLoss: last.testLoss,
    wallSeconds: 0,
    trainSeconds: 0,
    measureSeconds: 0,
    backend: 'cpu',
    failed: null,
  };
}
