/**
 * The native trainer's dense inputs, depth 1-4, MSE beside cross-entropy, and seeded minibatches,
 * against the float64 reference of test/trainer-ref.ts (itself checked by central differences) and an
 * independent BigInt re-implementation of the sampler (native/mlp_init.cpp batch_permutation).
 */
import { describe, expect, it } from 'vitest';
import { GrokinfoError } from '../src/core/errors.js';
import { loadNative } from '../src/addon/native.js';
import { makeTask } from '../src/tasks/modular.js';
import { Trainer, validateArch, type ArchConfig, type DenseTaskArrays } from '../src/training/trainer.js';
import { layers, lossAndGrad, subset, worst, type Data } from './trainer-ref.js';
import { rng } from './rng.js';

const bitsEqual = (a: Float32Array, b: Float32Array) =>
  a.length === b.length && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;

async function codeOf(f: () => unknown): Promise<string> {
  try {
    await f();
  } catch (e) {
    expect(e).toBeInstanceOf(GrokinfoError);
    return (e as GrokinfoError).code + ': ' + (e as GrokinfoError).message;
  }
  return 'no error';
}

// ---- the sampler, re-implemented from its definition (splitmix64 seeding xoshiro256**) ----------
const M64 = (1n << 64n) - 1n;
function splitmix(state: { x: bigint }): bigint {
  state.x = (state.x + 0x9e3779b97f4a7c15n) & M64;
  let z = state.x;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & M64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & M64;
  return z ^ (z >> 31n);
}
const rotl = (x: bigint, k: bigint) => ((x << k) | (x >> (64n - k))) & M64;
function xoshiro(seed: bigint): () => number {
  const st = { x: seed };
  const s = [splitmix(st), splitmix(st), splitmix(st), splitmix(st)];
  return () => {
    const r = (rotl((s[1] * 5n) & M64, 7n) * 9n) & M64;
    const t = (s[1] << 17n) & M64;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45n);
    return Number(r >> 11n) * 2 ** -53;
  };
}
function refOrder(batchSeed: number, epoch: number, n: number): Int32Array {
  const uniform = xoshiro(splitmix({ x: BigInt(batchSeed) }) ^ BigInt(epoch));
  const out = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(uniform() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
/** The samples of step k (mlp.h: epoch k / nb, batch k % nb of that epoch's order). */
function refBatch(batchSeed: number, k: number, n: number, B: number): Int32Array {
  const nb = Math.ceil(n / B);
  const order = refOrder(batchSeed, Math.floor(k / nb), n);
  const b = k % nb;
  return order.slice(b * B, Math.min(n, (b + 1) * B));
}

// ---- a small learnable dense task ------------------------------------------------------------------
function denseTask(ntrain: number, ntest: number, D: number, C: number, seed: number): DenseTaskArrays {
  const u = rng(seed);
  const proj = Array.from({ length: C * D }, () => u() * 2 - 1);
  const make = (n: number) => {
    const X = new Float32Array(n * D);
    const Y = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      let best = -Infinity;
      for (let k = 0; k < D; k++) X[i * D + k] = u();
      for (let c = 0; c < C; c++) {
        let s = 0;
        for (let k = 0; k < D; k++) s += proj[c * D + k] * (X[i * D + k] - 0.5);
        if (s > best) {
          best = s;
          Y[i] = c;
        }
      }
    }
    return { X, Y };
  };
  const tr = make(ntrain),
    te = make(ntest);
  return { trainX: tr.X, trainY: tr.Y, testX: te.X, testY: te.Y, inputDim: D };
}
const dataOf = (t: DenseTaskArrays, side: 'train' | 'test'): Data => ({ X: t[`${side}X`], Y: t[`${side}Y`] });

function denseArch(D: number, hidden: number[], out: number, loss: 'xent' | 'mse', bias: boolean): ArchConfig {
  return validateArch({ input: 'dense', inputDim: D, hidden, out, loss, biasFirst: bias, biasHidden: bias, biasOut: bias });
}

/** Post-ReLU activations of every hidden layer for every sample (float64 forward written here). */
function refHidden(arch: ArchConfig, p: Float64Array, X: ArrayLike<number>, n: number): Float64Array[] {
  const ls = layers(arch);
  const out = arch.hidden.map((w) => new Float64Array(n * w));
  for (let i = 0; i < n; i++) {
    let prev = Float64Array.from({ length: arch.inputDim! }, (_, k) => X[i * arch.inputDim! + k]);
    for (let l = 0; l < arch.hidden.length; l++) {
      const { W, b, out: o, in: fin } = ls[l];
      const h = new Float64Array(o);
      for (let r = 0; r < o; r++) {
        let s = b >= 0 ? p[b + r] : 0;
        for (let k = 0; k < fin; k++) s += p[W + r * fin + k] * prev[k];
        h[r] = Math.max(0, s);
      }
      out[l].set(h, i * o);
      prev = h;
    }
  }
  return out;
}

const maxAbs = (a: ArrayLike<number>) => Array.from(a).reduce((m, v) => Math.max(m, Math.abs(v)), 0);

describe('dense inputs: forward and backward against a float64 reference', () => {
  const task = denseTask(64, 1300, 12, 4, 7); // 1300 test rows: evaluated in two chunks (1024 + 276)
  for (const depth of [1, 2, 3, 4])
    for (const loss of ['mse', 'xent'] as const)
      for (const bias of [true, false])
        it(`depth ${depth}, ${loss}, biases ${bias ? 'on' : 'off'}: at init and after 300 steps`, async () => {
          const a = denseArch(12, Array(depth).fill(16), 4, loss, bias);
          const t = await Trainer.create({ backend: 'cpu', arch: a, task, models: [{ seed: 5 + depth, optimizer: 'adamw', lr: 0.02, weightDecay: 0 }] });
          const check = async (when: string, fd: boolean) => {
            const p = Float64Array.from(t.getParams(0));
            const ref = lossAndGrad(a, p, dataOf(task, 'train'));
            const refTest = lossAndGrad(a, p, dataOf(task, 'test'), false);
            const g = t.gradients(0);
            const scale = maxAbs(ref.grad);
            expect(scale, when).toBeGreaterThan(0);
            expect(worst(g, ref.grad, 1e-4 * scale, 1e-3), `${when}: gradient`).toBeLessThan(1);
            const [ev] = await t.evaluate();
            expect(Math.abs(ev.trainLoss - ref.loss), `${when}: train loss`).toBeLessThan(1e-5 * Math.max(1, ref.loss));
            expect(Math.abs(ev.testLoss - refTest.loss), `${when}: test loss`).toBeLessThan(1e-5 * Math.max(1, refTest.loss));
            expect(ev.trainAcc).toBe(ref.acc);
            expect(ev.testAcc).toBe(refTest.acc);
            if (fd) {
              // the reference's backprop agrees with central differences (some coordinates of every tensor)
              const u = rng(depth * 10 + (bias ? 1 : 0));
              const h = 1e-6;
              for (let q = 0; q < 40; q++) {
                const i = Math.floor(u() * p.length);
                const pp = Float64Array.from(p);
                pp[i] = p[i] + h;
                const up = lossAndGrad(a, pp, dataOf(task, 'train'), false).loss;
                pp[i] = p[i] - h;
                const dn = lossAndGrad(a, pp, dataOf(task, 'train'), false).loss;
                expect(Math.abs((up - dn) / (2 * h) - ref.grad[i]), `${when}: finite difference at ${i}`).toBeLessThan(1e-6 + 1e-4 * Math.abs(ref.grad[i]));
              }
            }
            return ref.loss;
          };
          const l0 = await check('init', true);
          await t.step(300);
          const l1 = await check('after 300 steps', depth <= 2);
          expect(l1, 'a late, low-loss state').toBeLessThan(0.5 * l0);
        });

  it('hidden(model, layer) of every layer on the training set', async () => {
    const a = denseArch(12, [9, 7, 5], 4, 'mse', true);
    const t = await Trainer.create({ backend: 'cpu', arch: a, task, models: [{ seed: 1 }, { seed: 2 }], batchSize: 16 });
    await t.step(5);
    for (const m of [0, 1]) {
      const ref = refHidden(a, Float64Array.from(t.getParams(m)), task.trainX, 64);
      for (let l = 0; l < 3; l++) {
        const got = t.hidden(m, l);
        expect(got.length).toBe(64 * a.hidden[l]);
        expect(worst(got, ref[l], 1e-6, 1e-5), `model ${m} layer ${l}`).toBeLessThan(1);
      }
    }
  });

  it('alpha init, zero output, constant norm and the layer-0 mask on a dense input', async () => {
    const a = denseArch(12, [8, 8], 4, 'mse', true);
    const t = await Trainer.create({
      backend: 'cpu',
      arch: a,
      task,
      models: [{ seed: 3, alpha: 8, zeroOutput: true, constantNorm: true, omnigrokBiases: true, weightDecay: 0, lr: 0.01 }],
      batchSize: 20,
    });
    const keep = new Uint8Array(8).fill(1);
    keep[2] = keep[5] = 0;
    t.setMask(0, keep, true);
    const norm = (p: Float32Array) => Math.sqrt(Array.from(p).reduce((s, v) => s + v * v, 0)); // every parameter (omnigrokBiases)
    const p0 = t.getParams(0);
    const ls = layers(a);
    expect(maxAbs(p0.subarray(ls[2].W, ls[2].W + ls[2].out * ls[2].in))).toBe(0); // output zeroed
    await t.step(10);
    const p1 = t.getParams(0);
    for (const j of [2, 5]) {
      expect(maxAbs(p1.subarray(ls[0].W + j * 12, ls[0].W + (j + 1) * 12))).toBe(0);
      expect(p1[ls[0].b + j]).toBe(0);
    }
    // constant norm: every step rescales back to the norm recorded at init, before the output was zeroed
    const t2 = await Trainer.create({ backend: 'cpu', arch: a, task, models: [{ seed: 3, alpha: 8, omnigrokBiases: true }] });
    expect(Math.abs(norm(p1) / norm(t2.getParams(0)) - 1)).toBeLessThan(1e-5);
  });
});

describe('minibatches', () => {
  it('the sampler: the native order equals its definition, a permutation, reproducible, new each epoch', () => {
    const native = loadNative();
    for (const seed of [0, 1, 2 ** 40 + 3])
      for (const epoch of [0, 1, 7])
        for (const n of [1, 10, 1000]) {
          const got = native.batchOrder(seed, epoch, n) as Int32Array;
          expect(Array.from(got)).toEqual(Array.from(refOrder(seed, epoch, n)));
          expect([...got].sort((x, y) => x - y)).toEqual(Array.from({ length: n }, (_, i) => i)); // each sample once
          expect(Array.from(native.batchOrder(seed, epoch, n) as Int32Array)).toEqual(Array.from(got));
        }
    expect(Array.from(native.batchOrder(4, 0, 50))).not.toEqual(Array.from(native.batchOrder(4, 1, 50)));
    expect(Array.from(native.batchOrder(4, 0, 50))).not.toEqual(Array.from(native.batchOrder(5, 0, 50)));
  });

  const sgdCase = (name: string, a: ArchConfig, task: DenseTaskArrays | ReturnType<typeof makeTask>, d: Data, n: number) =>
    it(`SGD steps use the sampler's batches (${name}): ceil(n/B) per epoch, the last smaller, mean over the batch`, async () => {
      const B = 4;
      const t = await Trainer.create({ backend: 'cpu', arch: a, task, models: [{ seed: 1, optimizer: 'sgd', lr: 0.5, weightDecay: 0, batchSeed: 9 }], batchSize: B });
      const sizes: number[] = [];
      for (let k = 0; k < 8; k++) {
        const p = Float64Array.from(t.getParams(0));
        const idx = refBatch(9, k, n, B);
        sizes.push(idx.length);
        const { grad } = lossAndGrad(a, p, subset(a, d, idx));
        const want = p.map((v, i) => v - 0.5 * grad[i]);
        await t.step(1);
        expect(worst(t.getParams(0), want, 1e-6, 1e-5), `step ${k}`).toBeLessThan(1);
        // a different batch would not match (the comparison can fail)
        const other = lossAndGrad(a, p, subset(a, d, refBatch(9, k + 1, n, B))).grad;
        expect(worst(t.getParams(0), p.map((v, i) => v - 0.5 * other[i]), 1e-6, 1e-5)).toBeGreaterThan(1);
      }
      expect(sizes).toEqual([4, 4, 2, 4, 4, 2, 4, 4]);
    });
  {
    const task = denseTask(10, 5, 6, 3, 2);
    sgdCase('dense, MSE, depth 2', denseArch(6, [7, 5], 3, 'mse', true), task, dataOf(task, 'train'), 10);
  }
  {
    const task = makeTask({ op: 'add', p: 5, trainFraction: 0.4, splitSeed: 1 }); // 10 training pairs
    const a = validateArch({ vocab: 5, hidden: [6], loss: 'xent' });
    sgdCase('pairs, cross-entropy', a, task, { A: task.trainA, B: task.trainB, Y: task.trainY }, task.trainY.length);
  }

  const task = denseTask(50, 30, 10, 3, 4);
  const a = denseArch(10, [12, 8], 3, 'mse', true);
  const specs = [
    { seed: 1, batchSeed: 11, lr: 0.003, weightDecay: 0.1 },
    { seed: 2, batchSeed: 12, lr: 0.002, weightDecay: 0 },
    { seed: 3, batchSeed: 11, lr: 0.003, weightDecay: 1, optimizer: 'adam' as const },
  ];

  it('independent of how many models train together: 3 together = each alone, bitwise', async () => {
    const together = await Trainer.create({ backend: 'cpu', arch: a, task, models: specs, batchSize: 16 });
    await together.step(13);
    for (let m = 0; m < 3; m++) {
      const alone = await Trainer.create({ backend: 'cpu', arch: a, task, models: [specs[m]], batchSize: 16 });
      await alone.step(13);
      expect(bitsEqual(alone.getParams(0), together.getParams(m)), `model ${m}`).toBe(true);
    }
    expect(bitsEqual(together.getParams(0), together.getParams(1))).toBe(false);
  });

  it('batch = n is full batch, bitwise (with evaluations between the steps)', async () => {
    const full = await Trainer.create({ backend: 'cpu', arch: a, task, models: specs, batchSize: 0 });
    const n = await Trainer.create({ backend: 'cpu', arch: a, task, models: specs, batchSize: 50 });
    const mini = await Trainer.create({ backend: 'cpu', arch: a, task, models: specs, batchSize: 49 });
    for (const t of [full, n, mini]) {
      await t.step(7);
      await t.evaluate();
      await t.step(5);
    }
    for (let m = 0; m < 3; m++) {
      expect(bitsEqual(full.getParams(m), n.getParams(m)), `model ${m}`).toBe(true);
      expect(bitsEqual(full.getParams(m), mini.getParams(m))).toBe(false);
    }
  });

  it('resume at a random step mid-epoch is bitwise (params, moments, steps done)', async () => {
    const k = 5 + Math.floor(rng(99)() * 20); // somewhere in epochs 1-6 of 4 batches each (16, 16, 16, 2)
    const A = await Trainer.create({ backend: 'cpu', arch: a, task, models: specs, batchSize: 16 });
    await A.step(k);
    const saved = specs.map((_, m) => ({ p: A.getParams(m), ...A.getMoments(m) }));
    const B = await Trainer.create({ backend: 'cpu', arch: a, task, models: specs, batchSize: 16 });
    saved.forEach((s, m) => {
      B.setParams(m, s.p);
      B.setMoments(m, s.m, s.v);
    });
    B.setStepsDone(k);
    await A.step(11);
    await B.step(11);
    for (let m = 0; m < 3; m++) expect(bitsEqual(A.getParams(m), B.getParams(m)), `model ${m} resumed at step ${k}`).toBe(true);
  });

  it('minibatch training of the Omnigrok-shaped model learns (MSE, AdamW, batch 20 of 100)', async () => {
    const tk = denseTask(100, 200, 16, 4, 8);
    const t = await Trainer.create({
      backend: 'cpu',
      arch: denseArch(16, [32, 32], 4, 'mse', true),
      task: tk,
      models: [{ seed: 0, lr: 0.003, weightDecay: 0.01, beta2: 0.999 }],
      batchSize: 20,
    });
    const [e0] = await t.evaluate();
    await t.step(400);
    const [e1] = await t.evaluate();
    expect(e1.trainLoss).toBeLessThan(0.5 * e0.trainLoss);
    expect(e1.trainAcc).toBeGreaterThan(0.9);
  });
});

describe('bad input gets coded errors', () => {
  const task = denseTask(20, 10, 5, 3, 1);
  const a = { input: 'dense' as const, inputDim: 5, hidden: [4], out: 3, loss: 'mse' as const };
  const create = (over: Record<string, unknown> = {}, t: Record<string, unknown> = {}) =>
    Trainer.create({ backend: 'cpu', arch: a, task: { ...task, ...t } as DenseTaskArrays, models: [{ seed: 0 }], ...over });
  it('refuses what is out of range, naming it', async () => {
    expect(await codeOf(() => create({ batchSize: 21 }))).toMatch(/^INVALID_ARGUMENT: batchSize.*\[0, 20\]/);
    expect(await codeOf(() => create({ batchSize: -1 }))).toMatch(/^INVALID_ARGUMENT: batchSize/);
    expect(await codeOf(() => create({ batchSize: 2.5 }))).toMatch(/^INVALID_ARGUMENT: batchSize/);
    expect(await codeOf(() => create({}, { trainX: new Float32Array(99) }))).toMatch(/^INVALID_ARGUMENT: task.trainX.*20 x 5/);
    expect(await codeOf(() => create({}, { testX: task.testX.slice(1) }))).toMatch(/^INVALID_ARGUMENT: task.testX/);
    const nan = task.trainX.slice();
    nan[13] = NaN;
    expect(await codeOf(() => create({}, { trainX: nan }))).toMatch(/^INVALID_DATA: task.trainX row 2: inputs must be finite/);
    const inf = task.testX.slice();
    inf[0] = Infinity;
    expect(await codeOf(() => create({}, { testX: inf }))).toMatch(/^INVALID_DATA: task.testX row 0/);
    expect(await codeOf(() => create({}, { inputDim: 4 }))).toMatch(/^INVALID_ARGUMENT: task.inputDim/);
    expect(await codeOf(() => create({}, { trainY: Int32Array.from(task.trainY, () => 3) }))).toMatch(/^INVALID_DATA: task.train row 0: label outside \[0, out=3\)/);
    expect(await codeOf(() => create({ arch: { ...a, out: 1 } }))).toMatch(/^INVALID_ARGUMENT: arch.out/);
    expect(await codeOf(() => create({ arch: { ...a, loss: 'l1' } }))).toMatch(/^INVALID_ARGUMENT: arch.loss/);
    expect(await codeOf(() => create({ arch: { ...a, input: 'image' } }))).toMatch(/^INVALID_ARGUMENT: arch.input/);
    expect(await codeOf(() => create({ arch: { ...a, inputDim: 0 } }))).toMatch(/^INVALID_ARGUMENT: arch.inputDim/);
    expect(await codeOf(() => create({ models: [{ seed: 0, batchSeed: -1 }] }))).toMatch(/^INVALID_ARGUMENT: models\[0\].batchSeed/);
    const pairs = makeTask({ op: 'add', p: 5, trainFraction: 0.5, splitSeed: 1 });
    expect(await codeOf(() => Trainer.create({ backend: 'cpu', arch: a, task: pairs, models: [{}] }))).toMatch(/^INVALID_ARGUMENT: task/);
    expect(await codeOf(() => Trainer.create({ backend: 'cpu', arch: { vocab: 5, hidden: [4] }, task, models: [{}] }))).toMatch(/^INVALID_ARGUMENT: task/);
  });

  it('the native side checks too (bypassing the TypeScript checks)', () => {
    const T = loadNative().Trainer;
    const base = {
      backend: 'cpu',
      arch: { input: 'dense', loss: 'mse', vocab: 0, inputDim: 5, hidden: [4], out: 3, biasFirst: true, biasHidden: true, biasOut: false },
      data: { trainX: task.trainX, testX: task.testX, trainY: task.trainY, testY: task.testY },
      batchSize: 0,
      models: [{ seed: 0, batchSeed: 0, optimizer: 'adamw', lr: 0.001, weightDecay: 0, beta1: 0.9, beta2: 0.98, eps: 1e-8, alpha: 1, zeroOutput: false, constantNorm: false, omnigrokBiases: false }],
    };
    const err = (o: unknown) => {
      try {
        new T(o);
      } catch (e) {
        return `${(e as { code?: string }).code}: ${(e as Error).message}`;
      }
      return 'no error';
    };
    expect(err(base)).toBe('no error');
    expect(err({ ...base, batchSize: 21 })).toMatch(/INVALID_ARGUMENT: batchSize must be at most the number of training samples \(20/);
    const nan = task.trainX.slice();
    nan[7] = NaN;
    expect(err({ ...base, data: { ...base.data, trainX: nan } })).toMatch(/INVALID_DATA: trainX row 1: inputs must be finite/);
    expect(err({ ...base, data: { ...base.data, testX: new Float32Array(3) } })).toMatch(/INVALID_ARGUMENT: testX must hold/);
    expect(err({ ...base, arch: { ...base.arch, loss: 'hinge' } })).toMatch(/INVALID_ARGUMENT: arch.loss/);
    expect(err({ ...base, arch: { ...base.arch, vocab: 3 } })).toMatch(/INVALID_ARGUMENT: arch.vocab must be 0/);
    const { batchSize: _b, ...noBatch } = base;
    expect(err(noBatch)).toMatch(/INVALID_ARGUMENT: batchSize/);
    expect(err({ ...base, models: [{ ...base.models[0], batchSeed: undefined }] })).toMatch(/INVALID_ARGUMENT: models\[0\]\.batchSeed/);
  });
});

describe('run configuration: model.loss, train.batchSize, train.batchSeed', () => {
  it('are optional (ids of configurations without them unchanged), validated, and batch size splits trainers', async () => {
    const { batchKey, resolveRunConfig, runId } = await import('../src/config/config.js');
    const { modelSpecOf } = await import('../src/training/trainer.js');
    const plain = resolveRunConfig({});
    expect(plain.train).toBeUndefined();
    expect(plain.model.loss).toBeUndefined();
    expect(runId(resolveRunConfig({}))).toBe(runId(plain));
    expect(modelSpecOf(plain).batchSeed).toBe(0);
    const mini = resolveRunConfig({ train: { batchSize: 200, batchSeed: 3 }, model: { loss: 'mse' } });
    expect(mini.train).toEqual({ batchSize: 200, batchSeed: 3 });
    expect(modelSpecOf(mini).batchSeed).toBe(3);
    expect(runId(mini)).not.toBe(runId(plain));
    expect(batchKey(mini)).not.toBe(batchKey(resolveRunConfig({ train: { batchSize: 100, batchSeed: 3 }, model: { loss: 'mse' } })));
    // the batch seed is per model: models of different batch seeds share a trainer
    expect(batchKey(mini)).toBe(batchKey(resolveRunConfig({ train: { batchSize: 200, batchSeed: 4 }, model: { loss: 'mse' } })));
    expect(await codeOf(() => resolveRunConfig({ train: { batchSize: -1 } }))).toMatch(/^INVALID_ARGUMENT: train.batchSize/);
    expect(await codeOf(() => resolveRunConfig({ train: { batchSeed: 1.5 } }))).toMatch(/^INVALID_ARGUMENT: train.batchSeed/);
    expect(await codeOf(() => resolveRunConfig({ model: { loss: 'hinge' } } as never))).toMatch(/^INVALID_ARGUMENT: model.loss/);
    expect(await codeOf(() => resolveRunConfig({ train: { batchsize: 2 } } as never))).toMatch(/^INVALID_ARGUMENT: .*unknown key "train.batchsize"/);
  });
});
