/**
 * The measure framework during training: measures.jsonl schedule and schema, values against the
 * trainer's own evaluation and the O-information engine, and the CLI's handling of --measure.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { register as registerTrain } from '../src/commands/train.js';
import { resolveRunConfig } from '../src/config/config.js';
import { readJsonl } from '../src/core/fsutil.js';
import type { MeasuresRecord } from '../src/measures/compute.js';
import { trainBatch } from '../src/training/run.js';
import type { MetricsRecord, OInfoRecord } from '../src/config/types.js';
import { runCommand } from './onnx-cli-helpers.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'grokinfo-measures-'));

describe('measures during training', () => {
  it('writes one record per measured step, cheap at every evaluation, expensive at its interval', async () => {
    const dir = join(tmp(), 'run');
    const config = resolveRunConfig({
      task: { p: 23, trainFraction: 0.6, splitSeed: 1 },
      model: { hidden: [32] },
      steps: 60,
      evalEvery: 10,
      measure: { kind: 'oinfo', every: 20, bins: 4 },
      measures: { names: ['loss', 'weight-norm', 'fourier', 'info', 'htsr'], expensiveEvery: 20 },
    });
    await trainBatch([{ id: 'r', dir, config }], { backend: 'cpu' });
    const recs = readJsonl<MeasuresRecord>(join(dir, 'measures.jsonl'));
    const metrics = readJsonl<MetricsRecord>(join(dir, 'metrics.jsonl'));
    const oinfo = readJsonl<OInfoRecord>(join(dir, 'oinfo.jsonl'));
    expect(recs.map((r) => r.step)).toEqual([0, 10, 20, 30, 40, 50, 60]);
    for (const r of recs) {
      const expensive = r.step % 20 === 0;
      expect(Object.keys(r.values).sort()).toEqual((expensive ? ['fourier', 'htsr', 'info', 'loss', 'weight-norm'] : ['fourier', 'loss', 'weight-norm']).sort());
      const m = metrics.find((x) => x.step === r.step)!;
      expect(r.values.loss).toEqual({ trainLoss: m.trainLoss, trainAcc: m.trainAcc, testLoss: m.testLoss, testAcc: m.testAcc });
      // float64 norm of the float32 weights vs the trainer's native norm
      expect((r.values['weight-norm'] as { total: number }).total).toBeCloseTo(m.weightNorm, 3);
      if (expensive) {
        // the multiplet's O-information from the framework's covariance equals the engine's value
        const o = oinfo.find((x) => x.step === r.step)!;
        const info = r.values.info as { synergy: { oinfo: number; size: number }; redundancy: { oinfo: number } };
        expect(info.synergy.size).toBe(o.synergyNeurons.length);
        expect(info.synergy.oinfo).toBeCloseTo(o.synergy, 4);
        expect(info.redundancy.oinfo).toBeCloseTo(o.redundancy, 4);
      }
      for (const k of Object.keys(r.values)) expect(r.seconds[k]).toBeGreaterThanOrEqual(0);
    }
  }, 60_000);

  it('CLI: unknown names and Fourier on a non-additive task are coded INVALID_ARGUMENT errors', async () => {
    const bad = await runCommand(registerTrain, ['train', '--p', '11', '--steps', '2', '--measure', 'loss,nope', '--out', join(tmp(), 'x'), '--quiet']);
    expect(bad.error?.code).toBe('INVALID_ARGUMENT');
    expect(bad.error?.message).toContain('htsr');
    const mul = await runCommand(registerTrain, ['train', '--p', '11', '--op', 'mul', '--steps', '2', '--measure', 'fourier', '--out', join(tmp(), 'y'), '--quiet']);
    expect(mul.error?.code).toBe('INVALID_ARGUMENT');
    expect(mul.error?.message).toMatch(/add or sub/);
  });

  it("CLI: --measure oinfo alone keeps the O-information records only; 'all' on mul leaves Fourier out", async () => {
    const d1 = join(tmp(), 'o');
    await runCommand(registerTrain, ['train', '--p', '11', '--hidden', '8', '--steps', '10', '--eval-every', '5', '--measure', 'oinfo', '--bins', '3', '--out', d1, '--quiet']);
    expect(readJsonl(join(d1, 'oinfo.jsonl')).length).toBe(3);
    expect(readJsonl(join(d1, 'measures.jsonl')).length).toBe(0);
    const d2 = join(tmp(), 'm');
    const r = await runCommand(registerTrain, ['train', '--p', '11', '--op', 'mul', '--hidden', '8', '--steps', '10', '--eval-every', '5', '--measure', 'loss,weight-entropy,sparsity', '--out', d2, '--quiet']);
    expect(r.error).toBeUndefined();
    const recs = readJsonl<MeasuresRecord>(join(d2, 'measures.jsonl'));
    expect(recs.map((x) => x.step)).toEqual([0, 5, 10]);
  }, 60_000);
});
