/**
 * The progress measures against independent float64 references written here (closed forms, brute force,
 * finite differences, planted structure); the registry's coded errors.
 */
import { describe, expect, it } from 'vitest';
import { resolveRunConfig } from '../src/config/config.js';
import { GrokinfoError } from '../src/core/errors.js';
import {
  absWeightEntropy,
  activationSparsity,
  agopMatrix,
  binnedMI,
  circulantDeviation,
  fourierLossFromLogits,
  firstLayerSparsity,
  fourierMeasures,
  gaussianInfo,
  gini,
  htsrLayer,
  localCircuitComplexity,
  localComplexity,
  powerLawFit,
  randomFrame,
} from '../src/measures/functions.js';
import { symmetricEigen, symmetricEigenQL, squaredSingularValues } from '../src/measures/linalg.js';
import { seededUniform, type MlpModel } from '../src/measures/model.js';
import { MEASURE_NAMES, parseMeasureList } from '../src/measures/registry.js';
import { gauss, rng } from './rng.js';

// ---------------------------------------------------------------------------------------------
// references

/** Determinant by Gaussian elimination with partial pivoting (float64). */
function detRef(A: number[][]): number {
  const n = A.length;
  const M = A.map((r) => [...r]);
  let det = 1;
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r]![c]!) > Math.abs(M[piv]![c]!)) piv = r;
    if (piv !== c) {
      [M[c], M[piv]] = [M[piv]!, M[c]!];
      det = -det;
    }
    det *= M[c]![c]!;
    for (let r = c + 1; r < n; r++) {
      const f = M[r]![c]! / M[c]![c]!;
      for (let k = c; k < n; k++) M[r]![k]! -= f * M[c]![k]!;
    }
  }
  return det;
}

/** Differential entropy (nats) of a Gaussian with covariance restricted to idx. */
function hGauss(S: number[][], idx: number[]): number {
  const sub = idx.map((i) => idx.map((j) => S[i]![j]!));
  return 0.5 * (idx.length * Math.log(2 * Math.PI * Math.E) + Math.log(detRef(sub)));
}

function randomOrthonormal(n: number, k: number, u: () => number): number[][] {
  const cols: number[][] = [];
  while (cols.length < k) {
    const v = Array.from({ length: n }, () => gauss(u));
    for (const q of cols) {
      const d = v.reduce((a, x, i) => a + x * q[i]!, 0);
      for (let i = 0; i < n; i++) v[i]! -= d * q[i]!;
    }
    const nrm = Math.sqrt(v.reduce((a, x) => a + x * x, 0));
    cols.push(v.map((x) => x / nrm));
  }
  return cols;
}

/** Reference forward pass of a one-hidden-layer MLP on a real input vector x (length 2p). */
function forwardRef(m: MlpModel, x: number[]): { pre1: number[]; logits: number[] } {
  const [l1, l2] = m.layers as [MlpModel['layers'][0], MlpModel['layers'][0]];
  const pre1 = Array.from({ length: l1.rows }, (_, k) => x.reduce((a, xi, i) => a + l1.weight[k * l1.cols + i]! * xi, l1.bias ? l1.bias[k]! : 0));
  const h = pre1.map((v) => Math.max(v, 0));
  const logits = Array.from({ length: l2.rows }, (_, c) => h.reduce((a, hi, i) => a + l2.weight[c * l2.cols + i]! * hi, l2.bias ? l2.bias[c]! : 0));
  return { pre1, logits };
}

function randomMlp(p: number, H: number, seed: number, scale = 1): MlpModel {
  const u = rng(seed);
  const W1 = Float64Array.from({ length: H * 2 * p }, () => (gauss(u) * scale) / Math.sqrt(2));
  const b1 = Float64Array.from({ length: H }, () => gauss(u) * 0.1);
  const W2 = Float64Array.from({ length: p * H }, () => (gauss(u) * scale) / Math.sqrt(H));
  return { vocab: p, layers: [{ weight: W1, rows: H, cols: 2 * p, bias: b1 }, { weight: W2, rows: p, cols: H, bias: null }] };
}

const oneHot = (p: number, a: number, b: number) => Array.from({ length: 2 * p }, (_, i) => (i === a || i === p + b ? 1 : 0));

// ---------------------------------------------------------------------------------------------

