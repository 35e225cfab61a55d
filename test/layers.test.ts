import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveRunConfig, runId } from '../src/config/config.js';
import type { OInfoRecord } from '../src/config/types.js';
import { readJsonl } from '../src/core/fsutil.js';
import { loadRun } from '../src/experiments/runs.js';
import { makeTask } from '../src/tasks/modular.js';
import { trainBatch } from '../src/training/run.js';
import { loadCheckpoint } from '../src/training/safetensors.js';
import { layers as refLayers } from './trainer-ref.js';
import { GrokinfoError } from '../src/core/errors.js';
import { crossLayerOInfo, layersOf } from '../src/measures/layers.js';
import type { Matrix } from '../src/measures/oinfo.js';
import { copulaCovRef, naiveWard, normals, omegaGroupedRef, omegaRef, subsets } from './oinfo.ref.js';

/** Two "layers" of one Gaussian sample: layer 1 mixes layer 0's columns (redundancy) and sums two (synergy). */
function twoLayers(N: number): Matrix[] {
  const z = normals(77);
  const W0 = 5, W1 = 4;
  const a = new Float64Array(N * W0), b = new Float64Array(N * W1);
  for (let t = 0; t < N; t++) {
    const f = [z(), z()];
    for (let j = 0; j < W0; j++) a[t * W0 + j] = (j < 3 ? 0.9 * f[0] : 0.8 * f[1]) + z();
    b[t * W1 + 0] = a[t * W0 + 0] + a[t * W0 + 3] + 0.3 * z();
    b[t * W1 + 1] = 0.7 * f[0] + z();
    b[t * W1 + 2] = 0.7 * f[1] + z();
    b[t * W1 + 3] = b[t * W1 + 2] + 0.5 * z();
  }
  return [{ data: a, rows: N, cols: W0 }, { data: b, rows: N, cols: W1 }];
}

/** The float64 reference: each layer's Ward bins (naive Ward), every multiplet of the pooled bins, Omega from the copula covariance. */
function reference(layers: Matrix[], K: number, mode: 'groups' | 'bins') {
  const N = layers[0].rows;
  const D = layers.reduce((s, m) => s + m.cols, 0);
  const data = new Float64Array(N * D);
  const units: { layer: number; cols: number[] }[] = [];
  let off = 0;
  for (const [l, m] of layers.entries()) {
    for (let t = 0; t < N; t++) for (let j = 0; j < m.cols; j++) data[t * D + off + j] = m.data[t * m.cols + j];
    const lab = naiveWard(m.data, N, m.cols, K);
    for (let k = 0; k < K; k++) units.push({ layer: l, cols: [...lab.keys()].filter((j) => lab.get(j) === k).sort((x, y) => x - y).map((j) => j + off) });
    off += m.cols;
  }
  const C = copulaCovRef(data, N, D);
  const all = subsets(units.length, 2, units.length).map((s) => ({
    cols: s.map((u) => units[u].cols),
    layers: s.map((u) => units[u].layer),
    v: mode === 'groups' ? omegaGroupedRef(C, s.map((u) => units[u].cols)) : omegaRef(C, s.flatMap((u) => units[u].cols).sort((x, y) => x - y)),
  }));
  const min = all.reduce((p, q) => (q.v < p.v ? q : p));
  const max = all.reduce((p, q) => (q.v > p.v ? q : p));
  return { units, count: all.length, min, max };
}

describe('O-information across layers', () => {
  const layers = twoLayers(300);
  for (const mode of ['groups', 'bins'] as const) {
    it(`${mode} mode: Ward bins per layer, pooled, equal the float64 reference`, async () => {
      const K = 2;
      const ref = reference(layers, K, mode);
      const r = await crossLayerOInfo(layers, { bins: K, mode, units: 'nats', biasCorrect: false });
      expect(r.mode).toBe(mode);
      expect(r.columns.map((c) => c.layer)).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 1]);
      const off = [0, 5]; // no constant columns in this data: the measured columns are layer 0's, then layer 1's
      // the same bins, layer by layer (order inside a layer may differ: compare as sets)
      const key = (u: { layer: number; cols: number[] }) => `${u.layer}:${u.cols.join(',')}`;
      expect(r.layerUnits.map((u, i) => key({ layer: u.layer, cols: r.unitsList[i] })).sort()).toEqual(ref.units.map(key).sort());
      r.layerUnits.forEach((u, i) => expect(u.neurons.map((n) => n + off[u.layer])).toEqual(r.unitsList[i]));
      r.unitsList.forEach((cols, i) => cols.forEach((c) => expect(r.columns[c]).toEqual({ layer: r.layerUnits[i].layer, neuron: c - off[r.layerUnits[i].layer] })));
      expect(r.multiplets).toBe(ref.count);
      expect(Math.abs(r.synergy.value - ref.min.v)).toBeLessThan(1e-9);
      expect(Math.abs(r.redundancy.value - ref.max.v)).toBeLessThan(1e-9);
      expect(r.synergy.members.map((u) => r.unitsList[u])).toEqual(expect.arrayContaining(ref.min.cols));
      expect(layersOf(r, r.synergy).sort()).toEqual([...ref.min.layers].sort());
      expect(ref.min.v).toBeLessThan(0); // the data has synergy to find, across layers
      expect(new Set(ref.min.layers).size).toBe(2);
    });
  }

  it('leaves constant neurons out (bins mode needs a partition of the measured columns)', async () => {
    const [a, b] = layers;
    const N = b.rows;
    const b2 = new Float64Array(N * 5);
    for (let t = 0; t < N; t++) {
      for (let j = 0; j < 4; j++) b2[t * 5 + (j < 2 ? j : j + 1)] = b.data[t * 4 + j];
      b2[t * 5 + 2] = 0.5; // a dead neuron between the others
    }
    const ref = reference(layers, 2, 'bins');
    const r = await crossLayerOInfo([a, { data: b2, rows: N, cols: 5 }], { bins: 2, mode: 'bins', units: 'nats', biasCorrect: false });
    expect(r.columns.some((c) => c.layer === 1 && c.neuron === 2)).toBe(false);
    expect(r.columns.filter((c) => c.layer === 1).map((c) => c.neuron)).toEqual([0, 1, 3, 4]);
    expect(Math.abs(r.synergy.value - ref.min.v)).toBeLessThan(1e-9);
    expect(Math.abs(r.redundancy.value - ref.max.v)).toBeLessThan(1e-9);
  });

  it('refuses layers of different sample counts and bins beyond a layer width', async () => {
    const [a] = layers;
    await expect(crossLayerOInfo([a, { data: new Float64Array(10 * 3), rows: 10, cols: 3 }], { bins: 2 })).rejects.toBeInstanceOf(GrokinfoError);
    await expect(crossLayerOInfo(layers, { bins: 6 })).rejects.toThrow(/bins/);
  });
});

