/**
 * The progress measures as typed functions on weights and activations (definitions and sources:
 * docs/measures.md). Everything is float64; inputs are validated with coded errors. The framework
 * (registry.ts) calls these during training and on saved checkpoints; they are exported for direct use.
 */
import { loadNative } from '../addon/native.js';
import { GrokinfoError, invalidArgument } from '../core/errors.js';
import { gramOfColumns, logDetAndInverseDiagonal, squaredSingularValues, symmetricEigenQL } from './linalg.js';
import { forward, forwardData, gridPairs, inputWidth, isDenseData, rowsOf, seededNormal, seededUniform, type MlpModel, type PairData, type SplitData, type Vec } from './model.js';

const LN2 = Math.LN2;

function checkMatrix(what: string, x: ArrayLike<number>, rows: number, cols: number): void {
  if (!Number.isInteger(rows) || rows < 1 || !Number.isInteger(cols) || cols < 1) throw invalidArgument(`${what} shape`, 'positive integer rows and cols', [rows, cols]);
  if (!x || x.length !== rows * cols) throw invalidArgument(what, `${rows * cols} values (rows x cols)`, x?.length);
}

// ---------------------------------------------------------------------------------------------
// Weights

/** Frobenius norms of the weight matrices (biases excluded) and of all of them together. */
export function weightNorms(m: MlpModel): { total: number; perLayer: number[] } {
  const perLayer = m.layers.map((l) => {
    let s = 0;
    for (let i = 0; i < l.weight.length; i++) s += l.weight[i]! * l.weight[i]!;
    return Math.sqrt(s);
  });
  return { total: Math.sqrt(perLayer.reduce((a, v) => a + v * v, 0)), perLayer };
}

/** Absolute weight entropy (Golechha 2024): H(W) = -sum |w| ln |w| over a matrix's entries (0 ln 0 = 0), nats. */
export function absWeightEntropy(w: ArrayLike<number>): number {
  let h = 0;
  for (let i = 0; i < w.length; i++) {
    const a = Math.abs(w[i]!);
    if (a > 0) h -= a * Math.log(a);
  }
  return h;
}

/**
 * Activation sparsity of the first hidden layer straight from the weights (no activation matrix): the fraction
 * of (sample, unit) pairs with W1[k, a] + W1[k, p + b] + b1[k] < tau (ReLU(z) < tau iff z < tau for tau > 0).
 */
export function firstLayerSparsity(m: MlpModel, data: PairData, tau = 0.1): number {
  if (!(tau > 0)) throw invalidArgument('tau', 'a number > 0 (the weight shortcut; use activationSparsity otherwise)', tau);
  const l0 = m.layers[0]!;
  const H = l0.rows,
    D = l0.cols;
  // transposed columns: WT[c][k] = W1[k][c] - tau/2 (so a column pair plus the bias compares with 0)
  const WT = new Float64Array(D * H);
  for (let k = 0; k < H; k++) for (let c = 0; c < D; c++) WT[c * H + k] = l0.weight[k * D + c]!;
  const bias = new Float64Array(H);
  for (let k = 0; k < H; k++) bias[k] = (l0.bias ? l0.bias[k]! : 0) - tau;
  let below = 0;
  const N = data.a.length;
  for (let n = 0; n < N; n++) {
    const oa = data.a[n]! * H,
      ob = (m.vocab + data.b[n]!) * H;
    for (let k = 0; k < H; k++) if (WT[oa + k]! + WT[ob + k]! + bias[k]! < 0) below++;
  }
  return N > 0 ? below / (N * H) : NaN;
}

/** Golechha's activation sparsity: fraction of entries of an N x H activation matrix below tau (default 0.1). */
export function activationSparsity(acts: ArrayLike<number>, rows: number, cols: number, tau = 0.1): number {
  checkMatrix('activations', acts, rows, cols);
  if (!Number.isFinite(tau)) throw invalidArgument('tau', 'a finite number', tau);
  let c = 0;
  for (let i = 0; i < acts.length; i++) if (acts[i]! < tau) c++;
  return c / acts.length;
}

export interface PowerLawFit {
  /** Exponent of p(lambda) ~ lambda^-alpha on [xmin, max]. */
  alpha: number;
  xmin: number;
  /** Kolmogorov-Smirnov distance of the tail to the fitted law. */
  ks: number;
  /** Eigenvalues in the tail (>= xmin). */
  tail: number;
  /** Standard error (alpha - 1) / sqrt(tail). */
  sigma: number;
}

/**
 * Power-law fit of an empirical spectral density as WeightWatcher does (Clauset, Shalizi & Newman 2009):
 * eigenvalues <= 1e-5 dropped; for each candidate xmin (every eigenvalue but the largest) the continuous MLE
 * alpha = 1 + n / sum ln(lambda / xmin) and the KS distance of the tail; the candidate with the least KS wins.
 */
