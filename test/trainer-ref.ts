/**
 * An independent float64 reference of the training engine, written plainly from the definitions
 * (METHOD.md §1, PyTorch's Linear / CrossEntropyLoss / MSELoss(reduction='mean') on one-hot targets /
 * AdamW / Adam / SGD), for the trainer tests. Inputs: token pairs (one-hot, as a dense product on
 * purpose) or dense rows X (n x inputDim).
 */
import type { ArchConfig, ModelSpec } from '../src/training/trainer.js';

export interface Data {
  A?: Int32Array;
  B?: Int32Array;
  /** Dense inputs, n x inputDim row-major (arch.input 'dense'). */
  X?: ArrayLike<number>;
  Y: Int32Array;
}

/** The samples idx of a data set (a minibatch), in that order. */
export function subset(arch: ArchConfig, d: Data, idx: ArrayLike<number>): Data {
  const Y = Int32Array.from(idx, (i) => d.Y[i]);
  if (arch.input === 'dense') {
    const D = arch.inputDim!;
    const X = new Float64Array(idx.length * D);
    for (let r = 0; r < idx.length; r++) for (let k = 0; k < D; k++) X[r * D + k] = d.X![idx[r] * D + k];
    return { X, Y };
  }
  return { A: Int32Array.from(idx, (i) => d.A![i]), B: Int32Array.from(idx, (i) => d.B![i]), Y };
}

interface Layer {
  W: number; // offset
  b: number; // offset or -1
  out: number;
  in: number;
}

export function layers(arch: ArchConfig): Layer[] {
  const L = arch.hidden.length;
  const res: Layer[] = [];
  let off = 0;
  let fin = arch.input === 'dense' ? arch.inputDim! : 2 * arch.vocab;
  for (let l = 0; l <= L; l++) {
    const o = l < L ? arch.hidden[l] : arch.out;
    const W = off;
    off += o * fin;
    const has = l === 0 ? arch.biasFirst : l < L ? arch.biasHidden : arch.biasOut;
    const b = has ? off : -1;
    if (has) off += o;
    res.push({ W, b, out: o, in: fin });
    fin = o;
  }
  return res;
}

/** Mean loss (cross-entropy, or MSE for arch.loss 'mse') of the model on the data, and (when wanted) its gradient, in float64. */
export function lossAndGrad(arch: ArchConfig, p: Float64Array, d: Data, wantGrad = true): { loss: number; acc: number; grad: Float64Array } {
  const ls = layers(arch);
  const L = arch.hidden.length;
  const N = d.Y.length;
  const mse = arch.loss === 'mse';
  const grad = new Float64Array(p.length);
  let loss = 0;
  let correct = 0;
  for (let n = 0; n < N; n++) {
    // forward: x = one_hot(a) ++ one_hot(b), computed as a dense product on purpose
    let x: Float64Array;
    if (arch.input === 'dense') {
      const D = arch.inputDim!;
      x = new Float64Array(D);
      for (let k = 0; k < D; k++) x[k] = d.X![n * D + k];
    } else {
      x = new Float64Array(2 * arch.vocab);
      x[d.A![n]] = 1;
      x[arch.vocab + d.B![n]] = 1;
    }
    const acts: Float64Array[] = [x];
    for (let l = 0; l <= L; l++) {
      const { W, b, out, in: fin } = ls[l];
      const h = new Float64Array(out);
      const prev = acts[l];
      for (let i = 0; i < out; i++) {
        let s = b >= 0 ? p[b + i] : 0;
        for (let k = 0; k < fin; k++) s += p[W + i * fin + k] * prev[k];
        h[i] = l < L ? Math.max(0, s) : s;
      }
      acts.push(h);
    }
    const z = acts[L + 1];
    let m = -Infinity;
    let arg = 0;
    for (let c = 0; c < z.length; c++)
      if (z[c] > m) {
        m = z[c];
        arg = c;
      }
    if (arg === d.Y[n]) correct++;
    let delta = new Float64Array(z.length);
    if (mse) {
      // nn.MSELoss(reduction='mean') on one_hot(y): mean over samples and classes of (z - t)^2
      const C = z.length;
      let s = 0;
      for (let c = 0; c < C; c++) {
        const e = z[c] - (c === d.Y[n] ? 1 : 0);
        s += e * e;
        delta[c] = (2 * e) / (N * C);
      }
      loss += s / C;
    } else {
      let se = 0;
      for (let c = 0; c < z.length; c++) se += Math.exp(z[c] - m);
      const lse = m + Math.log(se);
      loss += lse - z[d.Y[n]];
      for (let c = 0; c < z.length; c++) delta[c] = (Math.exp(z[c] - lse) - (c === d.Y[n] ? 1 : 0)) / N;
    }
    if (!wantGrad) continue;
    // backward
    for (let l = L; l >= 0; l--) {
      const { W, b, out, in: fin } = ls[l];
      const prev = acts[l];
      const dprev = new Float64Array(fin);
      for (let i = 0; i < out; i++) {
        if (b >= 0) grad[b + i] += delta[i];
        for (let k = 0; k < fin; k++) {
          grad[W + i * fin + k] += delta[i] * prev[k];
          dprev[k] += p[W + i * fin + k] * delta[i];
        }
      }
      if (l > 0) for (let k = 0; k < fin; k++) if (!(prev[k] > 0)) dprev[k] = 0;
      delta = dprev;
    }
  }
  return { loss: loss / N, acc: correct / N, grad };
}

