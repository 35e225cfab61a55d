/**
 * One measurement of the registered measures on one model at one step: the context a measure sees
 * and the dispatch from a registry name to its function (functions.ts). Used by training (session.ts)
 * and by `grokinfo measure` on saved checkpoints (remeasure.ts).
 */
import { GrokinfoError } from '../core/errors.js';
import { loadNative } from '../addon/native.js';
import type { Op } from '../config/types.js';
import {
  absWeightEntropy,
  activationSparsity,
  firstLayerSparsity,
  agopMeasures,
  binnedMI,
  cosineSimilarity,
  fourierLoss,
  fourierMeasures,
  gaussianInfo,
  htsrLayer,
  localCircuitComplexity,
  localComplexity,
  subCovariance,
  weightNorms,
  type GaussianInfo,
} from './functions.js';
import { crossEntropy, forwardData, isDenseData, meanSquaredError, rowsOf, type MlpModel, type PairData, type SplitData } from './model.js';
import {
  KEY_FREQUENCY_THRESHOLD,
  LCC_FRACTION,
  LCC_MASKS,
  LC_DIRECTIONS,
  LC_PROBES,
  LC_RADIUS,
  MI_BINS,
  SPARSITY_TAU,
  checkMeasuresForTask,
  measureDef,
} from './registry.js';

export interface EvalValues {
  trainLoss: number;
  trainAcc: number;
  testLoss: number;
  testAcc: number;
}

export interface MeasureContext {
  model: MlpModel;
  /** The task: a modular op (with its modulus p), or 'mnist' (p unused, 0). */
  op: Op | 'mnist';
  p: number;
  /** The data the data measures see (the kind of the model's input): see DATA_MEASURE_ROWS for the bounds. */
  train: SplitData;
  test: SplitData;
  /** The loss the model was trained with (the loss measure's fallback evaluation; default 'xent'). */
  loss?: 'xent' | 'mse';
  /** Post-ReLU activations of hidden layer l on the training set (N x width). */
  hidden(layer: number): Float32Array;
  /** The trainer's evaluation at this step (else the loss measure runs its own float64 forward pass). */
  eval?: EvalValues;
  /** Hidden layer of the info measure: the O-information engine's layer (config.measure.layer), default 0. */
  infoLayer?: number;
  /** The O-information engine's extreme multiplets at this step (neuron indices), for the info measure. */
  oinfo?: { synergyNeurons: number[]; redundancyNeurons: number[] };
  units: 'bits' | 'nats';
  /** Seed of masks, permutations, probe directions (the run's initialisation seed). */
  seed: number;
  /** Fixed key frequencies for fourier-loss (else this step's key frequencies). */
  keyFrequencies?: number[];
  /** sqrt(AGOP) of the final model, for the AGOP alignment (grokinfo measure). */
  finalSqrtAgop?: Float64Array;
}

export type MeasureValues = Record<string, unknown>;

const toUnits = (nats: number, units: 'bits' | 'nats') => (units === 'bits' ? nats / Math.LN2 : nats);
const infoIn = (g: GaussianInfo, units: 'bits' | 'nats') => ({
  tc: toUnits(g.tc, units),
  dtc: toUnits(g.dtc, units),
  oinfo: toUnits(g.oinfo, units),
  sinfo: toUnits(g.sinfo, units),
});

/** Layer-0 sparsity of a pair model: the native count on float32 weights (the trainer's), the float64 reference otherwise. */
function layer0Sparsity(m: MlpModel, train: PairData): number {
  const l0 = m.layers[0]!;
  if (l0.weight instanceof Float32Array && (l0.bias === null || l0.bias instanceof Float32Array)) {
    const below = loadNative().measuresFirstLayerBelow(l0.weight, l0.rows, l0.cols, l0.bias, m.vocab, train.a, train.b, SPARSITY_TAU) as number;
    return below / (train.a.length * l0.rows);
  }
  return firstLayerSparsity(m, train, SPARSITY_TAU);
}

/** The pair split of a measure defined for modular tasks only (the registry refuses it on dense data before this). */
function pairsOf(d: SplitData, name: string): PairData {
  if (isDenseData(d)) throw new GrokinfoError('INTERNAL', `${name}: a pair model only (the registry limits it to add/sub tasks)`);
  return d;
}

function labelSign(op: Op | 'mnist'): 1 | -1 {
  return op === 'sub' ? -1 : 1;
}

