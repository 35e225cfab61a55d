/**
 * The CPU engines' per-ISA kernels (native/kernels.h: one table per path, portable, AVX2, AVX-512, chosen
 * at run time): every path this CPU can run is checked against float64 references computed here in JS:
 *  - the A^T A kernel through the copula covariance (in-place and packed layouts);
 *  - the copula's per-column transforms (column copy, radix sort with the zeros set aside, mid-ranks or
 *    ordinal ranks, normal scores, demeaning) on data with ties, zeros, -0 and negative values, float32
 *    and float64 input;
 *  - the lattice kernels (triangular products of the general walker) through O-information over bins of
 *    unequal sizes, every multiplet against the closed form on the reference covariance;
 *  - the trainer's float32 kernels (forward and masked products, weight gradients, layer 0, softmax)
 *    through the loss gradient and five AdamW steps against the float64 reference of trainer-ref.ts.
 * AVX2 and AVX-512 keep the summation order, so they agree bitwise on all three; the portable path (no
 * FMA in the float64 kernels, std::exp in the softmax) within rounding. Paths this CPU cannot run are
 * reported skipped with the reason.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadNative } from '../src/addon/native.js';
import { oinfo, type OInfoReport } from '../src/measures/oinfo.js';
import { makeTask } from '../src/tasks/modular.js';
import { DEFAULT_MODEL, Trainer, validateArch } from '../src/training/trainer.js';
import { copulaCovRef, ndtriRef, normals, omegaRef } from './oinfo.ref.js';
import { RefModel, lossAndGrad, worst } from './trainer-ref.js';

const native = loadNative();
const info = native.cpuKernels() as { active: string; paths: { name: string; supported: boolean; why: string }[] };
const initial = info.active;

function data(N: number, D: number, seed: number): Float64Array {
  const z = normals(seed);
  const x = new Float64Array(N * D);
  for (let t = 0; t < N; t++) {
    const f = z();
    for (let j = 0; j < D; j++) x[t * D + j] = (j % 3 === 0 ? f : 0) + z() + (j % 5 === 0 ? Math.round(z()) : 0);
  }
  return x;
}

// (rows, cols): in place (row stride not a multiple of 2 KB), packed (cols 250 -> stride 256), tiny.
const shapes: [number, number][] = [
  [600, 37],
  [300, 250],
  [40, 5],
];
const refs = shapes.map(([N, D], i) => {
  const x = data(N, D, 31 + i);
  return { N, D, x, ref: copulaCovRef(x, N, D) };
});

// Copula transforms: ReLU-like columns (about half zeros, some -0), integer ties, negative values; N not a
// multiple of the 64-row tiles, D not a multiple of the 8-column blocks.
const tieN = 331;
const tieD = 19;
const tieX = (() => {
  const z = normals(91);
  const x = new Float64Array(tieN * tieD);
  for (let t = 0; t < tieN; t++)
    for (let j = 0; j < tieD; j++) {
      const v = z();
      x[t * tieD + j] = j % 4 === 0 ? Math.max(0, v) : j % 4 === 1 ? (v < 0 ? -0 : Math.round(2 * v)) : j % 4 === 2 ? -Math.max(0, v) : v;
    }
  return x;
})();
const tieRefs = (['average', 'ordinal'] as const).map((ties) => ({ ties, ref: copulaCovRef(tieX, tieN, tieD, ties) }));

async function covs(path: string): Promise<Float64Array[]> {
  native.setCpuKernels(path);
  const out: Float64Array[] = [];
  for (const { N, D, x } of refs) out.push(await native.copulaCovariance(x, N, D, {}));
  return out;
}

// Lattice: 40 variables in 6 bins of sizes 1..11 (units up to 11 wide: the four-at-a-time and tail
// products, triangular blocks of 8 and 16 columns and their diagonal blocks), all 57 unions of 2..6 bins.
const latN = 500;
const latD = 40;
const latX = data(latN, latD, 77);
const latBins = [[0, 7, 13, 21, 30, 35, 36, 37, 38, 39, 8], [1, 2, 3, 4, 5, 6], [9], [10, 11, 12, 14, 15, 16, 17], [18, 19, 20, 22, 23, 24, 25, 26, 27], [28, 29, 31, 32, 33, 34]];
const latC = copulaCovRef(latX, latN, latD);
const dir = mkdtempSync(join(tmpdir(), 'kernels-'));

async function lattice(path: string): Promise<{ members: number[]; oinfo: number }[]> {
  native.setCpuKernels(path);
  const out = join(dir, `lattice-${path}.jsonl`);
  const r = (await oinfo({ data: latX, rows: latN, cols: latD }, { bins: latBins, units: 'nats', backend: 'cpu', out })) as OInfoReport;
  expect(r.mode).toBe('bins');
  return readFileSync(out, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { members: number[]; oinfo: number });
}

// Trainer: two hidden layers of widths that are not multiples of the register tiles (37 = 6 x 6 + 1,
// 20), an odd number of sample panels (101 training pairs: 7 panels, the last one partial).
const trArch = validateArch({ vocab: 13, hidden: [37, 20], out: 13, biasOut: true });
const trTask = makeTask({ op: 'add', p: 13, trainFraction: 0.6, splitSeed: 5 });
const trData = { A: trTask.trainA, B: trTask.trainB, Y: trTask.trainY };
const trSpec = { ...DEFAULT_MODEL, seed: 3, lr: 0.01, weightDecay: 1 };

async function training(path: string): Promise<{ p0: Float32Array; grad: Float32Array; steps: Float32Array[] }> {
  native.setCpuKernels(path);
  const t = await Trainer.create({ backend: 'cpu', arch: trArch, task: trTask, models: [trSpec] });
  const p0 = t.getParams(0);
  const grad = t.gradients(0);
  const steps: Float32Array[] = [];
  for (let s = 0; s < 5; s++) {
    await t.step(1);
    steps.push(t.getParams(0));
  }
  return { p0, grad, steps };
}

const bits = (a: ArrayLike<number> & { buffer: ArrayBufferLike; byteOffset: number; byteLength: number }, b: typeof a) =>
  Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength));

describe('per-ISA CPU kernels', () => {
  afterAll(() => native.setCpuKernels(initial));

  it('the best path the CPU supports is the default; unknown names are coded errors', () => {
    const best = [...info.paths].reverse().find((p) => p.supported)!;
    expect(initial === best.name || process.env.GROKINFO_CPU_KERNELS === initial).toBe(true);
    expect(() => native.setCpuKernels('sse9')).toThrow(/one of 'portable', 'avx2', 'avx512'/);
    for (const p of info.paths.filter((q) => !q.supported)) expect(() => native.setCpuKernels(p.name)).toThrow(/cannot run here/);
  });

  for (const p of info.paths) {
    it.skipIf(!p.supported)(`${p.name}: the A^T A kernel against a float64 reference${p.supported ? '' : ` (skipped: ${p.why})`}`, async () => {
      const got = await covs(p.name);
      refs.forEach(({ D, ref }, k) => {
        let worst = 0;
        for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) worst = Math.max(worst, Math.abs(got[k][i * D + j] - ref[i][j]));
        expect(worst, `shape ${k}`).toBeLessThan(1e-12);
      });
    });
  }

  for (const p of info.paths) {
    const skip = p.supported ? '' : ` (skipped: ${p.why})`;
    it.skipIf(!p.supported)(`${p.name}: the copula transforms (ties, zeros, -0, negatives) against a float64 reference${skip}`, async () => {
      native.setCpuKernels(p.name);
      for (const { ties, ref } of tieRefs)
        for (const X of [tieX, Float32Array.from(tieX)]) {
          const got: Float64Array = await native.copulaCovariance(X, tieN, tieD, { ties });
          let worst = 0;
          for (let i = 0; i < tieD; i++) for (let j = 0; j < tieD; j++) worst = Math.max(worst, Math.abs(got[i * tieD + j] - ref[i][j]));
          expect(worst, `${ties}, ${X.constructor.name}`).toBeLessThan(1e-12);
        }
      // Random ties: every tie broken, so each column's variance is that of the whole set of scores.
      const got: Float64Array = await native.copulaCovariance(Float32Array.from(tieX), tieN, tieD, { ties: 'random', seed: 4 });
      const scores = Array.from({ length: tieN }, (_, i) => ndtriRef((i + 1) / (tieN + 1)));
      const m = scores.reduce((a, v) => a + v, 0) / tieN;
      const v = scores.reduce((a, x) => a + (x - m) ** 2, 0) / (tieN - 1);
      for (let j = 0; j < tieD; j++) expect(Math.abs(got[j * tieD + j] - v), `column ${j}`).toBeLessThan(1e-12);
    });
    it.skipIf(!p.supported)(`${p.name}: the lattice kernels against the closed form on a float64 covariance${skip}`, async () => {
      const got = await lattice(p.name);
      expect(got).toHaveLength(57);
      for (const l of got) {
        const ref = omegaRef(latC, l.members.flatMap((u) => latBins[u]).sort((a, b) => a - b));
        expect(Math.abs(l.oinfo - ref), `bins ${l.members}`).toBeLessThan(1e-10 * Math.max(1, Math.abs(ref)));
      }
    });
    it.skipIf(!p.supported)(`${p.name}: the trainer's kernels against a float64 forward, backward and AdamW${skip}`, async () => {
      const { p0, grad, steps } = await training(p.name);
      const ref = lossAndGrad(trArch, Float64Array.from(p0), trData);
      expect(worst(grad, ref.grad, 2e-6, 1e-3)).toBeLessThan(1);
      const model = new RefModel(trArch, trSpec, Float64Array.from(p0), 0);
      steps.forEach((got, s) => {
        model.step(trData);
        expect(worst(got, model.p, 2e-5, 2e-4), `step ${s + 1}`).toBeLessThan(1);
      });
      expect(worst(steps[4], p0, 1e-4, 0)).toBeGreaterThan(1);  // the model moved
    });
  }

  const avx2 = info.paths.find((p) => p.name === 'avx2')!;
  const avx512 = info.paths.find((p) => p.name === 'avx512')!;
  const both = avx2.supported && avx512.supported;
  const bothSkip = both ? '' : ` (skipped: ${avx512.why || avx2.why})`;
  it.skipIf(!both)(`avx2 and avx512 agree bitwise (same summation order): A^T A${bothSkip}`, async () => {
    const a = await covs('avx2');
    const b = await covs('avx512');
    a.forEach((m, k) => expect(bits(m, b[k]), `shape ${k}`).toBe(0));
  });
  it.skipIf(!both)(`avx2 and avx512 agree bitwise: every multiplet of the lattice${bothSkip}`, async () => {
    const a = await lattice('avx2');
    const b = await lattice('avx512');
    expect(b.map((l) => l.members)).toEqual(a.map((l) => l.members));
    expect(bits(Float64Array.from(b, (l) => l.oinfo), Float64Array.from(a, (l) => l.oinfo))).toBe(0);
  });
  it.skipIf(!both)(`avx2 and avx512 agree bitwise: the trainer's gradient and five steps${bothSkip}`, async () => {
    const a = await training('avx2');
    const b = await training('avx512');
    expect(bits(b.grad, a.grad)).toBe(0);
    a.steps.forEach((p, s) => expect(bits(b.steps[s], p), `step ${s + 1}`).toBe(0));
  });
});
