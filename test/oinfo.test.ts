import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GrokinfoError } from '../src/core/errors.js';
import { loadNative } from '../src/addon/native.js';
import { checkpointToRecord, measureCheckpoints, oinfo, type Matrix, type OInfoReport } from '../src/measures/oinfo.js';
import {
  biasB,
  copulaCovRef,
  ndtriRef,
  normals,
  naiveWard,
  omegaGroupedRef,
  omegaRef,
  rng,
  subsets,
} from './oinfo.ref.js';

/** N x D samples with shared latent factors (redundancy) and a sum (synergy). */
function structured(N: number, D: number, seed: number): Matrix {
  const z = normals(seed);
  const data = new Float64Array(N * D);
  for (let t = 0; t < N; t++) {
    const f = [z(), z()];
    for (let j = 0; j < D; j++) data[t * D + j] = 0.7 * f[j % 2] + z();
    if (D >= 6) data[t * D + 5] = data[t * D + 3] + data[t * D + 4] + 0.3 * z();
  }
  return { data, rows: N, cols: D };
}

async function expectCode(p: Promise<unknown> | (() => unknown), code: string, pattern?: RegExp): Promise<GrokinfoError> {
  try {
    if (typeof p === 'function') await p();
    else await p;
  } catch (e) {
    expect(e).toBeInstanceOf(GrokinfoError);
    expect((e as GrokinfoError).code).toBe(code);
    if (pattern) expect((e as Error).message).toMatch(pattern);
    return e as GrokinfoError;
  }
  throw new Error(`expected a ${code} error`);
}

describe('copula', () => {
  it('ndtri matches a bisection reference to ~1e-12', () => {
    const native = loadNative();
    const us = [1e-12, 1e-10, 1e-6, 1 / 3764, 0.001, 0.02425, 0.1, 0.3, 0.425, 0.5, 0.575, 0.7, 0.9, 0.97575, 0.999, 1 - 1e-6];
    for (let i = 1; i < 50; i++) us.push(i / 50 + 1e-3 * Math.sin(i));
    for (const u of us) {
      const ref = ndtriRef(u);
      expect(Math.abs(native.ndtri(u) - ref)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(ref)));
    }
  });

  it('average ties are mid-ranks and ordinal ties follow the index (covariance vs a plain reference)', async () => {
    const native = loadNative();
    const N = 120;
    const D = 4;
    const r = rng(3);
    const data = new Float64Array(N * D);
    for (let t = 0; t < N; t++)
      for (let j = 0; j < D; j++) data[t * D + j] = j === 3 ? r() : Math.max(0, Math.floor(r() * 6) - 2); // many ties (zeros)
    const data32 = Float32Array.from(data, (v, i) => (i % D === 0 ? -v : v)); // float32 path (radix sort), negative values too
    // The sort sets zeros aside and puts them back between the negatives and the positives: negative values
    // and -0 in both precisions, and a column of zeros only.
    const mixed = Float64Array.from(data, (v, i) => (i % D === 1 ? -v : i % D === 2 ? v * (i % 3 === 0 ? -1 : 1) : v));
    const zeroCol = Float32Array.from(data32, (v, i) => (i % D === 2 ? (i % 2 ? -0 : 0) : v));
    for (const ties of ['average', 'ordinal'] as const) {
      for (const X of [data, data32, mixed, Float32Array.from(mixed), zeroCol, Float64Array.from(zeroCol)]) {
        const cov: Float64Array = await native.copulaCovariance(X, N, D, { ties });
        const ref = copulaCovRef(X, N, D, ties);
        for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) expect(Math.abs(cov[i * D + j] - ref[i][j])).toBeLessThan(1e-12);
      }
    }
  });

  it('calls in flight together (more than the libuv pool has threads) each settle with their own result', async () => {
    // Native jobs run on persistent compute lanes (bindings/addon.cpp): a job takes the first free lane,
    // overlapping jobs take more; every promise must get its own job's result.
    const native = loadNative();
    const N = 200;
    const D = 5;
    const inputs = Array.from({ length: 12 }, (_, k) => {
      const r = rng(100 + k);
      return Float64Array.from({ length: N * D }, () => r() + (k % 3) * r());
    });
    const got: Float64Array[] = await Promise.all(inputs.map((X) => native.copulaCovariance(X, N, D, {})));
    got.forEach((cov, k) => {
      const ref = copulaCovRef(inputs[k]!, N, D);
      for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) expect(Math.abs(cov[i * D + j] - ref[i][j]), `call ${k}`).toBeLessThan(1e-12);
    });
  });

  it('random ties are deterministic per seed, differ across seeds, and break every tie', async () => {
    const native = loadNative();
    const N = 200;
    const D = 3;
    const r = rng(5);
    const data = new Float32Array(N * D);
    for (let i = 0; i < data.length; i++) data[i] = Math.max(0, r() - 0.5);
    const a: Float64Array = await native.copulaCovariance(data, N, D, { ties: 'random', seed: 1 });
    const b: Float64Array = await native.copulaCovariance(data, N, D, { ties: 'random', seed: 1 });
    const c: Float64Array = await native.copulaCovariance(data, N, D, { ties: 'random', seed: 2 });
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Math.max(...Array.from(a).map((v, i) => Math.abs(v - c[i])))).toBeGreaterThan(1e-6);
    // Every tie broken: the variance is that of the full set of normal scores.
    const scores = Array.from({ length: N }, (_, i) => ndtriRef((i + 1) / (N + 1)));
    const m = scores.reduce((s, v) => s + v, 0) / N;
    const v = scores.reduce((s, x) => s + (x - m) ** 2, 0) / (N - 1);
    for (let j = 0; j < D; j++) expect(Math.abs(a[j * D + j] - v)).toBeLessThan(1e-12);
  });
});

