/**
 * O-information through ONNX: the activations of a named tensor of a model built here (grokinfo did
 * not train it) are computed by onnxruntime; the result must equal the O-information engine run on
 * activations computed independently in float64 in this file (test/onnx-models.ts).
 */
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { register as registerMeasure } from '../src/commands/measure-model.js';
import { engineCheckpoints, engineOInfo } from '../src/onnx/engine.js';
import { exportMlp, type MlpArch } from '../src/onnx/export.js';
import { measureCheckpointDir, measureModel } from '../src/onnx/measure.js';
import { writeNpy } from '../src/core/npy.js';
import { writeFileAtomic } from '../src/core/fsutil.js';
import type { OInfoRecord } from '../src/config/types.js';
import { runCommand } from './onnx-cli-helpers.js';
import { attnForward, attnOnnx, makeAttn, makeMlp2, mlp2Forward, mlp2Onnx, randomMatrix, rng } from './onnx-models.js';

type Report = any;

function expectSameReport(got: Report, want: Report): void {
  expect(got.synergy.value).toBeCloseTo(want.synergy.value, 6);
  expect(got.redundancy.value).toBeCloseTo(want.redundancy.value, 6);
  expect(got.synergy.members).toEqual(want.synergy.members);
  expect(got.redundancy.members).toEqual(want.redundancy.members);
}

function expectSameRecord(got: OInfoRecord, want: OInfoRecord): void {
  expect(got.step).toBe(want.step);
  expect(got.synergy).toBeCloseTo(want.synergy, 6);
  expect(got.redundancy).toBeCloseTo(want.redundancy, 6);
  expect(got.synergyNeurons).toEqual(want.synergyNeurons);
  expect(got.redundancyNeurons).toEqual(want.redundancyNeurons);
  expect(got.binSizes).toEqual(want.binSizes);
  expect(got.dead).toBe(want.dead);
}

const tmp = () => mkdtempSync(join(tmpdir(), 'grokinfo-onnx-'));

describe('O-information of models built in the test', () => {
  const m = makeMlp2(21, 6, 12, 8, 3);
  const n = 400;
  const x = randomMatrix(rng(4), n, m.d);
  const ref = mlp2Forward(m, x, n);

  it('two-hidden-layer MLP, variables mode: equals the engine on float64 activations', async () => {
    const res = await measureModel(mlp2Onnx(m), { tensor: 'l2.relu', inputs: [{ data: x, shape: [n, m.d] }], mode: { kind: 'variables' }, maxSize: 3, units: 'bits' });
    expect([res.rows, res.cols]).toEqual([n, m.h2]);
    const want = await engineOInfo({ data: ref.h2, rows: n, cols: m.h2 }, { maxSize: 3, units: 'bits' });
    expectSameReport(res.report, want);
    // a different layer gives a different answer (the comparison can fail)
    const other = await engineOInfo({ data: ref.h1.subarray(0, n * m.h2).map((v, i) => v + (i % 7)), rows: n, cols: m.h2 }, { maxSize: 3, units: 'bits' });
    expect(Math.abs(other.synergy.value - want.synergy.value)).toBeGreaterThan(1e-6);
  });

  it("two-hidden-layer MLP, bins mode: the same record as the paper's measurement of the float64 activations", async () => {
    const res = await measureModel(mlp2Onnx(m), { tensor: 'l1.relu', inputs: [{ data: x, shape: [n, m.d] }], mode: { kind: 'bins', bins: 4 }, step: 7 });
    const [want] = await engineCheckpoints([Float32Array.from(ref.h1)], n, m.h1, [7], { bins: 4 });
    expectSameRecord(res.record!, want);
  });

  it('attention block, groups and bins modes on [batch*seq, h]', async () => {
    const a = makeAttn(8, 4, 6, 10);
    const batch = 120;
    const xa = randomMatrix(rng(12), batch * a.seq, a.d);
    const want = attnForward(a, xa, batch);
    const rows = batch * a.seq;
    const groups = [[0, 1, 2], [3, 4], [5, 6, 7], [8, 9]];
    const g = await measureModel(attnOnnx(a), { tensor: 'mlp.hidden', inputs: [{ data: xa, shape: [batch, a.seq, a.d] }], mode: { kind: 'groups', groups }, maxSize: 4, batchSize: 50 });
    expect([g.rows, g.cols]).toEqual([rows, a.h]);
    expectSameReport(g.report, await engineOInfo({ data: want.hidden, rows, cols: a.h }, { groups, maxSize: 4 }));
    const b = await measureModel(attnOnnx(a), { tensor: 'mlp.hidden', inputs: [{ data: xa, shape: [batch, a.seq, a.d] }], mode: { kind: 'bins', bins: 3 } });
    const [wantB] = await engineCheckpoints([Float32Array.from(want.hidden)], rows, a.h, [0], { bins: 3 });
    expectSameRecord(b.record!, wantB);
  });

  it('CLI: measure-model on a model file with .npy inputs', async () => {
    const dir = tmp();
    await writeFileAtomic(join(dir, 'mlp.onnx'), mlp2Onnx(m));
    await writeNpy(join(dir, 'x.npy'), Float64Array.from(x), [n, m.d]);
    const r = await runCommand(registerMeasure, ['measure-model', join(dir, 'mlp.onnx'), '--inputs', join(dir, 'x.npy'), '--tensor', 'l2.relu', '--variables', '--max-size', '3', '--json', '--out', join(dir, 'out')]);
    expect(r.error).toBeUndefined();
    const got = JSON.parse(r.stdout);
    expectSameReport(got.report, await engineOInfo({ data: ref.h2, rows: n, cols: m.h2 }, { maxSize: 3 }));
    expect(existsSync(join(dir, 'out', 'measure.json'))).toBe(true);
    const bad = await runCommand(registerMeasure, ['measure-model', join(dir, 'mlp.onnx'), '--inputs', join(dir, 'x.npy'), '--tensor', 'nope']);
    expect(bad.error?.code).toBe('INVALID_ARGUMENT');
    expect(bad.error?.message).toContain('l2.relu');
    const list = await runCommand(registerMeasure, ['measure-model', join(dir, 'mlp.onnx'), '--list']);
    expect(list.stdout).toMatch(/input\s+x\s+float \[N, 6\]/);
    expect(list.stdout).toContain('l2.relu');
  });
});