/** The state of one model under the reference optimiser. */
export class RefModel {
  m: Float64Array;
  v: Float64Array;
  t = 0;
  constructor(
    readonly arch: ArchConfig,
    readonly spec: ModelSpec,
    readonly p: Float64Array,
    readonly targetNorm: number,
  ) {
    this.m = new Float64Array(p.length);
    this.v = new Float64Array(p.length);
  }

  /** sqrt(sum of squares) of the weight matrices (and biases when withBiases). */
  static norm(arch: ArchConfig, p: Float64Array, withBiases: boolean): number {
    let s = 0;
    for (const l of layers(arch)) {
      for (let i = 0; i < l.out * l.in; i++) s += p[l.W + i] ** 2;
      if (withBiases && l.b >= 0) for (let i = 0; i < l.out; i++) s += p[l.b + i] ** 2;
    }
    return Math.sqrt(s);
  }

  /** One full-batch step as PyTorch does it (torch.optim.AdamW / Adam / SGD, foreach=False). */
  step(d: Data, keep?: Uint8Array, maskBias = false): void {
    const { grad } = lossAndGrad(this.arch, this.p, d);
    const s = this.spec;
    const p = this.p;
    this.t++;
    if (s.optimizer === 'sgd') {
      for (let i = 0; i < p.length; i++) p[i] -= s.lr * (grad[i] + s.weightDecay * p[i]);
    } else {
      const bc1 = 1 - s.beta1 ** this.t;
      const bc2 = 1 - s.beta2 ** this.t;
      const stepSize = s.lr / bc1;
      for (let i = 0; i < p.length; i++) {
        let g = grad[i];
        if (s.optimizer === 'adamw') p[i] *= 1 - s.lr * s.weightDecay;
        else g += s.weightDecay * p[i];
        this.m[i] = s.beta1 * this.m[i] + (1 - s.beta1) * g;
        this.v[i] = s.beta2 * this.v[i] + (1 - s.beta2) * g * g;
        const denom = Math.sqrt(this.v[i]) / Math.sqrt(bc2) + s.eps;
        p[i] -= (stepSize * this.m[i]) / denom;
      }
    }
    if (keep) {
      const l0 = layers(this.arch)[0];
      for (let j = 0; j < l0.out; j++)
        if (!keep[j]) {
          for (let k = 0; k < l0.in; k++) p[l0.W + j * l0.in + k] = 0;
          if (maskBias && l0.b >= 0) p[l0.b + j] = 0;
        }
    }
    if (s.constantNorm) {
      const f = this.targetNorm / RefModel.norm(this.arch, p, s.omnigrokBiases);
      for (const l of layers(this.arch)) {
        for (let i = 0; i < l.out * l.in; i++) p[l.W + i] *= f;
        if (s.omnigrokBiases && l.b >= 0) for (let i = 0; i < l.out; i++) p[l.b + i] *= f;
      }
    }
  }
}

/** max |a - b| / (atol + rtol |b|) over all entries (<= 1 means within tolerance). */
export function worst(a: ArrayLike<number>, b: ArrayLike<number>, atol: number, rtol: number): number {
  let w = 0;
  for (let i = 0; i < a.length; i++) w = Math.max(w, Math.abs(a[i] - b[i]) / (atol + rtol * Math.abs(b[i])));
  return w;
}