describe('oinfo: values against the entropy definition', () => {
  const N = 300;
  const D = 7;
  const m = structured(N, D, 11);
  const C = copulaCovRef(m.data, N, D);
  const all = subsets(D, 2, D).map((s) => ({ s, v: omegaRef(C, s) }));

  it('per-size extremes and top-k equal brute force over every multiplet (nats)', async () => {
    const r = (await oinfo(m, { units: 'nats', minSize: 2, maxSize: D, topK: 8, backend: 'cpu' })) as OInfoReport;
    expect(r.multiplets).toBe(all.length);
    for (const s of r.bySize) {
      const these = all.filter((x) => x.s.length === s.size);
      expect(s.count).toBe(these.length);
      const mn = these.reduce((a, b) => (b.v < a.v ? b : a));
      const mx = these.reduce((a, b) => (b.v > a.v ? b : a));
      if (s.size > 2) {
        expect(s.synergy.members).toEqual(mn.s);
        expect(s.redundancy.members).toEqual(mx.s);
      }
      expect(Math.abs(s.synergy.value - mn.v)).toBeLessThan(1e-9);
      expect(Math.abs(s.redundancy.value - mx.v)).toBeLessThan(1e-9);
    }
    const asc = [...all].sort((a, b) => a.v - b.v);
    expect(r.topSynergy.map((x) => x.value)).toHaveLength(8);
    r.topSynergy.forEach((x, i) => expect(Math.abs(x.value - asc[i].v)).toBeLessThan(1e-9));
    r.topRedundancy.forEach((x, i) => expect(Math.abs(x.value - asc[asc.length - 1 - i].v)).toBeLessThan(1e-9));
    r.topSynergy.slice(0, 3).forEach((x, i) => expect(x.members).toEqual(asc[i].s));
    expect(r.synergy.value).toBeCloseTo(asc[0].v, 9);
    expect(r.redundancy.value).toBeCloseTo(asc[asc.length - 1].v, 9);
  });

  it('variables mode, sizes 2..4 of 12 variables (leaf runs): extremes and top-k, in bits', async () => {
    const m12 = structured(250, 12, 21);
    const C12 = copulaCovRef(m12.data, 250, 12);
    const ref = subsets(12, 2, 4).map((s) => ({ s, v: omegaRef(C12, s) / Math.LN2 }));
    const r = (await oinfo(m12, { maxSize: 4, topK: 20, units: 'bits', threads: 2 })) as OInfoReport;
    expect(r.multiplets).toBe(ref.length);
    const asc = [...ref].sort((a, b) => a.v - b.v);
    r.topSynergy.forEach((x, i) => expect(Math.abs(x.value - asc[i].v)).toBeLessThan(1e-9));
    r.topRedundancy.forEach((x, i) => expect(Math.abs(x.value - asc[asc.length - 1 - i].v)).toBeLessThan(1e-9));
    for (const s of r.bySize) {
      const these = ref.filter((x) => x.s.length === s.size).map((x) => x.v);
      expect(Math.abs(s.synergy.value - Math.min(...these))).toBeLessThan(1e-9);
      expect(Math.abs(s.redundancy.value - Math.max(...these))).toBeLessThan(1e-9);
    }
  });

  it('JSONL stream: one line per multiplet, values equal to the reference, file written atomically', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oinfo-'));
    const out = join(dir, 'all.jsonl');
    const r = (await oinfo(m, { units: 'nats', minSize: 2, maxSize: D, out })) as OInfoReport;
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(all.length);
    expect(r.multiplets).toBe(all.length);
    const byKey = new Map(all.map((x) => [x.s.join(','), x.v]));
    for (const l of lines) {
      const rec = JSON.parse(l) as { members: number[]; oinfo: number };
      expect([...rec.members].sort((a, b) => a - b)).toEqual(rec.members);
      expect(Math.abs(rec.oinfo - byKey.get(rec.members.join(','))!)).toBeLessThan(1e-9);
      byKey.delete(rec.members.join(','));
    }
    expect(byKey.size).toBe(0);
    expect(readdirSync(dir)).toEqual(['all.jsonl']);
  });

  it('reports bits unless asked for nats (the default units of every measure): values are nats / ln 2', async () => {
    const nats = (await oinfo(m, { units: 'nats', minSize: 2, maxSize: D, topK: 3 })) as OInfoReport;
    const dflt = (await oinfo(m, { minSize: 2, maxSize: D, topK: 3 })) as OInfoReport;
    expect(dflt.units).toBe('bits');
    expect(Math.abs(dflt.synergy.value - nats.synergy.value / Math.LN2)).toBeLessThan(1e-12 * Math.max(1, Math.abs(dflt.synergy.value)));
    expect(Math.abs(dflt.redundancy.value - nats.redundancy.value / Math.LN2)).toBeLessThan(1e-12 * Math.max(1, Math.abs(dflt.redundancy.value)));
  });

  it('bias correction subtracts (n-2) b(n) + n b(1) - n b(n-1) (digamma from closed forms)', async () => {
    const plain = (await oinfo(m, { units: 'nats', minSize: 2, maxSize: D })) as OInfoReport;
    const corr = (await oinfo(m, { units: 'nats', minSize: 2, maxSize: D, biasCorrect: true })) as OInfoReport;
    for (let i = 0; i < plain.bySize.length; i++) {
      const n = plain.bySize[i].size;
      const c = (n - 2) * biasB(n, N) + n * biasB(1, N) - n * biasB(n - 1, N);
      // In variables mode the correction is a constant per size: extremes shift by it.
      expect(Math.abs(corr.bySize[i].synergy.value - (plain.bySize[i].synergy.value - c))).toBeLessThan(1e-10);
      expect(corr.bySize[i].synergy.members).toEqual(plain.bySize[i].synergy.members);
    }
  });

  it('planted synergy (X3 = X1 + X2 + noise) is negative, noisy copies are redundant (positive)', async () => {
    const z = normals(7);
    const n = 2000;
    const data = new Float64Array(n * 6);
    for (let t = 0; t < n; t++) {
      const x1 = z();
      const x2 = z();
      const s = z();
      data[t * 6] = x1;
      data[t * 6 + 1] = x2;
      data[t * 6 + 2] = x1 + x2 + 0.1 * z();
      for (let j = 3; j < 6; j++) data[t * 6 + j] = s + 0.3 * z();
    }
    const r = (await oinfo({ data, rows: n, cols: 6 }, { minSize: 3, maxSize: 3 })) as OInfoReport;
    expect(r.synergy.members).toEqual([0, 1, 2]);
    expect(r.synergy.value).toBeLessThan(-0.5);
    expect(r.redundancy.members).toEqual([3, 4, 5]);
    expect(r.redundancy.value).toBeGreaterThan(0.5);
  });

  it('is invariant to strictly monotone transforms of a column', async () => {
    const t = new Float64Array(m.data);
    for (let i = 0; i < N; i++) {
      t[i * D + 2] = Math.exp(3 * t[i * D + 2]);
      t[i * D + 4] = -(t[i * D + 4] ** 3); // decreasing: flips the sign of correlations, not Omega
    }
    const a = (await oinfo(m, { maxSize: 4, topK: 5 })) as OInfoReport;
    const b = (await oinfo({ data: t, rows: N, cols: D }, { maxSize: 4, topK: 5 })) as OInfoReport;
    a.topSynergy.forEach((x, i) => {
      expect(b.topSynergy[i].members).toEqual(x.members);
      expect(Math.abs(b.topSynergy[i].value - x.value)).toBeLessThan(1e-10);
    });
  });
});