describe('the native float64 forward pass (measures)', () => {
  /** A general reference: any depth, any input vector, ReLU between layers, plain loops in float64. */
  const refForward = (m: MlpModel, x: number[]): number[][] => {
    const pres: number[][] = [];
    let h = x;
    m.layers.forEach((l, i) => {
      const z = Array.from({ length: l.rows }, (_, k) => h.reduce((a, xi, j) => a + l.weight[k * l.cols + j]! * xi, l.bias ? l.bias[k]! : 0));
      pres.push(z);
      if (i < m.layers.length - 1) h = z.map((v) => Math.max(v, 0));
    });
    return pres;
  };
  const deep = (p: number, widths: number[], seed: number, biases: boolean): MlpModel => {
    const u = rng(seed);
    const dims = [2 * p, ...widths, p];
    const layers = dims.slice(1).map((rows, l) => ({
      weight: Float64Array.from({ length: rows * dims[l]! }, () => gauss(u) / Math.sqrt(dims[l]! / 2)),
      rows,
      cols: dims[l]!,
      bias: biases ? Float64Array.from({ length: rows }, () => gauss(u) * 0.2) : null,
    }));
    return { vocab: p, layers };
  };

  for (const [widths, biases] of [[[16], true], [[12, 9], false], [[10, 8, 6], true]] as const)
    it(`pairs, hidden ${widths.join('x')}, biases ${biases}: every layer's pre-activations within 1e-12 of the reference`, async () => {
      const { forward } = await import('../src/measures/model.js');
      const p = 7;
      const m = deep(p, [...widths], widths.length, biases);
      const a = Int32Array.from({ length: p * p }, (_, i) => Math.floor(i / p));
      const b = Int32Array.from({ length: p * p }, (_, i) => i % p);
      const fw = forward(m, a, b);
      expect(fw.pre.length).toBe(widths.length + 1);
      for (let n = 0; n < a.length; n++) {
        const ref = refForward(m, oneHot(p, a[n]!, b[n]!));
        ref.forEach((z, l) => z.forEach((v, k) => expect(Math.abs(fw.pre[l]![n * z.length + k]! - v)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(v)))));
        fw.hidden.forEach((h, l) => ref[l]!.forEach((_, k) => expect(h[n * ref[l]!.length + k]).toBe(Math.max(fw.pre[l]![n * ref[l]!.length + k]!, 0))));
      }
    });

  it('dense inputs, and coded errors for bad input', async () => {
    const { loadNative } = await import('../src/addon/native.js');
    const native = loadNative();
    const u = rng(9);
    const m = deep(5, [6], 3, true); // 10 inputs
    const N = 4;
    const x = Float64Array.from({ length: N * 10 }, () => gauss(u));
    const pre = native.measuresForward(m.layers, 0, null, null, x, N) as Float64Array[];
    for (let n = 0; n < N; n++) {
      const ref = refForward(m, Array.from(x.subarray(n * 10, n * 10 + 10)));
      ref[1]!.forEach((v, k) => expect(pre[1]![n * 5 + k]).toBeCloseTo(v, 12));
    }
    const bad = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return (e as GrokinfoError).code;
      }
      return 'no error';
    };
    expect(bad(() => native.measuresForward(m.layers, 5, Int32Array.of(5), Int32Array.of(0), null, 1))).toBe('INVALID_ARGUMENT'); // token out of range
    expect(bad(() => native.measuresForward(m.layers, 0, null, null, x.subarray(1), N))).toBe('INVALID_ARGUMENT'); // x too short
    expect(bad(() => native.measuresForward([m.layers[1]!, m.layers[0]!], 0, null, null, x, N))).toBe('INVALID_ARGUMENT'); // shapes do not chain
  });
});

describe('linear algebra', () => {
  it('QL eigenvalues match Jacobi and a planted spectrum', () => {
    const u = rng(1);
    const n = 30;
    const Q = randomOrthonormal(n, n, u);
    const lam = Array.from({ length: n }, (_, i) => (i - 10) * 0.7 + 0.01 * i * i);
    const A = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) A[i * n + j] += Q[k]![i]! * lam[k]! * Q[k]![j]!;
    const ql = symmetricEigenQL(A, n, true);
    const jac = symmetricEigen(A, n, false);
    const sorted = [...lam].sort((a, b) => a - b);
    for (let i = 0; i < n; i++) {
      expect(ql.values[i]).toBeCloseTo(sorted[i]!, 9);
      expect(jac.values[i]).toBeCloseTo(sorted[i]!, 9);
    }
    // A v = lambda v for the QL vectors
    const V = ql.vectors!;
    for (const k of [0, 7, n - 1])
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let j = 0; j < n; j++) s += A[i * n + j]! * V[j * n + k]!;
        expect(s).toBeCloseTo(ql.values[k]! * V[i * n + k]!, 9);
      }
  });
});

