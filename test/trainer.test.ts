import { describe, expect, it } from 'vitest';
import { GrokinfoError } from '../src/core/errors.js';
import { makeTask } from '../src/tasks/modular.js';
import { DEFAULT_MODEL, MAX_LAYERS, Trainer, paramLayout, validateArch, type ArchConfig, type ModelSpec } from '../src/training/trainer.js';
import { RefModel, layers, lossAndGrad, worst, type Data } from './trainer-ref.js';

const trainData = (t: ReturnType<typeof makeTask>): Data => ({ A: t.trainA, B: t.trainB, Y: t.trainY });
const testData = (t: ReturnType<typeof makeTask>): Data => ({ A: t.testA, B: t.testB, Y: t.testY });

function arch(vocab: number, hidden: number[], extra: Partial<ArchConfig> = {}): ArchConfig {
  return validateArch({ vocab, hidden, out: vocab, ...extra });
}

async function codeOf(f: () => unknown): Promise<string> {
  try {
    await f();
  } catch (e) {
    expect(e).toBeInstanceOf(GrokinfoError);
    return (e as GrokinfoError).code + ': ' + (e as GrokinfoError).message;
  }
  return 'no error';
}

const bitsEqual = (a: Float32Array, b: Float32Array) =>
  a.length === b.length && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;

describe('gradients', () => {
  const cases: [string, ArchConfig][] = [
    ['one hidden layer (paper biases)', arch(7, [5])],
    ['two hidden layers, every bias', arch(7, [6, 4], { biasHidden: true, biasOut: true })],
    ['no first-layer bias', arch(5, [3], { biasFirst: false })],
  ];
  for (const [name, a] of cases)
    it(`match central differences of a float64 forward: ${name}`, async () => {
      const task = makeTask({ op: 'add', p: a.vocab, trainFraction: 0.6, splitSeed: 3 });
      const t = await Trainer.create({ backend: 'cpu', arch: a, task, models: [{ seed: 11 }] });
      const p32 = t.getParams(0);
      const p = Float64Array.from(p32);
      const d = trainData(task);
      const g = t.gradients(0);
      const fd = new Float64Array(p.length);
      const h = 1e-5;
      for (let i = 0; i < p.length; i++) {
        const q = Float64Array.from(p);
        q[i] = p[i] + h;
        const up = lossAndGrad(a, q, d, false).loss;
        q[i] = p[i] - h;
        const dn = lossAndGrad(a, q, d, false).loss;
        fd[i] = (up - dn) / (2 * h);
      }
      // the plain float64 backprop of the reference agrees with the differences (the reference is sound)
      expect(worst(lossAndGrad(a, p, d).grad, fd, 1e-8, 1e-5)).toBeLessThan(1);
      // the native float32 gradient agrees with both
      expect(worst(g, fd, 2e-6, 1e-3)).toBeLessThan(1);
      // and something non-trivial was checked
      expect(Math.max(...Array.from(fd, Math.abs))).toBeGreaterThan(1e-3);
    });
});