describe('oinfo: bins and groups', () => {
  const N = 400;
  const D = 8;
  const m = structured(N, D, 31);
  const bins = [[0, 5], [1, 2, 7], [3], [4, 6]];

  it('bins mode equals variables mode over the same unions', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oinfo-'));
    const out = join(dir, 'bins.jsonl');
    const r = (await oinfo(m, { bins, out })) as OInfoReport;
    expect(r.mode).toBe('bins');
    expect(r.multiplets).toBe(11);
    const lines = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { members: number[]; oinfo: number });
    expect(lines).toHaveLength(11);
    for (const l of lines) {
      const vars = l.members.flatMap((u) => bins[u]).sort((a, b) => a - b);
      const sub = new Float64Array(N * vars.length);
      for (let t = 0; t < N; t++) vars.forEach((v, j) => (sub[t * vars.length + j] = m.data[t * D + v]));
      const v = (await oinfo({ data: sub, rows: N, cols: vars.length }, { minSize: vars.length, maxSize: vars.length })) as OInfoReport;
      expect(Math.abs(v.synergy.value - l.oinfo)).toBeLessThan(1e-10);
    }
    const best = lines.reduce((a, b) => (b.oinfo < a.oinfo ? b : a));
    expect(r.synergy.members).toEqual(best.members);
    expect(r.synergy.variables).toEqual(best.members.flatMap((u) => bins[u]).sort((a, b) => a - b));
  });

  it('grouped mode equals the vector-entropy reference', async () => {
    const C = copulaCovRef(m.data, N, D);
    const groups = bins;
    const ref = subsets(groups.length, 2, groups.length).map((s) => ({ s, v: omegaGroupedRef(C, s.map((u) => groups[u])) }));
    const r = (await oinfo(m, { units: 'nats', groups, topK: 11, biasCorrect: false })) as OInfoReport;
    expect(r.mode).toBe('groups');
    const asc = [...ref].sort((a, b) => a.v - b.v);
    r.topSynergy.forEach((x, i) => {
      // Pairs of groups have Omega = 0 exactly (ties decided by rounding): members only above them.
      if (asc[i].s.length > 2) expect(x.members).toEqual(asc[i].s);
      expect(Math.abs(x.value - asc[i].v)).toBeLessThan(1e-9);
    });
    // Grouped bias correction: (m-2) b(D_S) + sum_g [b(d_g) - b(D_S - d_g)].
    const rc = (await oinfo(m, { units: 'nats', groups, topK: 11, biasCorrect: true })) as OInfoReport;
    for (const x of rc.topSynergy) {
      const dims = x.members.map((u) => groups[u].length);
      const DS = dims.reduce((a, b) => a + b, 0);
      let c = (dims.length - 2) * biasB(DS, N);
      for (const d of dims) c += biasB(d, N) - biasB(DS - d, N);
      const plain = ref.find((y) => y.s.join() === x.members.join())!.v;
      expect(Math.abs(x.value - (plain - c))).toBeLessThan(1e-9);
    }
  });

  it('Ward bins: the same clusters as a naive O(n^3) Ward and as scipy', async () => {
    // Fixture computed here with scipy 1.17 (scipy.cluster.hierarchy.ward + fcluster maxclust),
    // relabelled by smallest member: X[t][j] = sin(0.7 t j + j) + 0.1 j (t < 6, j < 10).
    const Nw = 6;
    const Dw = 10;
    const Xw = new Float64Array(Nw * Dw);
    for (let t = 0; t < Nw; t++) for (let j = 0; j < Dw; j++) Xw[t * Dw + j] = Math.sin(0.7 * t * j + j) + 0.1 * j;
    const scipy: Record<number, number[]> = SCIPY_WARD;
    const native = loadNative();
    for (const k of [2, 3, 4, 5]) {
      const labels: Int32Array = await native.wardCluster(Xw, Nw, Dw, k);
      expect(Array.from(labels)).toEqual(scipy[k]);
    }
    // Random structured data vs the naive Ward.
    const z = normals(9);
    const Nr = 40;
    const Dr = 25;
    const Xr = new Float64Array(Nr * Dr);
    for (let t = 0; t < Nr; t++) {
      const f = [z(), z(), z()];
      for (let j = 0; j < Dr; j++) Xr[t * Dr + j] = Math.max(0, f[j % 3] * (1 + j / 10) + 0.5 * z());
    }
    for (const k of [2, 4, 7]) {
      const labels: Int32Array = await native.wardCluster(Xr, Nr, Dr, k);
      const ref = naiveWard(Xr, Nr, Dr, k);
      expect(Array.from(labels)).toEqual(Array.from({ length: Dr }, (_, j) => ref.get(j)));
    }
    // Through the API: bins {ward: 4} reports the clusters as unitsList.
    const r = (await oinfo({ data: Xr, rows: Nr, cols: Dr }, { bins: { ward: 4 }, maxSize: 2 })) as OInfoReport;
    const ref4 = naiveWard(Xr, Nr, Dr, 4);
    expect(r.unitsList).toEqual([0, 1, 2, 3].map((b) => Array.from({ length: Dr }, (_, j) => j).filter((j) => ref4.get(j) === b)));
  });
});