describe('HTSR', () => {
  it('recovers alpha of an exact power-law spectrum within 0.1', () => {
    for (const alpha of [2.5, 3, 4.5]) {
      const M = 400;
      const ev = Array.from({ length: M }, (_, k) => Math.pow(1 - (k + 0.5) / M, -1 / (alpha - 1)));
      const fit = powerLawFit(ev);
      expect(Math.abs(fit.alpha - alpha)).toBeLessThan(0.1);
    }
  });

  it('a matrix with a planted power-law spectrum: ESD = sigma^2, alpha within 0.1', () => {
    const u = rng(7);
    const rows = 160,
      cols = 120,
      alpha = 3;
    const lam = Array.from({ length: cols }, (_, k) => Math.pow(1 - (k + 0.5) / cols, -1 / (alpha - 1)));
    const U = randomOrthonormal(rows, cols, u);
    const V = randomOrthonormal(cols, cols, u);
    const W = new Float64Array(rows * cols);
    for (let k = 0; k < cols; k++) {
      const s = Math.sqrt(lam[k]!);
      for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) W[i * cols + j] += U[k]![i]! * s * V[k]![j]!;
    }
    const ev = squaredSingularValues(W, rows, cols);
    const sorted = [...lam].sort((a, b) => a - b);
    for (let i = 0; i < cols; i++) expect(ev[i]! / sorted[i]!).toBeCloseTo(1, 8);
    const r = htsrLayer(W, rows, cols);
    expect(Math.abs(r.fit!.alpha - alpha)).toBeLessThan(0.1);
  });

  it('counts a planted correlation trap and none in a random matrix', () => {
    const u = rng(11);
    const rows = 200,
      cols = 100;
    const W = Float64Array.from({ length: rows * cols }, () => gauss(u));
    const clean = htsrLayer(W, rows, cols, { seed: 1 });
    expect(clean.traps).toBe(0);
    // MP edge N s^2 (1 + Q^-1/2)^2 = 200 (1 + 1/sqrt 2)^2 = 583 for unit variance, plus a Tracy-Widom width
    expect(clean.mpEdge).toBeGreaterThan(583 * 0.95);
    expect(clean.mpEdge).toBeLessThan(583 * 1.1);
    W[3 * cols + 7] = 60; // one huge element: the randomised matrix keeps it, with eigenvalue ~3600 >> edge
    expect(htsrLayer(W, rows, cols, { seed: 1 }).traps).toBe(1);
  });

  it('skips matrices with fewer than 10 rows or columns', () => {
    expect(htsrLayer(new Float64Array(5 * 40).fill(1), 5, 40).fit).toBeNull();
  });

  it('a zero matrix (a zeroed output layer at step 0) has no power law: fit null, no trap, no error', () => {
    const r = htsrLayer(new Float64Array(20 * 30), 20, 30);
    expect(r.fit).toBeNull();
    expect(r.traps).toBe(0);
    // the fit itself still refuses it with a coded error
    expect(() => powerLawFit(new Float64Array(10))).toThrow(GrokinfoError);
  });
});

describe('measures during training', () => {
  it('a zero-output model trains with every weight measure: the output layer is unfitted at step 0 and fitted later', async () => {
    const { trainBatch } = await import('../src/training/run.js');
    const { readJsonl } = await import('../src/core/fsutil.js');
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = join(mkdtempSync(join(tmpdir(), 'grokinfo-zero-out-')), 'run');
    const config = resolveRunConfig({
      task: { p: 23, trainFraction: 0.5 },
      model: { hidden: [32] },
      init: { zeroOutput: true, constantNorm: true, alpha: 1 },
      optim: { weightDecay: 0 },
      steps: 40,
      evalEvery: 10,
      measures: { names: ['htsr', 'weight-norm'], expensiveEvery: 20 },
    });
    await trainBatch([{ id: 'z', dir, config }], { backend: 'cpu' });
    const recs = readJsonl<{ step: number; values: Record<string, { layers?: { alpha: number | null }[] }> }>(join(dir, 'measures.jsonl'));
    const htsr = recs.filter((r) => r.values.htsr);
    expect(htsr.map((r) => r.step)).toEqual([0, 20, 40]);
    expect(htsr[0]!.values.htsr!.layers!.map((l) => l.alpha === null)).toEqual([false, true]); // W1 fitted, zero W_out not
    expect(htsr[2]!.values.htsr!.layers!.every((l) => l.alpha !== null)).toBe(true);
  }, 60_000);
});

