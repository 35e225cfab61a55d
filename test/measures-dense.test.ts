/**
 * The progress measures on a dense-input model (MNIST's kind: rows of pixels -> two hidden ReLU layers ->
 * class scores), each against a float64 implementation written here: a plain-loop forward pass, losses,
 * norms and entropies by hand, a Jacobi eigen-solver with a brute-force power-law fit, the copula
 * covariance of test/oinfo.ref.ts, explicit masked networks and explicit probe vertices. Plus the task
 * applicability of the registry (one definition) and its coded errors.
 */
import { describe, expect, it } from 'vitest';
import { computeMeasure, type MeasureContext } from '../src/measures/compute.js';
import { localComplexity, randomFrame } from '../src/measures/functions.js';
import { evenSubset, forwardData, seededUniform, type DenseData, type MlpModel } from '../src/measures/model.js';
import { LC_DIRECTIONS, LC_PROBES, LC_RADIUS, LCC_FRACTION, MEASURES, MI_BINS, SPARSITY_TAU, checkMeasuresForTask, measuresFor, parseMeasureList } from '../src/measures/registry.js';
import { GrokinfoError } from '../src/core/errors.js';
import { copulaCovRef, entropy } from './oinfo.ref.js';
import { gauss, rng } from './rng.js';

const D = 30, // inputs (>= LC_DIRECTIONS, so the registry's local complexity runs)
  WIDTHS = [16, 12],
  C = 10;

function denseMlp(seed: number): MlpModel {
  const u = rng(seed);
  const dims = [D, ...WIDTHS, C];
  const layers = dims.slice(1).map((rows, l) => ({
    weight: Float64Array.from({ length: rows * dims[l]! }, () => gauss(u) / Math.sqrt(dims[l]! / 2)),
    rows,
    cols: dims[l]!,
    bias: Float64Array.from({ length: rows }, () => gauss(u) * 0.2),
  }));
  return { vocab: 0, inputDim: D, layers };
}

/** Pixel-like rows: about a third zeros, the rest uniform in (0, 1]; labels uniform over the classes. */
function denseData(N: number, seed: number): DenseData {
  const u = rng(seed);
  const x = Float32Array.from({ length: N * D }, () => (u() < 0.35 ? 0 : Math.fround(1 - u())));
  return { x, dim: D, y: Int32Array.from({ length: N }, () => Math.floor(u() * C)) };
}

/** Plain-loop float64 forward pass of one input row: every layer's pre-activations. */
function refForward(m: MlpModel, x: ArrayLike<number>): number[][] {
  const pres: number[][] = [];
  let h = Array.from(x);
  m.layers.forEach((l, i) => {
    const z = Array.from({ length: l.rows }, (_, k) => h.reduce((a, xi, j) => a + l.weight[k * l.cols + j]! * xi, l.bias ? l.bias[k]! : 0));
    pres.push(z);
    if (i < m.layers.length - 1) h = z.map((v) => Math.max(v, 0));
  });
  return pres;
}
const row = (d: DenseData, n: number) => Array.from(d.x.subarray(n * D, (n + 1) * D));

/** Hidden layer l's activations over a split, N x width (float64 reference). */
function refHidden(m: MlpModel, d: DenseData, l: number): number[] {
  const out: number[] = [];
  for (let n = 0; n < d.y.length; n++) out.push(...refForward(m, row(d, n))[l]!.map((v) => Math.max(v, 0)));
  return out;
}

function ctxOf(m: MlpModel, train: DenseData, test: DenseData, extra: Partial<MeasureContext> = {}): MeasureContext {
  return {
    model: m,
    op: 'mnist',
    p: 0,
    train,
    test,
    hidden: (l) => Float32Array.from(refHidden(m, train, l)),
    units: 'nats',
    seed: 5,
    ...extra,
  };
}

/** Symmetric eigenvalues by cyclic Jacobi rotations (float64, ascending). */
function jacobiEigenvalues(A: number[][]): number[] {
  const n = A.length;
  const M = A.map((r) => [...r]);
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) off += M[i]![j]! ** 2;
    if (off < 1e-26) break;
    for (let p = 0; p < n; p++)
      for (let q = p + 1; q < n; q++) {
        if (Math.abs(M[p]![q]!) < 1e-300) continue;
        const theta = (M[q]![q]! - M[p]![p]!) / (2 * M[p]![q]!);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1),
          s = t * c;
        for (let k = 0; k < n; k++) {
          const mkp = M[k]![p]!,
            mkq = M[k]![q]!;
          M[k]![p] = c * mkp - s * mkq;
          M[k]![q] = s * mkp + c * mkq;
        }
        for (let k = 0; k < n; k++) {
          const mpk = M[p]![k]!,
            mqk = M[q]![k]!;
          M[p]![k] = c * mpk - s * mqk;
          M[q]![k] = s * mpk + c * mqk;
        }
      }
  }
  return M.map((r, i) => r[i]!).sort((a, b) => a - b);
}