describe('measureCheckpoints', () => {
  it('excludes dead neurons, Ward-bins the alive ones and measures every union', async () => {
    const z = normals(4);
    const N = 200;
    const H = 16;
    const B = 2;
    const data = new Float32Array(B * N * H);
    for (let b = 0; b < B; b++)
      for (let t = 0; t < N; t++) {
        const f = [z(), z()];
        for (let h = 0; h < H; h++) {
          const dead = h === 3 || (b === 1 && h === 9);
          data[b * N * H + t * H + h] = dead ? 0.25 : Math.max(0, f[h % 2] + 0.8 * z() + 0.2 * b);
        }
      }
    const ms = await measureCheckpoints({ data, batch: B, rows: N, cols: H }, { bins: 4, units: 'bits', topK: 3 });
    expect(ms).toHaveLength(2);
    expect(ms[0].dead).toBe(1);
    expect(ms[1].dead).toBe(2);
    for (let b = 0; b < B; b++) {
      const X = data.subarray(b * N * H, (b + 1) * N * H);
      const alive = Array.from({ length: H }, (_, h) => h).filter((h) => !(h === 3 || (b === 1 && h === 9)));
      const ref = naiveWard(Float64Array.from(X), N, H, 4, alive);
      expect(Array.from(ms[b].labels)).toEqual(Array.from({ length: H }, (_, h) => ref.get(h) ?? -1));
      expect(ms[b].multiplets).toBe(11);
      expect(ms[b].binSizes.reduce((a, c) => a + c, 0)).toBe(alive.length);
      // Same value as the API's bins mode on the alive columns with the same bins.
      const sub = new Float64Array(N * alive.length);
      for (let t = 0; t < N; t++) alive.forEach((h, j) => (sub[t * alive.length + j] = X[t * H + h]));
      const binsList = [0, 1, 2, 3].map((k) => alive.map((h, j) => (ms[b].labels[h] === k ? j : -1)).filter((j) => j >= 0));
      const r = (await oinfo({ data: sub, rows: N, cols: alive.length }, { bins: binsList, units: 'bits' })) as OInfoReport;
      expect(Math.abs(r.synergy.value - ms[b].synergy)).toBeLessThan(1e-10);
      expect(ms[b].synergyBins).toEqual(r.synergy.members);
      expect(ms[b].synergyNeurons).toEqual(r.synergy.variables.map((j) => alive[j]));
      expect(Math.abs(r.redundancy.value - ms[b].redundancy)).toBeLessThan(1e-10);
      const rec = checkpointToRecord(100, ms[b], 'bits', 0.5);
      expect(rec.synergySize).toBe(ms[b].synergyNeurons.length);
      expect(rec.bySize.map((s) => s.size)).toEqual([2, 3, 4]);
      expect(rec.bySize[1].min).toBeCloseTo(r.bySize[1].synergy.value, 10);
    }
  });

  it('uses as many bins as alive neurons when fewer, and says so', async () => {
    const z = normals(8);
    const N = 50;
    const H = 6;
    const data = new Float32Array(N * H);
    for (let t = 0; t < N; t++) for (let h = 0; h < H; h++) data[t * H + h] = h < 3 ? z() : 0;
    const [m] = await measureCheckpoints({ data, batch: 1, rows: N, cols: H }, { bins: 10 });
    expect(m.dead).toBe(3);
    expect(m.binSizes).toEqual([1, 1, 1]);
    expect(m.multiplets).toBe(4);
    expect(m.note).toMatch(/3 bins used instead of 10/);
  });
});