describe('initialisation', () => {
  it('draws U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weights and biases', async () => {
    const a = arch(97, [250]);
    const task = makeTask({ op: 'add', p: 97, trainFraction: 0.3, splitSeed: 1 });
    const t = await Trainer.create({ backend: 'cpu', arch: a, task, models: [{ seed: 5 }] });
    const p = t.getParams(0);
    for (const info of paramLayout(a)) {
      const fanIn = info.name.startsWith('layers.0') ? 2 * 97 : 250;
      const bound = 1 / Math.sqrt(fanIn);
      const x = p.subarray(info.offset, info.offset + info.size);
      let mean = 0,
        sq = 0;
      for (const v of x) {
        expect(Math.abs(v)).toBeLessThanOrEqual(bound);
        mean += v;
        sq += v * v;
      }
      mean /= x.length;
      const variance = sq / x.length - mean * mean;
      const se = bound / Math.sqrt(3 * x.length);
      expect(Math.abs(mean)).toBeLessThan(5 * se + 1e-12);
      // variance of U(-c, c) is c^2/3; relative error ~ sqrt(0.8/n)
      expect(Math.abs(variance / (bound * bound / 3) - 1)).toBeLessThan(5 * Math.sqrt(0.8 / x.length));
    }
  });

  it('alpha scales the weight matrices only, zeroOutput zeroes the output matrix, seeds differ', async () => {
    const a = arch(7, [6, 4], { biasOut: true });
    const task = makeTask({ op: 'mul', p: 7, trainFraction: 0.5, splitSeed: 2 });
    const t = await Trainer.create({
      backend: 'cpu',
      arch: a,
      task,
      models: [{ seed: 9 }, { seed: 9, alpha: 8, zeroOutput: true }, { seed: 9, alpha: 8, omnigrokBiases: true }, { seed: 10 }],
    });
    const base = t.getParams(0),
      scaled = t.getParams(1),
      omni = t.getParams(2);
    const ls = paramLayout(a);
    const out = ls.filter((x) => x.name.endsWith('weight')).pop()!;
    for (const info of ls)
      for (let i = info.offset; i < info.offset + info.size; i++) {
        const isW = info.name.endsWith('weight');
        expect(scaled[i]).toBe(info === out ? 0 : isW ? Math.fround(base[i] * 8) : base[i]);
        expect(omni[i]).toBe(Math.fround(base[i] * 8));
      }
    expect(bitsEqual(base, t.getParams(3))).toBe(false);
  });
});

interface OptCase {
  name: string;
  arch: ArchConfig;
  spec: Partial<ModelSpec>;
  steps: number;
}

describe('optimiser steps against a float64 PyTorch reference', () => {
  const cases: OptCase[] = [
    { name: 'AdamW, weight decay on biases too', arch: arch(7, [5]), spec: { lr: 0.01, weightDecay: 2, beta2: 0.98 }, steps: 6 },
    { name: 'AdamW, two hidden layers and an output bias', arch: arch(7, [6, 4], { biasOut: true }), spec: { lr: 0.005, weightDecay: 0.5 }, steps: 6 },
    { name: 'Adam with L2', arch: arch(7, [5]), spec: { optimizer: 'adam', lr: 0.01, weightDecay: 0.3, beta1: 0.8, beta2: 0.99 }, steps: 6 },
    { name: 'SGD with L2', arch: arch(7, [5]), spec: { optimizer: 'sgd', lr: 0.5, weightDecay: 0.1 }, steps: 6 },
    {
      name: 'alpha 8, zero output, constant norm',
      arch: arch(7, [5]),
      spec: { lr: 0.01, weightDecay: 0, alpha: 8, zeroOutput: true, constantNorm: true },
      steps: 6,
    },
    {
      name: 'Omnigrok variant (biases scaled and rescaled)',
      arch: arch(7, [6, 4], { biasOut: true }),
      spec: { lr: 0.01, weightDecay: 0.1, alpha: 3, zeroOutput: true, constantNorm: true, omnigrokBiases: true },
      steps: 6,
    },
  ];
  for (const c of cases)
    it(c.name, async () => {
      const task = makeTask({ op: 'add', p: 7, trainFraction: 0.7, splitSeed: 4 });
      const spec = { ...DEFAULT_MODEL, seed: 21, ...c.spec };
      const t = await Trainer.create({ backend: 'cpu', arch: c.arch, task, models: [spec] });
      // the starting point is the engine's init; its target norm is recomputed here from the rules
      const p0 = Float64Array.from(t.getParams(0));
      let target = RefModel.norm(c.arch, p0, spec.omnigrokBiases);
      if (spec.zeroOutput) {
        // the target counted the output matrix before it was zeroed: rebuild it from the alpha=1 init
        const t1 = await Trainer.create({ backend: 'cpu', arch: c.arch, task, models: [{ ...spec, alpha: 1, zeroOutput: false, constantNorm: false }] });
        const raw = Float64Array.from(t1.getParams(0));
        const scaled = raw.map((v, i) => {
          const isBias = layers(c.arch).some((l) => l.b >= 0 && i >= l.b && i < l.b + l.out);
          return isBias && !spec.omnigrokBiases ? v : Math.fround(v * spec.alpha);
        });
        target = RefModel.norm(c.arch, scaled, spec.omnigrokBiases);
      }
      const ref = new RefModel(c.arch, spec, Float64Array.from(p0), target);
      const d = trainData(task);
      for (let s = 0; s < c.steps; s++) {
        await t.step(1);
        ref.step(d);
        const got = t.getParams(0);
        expect(worst(got, ref.p, 2e-5, 2e-4), `step ${s + 1}`).toBeLessThan(1);
        if (spec.constantNorm) {
          const n = RefModel.norm(c.arch, Float64Array.from(got), spec.omnigrokBiases);
          expect(Math.abs(n / target - 1), `norm after step ${s + 1}`).toBeLessThan(1e-5);
        }
      }
      // and the model really moved
      expect(worst(t.getParams(0), p0, 1e-4, 0)).toBeGreaterThan(1);
      const [ev] = await t.evaluate();
      const r = lossAndGrad(c.arch, ref.p, d, false);
      expect(Math.abs(ev.trainLoss - r.loss)).toBeLessThan(1e-4 * Math.max(1, r.loss));
      const rt = lossAndGrad(c.arch, ref.p, testData(task), false);
      expect(Math.abs(ev.testLoss - rt.loss)).toBeLessThan(1e-4 * Math.max(1, rt.loss));
      expect(ev.weightNorm).toBeCloseTo(RefModel.norm(c.arch, ref.p, false), 3);
    });
});