describe('Fourier measures', () => {
  it('recover the planted key frequencies and the Gini coefficient exactly', () => {
    const p = 23,
      H = 40;
    const u = rng(5);
    const ks = Array.from({ length: H }, (_, i) => (i % 3 === 0 ? 7 : 3));
    const phiA = Array.from({ length: H }, () => 2 * Math.PI * u());
    const phiB = Array.from({ length: H }, () => 2 * Math.PI * u());
    const W1 = new Float64Array(H * 2 * p);
    for (let i = 0; i < H; i++)
      for (let x = 0; x < p; x++) {
        W1[i * 2 * p + x] = Math.cos((2 * Math.PI * ks[i]! * x) / p + phiA[i]!);
        W1[i * 2 * p + p + x] = Math.cos((2 * Math.PI * ks[i]! * x) / p + phiB[i]!);
      }
    const m: MlpModel = { vocab: p, layers: [{ weight: W1, rows: H, cols: 2 * p, bias: null }, { weight: new Float64Array(p * H), rows: p, cols: H, bias: null }] };
    const f = fourierMeasures(m, p);
    expect(f.keyFrequencies).toEqual([3, 7]);
    // closed form: cos(wkx + phi) = cos(phi) cos(wkx) - sin(phi) sin(wkx); the basis rows are sqrt(2/p) cos/sin,
    // so the component norms are sqrt(p/2) sqrt(sum cos^2 phi) and sqrt(p/2) sqrt(sum sin^2 phi); all others 0.
    const expected = (phi: number[]) => {
      const n = new Array<number>(p).fill(0);
      for (const k of [3, 7]) {
        const idx = ks.map((kk, i) => (kk === k ? i : -1)).filter((i) => i >= 0);
        n[2 * k - 1] = Math.sqrt(p / 2) * Math.sqrt(idx.reduce((a, i) => a + Math.cos(phi[i]!) ** 2, 0));
        n[2 * k] = Math.sqrt(p / 2) * Math.sqrt(idx.reduce((a, i) => a + Math.sin(phi[i]!) ** 2, 0));
      }
      return n;
    };
    const giniMad = (v: number[]) => {
      let s = 0;
      for (const a of v) for (const b of v) s += Math.abs(a - b);
      const mean = v.reduce((a, x) => a + x, 0) / v.length;
      return s / (2 * v.length * v.length * mean);
    };
    const ea = expected(phiA),
      eb = expected(phiB);
    f.componentNormsA.forEach((v, i) => expect(v).toBeCloseTo(ea[i]!, 10));
    expect(f.giniA).toBeCloseTo(giniMad(ea), 12);
    expect(f.giniB).toBeCloseTo(giniMad(eb), 12);
    expect(f.neuronConcentration).toBeCloseTo(1, 12); // every neuron uses one frequency
    expect(f.iprA).toBeCloseTo(ea.reduce((a, v) => a + v ** 4, 0) / ea.reduce((a, v) => a + v ** 2, 0) ** 2, 12);
  });

  it('the cheap path (Gram of W1, O(p^2) sums) gives the same component norms as C = E F^T, odd and even p', () => {
    for (const p of [11, 10]) {
      const u = rng(p);
      const H = 17;
      const W1 = Float64Array.from({ length: H * 2 * p }, () => gauss(u));
      const m: MlpModel = { vocab: p, layers: [{ weight: W1, rows: H, cols: 2 * p, bias: null }, { weight: new Float64Array(p * H), rows: p, cols: H, bias: null }] };
      const full = fourierMeasures(m, p, { neurons: true });
      const cheap = fourierMeasures(m, p, { neurons: false });
      full.componentNormsA.forEach((v, i) => expect(cheap.componentNormsA[i]).toBeCloseTo(v, 9));
      full.componentNormsB.forEach((v, i) => expect(cheap.componentNormsB[i]).toBeCloseTo(v, 9));
      expect(cheap.giniA).toBeCloseTo(full.giniA, 9);
      expect(cheap.keyFrequencies).toEqual(full.keyFrequencies);
      // Parseval: the component norms carry all of E's energy
      let e = 0;
      for (let h = 0; h < H; h++) for (let x = 0; x < p; x++) e += W1[h * 2 * p + x]! ** 2;
      expect(cheap.componentNormsA.reduce((a, v) => a + v * v, 0)).toBeCloseTo(e, 8);
    }
  });

  it('Gini: 0 for equal values, (N-1)/N for one non-zero', () => {
    expect(gini([2, 2, 2, 2])).toBeCloseTo(0, 14);
    expect(gini([0, 0, 0, 5])).toBeCloseTo(3 / 4, 14);
  });

  it('restricted and excluded loss in closed form', () => {
    const p = 11,
      k = 3,
      C = p;
    const L = new Float64Array(p * p * C);
    for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) for (let c = 0; c < C; c++) L[(a * p + b) * C + c] = 4 * Math.cos((2 * Math.PI * k * (a + b - c)) / p);
    const pairs = (list: [number, number][]) => ({
      a: Int32Array.from(list, (x) => x[0]),
      b: Int32Array.from(list, (x) => x[1]),
      y: Int32Array.from(list, (x) => (x[0] + x[1]) % p),
    });
    const all: [number, number][] = [];
    for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) all.push([a, b]);
    const split = { train: pairs(all.slice(0, 50)), test: pairs(all.slice(50)) };
    const ceRef = (d: ReturnType<typeof pairs>) => {
      let s = 0;
      for (let n = 0; n < d.a.length; n++) {
        const row = Array.from({ length: C }, (_, c) => L[(d.a[n]! * p + d.b[n]!) * C + c]!);
        s += Math.log(row.reduce((acc, v) => acc + Math.exp(v), 0)) - row[d.y[n]!]!;
      }
      return s / d.a.length;
    };
    const r = fourierLossFromLogits(L, C, p, [k], split);
    expect(r.excludedTrain).toBeCloseTo(Math.log(p), 10); // nothing left: uniform logits
    expect(r.restrictedTrain).toBeCloseTo(ceRef(split.train), 10);
    expect(r.restrictedTest).toBeCloseTo(ceRef(split.test), 10);
    const other = fourierLossFromLogits(L, C, p, [1, 2], split);
    expect(other.excludedTrain).toBeCloseTo(ceRef(split.train), 10); // nothing removed
    expect(other.restrictedTrain).toBeCloseTo(Math.log(p), 10);
  });
});