describe('errors and cancellation', () => {
  const m = structured(100, 6, 2);

  it('NaN / Inf name the row and column', async () => {
    const d = new Float64Array(m.data);
    d[7 * 6 + 4] = NaN;
    await expectCode(oinfo({ data: d, rows: 100, cols: 6 }), 'INVALID_DATA', /row 7, column 4/);
    d[7 * 6 + 4] = Infinity;
    await expectCode(oinfo({ data: d, rows: 100, cols: 6 }, { columnNames: ['a', 'b', 'c', 'd', 'e', 'f'] }), 'INVALID_DATA', /row 7, column 4 \(e\)/);
  });

  it('options out of range are INVALID_ARGUMENT naming the option', async () => {
    await expectCode(oinfo(m, { maxSize: 7 }), 'INVALID_ARGUMENT', /maxSize/);
    await expectCode(oinfo(m, { minSize: 1 }), 'INVALID_ARGUMENT', /minSize/);
    await expectCode(oinfo(m, { minSize: 4, maxSize: 3 }), 'INVALID_ARGUMENT', /maxSize/);
    await expectCode(oinfo(m, { ties: 'first' as never }), 'INVALID_ARGUMENT', /ties/);
    await expectCode(oinfo(m, { units: 'bans' as never }), 'INVALID_ARGUMENT', /units/);
    await expectCode(oinfo(m, { topK: -1 }), 'INVALID_ARGUMENT', /topK/);
    await expectCode(oinfo(m, { bins: { ward: 1 } }), 'INVALID_ARGUMENT', /bins.ward/);
    await expectCode(oinfo([m, structured(90, 6, 3)]), 'INVALID_ARGUMENT', /same shape/);
  });

  it('bins that are not a partition name the variable', async () => {
    await expectCode(oinfo(m, { bins: [[0, 1], [2, 3], [4]] }), 'INVALID_DATA', /variable 5 is in no bin/);
    await expectCode(oinfo(m, { bins: [[0, 1], [1, 2, 3], [4, 5]] }), 'INVALID_DATA', /variable 1 appears twice/);
  });

  it('too few samples and singular covariances are INVALID_DATA naming the columns', async () => {
    const small = structured(5, 6, 1);
    await expectCode(oinfo(small, { maxSize: 6 }), 'INVALID_DATA', /too few samples/);
    const dup = new Float64Array(m.data);
    for (let t = 0; t < 100; t++) dup[t * 6 + 4] = 2 * dup[t * 6 + 1] + 1; // column 4 = monotone copy of 1
    await expectCode(
      oinfo({ data: dup, rows: 100, cols: 6 }, { columnNames: ['a', 'b', 'c', 'd', 'e', 'f'] }),
      'INVALID_DATA',
      /singular covariance: column 4 \(e\) is a duplicate of, or collinear with, the other columns of \{.*column 1 \(b\).*\}/,
    );
    const con = new Float64Array(m.data);
    for (let t = 0; t < 100; t++) con[t * 6 + 2] = 3;
    await expectCode(oinfo({ data: con, rows: 100, cols: 6 }), 'INVALID_DATA', /constant column column 2/);
  });

  it('an AbortSignal cancels a long run and leaves no output file', async () => {
    const big = structured(500, 90, 5);
    const dir = mkdtempSync(join(tmpdir(), 'oinfo-'));
    const out = join(dir, 'x.jsonl');
    const ac = new AbortController();
    let progress = 0;
    // 669 M multiplets (seconds of work even on many cores): abort at the first progress report.
    const p = oinfo(big, {
      maxSize: 6,
      out,
      maxOutBytes: Infinity, // ~36 GB estimated: past the size guard's default, on purpose (it is cancelled)
      signal: ac.signal,
      onProgress: (d, total) => {
        progress = d;
        expect(total).toBe(669_240_573);
        ac.abort();
      },
    });
    await expectCode(p, 'CANCELLED');
    expect(progress).toBeLessThan(669_240_573);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
    const pre = new AbortController();
    pre.abort();
    await expectCode(oinfo(m, { signal: pre.signal }), 'CANCELLED');
  });
});

// scipy.cluster.hierarchy.ward on the columns of the fixture matrix, cut by fcluster(maxclust=k),
// relabelled by smallest member (generated once with python3 + scipy 1.17.1).
const SCIPY_WARD: Record<number, number[]> = {
  2: [0, 0, 1, 1, 0, 0, 1, 1, 0, 1],
  3: [0, 0, 1, 2, 0, 0, 2, 1, 0, 1],
  4: [0, 1, 2, 3, 0, 0, 3, 2, 1, 2],
  5: [0, 1, 2, 3, 0, 0, 3, 2, 1, 4],
};