describe('determinism and batching', () => {
  const a = arch(23, [40, 24]);
  const task = makeTask({ op: 'x2xyy2', p: 23, trainFraction: 0.5, splitSeed: 8 });
  const specs: Partial<ModelSpec>[] = [
    { seed: 1, lr: 0.01, weightDecay: 1 },
    { seed: 2, optimizer: 'adam', lr: 0.003, weightDecay: 0.01 },
    { seed: 3, optimizer: 'sgd', lr: 0.3, weightDecay: 0.001 },
    { seed: 4, lr: 0.01, weightDecay: 0, alpha: 4, zeroOutput: true, constantNorm: true, omnigrokBiases: true },
    { seed: 5, lr: 1e30, weightDecay: 0 }, // fails
  ];

  it('same seed gives the same run bitwise; M models together equal each trained alone', async () => {
    const all = await Trainer.create({ backend: 'cpu', arch: a, task, models: specs });
    await all.step(30);
    const evAll = await all.evaluate();
    for (let m = 0; m < specs.length; m++) {
      const alone = await Trainer.create({ backend: 'cpu', arch: a, task, models: [specs[m]] });
      await alone.step(10);
      await alone.step(20);
      expect(bitsEqual(alone.getParams(0), all.getParams(m)), `model ${m}`).toBe(true);
      const [ev] = await alone.evaluate();
      expect(ev).toEqual(evAll[m]);
    }
    const again = await Trainer.create({ backend: 'cpu', arch: a, task, models: [specs[0], specs[0]] });
    await again.step(30);
    expect(bitsEqual(again.getParams(0), all.getParams(0))).toBe(true);
    expect(bitsEqual(again.getParams(1), all.getParams(0))).toBe(true);
  });

  it('evaluating between steps changes nothing (the next step reuses the evaluation pass), bitwise', async () => {
    // Reference: the same models stepped without any evaluation in between.
    const plain = await Trainer.create({ backend: 'cpu', arch: a, task, models: specs });
    await plain.step(12);
    const evaluated = await Trainer.create({ backend: 'cpu', arch: a, task, models: specs });
    const losses: number[][] = [];
    for (let s = 0; s < 4; s++) {
      await evaluated.step(3);
      losses.push((await evaluated.evaluate()).map((e) => e.trainLoss));
    }
    for (let m = 0; m < specs.length; m++)
      expect(bitsEqual(evaluated.getParams(m), plain.getParams(m)), `model ${m}`).toBe(true);
    // setParams and setMask between an evaluation and a step: the step recomputes its gradient.
    const fresh = await Trainer.create({ backend: 'cpu', arch: a, task, models: [specs[0]] });
    const other = await Trainer.create({ backend: 'cpu', arch: a, task, models: [specs[0]] });
    await fresh.step(2);
    await other.step(2);
    await other.evaluate();
    const p = fresh.getParams(0).map((v, i) => (i % 7 === 0 ? v * 0.5 : v));
    fresh.setParams(0, p);
    other.setParams(0, p);
    await fresh.step(1);
    await other.step(1);
    expect(bitsEqual(other.getParams(0), fresh.getParams(0))).toBe(true);
    const keep = new Uint8Array(40).fill(1);
    keep[3] = 0;
    await other.evaluate();
    other.setMask(0, keep);
    fresh.setMask(0, keep);
    await fresh.step(1);
    await other.step(1);
    expect(bitsEqual(other.getParams(0), fresh.getParams(0))).toBe(true);
    // the failing model (lr 1e30) is reported by the evaluation, the others train on
    expect(losses.at(-1)!.slice(0, 4).every(Number.isFinite)).toBe(true);
  });

  it('a failing model is frozen and named; the others are unaffected', async () => {
    const t = await Trainer.create({ backend: 'cpu', arch: a, task, models: specs });
    await t.step(10);
    const ev = await t.evaluate();
    expect(ev[4].failed).toBe(true);
    expect(ev[4].failure).toMatch(/non-finite .* at step \d+/);
    const frozen = t.getParams(4);
    await t.step(3);
    expect(bitsEqual(t.getParams(4), frozen)).toBe(true);
    for (let m = 0; m < 4; m++) {
      expect(ev[m].failed).toBe(false);
      expect(ev[m].failure).toBeNull();
      expect(Number.isFinite(ev[m].trainLoss)).toBe(true);
    }
  });
});