export function powerLawFit(eigenvalues: ArrayLike<number>): PowerLawFit {
  const ev = Array.from(eigenvalues as ArrayLike<number>)
    .filter((v) => v > 1e-5)
    .sort((a, b) => a - b);
  const n = ev.length;
  if (n < 2) throw new GrokinfoError('INVALID_DATA', `power-law fit: needs at least 2 eigenvalues > 1e-5 (got ${n})`);
  const logs = ev.map(Math.log);
  // suffix sums of ln lambda
  const suf = new Float64Array(n + 1);
  for (let i = n - 1; i >= 0; i--) suf[i] = suf[i + 1]! + logs[i]!;
  let best: PowerLawFit = { alpha: NaN, xmin: NaN, ks: Infinity, tail: 0, sigma: NaN };
  for (let i = 0; i < n - 1; i++) {
    const m = n - i;
    const denom = suf[i]! - m * logs[i]!;
    if (!(denom > 0)) continue;
    const alpha = 1 + m / denom;
    let D = 1;
    if (alpha > 1) {
      D = 0;
      for (let j = i; j < n; j++) D = Math.max(D, Math.abs(1 - Math.pow(ev[j]! / ev[i]!, 1 - alpha) - (j - i) / m));
    }
    if (D < best.ks) best = { alpha, xmin: ev[i]!, ks: D, tail: m, sigma: (alpha - 1) / Math.sqrt(m) };
  }
  if (!Number.isFinite(best.alpha)) throw new GrokinfoError('INVALID_DATA', 'power-law fit: all eigenvalues tie');
  return best;
}

export interface HtsrLayer {
  rows: number;
  cols: number;
  fit: PowerLawFit | null;
  /** Eigenvalues of the element-wise randomised matrix beyond the Marchenko-Pastur edge plus one Tracy-Widom width. */
  traps: number;
  /** The edge used, in the units of the eigenvalues (lambda = sigma_i(W)^2). */
  mpEdge: number;
  largestEigenvalue: number;
}

/**
 * Heavy-tailed self-regularisation of one weight matrix (rows x cols): ESD lambda_i = sigma_i(W)^2 (no 1/N,
 * as WeightWatcher), its power-law fit, and correlation traps: the entries are permuted (seeded), and the
 * randomised matrix's eigenvalues above the Marchenko-Pastur bulk edge N s^2 (1 + Q^-1/2)^2 plus one
 * Tracy-Widom width are counted, with s^2 the variance of the entries (N = max dim, Q = N / M).
 * Matrices with fewer than `minDim` (default 10) rows or columns get fit null and 0 traps (skipped, as WeightWatcher);
 * a degenerate spectrum (fewer than two eigenvalues above 1e-5, or all tied: a zero matrix) gets fit null.
 */
export function htsrLayer(W: ArrayLike<number>, rows: number, cols: number, opts: { seed?: number; minDim?: number } = {}): HtsrLayer {
  checkMatrix('weight', W, rows, cols);
  const N = Math.max(rows, cols),
    M = Math.min(rows, cols);
  if (M < (opts.minDim ?? 10)) return { rows, cols, fit: null, traps: 0, mpEdge: NaN, largestEigenvalue: NaN };
  const ev = squaredSingularValues(W, rows, cols);
  // a degenerate spectrum (e.g. a zeroed output layer: fewer than two eigenvalues above the cutoff, or all
  // tied) has no power law to fit: fit null, as for a small matrix
  let fit: PowerLawFit | null = null;
  try {
    fit = powerLawFit(ev);
  } catch (e) {
    if (!(e instanceof GrokinfoError && e.code === 'INVALID_DATA')) throw e;
  }
  // element-wise randomisation (Fisher-Yates with a seeded generator)
  const R = Float64Array.from(W as ArrayLike<number>);
  const u = seededUniform(opts.seed ?? 0);
  for (let i = R.length - 1; i > 0; i--) {
    const j = Math.floor(u() * (i + 1));
    const t = R[i]!;
    R[i] = R[j]!;
    R[j] = t;
  }
  let mean = 0;
  for (let i = 0; i < R.length; i++) mean += R[i]!;
  mean /= R.length;
  let v = 0;
  for (let i = 0; i < R.length; i++) v += (R[i]! - mean) ** 2;
  v /= R.length;
  const Q = N / M;
  const lplus = (1 + 1 / Math.sqrt(Q)) ** 2; // in units of N s^2
  const tw = Math.pow(Q, -0.5) * Math.pow(lplus, 2 / 3) * Math.pow(M, -2 / 3);
  const edge = N * v * (lplus + Math.sqrt(tw));
  const rev = squaredSingularValues(R, rows, cols);
  let traps = 0;
  for (const x of rev) if (x > edge) traps++;
  return { rows, cols, fit, traps, mpEdge: edge, largestEigenvalue: ev[ev.length - 1]! };
}

// ---------------------------------------------------------------------------------------------
// Fourier measures (modular arithmetic, Z_p)

/**
 * The real Fourier basis of Z_p, p x p row-major: row 0 constant 1/sqrt(p), then for k = 1..floor((p-1)/2)
 * rows sqrt(2/p) cos(2 pi k x / p) and sqrt(2/p) sin(2 pi k x / p); for even p a last row cos(pi x)/sqrt(p).
 * Orthonormal. frequencyOf[row] is k (0 for the constant).
 */
export function fourierBasis(p: number): { F: Float64Array; frequencyOf: Int32Array } {
  if (!Number.isInteger(p) || p < 2) throw invalidArgument('p', 'an integer >= 2', p);
  const F = new Float64Array(p * p);
  const frequencyOf = new Int32Array(p);
  for (let x = 0; x < p; x++) F[x] = 1 / Math.sqrt(p);
  let r = 1;
  for (let k = 1; 2 * k < p; k++) {
    for (let x = 0; x < p; x++) {
      F[r * p + x] = Math.sqrt(2 / p) * Math.cos((2 * Math.PI * k * x) / p);
      F[(r + 1) * p + x] = Math.sqrt(2 / p) * Math.sin((2 * Math.PI * k * x) / p);
    }
    frequencyOf[r] = k;
    frequencyOf[r + 1] = k;
    r += 2;
  }
  if (p % 2 === 0) {
    for (let x = 0; x < p; x++) F[r * p + x] = (x % 2 === 0 ? 1 : -1) / Math.sqrt(p);
    frequencyOf[r] = p / 2;
  }
  return { F, frequencyOf };
}