/** Power-law exponent as documented (docs/measures.md): MLE per xmin candidate, least KS distance wins. */
function powerLawAlphaRef(ev: number[]): number {
  const e = ev.filter((v) => v > 1e-5).sort((a, b) => a - b);
  let best = { ks: Infinity, alpha: NaN };
  for (let i = 0; i < e.length - 1; i++) {
    const tail = e.slice(i);
    const alpha = 1 + tail.length / tail.reduce((a, v) => a + Math.log(v / e[i]!), 0);
    let ks = 0;
    tail.forEach((v, j) => (ks = Math.max(ks, Math.abs(1 - Math.pow(v / e[i]!, 1 - alpha) - j / tail.length))));
    if (ks < best.ks) best = { ks, alpha };
  }
  return best.alpha;
}

describe('the float64 forward pass on dense rows', () => {
  it('every layer within 1e-12 of the plain-loop reference (float32 rows widened)', () => {
    const m = denseMlp(1);
    const d = denseData(25, 2);
    const fw = forwardData(m, d);
    for (let n = 0; n < 25; n++)
      refForward(m, row(d, n)).forEach((z, l) => z.forEach((v, k) => expect(Math.abs(fw.pre[l]![n * z.length + k]! - v)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(v)))));
  });

  it('refuses data of the other kind, and rows of the wrong width, with coded errors', () => {
    const m = denseMlp(1);
    for (const bad of [
      () => forwardData(m, { a: Int32Array.of(0), b: Int32Array.of(0), y: Int32Array.of(0) }),
      () => forwardData(m, { x: new Float32Array(2 * (D - 1)), dim: D - 1, y: Int32Array.of(0, 1) }),
      () => forwardData({ ...m, inputDim: D + 1 }, denseData(2, 1)),
    ]) {
      try {
        bad();
        expect.unreachable();
      } catch (e) {
        expect((e as GrokinfoError).code).toBe('INVALID_ARGUMENT');
      }
    }
  });

  it('evenSubset keeps at most max rows, evenly spaced, and the whole split when it is small', () => {
    const d = denseData(10, 3);
    const s = evenSubset(d, 4);
    expect([...s.y]).toEqual([0, 2, 5, 7].map((n) => d.y[n]!));
    expect([...s.x.subarray(2 * D, 3 * D)]).toEqual(row(d, 5));
    expect(evenSubset(d, 10)).toBe(d);
  });
});