describe('ablation masks', () => {
  it('zero the masked rows every step; masked neurons are constant across samples', async () => {
    const a = arch(23, [32]);
    const task = makeTask({ op: 'add', p: 23, trainFraction: 0.5, splitSeed: 1 });
    const t = await Trainer.create({ backend: 'cpu', arch: a, task, models: [{ seed: 1, lr: 0.01 }, { seed: 1, lr: 0.01 }] });
    const keep = new Uint8Array(32);
    for (let j = 0; j < 32; j += 3) keep[j] = 1;
    t.setMask(0, keep, true);
    t.setMask(1, keep, false);
    const in0 = 2 * 23;
    for (let round = 0; round < 3; round++) {
      await t.step(5);
      for (const m of [0, 1]) {
        const p = t.getParams(m);
        const H = t.hidden(m, 0);
        const N = task.trainA.length;
        for (let j = 0; j < 32; j++) {
          if (keep[j]) continue;
          for (let k = 0; k < in0; k++) expect(p[j * in0 + k]).toBe(0);
          const b = p[32 * in0 + j];
          if (m === 0) expect(b).toBe(0);
          for (let n = 0; n < N; n++) expect(H[n * 32 + j]).toBe(Math.max(0, b));
        }
        // kept neurons do vary
        let varies = false;
        for (let n = 1; n < N && !varies; n++) varies = H[n * 32] !== H[32];
        expect(varies).toBe(true);
      }
    }
    // cleared: the masked rows of the model whose biases were kept learn again (a neuron whose
    // bias was masked too is dead at ReLU(0) and stays so, as in PyTorch)
    t.setMask(1, null);
    await t.step(2);
    let nonzero = 0;
    const p = t.getParams(1);
    for (let j = 0; j < 32; j++) if (!keep[j]) for (let k = 0; k < in0; k++) nonzero += p[j * in0 + k] !== 0 ? 1 : 0;
    expect(nonzero).toBeGreaterThan(0);
  });

  it('hidden() equals a float64 forward of the current parameters', async () => {
    const a = arch(11, [9, 7]);
    const task = makeTask({ op: 'sub', p: 11, trainFraction: 0.5, splitSeed: 6 });
    const t = await Trainer.create({ backend: 'cpu', arch: a, task, models: [{ seed: 3 }] });
    await t.step(3);
    const p = Float64Array.from(t.getParams(0));
    const ls = layers(a);
    for (const layer of [0, 1]) {
      const H = t.hidden(0, layer);
      for (let n = 0; n < task.trainA.length; n++) {
        let prev = new Float64Array(22);
        prev[task.trainA[n]] = 1;
        prev[11 + task.trainB[n]] = 1;
        for (let l = 0; l <= layer; l++) {
          const { W, b, out, in: fin } = ls[l];
          const h = new Float64Array(out);
          for (let i = 0; i < out; i++) {
            let s = b >= 0 ? p[b + i] : 0;
            for (let k = 0; k < fin; k++) s += p[W + i * fin + k] * prev[k];
            h[i] = Math.max(0, s);
          }
          prev = h;
        }
        for (let i = 0; i < prev.length; i++) expect(Math.abs(H[n * prev.length + i] - prev[i])).toBeLessThan(1e-5);
      }
    }
  });
});