/** Computes one registered measure (not 'oinfo', which is the engine's). */
export async function computeMeasure(name: string, ctx: MeasureContext): Promise<MeasureValues> {
  const def = measureDef(name);
  checkMeasuresForTask([def.name], ctx.op);
  const m = ctx.model;
  const L = m.layers.length - 1; // hidden layers
  switch (name) {
    case 'loss': {
      if (ctx.eval) return { ...ctx.eval };
      const acc = (d: SplitData) => {
        const f = forwardData(m, d);
        const N = rowsOf(d);
        let ok = 0;
        for (let n = 0; n < N; n++) {
          let best = 0;
          for (let c = 1; c < f.classes; c++) if (f.logits[n * f.classes + c]! > f.logits[n * f.classes + best]!) best = c;
          if (best === d.y[n]) ok++;
        }
        return { loss: (ctx.loss === 'mse' ? meanSquaredError : crossEntropy)(f.logits, f.classes, d.y), acc: N ? ok / N : NaN };
      };
      const tr = acc(ctx.train),
        te = acc(ctx.test);
      return { trainLoss: tr.loss, trainAcc: tr.acc, testLoss: te.loss, testAcc: te.acc };
    }
    case 'weight-norm':
      return { ...weightNorms(m) };
    case 'weight-entropy': {
      const perLayer = m.layers.map((l) => absWeightEntropy(l.weight));
      return { total: perLayer.reduce((a, v) => a + v, 0), perLayer };
    }
    case 'sparsity': {
      // layer 0 straight from the weights (no activation copy); deeper layers from their activations
      const perLayer = Array.from({ length: L }, (_, l) =>
        l === 0 && !isDenseData(ctx.train) ? layer0Sparsity(m, ctx.train) : activationSparsity(ctx.hidden(l), rowsOf(ctx.train), m.layers[l]!.rows, SPARSITY_TAU),
      );
      return { tau: SPARSITY_TAU, mean: perLayer.reduce((a, v) => a + v, 0) / L, perLayer };
    }
    case 'fourier': {
      // cheap: component norms from the native Gram matrix of W1's columns; no per-neuron spectra
      const l0 = m.layers[0]!;
      const gram = l0.weight instanceof Float32Array ? (loadNative().measuresGram(l0.weight, l0.rows, l0.cols, false) as Float64Array) : undefined;
      const f = fourierMeasures(m, ctx.p, { keyThreshold: KEY_FREQUENCY_THRESHOLD, neurons: false, ...(gram ? { gram } : {}) });
      return {
        gini: (f.giniA + f.giniB) / 2,
        giniA: f.giniA,
        giniB: f.giniB,
        ipr: (f.iprA + f.iprB) / 2,
        iprA: f.iprA,
        iprB: f.iprB,
        keyFrequencies: f.keyFrequencies,
        frequencyNormsA: f.frequencyNormsA,
        frequencyNormsB: f.frequencyNormsB,
      };
    }
    case 'fourier-neurons': {
      const f = fourierMeasures(m, ctx.p, { keyThreshold: KEY_FREQUENCY_THRESHOLD, neurons: true });
      return { neuronConcentration: f.neuronConcentration };
    }
    case 'fourier-loss': {
      const K = ctx.keyFrequencies ?? fourierMeasures(m, ctx.p, { keyThreshold: KEY_FREQUENCY_THRESHOLD }).keyFrequencies;
      return { ...fourierLoss(m, ctx.p, K, { train: pairsOf(ctx.train, name), test: pairsOf(ctx.test, name) }, labelSign(ctx.op)), keyFrequenciesFixed: ctx.keyFrequencies !== undefined };
    }
    case 'info': {
      const layer = ctx.infoLayer ?? 0;
      const X = ctx.hidden(layer);
      const N = rowsOf(ctx.train),
        H = m.layers[layer]!.rows;
      const alive: number[] = [];
      for (let j = 0; j < H; j++) {
        const v0 = X[j]!;
        for (let n = 1; n < N; n++)
          if (X[n * H + j] !== v0) {
            alive.push(j);
            break;
          }
      }
      if (alive.length < 2) return { alive: alive.length, layer: null, synergy: null, redundancy: null };
      const Xa = new Float32Array(N * alive.length);
      for (let n = 0; n < N; n++) for (let k = 0; k < alive.length; k++) Xa[n * alive.length + k] = X[n * H + alive[k]!]!;
      const cov = (await loadNative().copulaCovariance(Xa, N, alive.length, { ties: 'average', seed: ctx.seed })) as Float64Array;
      const D = alive.length;
      const pos = new Map(alive.map((j, k) => [j, k]));
      const multiplet = (neurons: number[] | undefined) => {
        if (!neurons || neurons.length < 2) return null;
        const idx = neurons.map((j) => pos.get(j)).filter((k): k is number => k !== undefined);
        return { size: idx.length, ...infoIn(gaussianInfo(subCovariance(cov, D, idx), idx.length), ctx.units) };
      };
      return {
        units: ctx.units,
        hiddenLayer: layer,
        alive: D,
        layer: infoIn(gaussianInfo(cov, D), ctx.units),
        synergy: multiplet(ctx.oinfo?.synergyNeurons),
        redundancy: multiplet(ctx.oinfo?.redundancyNeurons),
      };
    }
    case 'htsr': {
      const layers = m.layers.map((l, i) => {
        const r = htsrLayer(l.weight, l.rows, l.cols, { seed: ctx.seed + i });
        return { rows: r.rows, cols: r.cols, alpha: r.fit?.alpha ?? null, ks: r.fit?.ks ?? null, tail: r.fit?.tail ?? 0, xmin: r.fit?.xmin ?? null, traps: r.traps };
      });
      const fitted = layers.filter((l) => l.alpha !== null);
      return {
        alphaMean: fitted.length ? fitted.reduce((a, l) => a + l.alpha!, 0) / fitted.length : null,
        traps: layers.reduce((a, l) => a + l.traps, 0),
        layers,
      };
    }
    case 'circuit-complexity':
      return { value: localCircuitComplexity(m, ctx.train, { fraction: LCC_FRACTION, masks: LCC_MASKS, seed: ctx.seed }), fraction: LCC_FRACTION };
    case 'mi': {
      const per = Array.from({ length: L }, (_, l) => binnedMI(ctx.hidden(l), rowsOf(ctx.train), m.layers[l]!.rows, ctx.train.y, MI_BINS));
      return { itx: per[0]!.itx, ity: per[0]!.ity, bins: MI_BINS, layers: per.map((r) => ({ itx: r.itx, ity: r.ity })) };
    }
    case 'local-complexity': {
      const r = localComplexity(m, { train: ctx.train, test: ctx.test }, { directions: LC_DIRECTIONS, radius: LC_RADIUS, seed: ctx.seed, maxProbes: LC_PROBES });
      return { ...r };
    }
    case 'agop': {
      if (L !== 1) return { note: 'AGOP measures need one hidden layer', circulantDeviationPlus: null };
      const X = ctx.hidden(0);
      const train = pairsOf(ctx.train, name);
      const S = loadNative().measuresGram(X, rowsOf(train), m.layers[0]!.rows, true) as Float64Array;
      const r = agopMeasures(m, train, S);
      return {
        circulantDeviationPlus: r.circulantDeviationPlus,
        circulantDeviationMinus: r.circulantDeviationMinus,
        nfaCorrelation: r.nfaCorrelation,
        ...(ctx.finalSqrtAgop ? { alignment: cosineSimilarity(r.sqrtAgop, ctx.finalSqrtAgop) } : {}),
      };
    }
    case 'oinfo':
      throw new GrokinfoError('INTERNAL', "computeMeasure: 'oinfo' runs in the O-information engine");
    default:
      throw new GrokinfoError('INTERNAL', `computeMeasure: no implementation for '${name}'`);
  }
}

/** One line of measures.jsonl: every measure taken at `step`, with the seconds each took. */
export interface MeasuresRecord {
  step: number;
  values: Record<string, MeasureValues>;
  seconds: Record<string, number>;
}

/**
 * Computes `names` at one step into one record. A measure the state does not admit (INVALID_DATA, e.g. a
 * spectrum fit on a zero matrix) is recorded as { error: message } and the others go on.
 */
export async function measureStep(step: number, names: readonly string[], ctx: MeasureContext): Promise<MeasuresRecord> {
  const rec: MeasuresRecord = { step, values: {}, seconds: {} };
  for (const n of names) {
    const t0 = performance.now();
    try {
      rec.values[n] = await computeMeasure(n, ctx);
    } catch (e) {
      // the model's state does not admit this measure at this step (a degenerate input): record why and go
      // on training; anything else is a bug and stops the run
      if (!(e instanceof GrokinfoError && e.code === 'INVALID_DATA')) throw e;
      rec.values[n] = { error: e.message };
    }
    rec.seconds[n] = (performance.now() - t0) / 1000;
  }
  return rec;
}
