/** `grokinfo measure` on saved checkpoints, the measure figures of the report, and the docs' coverage of the registry. */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { register as registerMeasure } from '../src/commands/measure.js';
import { resolveRunConfig } from '../src/config/config.js';
import { readJson, readJsonl } from '../src/core/fsutil.js';
import type { MeasuresRecord } from '../src/measures/compute.js';
import { remeasureRun } from '../src/measures/remeasure.js';
import { MEASURES } from '../src/measures/registry.js';
import { buildFigures } from '../src/report/figures.js';
import { loadReportDir } from '../src/report/index.js';
import { trainBatch } from '../src/training/run.js';
import type { RunSummary } from '../src/config/types.js';
import { runCommand } from './onnx-cli-helpers.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'grokinfo-remeasure-'));

describe('grokinfo measure', async () => {
  const dir = join(tmp(), 'run');
  const config = resolveRunConfig({
    task: { p: 13, trainFraction: 0.6, splitSeed: 2 },
    model: { hidden: [16] },
    steps: 40,
    evalEvery: 5,
    checkpoints: [0, 20, 40],
    measures: { names: ['loss', 'weight-norm'], expensiveEvery: 20 },
  });
  await trainBatch([{ id: 'r', dir, config }], { backend: 'cpu' });

  it('re-measures every checkpoint; K and the AGOP reference come from the final one', async () => {
    const res = await remeasureRun(dir, { names: ['loss', 'weight-norm', 'fourier-loss', 'agop'] });
    expect(res.records.map((r) => r.step)).toEqual([0, 20, 40]);
    const summary = await readJson<RunSummary>(join(dir, 'summary.json'));
    const last = res.records[2]!.values;
    // float64 forward of the saved float32 weights vs the trainer's own evaluation
    expect((last.loss as { trainLoss: number }).trainLoss).toBeCloseTo(summary.finalTrainLoss, 4);
    expect((last.loss as { testAcc: number }).testAcc).toBeCloseTo(summary.finalTestAcc, 6);
    expect((last.agop as { alignment: number }).alignment).toBeCloseTo(1, 12);
    expect((res.records[0]!.values.agop as { alignment: number }).alignment).toBeLessThan(1);
    expect((last['fourier-loss'] as { keyFrequenciesFixed: boolean }).keyFrequenciesFixed).toBe(true);
    // the training-time weight norm at the same steps equals the checkpoint's
    const during = readJsonl<MeasuresRecord>(join(dir, 'measures.jsonl'));
    for (const r of res.records) {
      const d = during.find((x) => x.step === r.step)!;
      expect((r.values['weight-norm'] as { total: number }).total).toBeCloseTo((d.values['weight-norm'] as { total: number }).total, 10);
    }
    expect(readJsonl<MeasuresRecord>(res.out).length).toBe(3);
  }, 60_000);

  it('CLI: writes the file, and refuses a directory that is not a run', async () => {
    const out = join(tmp(), 'm.jsonl');
    const ok = await runCommand(registerMeasure, ['measure', dir, '--measure', 'weight-entropy', '--out', out, '--quiet']);
    expect(ok.error).toBeUndefined();
    expect(ok.stdout).toContain('3 checkpoints x 1 measures');
    const bad = await runCommand(registerMeasure, ['measure', tmp(), '--quiet']);
    expect(bad.error?.code).toBe('INVALID_ARGUMENT');
    expect(bad.error?.message).toMatch(/config\.json/);
    const unknown = await runCommand(registerMeasure, ['measure', dir, '--measure', 'nope', '--quiet']);
    expect(unknown.error?.code).toBe('INVALID_ARGUMENT');
  }, 60_000);

  it('the report draws the lead-time figure and one timeline per measure from the records', async () => {
    const rep = await loadReportDir(dir);
    const set = buildFigures(rep);
    const ids = set.figures.map((f) => f.id);
    expect(ids).toContain('fig7-lead-time');
    expect(ids).toContain('fig8-measure-weight-norm');
    const wn = set.figures.find((f) => f.id === 'fig8-measure-weight-norm')!;
    const recs = readJsonl<MeasuresRecord>(join(dir, 'measures.jsonl')).filter((r) => r.step > 0);
    expect(wn.data.series!.map((r) => [r.step, r.value])).toEqual(recs.map((r) => [r.step, (r.values['weight-norm'] as { total: number }).total]));
  }, 60_000);
});

describe('docs', () => {
  it('docs/measures.md defines every registered measure', () => {
    const md = readFileSync(join(import.meta.dirname, '..', 'docs', 'measures.md'), 'utf8');
    for (const m of MEASURES) expect(md).toContain(`\n### ${m.name}\n`);
  });
});

describe('weight measures on ONNX models', () => {
  it('measure-model --weight-measures equals the measures on the same parameters', async () => {
    const { exportMlp } = await import('../src/onnx/export.js');
    const { register: registerMM } = await import('../src/commands/measure-model.js');
    const { writeFileSync } = await import('node:fs');
    const { modelFromParams } = await import('../src/measures/model.js');
    const { weightNorms, absWeightEntropy, htsrLayer } = await import('../src/measures/functions.js');
    const { paramLayout } = await import('../src/training/trainer.js');
    const arch = { vocab: 11, hidden: [40], out: 11, biasFirst: true, biasHidden: true, biasOut: false };
    const layout = paramLayout(arch);
    const params = Float32Array.from({ length: layout.reduce((a, t) => a + t.size, 0) }, (_, i) => Math.sin(i * 0.37) * 0.5);
    const file = join(tmp(), 'm.onnx');
    writeFileSync(file, exportMlp(arch, params));
    const r = await runCommand(registerMM, ['measure-model', file, '--weight-measures']);
    expect(r.error).toBeUndefined();
    const got = JSON.parse(r.stdout);
    const m = modelFromParams(arch, layout, params);
    expect(got.weightNorm).toBeCloseTo(weightNorms(m).total, 9);
    expect(got.weightEntropy).toBeCloseTo(m.layers.reduce((a, l) => a + absWeightEntropy(l.weight), 0), 8);
    expect(got.matrices[0].alpha).toBeCloseTo(htsrLayer(m.layers[0]!.weight, 40, 22).fit!.alpha, 9);
  }, 60_000);
});