describe('Golechha measures', () => {
  it('sparsity and absolute weight entropy by hand', () => {
    expect(activationSparsity([0, 0.05, 0.2, 3, 0.1, 0.09], 2, 3, 0.1)).toBeCloseTo(3 / 6, 15);
    // -sum |w| ln |w|: 0.5 ln 2 + 0 (|w| = 1) - 2 ln 2 (|w| = 2) + 0 (w = 0)
    expect(absWeightEntropy([0.5, -1, -2, 0])).toBeCloseTo(0.5 * Math.log(2) - 2 * Math.log(2), 15);
  });

  it('first-layer sparsity from the weights (native and float64) equals the fraction over the activations', async () => {
    const { loadNative } = await import('../src/addon/native.js');
    const p = 13,
      H = 30;
    const m64 = randomMlp(p, H, 12, 0.3);
    const l0 = m64.layers[0]!;
    const W = Float32Array.from(l0.weight),
      bias = Float32Array.from(l0.bias!);
    const u = rng(4);
    const a = Int32Array.from({ length: 200 }, () => Math.floor(u() * p)),
      b = Int32Array.from({ length: 200 }, () => Math.floor(u() * p));
    // reference: the activations by hand, counted below tau
    let below = 0;
    for (let n = 0; n < 200; n++)
      for (let k = 0; k < H; k++) {
        const z = W[k * 2 * p + a[n]!]! + W[k * 2 * p + p + b[n]!]! + bias[k]!;
        if (Math.max(z, 0) < 0.1) below++;
      }
    const native = loadNative().measuresFirstLayerBelow(W, H, 2 * p, bias, p, a, b, 0.1) as number;
    expect(native).toBe(below);
    const m32: MlpModel = { vocab: p, layers: [{ ...l0, weight: W, bias }, m64.layers[1]!] };
    expect(firstLayerSparsity({ ...m32, layers: [{ ...l0, weight: Float64Array.from(W), bias: Float64Array.from(bias) }, m64.layers[1]!] }, { a, b, y: a }, 0.1)).toBeCloseTo(below / (200 * H), 12);
  });

  it('local circuit complexity = sum of KL to the masked network (reference forward, same mask order)', () => {
    const p = 7,
      H = 12;
    const m = randomMlp(p, H, 3);
    const data = { a: Int32Array.from([0, 1, 2, 3, 6]), b: Int32Array.from([4, 5, 6, 0, 6]), y: Int32Array.from([4, 6, 1, 3, 5]) };
    const frac = 0.3;
    const got = localCircuitComplexity(m, data, { fraction: frac, seed: 2 });
    // documented mask: one uniform per weight entry, layer by layer, entry by entry; zeroed when u < fraction
    const u = seededUniform(2 * 1000 + 0 + 1);
    const masked: MlpModel = { vocab: p, layers: m.layers.map((l) => ({ ...l, weight: Float64Array.from(l.weight, (w) => (u() < frac ? 0 : w)) })) };
    let ref = 0;
    for (let n = 0; n < data.a.length; n++) {
      const x = oneHot(p, data.a[n]!, data.b[n]!);
      const z = forwardRef(m, x).logits,
        zq = forwardRef(masked, x).logits;
      const lse = (v: number[]) => Math.log(v.reduce((a, t) => a + Math.exp(t), 0));
      const P = z.map((t) => Math.exp(t - lse(z)));
      ref += P.reduce((a, pi, c) => a + pi * (z[c]! - lse(z) - (zq[c]! - lse(zq))), 0);
    }
    expect(got).toBeCloseTo(ref, 10);
    expect(got).toBeGreaterThan(0);
  });
});

