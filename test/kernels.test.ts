/**
 * The CPU engines' per-ISA kernels (native/kernels.h: portable, AVX2, AVX-512, chosen at run time):
 * every path this CPU can run is checked against a float64 reference (the copula covariance computed
 * plainly in JS, which exercises the A^T A kernel on the in-place and the packed layouts); AVX2 and
 * AVX-512 keep the summation order, so they agree bitwise, and the portable path (no FMA) within
 * rounding. Paths this CPU cannot run are reported skipped with the reason.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { loadNative } from '../src/addon/native.js';
import { copulaCovRef, normals } from './oinfo.ref.js';

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

async function covs(path: string): Promise<Float64Array[]> {
  native.setCpuKernels(path);
  const out: Float64Array[] = [];
  for (const { N, D, x } of refs) out.push(await native.copulaCovariance(x, N, D, {}));
  return out;
}

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

  const avx2 = info.paths.find((p) => p.name === 'avx2')!;
  const avx512 = info.paths.find((p) => p.name === 'avx512')!;
  it.skipIf(!avx2.supported || !avx512.supported)(
    `avx2 and avx512 agree bitwise (same summation order)${avx2.supported && avx512.supported ? '' : ` (skipped: ${avx512.why || avx2.why})`}`,
    async () => {
      const a = await covs('avx2');
      const b = await covs('avx512');
      a.forEach((m, k) => expect(Buffer.compare(Buffer.from(m.buffer), Buffer.from(b[k].buffer)), `shape ${k}`).toBe(0));
    },
  );
});