/** Gini coefficient of non-negative values (Hurley & Rickard 2009): 1 - 2 sum_k (c_(k)/|c|_1)(N - k + 1/2)/N, c ascending. */
export function gini(values: ArrayLike<number>): number {
  const c = Array.from(values as ArrayLike<number>).sort((a, b) => a - b);
  const N = c.length;
  const s = c.reduce((a, v) => a + v, 0);
  if (N === 0 || !(s > 0)) return 0;
  let g = 0;
  for (let k = 1; k <= N; k++) g += (c[k - 1]! / s) * ((N - k + 0.5) / N);
  return 1 - 2 * g;
}

/** Inverse participation ratio sum n^4 / (sum n^2)^2 of component norms (1/N uniform .. 1 one component). */
export function ipr(values: ArrayLike<number>): number {
  let s2 = 0,
    s4 = 0;
  for (let i = 0; i < values.length; i++) {
    const q = values[i]! ** 2;
    s2 += q;
    s4 += q * q;
  }
  return s2 > 0 ? s4 / (s2 * s2) : 0;
}

export interface FourierMeasures {
  p: number;
  /** Norm of each real-Fourier component (p of them, basis order) of the a- and b-embeddings. */
  componentNormsA: number[];
  componentNormsB: number[];
  /** Norm per frequency k = 0..floor(p/2) (cos and sin pooled). */
  frequencyNormsA: number[];
  frequencyNormsB: number[];
  /** Gini and IPR over the p component norms, a and b. */
  giniA: number;
  giniB: number;
  iprA: number;
  iprB: number;
  /** Frequencies k >= 1 whose pooled (a and b) norm exceeds keyThreshold x the largest. */
  keyFrequencies: number[];
  keyThreshold: number;
  /** Median over neurons with Fourier energy of the share of a neuron's energy (a and b, k >= 1) in its top frequency (NaN when neurons: false). */
  neuronConcentration: number;
}

/**
 * Nanda et al. (2023) Fourier measures adapted to the MLP's first layer: E_a = W1[:, 0:p] and E_b = W1[:, p:2p]
 * (hidden x p), coefficients C = E F^T in the real Fourier basis of Z_p, component norms = column norms of C.
 */
export function fourierMeasures(m: MlpModel, p: number, opts: { keyThreshold?: number; neurons?: boolean; gram?: Float64Array } = {}): FourierMeasures {
  const l0 = m.layers[0]!;
  if (m.vocab !== p || l0.cols !== 2 * p) throw invalidArgument('p', `the model's vocabulary (${m.vocab}), with 2p first-layer inputs`, p);
  const thr = opts.keyThreshold ?? 0.25;
  const { F, frequencyOf } = fourierBasis(p);
  const H = l0.rows;
  const K = Math.floor(p / 2);
  const coef = (offset: number) => {
    // C[h][r] = sum_x W[h][offset + x] F[r][x]
    const C = new Float64Array(H * p);
    for (let h = 0; h < H; h++)
      for (let r = 0; r < p; r++) {
        let s = 0;
        for (let x = 0; x < p; x++) s += l0.weight[h * l0.cols + offset + x]! * F[r * p + x]!;
        C[h * p + r] = s;
      }
    return C;
  };
  const neurons = opts.neurons ?? true;
  const Ca = neurons ? coef(0) : null,
    Cb = neurons ? coef(p) : null;
  const compNorms = (C: Float64Array) =>
    Array.from({ length: p }, (_, r) => {
      let s = 0;
      for (let h = 0; h < H; h++) s += C[h * p + r]! ** 2;
      return Math.sqrt(s);
    });
  // Without the per-neuron coefficients, from the Gram matrix G of W1's columns (block E^T E of one side):
  // |C[:, cos k]|^2 = (1/p) [sum_d g-(d) cos(w d) + sum_s g+(s) cos(w s)], |C[:, sin k]|^2 = (1/p) [same - same],
  // with g-(d) = sum_{x - y = d} G[x][y] and g+(s) = sum_{x + y = s} G[x][y] (mod p): O(p^2) after the Gram.
  const gramNorms = (offset: number) => {
    const D = l0.cols;
    const G = opts.gram ?? gramOfColumns(l0.weight, H, D);
    if (G.length !== D * D) throw invalidArgument('gram', `${D * D} values (W1^T W1)`, G.length);
    const gm = new Float64Array(p),
      gp = new Float64Array(p);
    let tr = 0;
    for (let x = 0; x < p; x++)
      for (let y = 0; y < p; y++) {
        const v = G[(offset + x) * D + offset + y]!;
        gm[(x - y + p) % p] += v;
        gp[(x + y) % p] += v;
      }
    for (let x = 0; x < p; x++) tr += G[(offset + x) * D + offset + x]!;
    const out = new Array<number>(p).fill(0);
    let sum = 0;
    for (let d = 0; d < p; d++) sum += gm[d]!;
    out[0] = Math.sqrt(Math.max(sum / p, 0));
    for (let r = 1; r < p; r++) {
      const k = frequencyOf[r]!;
      const w = (2 * Math.PI * k) / p;
      let cm = 0,
        cp = 0;
      for (let d = 0; d < p; d++) {
        cm += gm[d]! * Math.cos(w * d);
        cp += gp[d]! * Math.cos(w * d);
      }
      const isNyquist = 2 * k === p;
      const isCos = isNyquist || r % 2 === 1;
      const v = isNyquist ? cm / p : isCos ? (cm + cp) / p : (cm - cp) / p;
      out[r] = Math.sqrt(Math.max(v, 0));
    }
    void tr;
    return out;
  };
  const na = Ca ? compNorms(Ca) : gramNorms(0),
    nb = Cb ? compNorms(Cb) : gramNorms(p);
  const freqNorms = (n: number[]) => {
    const f = new Array<number>(K + 1).fill(0);
    n.forEach((v, r) => (f[frequencyOf[r]!] += v * v));
    return f.map(Math.sqrt);
  };
  const fa = freqNorms(na),
    fb = freqNorms(nb);
  const pooled = fa.map((v, k) => Math.sqrt(v * v + fb[k]! ** 2));
  const maxK = Math.max(0, ...pooled.slice(1));
  const keyFrequencies = maxK > 0 ? pooled.map((v, k) => (k >= 1 && v > thr * maxK ? k : -1)).filter((k) => k >= 1) : [];
  const shares: number[] = [];
  for (let h = 0; Ca && Cb && h < H; h++) {
    const e = new Array<number>(K + 1).fill(0);
    for (let r = 1; r < p; r++) e[frequencyOf[r]!] += Ca[h * p + r]! ** 2 + Cb[h * p + r]! ** 2;
    const tot = e.reduce((a, v) => a + v, 0);
    if (tot > 0) shares.push(Math.max(...e) / tot);
  }
  shares.sort((a, b) => a - b);
  const med = shares.length ? (shares.length % 2 ? shares[(shares.length - 1) / 2]! : (shares[shares.length / 2 - 1]! + shares[shares.length / 2]!) / 2) : NaN;
  return {
    p,
    componentNormsA: na,
    componentNormsB: nb,
    frequencyNormsA: fa,
    frequencyNormsB: fb,
    giniA: gini(na),
    giniB: gini(nb),
    iprA: ipr(na),
    iprB: ipr(nb),
    keyFrequencies,
    keyThreshold: thr,
    neuronConcentration: med,
  };
}