describe('--layer all during training', () => {
  it('measures every hidden layer at every measured step, tags the records, and layer 1 equals a float64 recomputation', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'grokinfo-layers-'));
    const config = resolveRunConfig({
      task: { p: 11, trainFraction: 0.5, splitSeed: 3 },
      model: { hidden: [12, 10] },
      optim: { lr: 0.01, weightDecay: 1 },
      steps: 40,
      evalEvery: 20,
      measure: { every: 20, bins: 3, layer: 'all', units: 'nats' },
      checkpoints: [40],
    });
    expect(config.measure!.layer).toBe('all');
    const job = { id: runId(config), dir: join(dir, runId(config)), config };
    await trainBatch([job], { backend: 'cpu' });
    const recs = readJsonl<OInfoRecord>(join(job.dir, 'oinfo.jsonl'));
    expect(recs.map((r) => [r.step, r.layer])).toEqual([[0, 0], [0, 1], [20, 0], [20, 1], [40, 0], [40, 1]]);
    const run = await loadRun(job.dir);
    expect(run.oinfo!.map((r) => r.layer)).toEqual([0, 0, 0]); // the primary layer (0 for 'all')
    expect([...run.oinfoByLayer.keys()].sort()).toEqual([0, 1]);
    expect(recs.filter((r) => r.layer === 1).every((r) => r.binSizes.reduce((a, b) => a + b, 0) + r.dead === 10)).toBe(true);

    // float64 reference: layer-1 activations of the training pairs from the step-40 checkpoint, constant
    // neurons dropped, naive Ward into 3 bins, Omega of every union of bins from the copula covariance
    const ck = await loadCheckpoint(join(job.dir, 'checkpoints', 'step-40.safetensors'));
    const p = Float64Array.from(ck.params);
    const ls = refLayers(ck.arch);
    const task = makeTask(config.task);
    const N = task.trainA.length;
    const H = 10;
    const X = new Float64Array(N * H);
    for (let n = 0; n < N; n++) {
      let prev = new Float64Array(2 * ck.arch.vocab);
      prev[task.trainA[n]] = 1;
      prev[ck.arch.vocab + task.trainB[n]] = 1;
      for (let l = 0; l < 2; l++) {
        const { W, b, out, in: fin } = ls[l];
        const h = new Float64Array(out);
        for (let i = 0; i < out; i++) {
          let s = b >= 0 ? p[b + i] : 0;
          for (let k = 0; k < fin; k++) s += p[W + i * fin + k] * prev[k];
          h[i] = Math.max(0, s);
        }
        prev = h;
      }
      X.set(prev, n * H);
    }
    const alive = Array.from({ length: H }, (_, j) => j).filter((j) => {
      for (let n = 1; n < N; n++) if (X[n * H + j] !== X[j]) return true;
      return false;
    });
    const last = recs[recs.length - 1];
    expect(last.dead).toBe(H - alive.length);
    const A = new Float64Array(N * alive.length);
    for (let n = 0; n < N; n++) alive.forEach((j, c) => (A[n * alive.length + c] = X[n * H + j]));
    const K = Math.min(3, alive.length);
    const lab = naiveWard(A, N, alive.length, K);
    const bins = Array.from({ length: K }, (_, k) => [...lab.keys()].filter((c) => lab.get(c) === k));
    const C = copulaCovRef(A, N, alive.length);
    const values = subsets(K, 2, K).map((s) => omegaRef(C, s.flatMap((u) => bins[u]).sort((x, y) => x - y)));
    expect(Math.abs(last.synergy - Math.min(...values))).toBeLessThan(1e-4);
    expect(Math.abs(last.redundancy - Math.max(...values))).toBeLessThan(1e-4);
  });

  it("accepts 'all' and layer indices on the command line's schema, refuses others", async () => {
    const { FIELD_BY_PATH, fieldAccepts } = await import('../src/config/schema.js');
    const f = FIELD_BY_PATH.get('measure.layer')!;
    expect(fieldAccepts(f, 'all')).toBe(true);
    expect(fieldAccepts(f, 3)).toBe(true);
    expect(fieldAccepts(f, 'first')).toBe(false);
    expect(fieldAccepts(f, -1)).toBe(false);
    expect(() => resolveRunConfig({ model: { hidden: [8] }, measure: { layer: 1 } })).toThrow(/--layer/);
    expect(() => resolveRunConfig({ model: { hidden: [8] }, measure: { layer: 'top' as never } })).toThrow(/'all'/);
  });
});
