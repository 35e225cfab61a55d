/**
 * The model the measures see: an MLP on one-hot pairs (a, b) or on dense rows x (MNIST pixels) -> logits, as
 * trained by grokinfo (layers.<l>.weight rows x cols, PyTorch Linear layout; ReLU on every layer but the
 * last), with a float64 forward pass. Built from a trainer's flat parameters, a checkpoint, or plain arrays.
 * The data is the matching kind: PairData (a, b, y) or DenseData (x, dim, y).
 */
import { loadNative } from '../addon/native.js';
import { invalidArgument } from '../core/errors.js';
import type { ArchConfig, ParamInfo } from '../training/trainer.js';

export type Vec = Float32Array | Float64Array;

export interface DenseLayer {
  /** rows (outputs) x cols (inputs), row-major. */
  weight: Vec;
  rows: number;
  cols: number;
  bias: Vec | null;
}

/**
 * An MLP: hidden ReLU layers, then linear logits. Its input is either x = [one_hot(a); one_hot(b)]
 * (pairs: 2 * vocab inputs, inputDim absent) or dense rows of inputDim features (vocab 0).
 */
export interface MlpModel {
  vocab: number;
  /** Dense input of this many features (then vocab is 0); absent for a pair model. */
  inputDim?: number;
  layers: DenseLayer[];
}

/** The modular-arithmetic split the data measures evaluate on. */
export interface PairData {
  a: Int32Array;
  b: Int32Array;
  y: Int32Array;
}

/** A dense-input split: rows of `dim` features (row-major, N x dim) and their class labels. */
export interface DenseData {
  x: Float32Array | Float64Array;
  dim: number;
  y: Int32Array;
}

/** The data a measure evaluates on: the kind matches the model's input. */
export type SplitData = PairData | DenseData;

export function isDenseModel(m: MlpModel): boolean {
  return m.inputDim !== undefined;
}
export function isDenseData(d: SplitData): d is DenseData {
  return (d as DenseData).x !== undefined;
}
/** Number of samples (rows) of a split. */
export function rowsOf(d: SplitData): number {
  return d.y.length;
}
/** Inputs of the first layer: 2 * vocab for pairs, inputDim for dense. */
export function inputWidth(m: MlpModel): number {
  return m.inputDim !== undefined ? m.inputDim : 2 * m.vocab;
}

/** Rows [from, to) of a split (views, no copy). */
export function sliceData<D extends SplitData>(d: D, from: number, to: number): D {
  if (isDenseData(d)) return { x: d.x.subarray(from * d.dim, to * d.dim), dim: d.dim, y: d.y.subarray(from, to) } as D;
  const p = d as PairData;
  return { a: p.a.subarray(from, to), b: p.b.subarray(from, to), y: p.y.subarray(from, to) } as D;
}

/**
 * A bounded, deterministic subset of a split: at most `max` rows, evenly spaced (row floor(t * N / count)).
 * MNIST splits list their digits class by class, so evenly spaced rows keep the class proportions. The
 * whole split when it has at most `max` rows.
 */
export function evenSubset<D extends SplitData>(d: D, max: number): D {
  const N = rowsOf(d);
  if (N <= max) return d;
  const idx = Array.from({ length: max }, (_, t) => Math.floor((t * N) / max));
  const y = Int32Array.from(idx, (n) => d.y[n]!);
  if (isDenseData(d)) {
    const x = new Float32Array(max * d.dim);
    idx.forEach((n, t) => x.set(d.x.subarray(n * d.dim, (n + 1) * d.dim), t * d.dim));
    return { x, dim: d.dim, y } as D;
  }
  const p = d as PairData;
  return { a: Int32Array.from(idx, (n) => p.a[n]!), b: Int32Array.from(idx, (n) => p.b[n]!), y } as D;
}

/** Slices a flat parameter vector (layout from paramLayout) into an MlpModel (views, no copy). */
export function modelFromParams(arch: ArchConfig, layout: ParamInfo[], params: Vec): MlpModel {
  const L = arch.hidden.length;
  const layers: DenseLayer[] = [];
  for (let l = 0; l <= L; l++) {
    const w = layout.find((t) => t.name === `layers.${l}.weight`);
    if (!w) throw invalidArgument('params', `a tensor layers.${l}.weight`, layout.map((t) => t.name));
    const b = layout.find((t) => t.name === `layers.${l}.bias`);
    layers.push({
      weight: params.subarray(w.offset, w.offset + w.size) as Vec,
      rows: w.shape[0]!,
      cols: w.shape[1]!,
      bias: b ? (params.subarray(b.offset, b.offset + b.size) as Vec) : null,
    });
  }
  const m: MlpModel = arch.input === 'dense' ? { vocab: 0, inputDim: arch.inputDim ?? layers[0]!.cols, layers } : { vocab: arch.vocab, layers };
  validateModel(m);
  return m;
}