describe('validation and control', () => {
  const a = arch(7, [5]);
  const task = makeTask({ op: 'add', p: 7, trainFraction: 0.5, splitSeed: 0 });
  const mk = (models: Partial<ModelSpec>[], ar: Partial<ArchConfig> = a, tk = task) =>
    Trainer.create({ backend: 'cpu', arch: ar as ArchConfig, task: tk, models });

  it('rejects bad hyper-parameters and shapes with coded errors naming them', async () => {
    expect(await codeOf(() => mk([{ lr: 0 }]))).toMatch(/INVALID_ARGUMENT: models\[0\]\.lr/);
    expect(await codeOf(() => mk([{}, { lr: NaN }]))).toMatch(/INVALID_ARGUMENT: models\[1\]\.lr/);
    expect(await codeOf(() => mk([{ weightDecay: -1 }]))).toMatch(/weightDecay/);
    expect(await codeOf(() => mk([{ beta1: 1 }]))).toMatch(/beta1/);
    expect(await codeOf(() => mk([{ beta2: -0.1 }]))).toMatch(/beta2/);
    expect(await codeOf(() => mk([{ eps: 0 }]))).toMatch(/eps/);
    expect(await codeOf(() => mk([{ alpha: 0 }]))).toMatch(/alpha/);
    expect(await codeOf(() => mk([{ seed: -1 }]))).toMatch(/seed/);
    expect(await codeOf(() => mk([{ optimizer: 'rmsprop' as never }]))).toMatch(/optimizer/);
    expect(await codeOf(() => mk([]))).toMatch(/INVALID_ARGUMENT: models/);
    expect(await codeOf(() => mk([{}], { ...a, hidden: [0] }))).toMatch(/arch\.hidden\[0\]/);
    expect(await codeOf(() => mk([{}], { ...a, hidden: [70000] }))).toMatch(/arch\.hidden\[0\]/);
    expect(await codeOf(() => mk([{}], { ...a, hidden: [] }))).toMatch(/arch\.hidden/);
    expect(await codeOf(() => mk([{}], { ...a, vocab: 1.5 }))).toMatch(/arch\.vocab/);
    expect(await codeOf(() => mk([{}], { ...a, out: 5 }))).toMatch(/INVALID_DATA: task\.train row \d+: label/);
    const big = makeTask({ op: 'add', p: 11, trainFraction: 0.5, splitSeed: 0 });
    expect(await codeOf(() => mk([{}], a, big))).toMatch(/INVALID_DATA: task\.\w+ row \d+: token/);
  });

  it('the native layer checks too (labels, tokens, shapes)', async () => {
    const { loadNative } = await import('../src/addon/native.js');
    const N = loadNative();
    const full = validateArch(a);
    const spec = { ...DEFAULT_MODEL };
    const data = { trainA: task.trainA, trainB: task.trainB, trainY: task.trainY.map((y) => (y === 0 ? 9 : y)), testA: task.testA, testB: task.testB, testY: task.testY };
    expect(await codeOf(() => new N.Trainer({ backend: 'cpu', batchSize: 0, arch: full, data, models: [spec] }))).toMatch(/INVALID_DATA: train row \d+: label/);
    expect(await codeOf(() => new N.Trainer({ backend: 'cpu', batchSize: 0, arch: full, data: { ...data, trainY: task.trainY, trainB: task.trainB.slice(1) }, models: [spec] }))).toMatch(
      /INVALID_ARGUMENT/,
    );
    expect(await codeOf(() => new N.Trainer({ backend: 'cpu', batchSize: 0, arch: full, data: { ...data, trainY: task.trainY }, models: [{ ...spec, lr: -1 }] }))).toMatch(/models\[0\]\.lr/);
  });

  it('the native layer has no defaults: a missing architecture or model value is an error naming it', async () => {
    const { loadNative } = await import('../src/addon/native.js');
    const N = loadNative();
    const full = validateArch(a);
    const data = { trainA: task.trainA, trainB: task.trainB, trainY: task.trainY, testA: task.testA, testB: task.testB, testY: task.testY };
    const ok = new N.Trainer({ backend: 'cpu', batchSize: 0, arch: full, data, models: [{ ...DEFAULT_MODEL }] });
    expect(ok.models).toBe(1);
    for (const k of Object.keys(DEFAULT_MODEL)) {
      const spec: Record<string, unknown> = { ...DEFAULT_MODEL };
      delete spec[k];
      expect(await codeOf(() => new N.Trainer({ backend: 'cpu', batchSize: 0, arch: full, data, models: [spec] }))).toMatch(new RegExp(`INVALID_ARGUMENT: models\\[0\\]\\.${k} is required`));
    }
    expect(await codeOf(() => new N.Trainer({ backend: 'cpu', arch: full, data, models: [{ ...DEFAULT_MODEL }] }))).toMatch(/INVALID_ARGUMENT: batchSize is required/);
    for (const k of ['input', 'loss', 'vocab', 'inputDim', 'out', 'biasFirst', 'biasHidden', 'biasOut']) {
      const ar: Record<string, unknown> = { ...full };
      delete ar[k];
      expect(await codeOf(() => new N.Trainer({ backend: 'cpu', batchSize: 0, arch: ar, data, models: [{ ...DEFAULT_MODEL }] }))).toMatch(new RegExp(`INVALID_ARGUMENT: arch\\.${k} is required`));
    }
    // the layer limit is one number: MAX_LAYERS layers are accepted natively, one more is refused
    const deep = (n: number) => ({ ...full, hidden: Array(n).fill(3) });
    expect(new N.Trainer({ backend: 'cpu', batchSize: 0, arch: deep(MAX_LAYERS), data, models: [{ ...DEFAULT_MODEL }] }).models).toBe(1);
    expect(await codeOf(() => new N.Trainer({ backend: 'cpu', batchSize: 0, arch: deep(MAX_LAYERS + 1), data, models: [{ ...DEFAULT_MODEL }] }))).toMatch(
      new RegExp(`INVALID_ARGUMENT: arch.hidden must list 1 to ${MAX_LAYERS}`),
    );
    expect(await codeOf(() => mk([{}], deep(MAX_LAYERS + 1)))).toMatch(/INVALID_ARGUMENT: arch\.hidden/);
  });

  it('guards against concurrent operations, checks indices, and cancels', async () => {
    const t = await mk([{ seed: 1 }]);
    const p = t.step(200);
    expect(await codeOf(() => t.evaluate())).toMatch(/busy/);
    expect(await codeOf(() => t.getParams(0))).toMatch(/busy/);
    await p;
    expect(t.stepsDone).toBe(200);
    expect(await codeOf(() => t.getParams(1))).toMatch(/INVALID_ARGUMENT: model/);
    expect(await codeOf(() => t.hidden(0, 1))).toMatch(/INVALID_ARGUMENT: layer/);
    expect(await codeOf(() => t.setParams(0, new Float32Array(3)))).toMatch(/params/);
    expect(await codeOf(() => t.setMask(0, new Uint8Array(4)))).toMatch(/keep/);
    expect(await codeOf(() => t.step(-1))).toMatch(/steps/);
    const bad = t.getParams(0);
    bad[0] = NaN;
    expect(await codeOf(() => t.setParams(0, bad))).toMatch(/INVALID_DATA/);
    // setParams really sets
    const q = t.getParams(0).map((_, i) => (i % 7) / 100);
    t.setParams(0, q);
    expect(bitsEqual(t.getParams(0), q)).toBe(true);
    const ac = new AbortController();
    const long = t.step(1_000_000, { signal: ac.signal, onProgress: () => ac.abort() });
    setTimeout(() => ac.abort(), 50);
    expect(await codeOf(() => long)).toMatch(/^CANCELLED/);
    expect(t.stepsDone).toBeLessThan(1_000_000);
  });
});