export interface FourierLoss {
  keyFrequencies: number[];
  /** Cross-entropy (nats) of the restricted logits (P_K(L) + per-class grid mean) on train, test and the whole grid. */
  restrictedTrain: number;
  restrictedTest: number;
  restrictedAll: number;
  /** Cross-entropy on the train pairs of the excluded logits L - P_K(L). */
  excludedTrain: number;
}

/**
 * Restricted and excluded loss (Nanda et al. 2023). L = logits on the whole p x p grid; with
 * c = a + sign*b (sign +1 for addition, -1 for subtraction), u_k = (sqrt 2/p) cos(w_k c), v_k = (sqrt 2/p) sin(w_k c),
 * P_K(L) = sum_{k in K} u_k u_k^T L + v_k v_k^T L (per class column).
 */
export function fourierLoss(
  m: MlpModel,
  p: number,
  keyFrequencies: readonly number[],
  split: { train: PairData; test: PairData },
  sign: 1 | -1 = 1,
  label: (a: number, b: number) => number = (a, b) => (((a + sign * b) % p) + p) % p,
): FourierLoss {
  if (m.vocab !== p) throw invalidArgument('p', `the model's vocabulary (${m.vocab})`, p);
  const grid = gridPairs(p, label);
  const fw = forward(m, grid.a, grid.b);
  return fourierLossFromLogits(fw.logits, fw.classes, p, keyFrequencies, split, sign, label);
}