describe('information measures', () => {
  it('TC, DTC, O and S of a Gaussian against brute-force entropies', () => {
    const u = rng(9);
    const n = 5;
    const A = Array.from({ length: n }, () => Array.from({ length: n }, () => gauss(u)));
    const S = A.map((r, i) => A.map((q, j) => r.reduce((a, x, k) => a + x * q[k]!, 0) + (i === j ? 0.5 : 0)));
    const all = [...Array(n).keys()];
    const hAll = hGauss(S, all);
    const tc = all.reduce((a, i) => a + hGauss(S, [i]), 0) - hAll;
    const dtc = hAll - all.reduce((a, i) => a + (hAll - hGauss(S, all.filter((j) => j !== i))), 0);
    const g = gaussianInfo(S.flat(), n);
    expect(g.tc).toBeCloseTo(tc, 10);
    expect(g.dtc).toBeCloseTo(dtc, 10);
    expect(g.oinfo).toBeCloseTo(tc - dtc, 10);
    expect(g.sinfo).toBeCloseTo(tc + dtc, 10);
  });

  it('binned MI by hand', () => {
    // one unit, values 0, 0.1, 0.9, 1 with 2 bins over [0, 1]: T = 0, 0, 1, 1 -> H(T) = 1 bit
    expect(binnedMI([0, 0.1, 0.9, 1], 4, 1, [0, 1, 0, 1], 2)).toEqual({ itx: 1, ity: 0, bins: 2 });
    expect(binnedMI([0, 0.1, 0.9, 1], 4, 1, [0, 0, 1, 1], 2).ity).toBeCloseTo(1, 15);
    // two units: tuples (0,0), (0,1), (1,0), (1,0): H = 1.5 bits
    expect(binnedMI([0, 0, 0, 1, 1, 0, 1, 0], 4, 2, [0, 0, 0, 0], 2).itx).toBeCloseTo(1.5, 15);
  });
});