describe('measurement hook', () => {
  it('measures a snapshot of the hidden activations while the trainer steps on', async () => {
    const { measureCheckpoints } = await import('../src/measures/oinfo.js');
    const a = arch(23, [24]);
    const task = makeTask({ op: 'add', p: 23, trainFraction: 0.5, splitSeed: 2 });
    const t = await Trainer.create({ backend: 'cpu', arch: a, task, models: [{ seed: 1 }, { seed: 2 }] });
    await t.step(20);
    const h1 = t.hidden(1, 0);
    const pending = t.measure([1], 0, { bins: 4, units: 'nats' });
    await t.step(5); // concurrently with the measurement: the snapshot was taken at step 20
    const [got] = await pending;
    const [want] = await measureCheckpoints({ data: h1, batch: 1, rows: task.trainA.length, cols: 24 }, { bins: 4, units: 'nats', backend: 'cpu' });
    expect(got.labels.length).toBe(24);
    expect(got.multiplets).toBe(11); // unions of 2..4 of 4 bins
    expect(got.synergy).toBe(want.synergy);
    expect(got.redundancy).toBe(want.redundancy);
    expect(Array.from(got.labels)).toEqual(Array.from(want.labels));
  });
});

describe('thread count', () => {
  it('results are bitwise identical with 1, 2 and 3 OpenMP threads', async () => {
    const { execFileSync } = await import('node:child_process');
    const { nativeInfo } = await import('../src/addon/native.js');
    const addon = nativeInfo().path;
    const script = `
      const addon = require(process.env.ADDON);
      const p = 23, N = 300;
      const A = new Int32Array(N), B = new Int32Array(N), Y = new Int32Array(N);
      for (let i = 0; i < N; i++) { A[i] = (i * 7) % p; B[i] = (i * 13 + 5) % p; Y[i] = (A[i] + B[i]) % p; }
      const t = new addon.Trainer({ backend: 'cpu', batchSize: 0, arch: { input: 'pairs', loss: 'xent', inputDim: 0, vocab: p, hidden: [40, 24], out: p, biasFirst: true, biasHidden: true, biasOut: false },
        data: { trainA: A, trainB: B, trainY: Y, testA: A, testB: B, testY: Y },
        models: [{ ...JSON.parse(process.env.SPEC), seed: 3, lr: 0.01, weightDecay: 1 }] });
      t.step(25).then(() => process.stdout.write(Buffer.from(t.getParams(0).buffer).toString('base64')));`;
    const run = (threads: number) =>
      execFileSync(process.execPath, ['-e', script], { env: { ...process.env, ADDON: addon, SPEC: JSON.stringify(DEFAULT_MODEL), OMP_NUM_THREADS: String(threads) } }).toString();
    const one = run(1);
    expect(one.length).toBeGreaterThan(100);
    expect(run(2)).toBe(one);
    expect(run(3)).toBe(one);
  });
});

