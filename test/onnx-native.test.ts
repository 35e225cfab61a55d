/**
 * ONNX against the native trainer: a model trained by grokinfo, exported to ONNX, run in
 * onnxruntime, must reproduce Trainer.hidden() (every hidden layer) on the training set; a
 * checkpoint directory of a run measured through ONNX gives the engine's records on the trainer's
 * own activations; export-onnx writes loadable models.
 */
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { register as registerExport } from '../src/commands/export-onnx.js';
import { register as registerMeasure } from '../src/commands/measure-model.js';
import { writeJsonAtomic } from '../src/core/fsutil.js';
import { engineCheckpoints } from '../src/onnx/engine.js';
import { exportMlp, type MlpArch } from '../src/onnx/export.js';
import { saveCheckpoint } from '../src/training/safetensors.js';
import { makeTask } from '../src/tasks/modular.js';
import { Trainer } from '../src/training/trainer.js';
import type { OInfoRecord } from '../src/config/types.js';
import { runCommand } from './onnx-cli-helpers.js';
import { maxRelErr } from './onnx-models.js';

const arch: MlpArch = { vocab: 11, hidden: [20, 12], out: 11, biasFirst: true, biasHidden: true, biasOut: false };
const taskConfig = { op: 'add' as const, p: 11, trainFraction: 0.5, splitSeed: 3 };
const tmp = () => mkdtempSync(join(tmpdir(), 'grokinfo-onnx-native-'));

async function trained(steps: number): Promise<{ trainer: Trainer; task: ReturnType<typeof makeTask> }> {
  const task = makeTask(taskConfig);
  const trainer = await Trainer.create({ backend: 'cpu', arch, task, models: [{ seed: 5, lr: 0.01, weightDecay: 1 }] });
  await trainer.step(steps);
  return { trainer, task };
}

describe('ONNX export vs the native trainer', () => {
  it('hidden.{l} of the exported model equal Trainer.hidden(l) on the training set (rel. err <= 1e-5)', async () => {
    const { trainer, task } = await trained(25);
    const params = trainer.getParams(0);
    const n = task.trainA.length;
    for (const input of ['tokens', 'dense'] as const) {
      const session = await ort.InferenceSession.create(exportMlp(arch, params, { input }));
      let feeds: Record<string, ort.Tensor>;
      if (input === 'tokens')
        feeds = {
          a: new ort.Tensor('int64', BigInt64Array.from(task.trainA, (v) => BigInt(v)), [n]),
          b: new ort.Tensor('int64', BigInt64Array.from(task.trainB, (v) => BigInt(v)), [n]),
        };
      else {
        const x = new Float32Array(n * 22);
        for (let i = 0; i < n; i++) (x[i * 22 + task.trainA[i]] = 1, x[i * 22 + 11 + task.trainB[i]] = 1);
        feeds = { x: new ort.Tensor('float32', x, [n, 22]) };
      }
      const out = await session.run(feeds);
      for (let l = 0; l < arch.hidden.length; l++) {
        const native = trainer.hidden(0, l);
        const got = out[`hidden.${l}`].data as Float32Array;
        expect(got.length).toBe(native.length);
        expect(maxRelErr(got, native)).toBeLessThanOrEqual(1e-5);
      }
      // logits: argmax agrees with a float64 output layer on the native hidden activations
      const h1 = trainer.hidden(0, 1);
      const w2 = params.subarray(params.length - 11 * 12);
      const want = new Float64Array(n * 11);
      for (let i = 0; i < n; i++) for (let o = 0; o < 11; o++) for (let k = 0; k < 12; k++) want[i * 11 + o] += w2[o * 12 + k] * h1[i * 12 + k];
      expect(maxRelErr(out.logits.data as Float32Array, want)).toBeLessThanOrEqual(1e-5);
    }
  });

  it('a run directory of safetensors checkpoints -> export-onnx and measure-model give the engine records on Trainer.hidden', async () => {
    const dir = tmp();
    const { trainer, task } = await trained(0);
    const steps = [0, 20, 40];
    const native: Float32Array[] = [];
    let done = 0;
    for (const s of steps) {
      await trainer.step(s - done);
      done = s;
      native.push(trainer.hidden(0, 0));
      await saveCheckpoint(join(dir, 'checkpoints', `step-${s}.safetensors`), arch, trainer.getParams(0), { step: s });
    }
    await writeJsonAtomic(join(dir, 'config.json'), { task: taskConfig, measure: { layer: 0 } });
    const r = await runCommand(registerMeasure, ['measure-model', dir, '--bins', 'ward:4', '--out', join(dir, 'onnx-measure')]);
    expect(r.error).toBeUndefined();
    const recs = readFileSync(join(dir, 'onnx-measure', 'oinfo.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as OInfoRecord);
    expect(recs.map((x) => x.step)).toEqual(steps);
    const want = await engineCheckpoints(native, task.trainA.length, 20, steps, { bins: 4 });
    for (let i = 0; i < steps.length; i++) {
      expect(recs[i].synergy).toBeCloseTo(want[i].synergy, 6);
      expect(recs[i].redundancy).toBeCloseTo(want[i].redundancy, 6);
      expect(recs[i].synergyNeurons).toEqual(want[i].synergyNeurons);
      expect(recs[i].binSizes).toEqual(want[i].binSizes);
    }
    expect(existsSync(join(dir, 'onnx-measure', 'timeline.json'))).toBe(true);

    const ex = await runCommand(registerExport, ['export-onnx', dir, '--out', join(dir, 'onnx')]);
    expect(ex.error).toBeUndefined();
    expect(ex.stdout.trim().split('\n').length).toBe(3);
    const s = await ort.InferenceSession.create(readFileSync(join(dir, 'onnx', 'step-40.onnx')));
    const n = task.trainA.length;
    const out = await s.run({
      a: new ort.Tensor('int64', BigInt64Array.from(task.trainA, (v) => BigInt(v)), [n]),
      b: new ort.Tensor('int64', BigInt64Array.from(task.trainB, (v) => BigInt(v)), [n]),
    });
    expect(maxRelErr(out['hidden.0'].data as Float32Array, native[2])).toBeLessThanOrEqual(1e-5);
    const missing = await runCommand(registerExport, ['export-onnx', join(dir, 'nope.safetensors')]);
    expect(missing.error?.code).toBe('IO');
  });
});