/** fourierLoss on given grid logits (p^2 x classes, (a, b) lexicographic). */
export function fourierLossFromLogits(
  L: ArrayLike<number>,
  C: number,
  p: number,
  keyFrequencies: readonly number[],
  split: { train: PairData; test: PairData },
  sign: 1 | -1 = 1,
  label: (a: number, b: number) => number = (a, b) => (((a + sign * b) % p) + p) % p,
): FourierLoss {
  checkMatrix('grid logits', L, p * p, C);
  for (const k of keyFrequencies) if (!Number.isInteger(k) || k < 1 || 2 * k >= p) throw invalidArgument('keyFrequencies', `integers in [1, ${Math.ceil(p / 2) - 1}]`, keyFrequencies);
  const G = p * p;
  // u_k and v_k depend on (a, b) only through s = (a + sign*b) mod p: aggregate the logits by s (Ls, p x C), project
  // there (Ps[s] = sum_k u_k(s) <u_k, L> + v_k(s) <v_k, L>), and expand back to the grid.
  const sOf = (x: number, y: number) => (((x + sign * y) % p) + p) % p;
  const Ls = new Float64Array(p * C);
  for (let g = 0; g < G; g++) {
    const so = sOf(Math.floor(g / p), g % p) * C;
    for (let c = 0; c < C; c++) Ls[so + c] += L[g * C + c]!;
  }
  const Ps = new Float64Array(p * C);
  for (const k of keyFrequencies) {
    const w = (2 * Math.PI * k) / p;
    const u = Float64Array.from({ length: p }, (_, t) => (Math.SQRT2 / p) * Math.cos(w * t));
    const v = Float64Array.from({ length: p }, (_, t) => (Math.SQRT2 / p) * Math.sin(w * t));
    for (let c = 0; c < C; c++) {
      let cu = 0,
        cv = 0;
      for (let t = 0; t < p; t++) {
        cu += u[t]! * Ls[t * C + c]!;
        cv += v[t]! * Ls[t * C + c]!;
      }
      for (let t = 0; t < p; t++) Ps[t * C + c] += cu * u[t]! + cv * v[t]!;
    }
  }
  const mean = new Float64Array(C);
  for (let g = 0; g < G; g++) for (let c = 0; c < C; c++) mean[c] += L[g * C + c]! / G;
  // The restricted logits of pair g are row s(g) of R = Ps + mean: p distinct rows, so each row's max and
  // log-sum-exp are computed once (the same operations, in the same order, as crossEntropy on the grid).
  const R = new Float64Array(p * C);
  const rowMax = new Float64Array(p),
    rowLog = new Float64Array(p);
  for (let s = 0; s < p; s++) {
    let mx = -Infinity;
    for (let c = 0; c < C; c++) {
      R[s * C + c] = Ps[s * C + c]! + mean[c]!;
      mx = Math.max(mx, R[s * C + c]!);
    }
    let sum = 0;
    for (let c = 0; c < C; c++) sum += Math.exp(R[s * C + c]! - mx);
    rowMax[s] = mx;
    rowLog[s] = Math.log(sum);
  }
  const checkPairs = (d: PairData) => {
    for (let n = 0; n < d.a.length; n++)
      if (!(d.a[n]! >= 0 && d.a[n]! < p && d.b[n]! >= 0 && d.b[n]! < p)) throw invalidArgument('split', `pairs with a, b in [0, ${p})`, [d.a[n], d.b[n]]);
  };
  /** Mean cross-entropy of the restricted logits over a set of pairs. */
  const restrictedLoss = ({ a: as, b: bs, y: ys }: PairData) => {
    let total = 0;
    for (let n = 0; n < ys.length; n++) {
      const s = sOf(as[n]!, bs[n]!);
      total += rowMax[s]! + rowLog[s]! - R[s * C + ys[n]!]!;
    }
    return ys.length > 0 ? total / ys.length : NaN;
  };
  /** Mean cross-entropy of the excluded logits L - P_K(L) over a split's pairs. */
  const excludedLoss = (d: PairData) => {
    const z = new Float64Array(C);
    let total = 0;
    for (let n = 0; n < d.a.length; n++) {
      const g = d.a[n]! * p + d.b[n]!,
        so = sOf(d.a[n]!, d.b[n]!) * C;
      let mx = -Infinity;
      for (let c = 0; c < C; c++) {
        z[c] = L[g * C + c]! - Ps[so + c]!;
        mx = Math.max(mx, z[c]!);
      }
      let sum = 0;
      for (let c = 0; c < C; c++) sum += Math.exp(z[c]! - mx);
      total += mx + Math.log(sum) - z[d.y[n]!]!;
    }
    return d.a.length > 0 ? total / d.a.length : NaN;
  };
  checkPairs(split.train);
  checkPairs(split.test);
  const all = gridPairs(p, label);
  return {
    keyFrequencies: [...keyFrequencies],
    restrictedTrain: restrictedLoss(split.train),
    restrictedTest: restrictedLoss(split.test),
    restrictedAll: restrictedLoss(all),
    excludedTrain: excludedLoss(split.train),
  };
}

// ---------------------------------------------------------------------------------------------
// Information measures

export interface GaussianInfo {
  /** Total correlation, dual total correlation, O-information (TC - DTC) and S-information (TC + DTC), nats. */
  tc: number;
  dtc: number;
  oinfo: number;
  sinfo: number;
}

/** TC, DTC, O- and S-information of a Gaussian with covariance `cov` (n x n), in nats (Rosas et al. 2019). */
export function gaussianInfo(cov: ArrayLike<number>, n: number): GaussianInfo {
  checkMatrix('covariance', cov, n, n);
  const { logDet, invDiag } = logDetAndInverseDiagonal(cov, n);
  let sumLnVar = 0,
    sumLnP = 0;
  for (let i = 0; i < n; i++) {
    sumLnVar += Math.log(cov[i * n + i]!);
    sumLnP += Math.log(invDiag[i]!);
  }
  const tc = 0.5 * (sumLnVar - logDet);
  const dtc = 0.5 * (logDet + sumLnP);
  return { tc, dtc, oinfo: tc - dtc, sinfo: tc + dtc };
}

/** The principal submatrix of `cov` (n x n) on `idx`. */
export function subCovariance(cov: ArrayLike<number>, n: number, idx: readonly number[]): Float64Array {
  const k = idx.length;
  const out = new Float64Array(k * k);
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) out[i * k + j] = cov[idx[i]! * n + idx[j]!]!;
  return out;
}

export interface BinnedMI {
  /** I(T;X) = H(T) in bits (a deterministic network on distinct inputs). */
  itx: number;
  /** I(T;Y) = H(T) - sum_y p(y) H(T | y), bits. */
  ity: number;
  bins: number;
}

/**
 * Binned mutual information of a layer (Shwartz-Ziv & Tishby 2017, the estimator the two-phase literature
 * uses): each unit's value binned into `bins` equal bins over [min, max] of the whole layer, T = the tuple of
 * bin indices of a sample.
 */