describe('denormals', () => {
  it('the CPU trainer flushes denormal floats to zero (a denormal-only neuron reads as exactly 0)', async () => {
    const a = arch(7, [5]);
    const task = makeTask({ op: 'add', p: 7, trainFraction: 0.6, splitSeed: 3 });
    const t = await Trainer.create({ backend: 'cpu', arch: a, task, models: [{ seed: 2 }] });
    const p = t.getParams(0);
    const L = paramLayout(a);
    const w0 = L.find((x) => x.name === 'layers.0.weight')!;
    const b0 = L.find((x) => x.name === 'layers.0.bias')!;
    // Neuron 0: zero weights, a denormal bias (1e-40 < 1.18e-38), so ReLU(0 + 1e-40) would be 1e-40.
    for (let c = 0; c < 2 * a.vocab; c++) p[w0.offset + c] = 0;
    p[b0.offset] = 1e-40;
    // Neuron 1: an ordinary bias, to show the rest is untouched.
    for (let c = 0; c < 2 * a.vocab; c++) p[w0.offset + 2 * a.vocab + c] = 0;
    p[b0.offset + 1] = 0.25;
    t.setParams(0, p);
    expect(t.getParams(0)[b0.offset]).toBe(Math.fround(1e-40)); // stored as given (a denormal float32)
    const h = t.hidden(0, 0);
    const width = 5;
    for (let r = 0; r < h.length / width; r++) {
      expect(h[r * width]).toBe(0);
      expect(h[r * width + 1]).toBe(0.25);
    }
  });
});