describe('local complexity', () => {
  it('counts units whose sign changes over the vertices (reference forward on explicit vertices)', () => {
    const p = 5,
      H = 9;
    const m = randomMlp(p, H, 4);
    const data = { a: Int32Array.from([0, 1, 2, 3]), b: Int32Array.from([4, 2, 0, 1]), y: Int32Array.from([4, 3, 2, 4]) };
    for (const radius of [0.05, 0.5, 3]) {
      const P = 6;
      const got = localComplexity(m, { train: data, test: data }, { directions: P, radius, seed: 8, maxProbes: 10 });
      const V = randomFrame(2 * p, P, 8);
      let ref = 0;
      for (let n = 0; n < data.a.length; n++) {
        const x = oneHot(p, data.a[n]!, data.b[n]!);
        const verts = V.flatMap((v) => [x.map((xi, i) => xi + radius * v[i]!), x.map((xi, i) => xi - radius * v[i]!)]);
        const outs = verts.map((vx) => forwardRef(m, vx));
        for (let k = 0; k < H; k++) if (new Set(outs.map((o) => o.pre1[k]! > 0)).size > 1) ref++;
        for (let c = 0; c < p; c++) if (new Set(outs.map((o) => o.logits[c]! > 0)).size > 1) ref++;
      }
      expect(got.train).toBeCloseTo(ref / data.a.length, 12);
    }
  });
});

describe('AGOP', () => {
  it('the ReLU shortcut equals the mean J^T J from finite differences', () => {
    const p = 5,
      H = 8;
    const m = randomMlp(p, H, 6);
    const data = { a: Int32Array.from([0, 1, 2, 4, 3]), b: Int32Array.from([1, 3, 4, 0, 3]), y: Int32Array.from([1, 4, 1, 4, 1]) };
    const G = agopMatrix(m, data);
    const D = 2 * p;
    const ref = new Float64Array(D * D);
    const h = 1e-6;
    for (let n = 0; n < data.a.length; n++) {
      const x = oneHot(p, data.a[n]!, data.b[n]!);
      const J: number[][] = []; // J[i] = dz/dx_i (length p)
      for (let i = 0; i < D; i++) {
        const xp = [...x],
          xm = [...x];
        xp[i]! += h;
        xm[i]! -= h;
        const zp = forwardRef(m, xp).logits,
          zm = forwardRef(m, xm).logits;
        J.push(zp.map((v, c) => (v - zm[c]!) / (2 * h)));
      }
      for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) ref[i * D + j] += J[i]!.reduce((a, v, c) => a + v * J[j]![c]!, 0) / data.a.length;
    }
    for (let i = 0; i < D * D; i++) expect(G[i]).toBeCloseTo(ref[i]!, 6);
  });

  it('circulant deviation is 0 for a circulant (s = +1) and a Hankel (s = -1) block', () => {
    const p = 7,
      n = 2 * p;
    const c = Array.from({ length: p }, (_, i) => Math.sin(i * 1.3) + 2);
    const circ = new Float64Array(n * n),
      hank = new Float64Array(n * n);
    for (let l = 0; l < p; l++)
      for (let j = 0; j < p; j++) {
        circ[(p + l) * n + j] = c[(((j - l) % p) + p) % p]!;
        hank[(p + l) * n + j] = c[(j + l) % p]!;
      }
    expect(circulantDeviation(circ, n, p, 1)).toBeCloseTo(0, 14);
    expect(circulantDeviation(circ, n, p, -1)).toBeGreaterThan(0.01);
    expect(circulantDeviation(hank, n, p, -1)).toBeCloseTo(0, 14);
  });
});

describe('registry and coded errors', () => {
  it('unknown measure names are refused with the allowed list', () => {
    try {
      parseMeasureList('loss,bogus');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(GrokinfoError);
      expect((e as GrokinfoError).code).toBe('INVALID_ARGUMENT');
      for (const n of MEASURE_NAMES) expect((e as Error).message).toContain(n);
    }
  });

  it("'all' expands to every measure, Fourier ones only where they apply", () => {
    expect(parseMeasureList('all', 'add')).toEqual([...MEASURE_NAMES]);
    expect(parseMeasureList('all', 'mul')).not.toContain('fourier');
    const cfg = resolveRunConfig({ task: { op: 'mul', p: 11 }, measures: { names: ['all'] } });
    expect(cfg.measures!.names).not.toContain('fourier-loss');
    expect(cfg.measures!.names).toContain('htsr');
  });

  it('a Fourier measure on a non-additive task is a coded error naming what is allowed', () => {
    try {
      resolveRunConfig({ task: { op: 'mul', p: 11 }, measures: { names: ['fourier'] } });
      expect.unreachable();
    } catch (e) {
      expect((e as GrokinfoError).code).toBe('INVALID_ARGUMENT');
      expect((e as Error).message).toMatch(/add or sub/);
      expect((e as Error).message).toMatch(/weight-norm/);
    }
  });
});