export function binnedMI(acts: ArrayLike<number>, rows: number, cols: number, labels: ArrayLike<number>, bins = 30): BinnedMI {
  checkMatrix('activations', acts, rows, cols);
  if (labels.length !== rows) throw invalidArgument('labels', `one per row (${rows})`, labels.length);
  if (!Number.isInteger(bins) || bins < 2) throw invalidArgument('bins', 'an integer >= 2', bins);
  let lo = Infinity,
    hi = -Infinity;
  for (let i = 0; i < acts.length; i++) {
    lo = Math.min(lo, acts[i]!);
    hi = Math.max(hi, acts[i]!);
  }
  const width = hi > lo ? (hi - lo) / bins : 1;
  const keys: string[] = new Array(rows);
  const code = new Array<number>(cols);
  for (let n = 0; n < rows; n++) {
    for (let j = 0; j < cols; j++) code[j] = Math.min(bins - 1, Math.floor((acts[n * cols + j]! - lo) / width));
    keys[n] = code.join(',');
  }
  const entropy = (idx: number[]) => {
    const c = new Map<string, number>();
    for (const i of idx) c.set(keys[i]!, (c.get(keys[i]!) ?? 0) + 1);
    let h = 0;
    for (const v of c.values()) h -= (v / idx.length) * Math.log2(v / idx.length);
    return h;
  };
  const all = Array.from({ length: rows }, (_, i) => i);
  const ht = entropy(all);
  const byY = new Map<number, number[]>();
  for (let n = 0; n < rows; n++) {
    const y = labels[n]!;
    if (!byY.has(y)) byY.set(y, []);
    byY.get(y)!.push(n);
  }
  let cond = 0;
  for (const idx of byY.values()) cond += (idx.length / rows) * entropy(idx);
  return { itx: ht, ity: ht - cond, bins };
}

// ---------------------------------------------------------------------------------------------
// Measures on the function (forward passes)

/**
 * Approximate local circuit complexity (Golechha 2024): zero a random `fraction` of the entries of every
 * weight matrix (biases untouched), and sum over the data the KL divergence KL(softmax z || softmax z') between
 * the original and the ablated outputs, nats; the mean over `masks` seeded masks.
 */
export function localCircuitComplexity(m: MlpModel, data: SplitData, opts: { fraction?: number; masks?: number; seed?: number } = {}): number {
  const frac = opts.fraction ?? 0.1;
  if (!(frac > 0 && frac < 1)) throw invalidArgument('fraction', 'a number in (0, 1)', frac);
  const K = opts.masks ?? 1;
  const base = forwardData(m, data);
  const C = base.classes;
  const logSoftmax = (z: Float64Array) => {
    const out = new Float64Array(z.length);
    for (let o = 0; o < z.length; o += C) {
      let mx = -Infinity;
      for (let c = 0; c < C; c++) mx = Math.max(mx, z[o + c]!);
      let s = 0;
      for (let c = 0; c < C; c++) s += Math.exp(z[o + c]! - mx);
      const lse = mx + Math.log(s);
      for (let c = 0; c < C; c++) out[o + c] = z[o + c]! - lse;
    }
    return out;
  };
  const lp = logSoftmax(base.logits);
  let total = 0;
  for (let t = 0; t < K; t++) {
    const u = seededUniform((opts.seed ?? 0) * 1000 + t + 1);
    const masked: MlpModel = {
      ...m,
      layers: m.layers.map((l) => {
        const w = Float64Array.from(l.weight);
        for (let i = 0; i < w.length; i++) if (u() < frac) w[i] = 0;
        return { ...l, weight: w };
      }),
    };
    const lq = logSoftmax(forwardData(masked, data).logits);
    let kl = 0;
    for (let i = 0; i < lp.length; i++) kl += Math.exp(lp[i]!) * (lp[i]! - lq[i]!);
    total += kl;
  }
  return total / K;
}

export interface LocalComplexity {
  /** Mean number of linear-region boundaries crossing the neighbourhood of a point, per probe set. */
  train: number;
  test: number;
  directions: number;
  radius: number;
  probes: number;
}

/**
 * Local complexity (Humayun, Balestriero & Baraniuk 2024): for each probe x, the 2P vertices x +- r v_p of
 * P random orthonormal directions (one seeded frame shared by all probes) are passed through the network;
 * LC(x) = number of units, over every layer including the logits, whose pre-activation sign is not the same
 * at all vertices. Averaged over the probes (at most `maxProbes` of each set, evenly spaced).
 */