describe('each measure that applies to mnist, on a dense model, against a float64 reference', () => {
  const m = denseMlp(7);
  const train = denseData(40, 8),
    test = denseData(30, 9);

  it('loss: MSE (PyTorch MSELoss on one-hot targets) and cross-entropy, and accuracy, without the trainer', async () => {
    for (const loss of ['mse', 'xent'] as const) {
      const v = await computeMeasure('loss', ctxOf(m, train, test, { loss }));
      for (const [d, L, A] of [[train, 'trainLoss', 'trainAcc'], [test, 'testLoss', 'testAcc']] as const) {
        let tot = 0,
          ok = 0;
        for (let n = 0; n < d.y.length; n++) {
          const z = refForward(m, row(d, n))[2]!;
          if (z.indexOf(Math.max(...z)) === d.y[n]) ok++;
          if (loss === 'mse') tot += z.reduce((a, zc, c) => a + (zc - (c === d.y[n] ? 1 : 0)) ** 2, 0) / C;
          else tot += Math.log(z.reduce((a, zc) => a + Math.exp(zc), 0)) - z[d.y[n]!]!;
        }
        expect(v[L] as number).toBeCloseTo(tot / d.y.length, 10);
        expect(v[A]).toBe(ok / d.y.length);
      }
    }
  });

  it('weight-norm and weight-entropy by hand', async () => {
    const wn = await computeMeasure('weight-norm', ctxOf(m, train, test));
    const we = await computeMeasure('weight-entropy', ctxOf(m, train, test));
    const sq = m.layers.map((l) => Array.from(l.weight).reduce((a, w) => a + w * w, 0));
    expect(wn.perLayer as number[]).toEqual(sq.map((s) => expect.closeTo(Math.sqrt(s), 12)));
    expect(wn.total as number).toBeCloseTo(Math.sqrt(sq.reduce((a, s) => a + s, 0)), 12);
    const ent = m.layers.map((l) => Array.from(l.weight).reduce((a, w) => a - (w === 0 ? 0 : Math.abs(w) * Math.log(Math.abs(w))), 0));
    expect(we.perLayer as number[]).toEqual(ent.map((h) => expect.closeTo(h, 10)));
  });

  it('sparsity: the fraction of activations below tau in every hidden layer (layer 0 from the dense rows too)', async () => {
    const v = await computeMeasure('sparsity', ctxOf(m, train, test));
    const per = WIDTHS.map((_, l) => {
      const h = refHidden(m, train, l);
      return h.filter((x) => x < SPARSITY_TAU).length / h.length;
    });
    expect(v.perLayer).toEqual(per);
    expect(v.mean as number).toBeCloseTo((per[0]! + per[1]!) / 2, 14);
  });

  it('info: Gaussian-copula TC and DTC of the alive neurons of the measured layer', async () => {
    for (const layer of [0, 1]) {
      const v = await computeMeasure('info', ctxOf(m, train, test, { infoLayer: layer }));
      const H = WIDTHS[layer]!,
        N = train.y.length;
      const h = Float32Array.from(refHidden(m, train, layer));
      const alive = Array.from({ length: H }, (_, j) => j).filter((j) => new Set(Array.from({ length: N }, (_, n) => h[n * H + j])).size > 1);
      expect(v.alive).toBe(alive.length);
      const Xa = Array.from({ length: N }, (_, n) => alive.map((j) => h[n * H + j]!)).flat();
      const Cov = copulaCovRef(Xa, N, alive.length, 'average');
      const all = alive.map((_, k) => k);
      const hAll = entropy(Cov, all);
      const tc = all.reduce((a, i) => a + entropy(Cov, [i]), 0) - hAll;
      const dtc = hAll - all.reduce((a, i) => a + (hAll - entropy(Cov, all.filter((j) => j !== i))), 0);
      const got = v.layer as { tc: number; dtc: number; oinfo: number };
      expect(got.tc).toBeCloseTo(tc, 8);
      expect(got.dtc).toBeCloseTo(dtc, 8);
      expect(got.oinfo).toBeCloseTo(tc - dtc, 8);
    }
  });

  it('htsr: per-matrix power-law alpha from Jacobi eigenvalues of W^T W and a brute-force fit', async () => {
    const v = await computeMeasure('htsr', ctxOf(m, train, test));
    const layers = v.layers as { alpha: number | null }[];
    m.layers.forEach((l, i) => {
      // W^T W (cols x cols) or W W^T, whichever is smaller: the same nonzero eigenvalues sigma_i^2
      const k = Math.min(l.rows, l.cols);
      const G = Array.from({ length: k }, (_, a) =>
        Array.from({ length: k }, (_, b) => {
          let s = 0;
          if (l.rows <= l.cols) for (let j = 0; j < l.cols; j++) s += l.weight[a * l.cols + j]! * l.weight[b * l.cols + j]!;
          else for (let r = 0; r < l.rows; r++) s += l.weight[r * l.cols + a]! * l.weight[r * l.cols + b]!;
          return s;
        }),
      );
      expect(layers[i]!.alpha!).toBeCloseTo(powerLawAlphaRef(jacobiEigenvalues(G)), 6);
    });
  });

  it('circuit-complexity: sum of KL(original || masked) over the training rows (explicit masked network)', async () => {
    const v = await computeMeasure('circuit-complexity', ctxOf(m, train, test));
    const u = seededUniform(5 * 1000 + 0 + 1); // documented: seed * 1000 + mask + 1, one uniform per entry, layer by layer
    const masked: MlpModel = { ...m, layers: m.layers.map((l) => ({ ...l, weight: Float64Array.from(l.weight, (w) => (u() < LCC_FRACTION ? 0 : w)) })) };
    let ref = 0;
    for (let n = 0; n < train.y.length; n++) {
      const z = refForward(m, row(train, n))[2]!,
        zq = refForward(masked, row(train, n))[2]!;
      const lse = (q: number[]) => Math.log(q.reduce((a, t) => a + Math.exp(t), 0));
      ref += z.reduce((a, zc, c) => a + Math.exp(zc - lse(z)) * (zc - lse(z) - (zq[c]! - lse(zq))), 0);
    }
    expect(v.value as number).toBeCloseTo(ref, 9);
    expect(ref).toBeGreaterThan(0);
  });

  it('mi: binned H(T) and I(T;Y) of every hidden layer (tuples of equal-width bins over the layer range)', async () => {
    const v = await computeMeasure('mi', ctxOf(m, train, test));
    const N = train.y.length;
    const layers = v.layers as { itx: number; ity: number }[];
    WIDTHS.forEach((H, l) => {
      const h = Float32Array.from(refHidden(m, train, l));
      const lo = Math.min(...h),
        hi = Math.max(...h);
      const key = (n: number) => Array.from({ length: H }, (_, j) => Math.min(MI_BINS - 1, Math.floor((h[n * H + j]! - lo) / ((hi - lo) / MI_BINS)))).join(',');
      const ent = (rows: number[]) => {
        const c = new Map<string, number>();
        rows.forEach((n) => c.set(key(n), (c.get(key(n)) ?? 0) + 1));
        return [...c.values()].reduce((a, k) => a - (k / rows.length) * Math.log2(k / rows.length), 0);
      };
      const all = Array.from({ length: N }, (_, n) => n);
      const hT = ent(all);
      let cond = 0;
      for (let y = 0; y < C; y++) {
        const rows = all.filter((n) => train.y[n] === y);
        if (rows.length) cond += (rows.length / N) * ent(rows);
      }
      expect(layers[l]!.itx).toBeCloseTo(hT, 12);
      expect(layers[l]!.ity).toBeCloseTo(hT - cond, 12);
    });
  });

  it('local-complexity: units whose sign changes over the vertices x +- r v (explicit vertices, every layer)', async () => {
    const refLc = (d: DenseData, P: number, r: number, seed: number, maxProbes: number) => {
      const V = randomFrame(D, P, seed);
      const count = Math.min(d.y.length, maxProbes);
      let total = 0;
      for (let t = 0; t < count; t++) {
        const x = row(d, Math.floor((t * d.y.length) / count));
        const outs = V.flatMap((v) => [x.map((xi, i) => xi + r * v[i]!), x.map((xi, i) => xi - r * v[i]!)]).map((vx) => refForward(m, vx));
        outs[0]!.forEach((z, l) => z.forEach((_, k) => (total += new Set(outs.map((o) => o[l]![k]! > 0)).size > 1 ? 1 : 0)));
      }
      return total / count;
    };
    for (const [P, r, maxProbes] of [[6, 0.05, 7], [4, 0.8, 40]] as const) {
      const got = localComplexity(m, { train, test }, { directions: P, radius: r, seed: 3, maxProbes });
      expect(got.train).toBeCloseTo(refLc(train, P, r, 3, maxProbes), 12);
      expect(got.test).toBeCloseTo(refLc(test, P, r, 3, maxProbes), 12);
    }
    const v = await computeMeasure('local-complexity', ctxOf(m, train, test));
    expect(v.train as number).toBeCloseTo(refLc(train, LC_DIRECTIONS, LC_RADIUS, 5, LC_PROBES), 12);
    expect(v.test as number).toBeCloseTo(refLc(test, LC_DIRECTIONS, LC_RADIUS, 5, LC_PROBES), 12);
  });
});