/** Throws INVALID_ARGUMENT naming the first inconsistent layer. */
export function validateModel(m: MlpModel): void {
  if (!m || !Array.isArray(m.layers) || m.layers.length < 1) throw invalidArgument('model.layers', 'at least one dense layer', m?.layers?.length);
  if (m.inputDim !== undefined && !(Number.isInteger(m.inputDim) && m.inputDim >= 1 && m.vocab === 0))
    throw invalidArgument('model.inputDim', 'an integer >= 1 with vocab 0 (a dense-input model)', [m.inputDim, m.vocab]);
  let fanIn = inputWidth(m);
  m.layers.forEach((l, i) => {
    if (l.cols !== fanIn) throw invalidArgument(`model.layers[${i}].cols`, `${fanIn} (the previous layer's width)`, l.cols);
    if (l.weight.length !== l.rows * l.cols) throw invalidArgument(`model.layers[${i}].weight`, `${l.rows * l.cols} values`, l.weight.length);
    if (l.bias && l.bias.length !== l.rows) throw invalidArgument(`model.layers[${i}].bias`, `${l.rows} values`, l.bias.length);
    fanIn = l.rows;
  });
}

export interface Forward {
  /** Post-ReLU activations of each hidden layer, N x width, float64. */
  hidden: Float64Array[];
  /** Pre-activations of every layer (hidden and logits), N x width. */
  pre: Float64Array[];
  logits: Float64Array;
  classes: number;
}

/**
 * Float64 forward pass on the pairs (a[n], b[n]) in the native addon (native/measures.cpp forward_f64; the
 * O(N x D^2) part of the data measures). Layer 0 is a gather of two weight columns.
 */
export function forward(m: MlpModel, a: Int32Array, b: Int32Array): Forward {
  return forwardData(m, { a, b, y: new Int32Array(a.length) });
}

/**
 * Float64 forward pass on a split of the model's kind: pairs (layer 0 a gather of two weight columns) or dense
 * rows (layer 0 a product with the N x inputDim rows, widened to float64), both in native/measures.cpp
 * forward_f64 (threads over rows).
 */
export function forwardData(m: MlpModel, d: SplitData): Forward {
  validateModel(m);
  const f64 = (v: Vec): Float64Array => (v instanceof Float64Array ? v : Float64Array.from(v));
  const layers = m.layers.map((l) => ({ weight: f64(l.weight), bias: l.bias ? f64(l.bias) : null, rows: l.rows, cols: l.cols }));
  const N = rowsOf(d);
  if (isDenseModel(m) !== isDenseData(d))
    throw invalidArgument('data', isDenseModel(m) ? `dense rows (x, dim ${m.inputDim}) for a dense-input model` : 'pairs (a, b) for a pair model', isDenseData(d) ? 'dense rows' : 'pairs');
  let pre: Float64Array[];
  if (isDenseData(d)) {
    if (d.dim !== m.inputDim || d.x.length !== N * d.dim) throw invalidArgument('data.x', `${N} x ${m.inputDim} values`, [d.dim, d.x.length]);
    pre = loadNative().measuresForward(layers, 0, null, null, f64(d.x), N) as Float64Array[];
  } else pre = loadNative().measuresForward(layers, m.vocab, d.a, d.b, null, N) as Float64Array[];
  const hidden = pre.slice(0, -1).map((z) => {
    const h = new Float64Array(z.length);
    for (let i = 0; i < z.length; i++) h[i] = z[i]! > 0 ? z[i]! : 0;
    return h;
  });
  return { hidden, pre, logits: pre[pre.length - 1]!, classes: m.layers[m.layers.length - 1]!.rows };
}

/** The trainer's MSE (PyTorch MSELoss on one-hot targets: mean over rows and classes), float64. */
export function meanSquaredError(logits: ArrayLike<number>, classes: number, y: ArrayLike<number>): number {
  const N = y.length;
  let total = 0;
  for (let n = 0; n < N; n++)
    for (let c = 0; c < classes; c++) {
      const e = logits[n * classes + c]! - (c === y[n] ? 1 : 0);
      total += e * e;
    }
  return N > 0 ? total / (N * classes) : NaN;
}

/** Per-row log-softmax cross-entropy (nats), float64, mean over rows. */
export function crossEntropy(logits: ArrayLike<number>, classes: number, y: ArrayLike<number>): number {
  const N = y.length;
  let total = 0;
  for (let n = 0; n < N; n++) {
    const o = n * classes;
    let mx = -Infinity;
    for (let c = 0; c < classes; c++) mx = Math.max(mx, logits[o + c]!);
    let s = 0;
    for (let c = 0; c < classes; c++) s += Math.exp(logits[o + c]! - mx);
    total += mx + Math.log(s) - logits[o + y[n]!]!;
  }
  return N > 0 ? total / N : NaN;
}

/** The full p x p grid of pairs, (a, b) in lexicographic order, labels from `op`. */
export function gridPairs(p: number, label: (a: number, b: number) => number): PairData {
  const a = new Int32Array(p * p),
    b = new Int32Array(p * p),
    y = new Int32Array(p * p);
  for (let i = 0; i < p; i++)
    for (let j = 0; j < p; j++) {
      a[i * p + j] = i;
      b[i * p + j] = j;
      y[i * p + j] = label(i, j);
    }
  return { a, b, y };
}

/** A seeded uniform generator (mulberry32) for masks, permutations and probe directions. */
export function seededUniform(seed: number): () => number {
  let s = seed >>> 0 || 0x9e3779b9;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal draws (Box-Muller) from a seeded uniform generator. */
export function seededNormal(seed: number): () => number {
  const u = seededUniform(seed);
  return () => {
    const u1 = u() || 1e-300;
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u());
  };
}