export function localComplexity(
  m: MlpModel,
  sets: { train: SplitData; test: SplitData },
  opts: { directions?: number; radius?: number; seed?: number; maxProbes?: number } = {},
): LocalComplexity {
  const D = inputWidth(m);
  const P = opts.directions ?? 25;
  const r = opts.radius ?? 0.05;
  const maxProbes = opts.maxProbes ?? 128;
  if (!Number.isInteger(P) || P < 1 || P > D) throw invalidArgument('directions', `an integer in [1, ${D}]`, P);
  if (!(r > 0)) throw invalidArgument('radius', 'a number > 0', r);
  const V = randomFrame(D, P, opts.seed ?? 0);
  const l0 = m.layers[0]!;
  // layer-0 pre-activation offsets r * W0 v_p (H0 x P)
  const H0 = l0.rows;
  const off = new Float64Array(2 * P * H0);
  for (let q = 0; q < P; q++)
    for (let h = 0; h < H0; h++) {
      let s = 0;
      for (let i = 0; i < D; i++) s += l0.weight[h * D + i]! * V[q]![i]!;
      off[2 * q * H0 + h] = r * s;
      off[(2 * q + 1) * H0 + h] = -r * s;
    }
  const rest = m.layers.slice(1).map((l) => ({ weight: Float64Array.from(l.weight), bias: l.bias ? Float64Array.from(l.bias) : null, rows: l.rows, cols: l.cols }));
  const V2 = 2 * P;
  /** Units (of a layer of width W) whose pre-activation sign differs between vertices, for `probes` blocks of V2 rows. */
  const countChanged = (z: Float64Array, W: number, probe: number) => {
    let c = 0;
    const base = probe * V2 * W;
    for (let h = 0; h < W; h++) {
      const s0 = z[base + h]! > 0;
      for (let v = 1; v < V2; v++)
        if (z[base + v * W + h]! > 0 !== s0) {
          c++;
          break;
        }
    }
    return c;
  };
  const lcOf = (d: SplitData) => {
    const N = rowsOf(d);
    const count = Math.min(N, maxProbes);
    if (count === 0) return NaN;
    // layer 0 pre-activations at every vertex of every probe (count * V2 rows), then the other layers in one
    // native float64 pass over the ReLU of those rows. Dense probes: W0 x + b0 of each probe in one native pass
    // of layer 0 alone (the vertices add the offsets: layer 0 is linear).
    let dense0: Float64Array | null = null;
    if (isDenseData(d)) {
      const x = new Float64Array(count * D);
      for (let t = 0; t < count; t++) {
        const n = Math.floor((t * N) / count);
        for (let i = 0; i < D; i++) x[t * D + i] = d.x[n * D + i]!;
      }
      const l0f = { weight: Float64Array.from(l0.weight), bias: l0.bias ? Float64Array.from(l0.bias) : null, rows: H0, cols: D };
      dense0 = (loadNative().measuresForward([l0f], 0, null, null, x, count) as Float64Array[])[0]!;
    }
    const pre0 = new Float64Array(count * V2 * H0);
    for (let t = 0; t < count; t++) {
      const n = Math.floor((t * N) / count);
      for (let v = 0; v < V2; v++) {
        const o = (t * V2 + v) * H0;
        if (dense0) for (let h = 0; h < H0; h++) pre0[o + h] = dense0[t * H0 + h]! + off[v * H0 + h]!;
        else {
          const p = d as PairData;
          for (let h = 0; h < H0; h++)
            pre0[o + h] = l0.weight[h * D + p.a[n]!]! + l0.weight[h * D + m.vocab + p.b[n]!]! + (l0.bias ? l0.bias[h]! : 0) + off[v * H0 + h]!;
        }
      }
    }
    let total = 0;
    for (let t = 0; t < count; t++) total += countChanged(pre0, H0, t);
    if (rest.length) {
      const x = new Float64Array(pre0.length);
      for (let i = 0; i < x.length; i++) x[i] = pre0[i]! > 0 ? pre0[i]! : 0;
      const pres = loadNative().measuresForward(rest, 0, null, null, x, count * V2) as Float64Array[];
      pres.forEach((z, i) => {
        for (let t = 0; t < count; t++) total += countChanged(z, rest[i]!.rows, t);
      });
    }
    return total / count;
  };
  return { train: lcOf(sets.train), test: lcOf(sets.test), directions: P, radius: r, probes: maxProbes };
}

/** P orthonormal directions in R^D: Gram-Schmidt on seeded Gaussian vectors (the local-complexity frame). */
export function randomFrame(D: number, P: number, seed: number): Float64Array[] {
  const g = seededNormal(seed);
  const V: Float64Array[] = [];
  while (V.length < P) {
    const v = Float64Array.from({ length: D }, () => g());
    for (const q of V) {
      let d = 0;
      for (let i = 0; i < D; i++) d += v[i]! * q[i]!;
      for (let i = 0; i < D; i++) v[i] -= d * q[i]!;
    }
    const nrm = Math.hypot(...v);
    if (nrm > 1e-8) V.push(v.map((x) => x / nrm));
  }
  return V;
}

export interface AgopMeasures {
  /** Circulant deviation of the a-b block of sqrt(AGOP) for shift s = +1 and s = -1 (0 = exactly circulant). */
  circulantDeviationPlus: number;
  circulantDeviationMinus: number;
  /** Pearson correlation of vec sqrt(AGOP) and vec W1^T W1 (the neural feature ansatz). */
  nfaCorrelation: number;
  /** sqrt(AGOP), 2p x 2p row-major (kept for alignment across checkpoints). */
  sqrtAgop: Float64Array;
}

/**
 * Average gradient outer product of a one-hidden-layer MLP (Mallinar et al. 2024) over the data, with the
 * exact ReLU shortcut G = W1^T [(W2^T W2) o S] W1, S = (1/n) sum_x d_x d_x^T, d_x = 1[W1 x + b1 > 0]
 * (J = dz/dx of the raw logits, all classes). `indicatorGram` may supply sum_x d_x d_x^T (native).
 */
export function agopMeasures(m: MlpModel, data: PairData, indicatorGram?: Float64Array): AgopMeasures {
  const D = 2 * m.vocab;
  const G = agopMatrix(m, data, indicatorGram);
  const sqrtG = matrixSqrtPsd(G, D);
  const l1 = m.layers[0]!;
  const nfm = new Float64Array(D * D);
  for (let k = 0; k < l1.rows; k++)
    for (let i = 0; i < D; i++) {
      const w = l1.weight[k * D + i]!;
      for (let j = 0; j < D; j++) nfm[i * D + j] += w * l1.weight[k * D + j]!;
    }
  const p = m.vocab;
  return {
    circulantDeviationPlus: circulantDeviation(sqrtG, D, p, 1),
    circulantDeviationMinus: circulantDeviation(sqrtG, D, p, -1),
    nfaCorrelation: pearson(sqrtG, nfm),
    sqrtAgop: sqrtG,
  };
}