describe('task applicability (MeasureDef.tasks, one definition)', () => {
  it("'all' for mnist is every measure defined for it: the Fourier ones and agop left out", () => {
    const names = parseMeasureList('all', 'mnist');
    expect(names).toEqual(measuresFor('mnist'));
    expect(names).toEqual(['oinfo', 'loss', 'weight-norm', 'weight-entropy', 'sparsity', 'info', 'htsr', 'circuit-complexity', 'mi', 'local-complexity']);
    for (const d of MEASURES) expect(names.includes(d.name)).toBe(!d.tasks || d.tasks.only.includes('mnist'));
  });

  it('naming an inapplicable measure is INVALID_ARGUMENT saying why and listing the measures that apply', async () => {
    for (const n of ['fourier', 'fourier-neurons', 'fourier-loss', 'agop']) {
      try {
        checkMeasuresForTask([n], 'mnist');
        expect.unreachable();
      } catch (e) {
        const g = e as GrokinfoError;
        expect(g.code).toBe('INVALID_ARGUMENT');
        expect(g.message).toContain(`--measure ${n}`);
        expect(g.message).toContain('task is mnist');
        expect(g.message).toContain(measuresFor('mnist').join(', '));
      }
      // and computeMeasure refuses it the same way on a dense model
      await expect(computeMeasure(n, ctxOf(denseMlp(1), denseData(3, 1), denseData(3, 2)))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    }
  });
});