describe('a directory of checkpoints', () => {
  const arch: MlpArch = { vocab: 11, hidden: [16], out: 11, biasFirst: true, biasHidden: true, biasOut: false };
  const steps = [200, 10, 30];

  function params(seed: number): Float32Array {
    const r = rng(seed);
    const count = 16 * 22 + 16 + 11 * 16;
    return Float32Array.from({ length: count }, () => (2 * r() - 1) * 0.5);
  }

  /** float64 hidden.0 from the definition: relu(W0[:, a] + W0[:, p + b] + b0). */
  function hidden64(w: Float32Array, as: number[], bs: number[]): Float32Array {
    const p = arch.vocab;
    const h = arch.hidden[0];
    const out = new Float32Array(as.length * h);
    for (let i = 0; i < as.length; i++)
      for (let j = 0; j < h; j++) out[i * h + j] = Math.max(0, w[j * 2 * p + as[i]] + w[j * 2 * p + p + bs[i]] + w[h * 2 * p + j]);
    return out;
  }

  it('ONNX checkpoints sorted by step -> oinfo.jsonl (engine records) and timeline.json', async () => {
    const dir = tmp();
    for (const s of steps) await writeFileAtomic(join(dir, 'ckpt', `step-${s}.onnx`), exportMlp(arch, params(s)));
    const as: number[] = [];
    const bs: number[] = [];
    for (let a = 0; a < arch.vocab; a++) for (let b = 0; b < arch.vocab; b++) if ((a * 7 + b * 3) % 5 !== 0) (as.push(a), bs.push(b));
    const res = await measureCheckpointDir(join(dir, 'ckpt'), {
      inputs: [{ data: Int32Array.from(as), shape: [as.length] }, { data: Int32Array.from(bs), shape: [bs.length] }],
      mode: { kind: 'bins', bins: 3 },
      out: join(dir, 'out'),
      chunk: 2,
    });
    expect(res.records.map((r) => r.step)).toEqual([10, 30, 200]);
    const lines = readFileSync(join(dir, 'out', 'oinfo.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as OInfoRecord);
    expect(lines.map((r) => r.step)).toEqual([10, 30, 200]);
    for (const rec of lines) {
      const [want] = await engineCheckpoints([hidden64(params(rec.step), as, bs)], as.length, 16, [rec.step], { bins: 3 });
      expectSameRecord(rec, want);
    }
    expect(existsSync(join(dir, 'out', 'timeline.json'))).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, 'out', 'timeline.json'), 'utf8')).steps).toEqual([10, 30, 200]);
  });
});