/** The AGOP matrix G (2p x 2p) of a one-hidden-layer MLP over `data` (see agopMeasures). */
export function agopMatrix(m: MlpModel, data: PairData, indicatorGram?: Float64Array): Float64Array {
  if (m.layers.length !== 2) throw invalidArgument('model', 'one hidden layer for the AGOP measures (the ReLU shortcut)', m.layers.length - 1);
  const [l1, l2] = m.layers as [typeof m.layers[0], typeof m.layers[0]];
  const H = l1.rows,
    D = l1.cols,
    C = l2.rows;
  const n = data.a.length;
  let S = indicatorGram;
  if (!S) {
    const pre = forward({ vocab: m.vocab, layers: [l1, { weight: new Float64Array(H), rows: 1, cols: H, bias: null }] }, data.a, data.b).pre[0]!;
    S = new Float64Array(H * H);
    const on: number[] = [];
    for (let x = 0; x < n; x++) {
      on.length = 0;
      for (let h = 0; h < H; h++) if (pre[x * H + h]! > 0) on.push(h);
      for (const i of on) for (const j of on) S[i * H + j] += 1;
    }
  }
  if (S.length !== H * H) throw invalidArgument('indicatorGram', `${H * H} values`, S.length);
  const W2tW2 = new Float64Array(H * H);
  for (let c = 0; c < C; c++)
    for (let i = 0; i < H; i++) {
      const a = l2.weight[c * H + i]!;
      if (a === 0) continue;
      for (let j = 0; j < H; j++) W2tW2[i * H + j] += a * l2.weight[c * H + j]!;
    }
  const Mx = new Float64Array(H * H);
  for (let i = 0; i < H * H; i++) Mx[i] = (W2tW2[i]! * S[i]!) / n;
  // T = Mx W1 (H x D), G = W1^T T (D x D)
  const T = new Float64Array(H * D);
  for (let i = 0; i < H; i++)
    for (let k = 0; k < H; k++) {
      const mk = Mx[i * H + k]!;
      if (mk === 0) continue;
      for (let j = 0; j < D; j++) T[i * D + j] += mk * l1.weight[k * D + j]!;
    }
  const G = new Float64Array(D * D);
  for (let k = 0; k < H; k++)
    for (let i = 0; i < D; i++) {
      const w = l1.weight[k * D + i]!;
      if (w === 0) continue;
      for (let j = 0; j < D; j++) G[i * D + j] += w * T[k * D + j]!;
    }
  return G;
}

/** Symmetric PSD square root V diag(sqrt(max(lambda, 0))) V^T. */
export function matrixSqrtPsd(A: ArrayLike<number>, n: number): Float64Array {
  const { values, vectors } = symmetricEigenQL(A, n, true);
  const V = vectors!;
  const out = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    const s = Math.sqrt(Math.max(values[k]!, 0));
    if (s === 0) continue;
    for (let i = 0; i < n; i++) {
      const vi = V[i * n + k]! * s;
      if (vi === 0) continue;
      for (let j = 0; j < n; j++) out[i * n + j] += vi * V[j * n + k]!;
    }
  }
  return out;
}

/**
 * Circulant deviation (Mallinar et al. 2024) of the p x p block A[l][j] = M[p + l][j] (rows b, columns a) of a
 * 2p x 2p matrix: (1/|A|_F^2) sum_j sum_l (A[l][(j + s l) mod p] - mean_l)^2.
 */
export function circulantDeviation(M: ArrayLike<number>, n: number, p: number, s: 1 | -1): number {
  if (n !== 2 * p) throw invalidArgument('matrix size', `2p = ${2 * p}`, n);
  let fro = 0;
  for (let l = 0; l < p; l++) for (let j = 0; j < p; j++) fro += M[(p + l) * n + j]! ** 2;
  if (!(fro > 0)) return NaN;
  let dev = 0;
  for (let j = 0; j < p; j++) {
    let mean = 0;
    for (let l = 0; l < p; l++) mean += M[(p + l) * n + ((((j + s * l) % p) + p) % p)]!;
    mean /= p;
    for (let l = 0; l < p; l++) dev += (M[(p + l) * n + ((((j + s * l) % p) + p) % p)]! - mean) ** 2;
  }
  return dev / fro;
}

/** Uncentred cosine similarity <vec A, vec B> / (|A| |B|) (Mallinar's alignment). */
export function cosineSimilarity(A: ArrayLike<number>, B: ArrayLike<number>): number {
  let ab = 0,
    aa = 0,
    bb = 0;
  for (let i = 0; i < A.length; i++) {
    ab += A[i]! * B[i]!;
    aa += A[i]! ** 2;
    bb += B[i]! ** 2;
  }
  return aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : NaN;
}

export function pearson(A: ArrayLike<number>, B: ArrayLike<number>): number {
  const n = A.length;
  let ma = 0,
    mb = 0;
  for (let i = 0; i < n; i++) {
    ma += A[i]!;
    mb += B[i]!;
  }
  ma /= n;
  mb /= n;
  let ab = 0,
    aa = 0,
    bb = 0;
  for (let i = 0; i < n; i++) {
    ab += (A[i]! - ma) * (B[i]! - mb);
    aa += (A[i]! - ma) ** 2;
    bb += (B[i]! - mb) ** 2;
  }
  return aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : NaN;
}

export { LN2 };
export type { Vec };
