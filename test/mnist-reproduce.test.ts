/**
 * MNIST's analysis and `reproduce --task mnist`: the memorisation and anti-grokking detectors on synthetic
 * curves (each case's answer worked out by hand), the task-level grok threshold, the progress measures
 * during a dense training run, and a tiny reproduction end to end whose analysis is recomputed here from
 * the curves on disk.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { OInfoRecord } from '../src/config/types.js';
import { detectAntiGrokking, memorisationStep, mnistClaims, type MnistRun } from '../src/analysis/mnist.js';
import { resolveRunConfig } from '../src/config/config.js';
import { ANTI_GROK_MARGIN, MNIST_GROK_THRESHOLD } from '../src/tasks/mnist.js';
import type { MetricsRecord } from '../src/config/types.js';

const curve = (rows: [number, number, number][]): MetricsRecord[] =>
  rows.map(([step, trainAcc, testAcc]) => ({ step, trainAcc, testAcc, trainLoss: 1 - trainAcc, testLoss: 1 - testAcc }) as MetricsRecord);

describe('memorisation and anti-grokking on synthetic curves', () => {
  it('memorisation is the first evaluation with training accuracy 1.0', () => {
    expect(memorisationStep(curve([[0, 0.1, 0.1], [10, 0.999, 0.5], [20, 1, 0.6], [30, 1, 0.7]]))).toBe(20);
    expect(memorisationStep(curve([[0, 0.1, 0.1], [10, 0.99, 0.5]]))).toBeNull();
  });

  it('detects a collapse of test accuracy by the margin while training accuracy stays 1.0, and nothing else', () => {
    const m = ANTI_GROK_MARGIN;
    // rises to 0.9 at step 30 (train 1.0), then falls: first at or below 0.9 - margin at step 60
    const collapse = curve([[0, 0.1, 0.1], [10, 1, 0.5], [20, 1, 0.8], [30, 1, 0.9], [40, 1, 0.9 - m / 2], [50, 1, 0.9 - m + 0.001], [60, 1, 0.9 - m], [70, 1, 0.3]]);
    expect(detectAntiGrokking(collapse)).toEqual({ step: 60, testAcc: 0.9 - m, bestTestAcc: 0.9, bestStep: 30, margin: m });
    // the same fall while the training set is no longer memorised is not anti-grokking
    const forgetting = curve([[0, 0.1, 0.1], [10, 1, 0.9], [20, 0.97, 0.5], [30, 0.95, 0.4]]);
    expect(detectAntiGrokking(forgetting)).toBeNull();
    // a high test accuracy before memorisation does not set the best
    const early = curve([[0, 0.9, 0.95], [10, 1, 0.9], [20, 1, 0.85]]);
    expect(detectAntiGrokking(early)).toBeNull();
    // slow drift below the margin (the standard-init runs: 0.92 -> 0.89) is not a collapse
    const drift = curve(Array.from({ length: 30 }, (_, i) => [i * 1000, 1, 0.92 - i * 0.001] as [number, number, number]));
    expect(detectAntiGrokking(drift)).toBeNull();
    // a larger margin, stated: 0.5 is first reached at step 70 (0.3 <= 0.9 - 0.5)
    expect(detectAntiGrokking(collapse, 0.5)?.step).toBe(70);
    expect(() => detectAntiGrokking(collapse, 0)).toThrow(/margin/);
  });
});

describe('the MNIST papers\' claims on synthetic runs', () => {
  const run = (name: string, alpha: number, wd: number, grokStep: number | null, metrics: MetricsRecord[] = curve([[0, 0.1, 0.1], [10, 1, 0.5]]), htsr?: MnistRun['htsr']): MnistRun => ({
    id: name,
    config: resolveRunConfig({ name, task: { kind: 'mnist' }, init: { alpha }, optim: { weightDecay: wd }, steps: 100 }),
    summary: { grokStep, failed: null } as MnistRun['summary'],
    metrics,
    oinfoByLayer: new Map(),
    ...(htsr ? { htsr } : {}),
  });
  const verdict = (runs: MnistRun[], id: string) => mnistClaims(runs).find((c) => c.id === id)!.verdict;

  it('o1: holds when alpha 8 reaches the threshold after alpha 1; pending alpha 8 is not measured; earlier or alpha 1 never is a failure', () => {
    expect(verdict([run('mnist-a1-wd0', 1, 0, 100), run('mnist-a8-wd0', 8, 0, 5000)], 'o1')).toBe('holds');
    expect(verdict([run('mnist-a1-wd0', 1, 0, 100), run('mnist-a8-wd0', 8, 0, null)], 'o1')).toBe('not measured');
    expect(verdict([run('mnist-a1-wd0', 1, 0, 100), run('mnist-a8-wd0', 8, 0, 100)], 'o1')).toBe('does not hold');
    expect(verdict([run('mnist-a1-wd0', 1, 0, null), run('mnist-a8-wd0', 8, 0, 5000)], 'o1')).toBe('does not hold');
    // a pending run beside a contradicting one: the contradiction decides
    expect(verdict([run('mnist-a1-wd0', 1, 0, 100), run('mnist-a8-wd0', 8, 0, null), run('mnist-a1-wd0.01', 1, 0.01, 100), run('mnist-a8-wd0.01', 8, 0.01, 50)], 'o1')).toBe('does not hold');
  });

  it('c3/c6 leave out runs that reach the threshold at the step they memorise (no delay), and keep delayed ones', () => {
    const rec = (step: number, synergy: number, redundancy: number) => ({ step, synergy, redundancy, synergySize: 4, redundancySize: 4, units: 'bits' }) as unknown as OInfoRecord;
    const oi = new Map([[0, [rec(0, -0.1, 1), rec(5, -0.5, 1), rec(10, -0.2, 1), rec(20, -0.1, 2)]]]);
    const immediate = { ...run('mnist-a1-wd0', 1, 0, 10), oinfoByLayer: oi }; // memorises at 10, threshold at 10
    const c3 = mnistClaims([immediate]).find((c) => c.id === 'c3 layer 0')!;
    expect(c3.verdict).toBe('not measured');
    expect(c3.measured).toMatch(/1 run\(s\) reaching the threshold at the step they memorise left out/);
    const late = { ...run('mnist-a8-wd0', 8, 0, 20), oinfoByLayer: oi }; // memorises at 10, threshold at 20
    const c3b = mnistClaims([late]).find((c) => c.id === 'c3 layer 0')!;
    expect(c3b.measured).not.toMatch(/left out/);
    expect(c3b.measured).not.toMatch(/no grokking run/);
  });

  it('a1: a collapse with mean HTSR alpha < 2 at the last measurement before it holds; alpha >= 2 does not; no collapse is not measured', () => {
    const collapse = curve([[0, 0.1, 0.1], [100, 1, 0.8], [200, 1, 0.85], [300, 1, 0.7]]);
    const long = (h: MnistRun['htsr']) => run('mnist-long-wd0', 8, 0, null, collapse, h);
    expect(verdict([long([{ step: 100, alphaMean: 3 }, { step: 300, alphaMean: 1.8 }, { step: 400, alphaMean: 5 }])], 'a1')).toBe('holds');
    expect(verdict([long([{ step: 100, alphaMean: 1.5 }, { step: 300, alphaMean: 2.4 }])], 'a1')).toBe('does not hold');
    expect(verdict([run('mnist-long-wd0', 8, 0, null, curve([[0, 0.1, 0.1], [100, 1, 0.8], [200, 1, 0.78]]), [{ step: 200, alphaMean: 1.5 }])], 'a1')).toBe('not measured');
    expect(verdict([run('mnist-a1-wd0', 1, 0, 100)], 'a1')).toBe('not measured');
  });
});

describe("MNIST's grok threshold: one task-level default", () => {
  it('mnist runs default to MNIST_GROK_THRESHOLD, modular runs keep 0.98, an explicit value wins', () => {
    expect(resolveRunConfig({ task: { kind: 'mnist' } }).grokThreshold).toBe(MNIST_GROK_THRESHOLD);
    expect(resolveRunConfig({}).grokThreshold).toBe(0.98);
    expect(resolveRunConfig({ task: { kind: 'mnist' }, grokThreshold: 0.9 }).grokThreshold).toBe(0.9);
    expect(MNIST_GROK_THRESHOLD).toBeLessThan(0.92); // below the plateau of 1,000-digit training (README)
  });
});

describe('progress measures during a dense (MNIST) training run', () => {
  it("--measure all records every measure that applies to mnist, and the loss record is the trainer's evaluation", async () => {
    const { runId } = await import('../src/config/config.js');
    const { trainBatch } = await import('../src/training/run.js');
    const { readJsonl } = await import('../src/core/fsutil.js');
    const { measuresFor } = await import('../src/measures/registry.js');
    const config = resolveRunConfig({
      task: { kind: 'mnist', trainSize: 60, splitSeed: 3 },
      model: { hidden: [14, 12], loss: 'mse' },
      train: { batchSize: 30 },
      optim: { lr: 1e-3 },
      steps: 20,
      evalEvery: 10,
      measure: { every: 10, bins: 3, layer: 'all' },
      measures: { names: ['all'], expensiveEvery: 10 },
    });
    const dir = mkdtempSync(join(tmpdir(), 'grokinfo-mnist-measures-'));
    const job = { id: runId(config), dir: join(dir, runId(config)), config };
    await trainBatch([job], { backend: 'cpu' });
    const metrics = readJsonl<MetricsRecord>(join(job.dir, 'metrics.jsonl'));
    const recs = readJsonl<{ step: number; values: Record<string, Record<string, unknown>> }>(join(job.dir, 'measures.jsonl'));
    expect(recs.map((r) => r.step)).toEqual([0, 10, 20]);
    const expected = measuresFor('mnist').filter((n) => n !== 'oinfo');
    for (const r of recs) {
      expect(Object.keys(r.values).sort()).toEqual([...expected].sort());
      for (const [n, v] of Object.entries(r.values)) expect(v.error, `${n} at step ${r.step}`).toBeUndefined();
      const m = metrics.find((x) => x.step === r.step)!;
      expect(r.values.loss).toEqual({ trainLoss: m.trainLoss, trainAcc: m.trainAcc, testLoss: m.testLoss, testAcc: m.testAcc });
      expect((r.values.sparsity!.perLayer as number[]).length).toBe(2);
      expect((r.values.mi!.layers as unknown[]).length).toBe(2);
    }
  });
});

describe('grokinfo measure on an MNIST run (checkpoints)', () => {
  it("re-measures every checkpoint with the measures that apply; the loss (MSE, float64) matches the trainer's evaluation", async () => {
    const { runId } = await import('../src/config/config.js');
    const { trainBatch } = await import('../src/training/run.js');
    const { readJsonl } = await import('../src/core/fsutil.js');
    const { remeasureRun } = await import('../src/measures/remeasure.js');
    const { measuresFor } = await import('../src/measures/registry.js');
    const config = resolveRunConfig({ task: { kind: 'mnist', trainSize: 30, splitSeed: 2 }, model: { hidden: [10, 8], loss: 'mse' }, train: { batchSize: 15 }, optim: { lr: 1e-3 }, steps: 10, evalEvery: 10, checkpoints: [0, 10] });
    const dir = join(mkdtempSync(join(tmpdir(), 'grokinfo-mnist-remeasure-')), runId(config));
    await trainBatch([{ id: runId(config), dir, config }], { backend: 'cpu' });
    const res = await remeasureRun(dir);
    expect(res.names).toEqual(measuresFor('mnist').filter((n) => n !== 'oinfo'));
    const metrics = readJsonl<MetricsRecord>(join(dir, 'metrics.jsonl'));
    expect(res.records.map((r) => r.step)).toEqual([0, 10]);
    for (const r of res.records) {
      for (const [n, v] of Object.entries(r.values)) expect((v as { error?: string }).error, n).toBeUndefined();
      const m = metrics.find((x) => x.step === r.step)!;
      const loss = r.values.loss as { trainLoss: number; testLoss: number; trainAcc: number; testAcc: number };
      expect(Math.abs(loss.trainLoss - m.trainLoss)).toBeLessThan(1e-5 * Math.max(1, m.trainLoss));
      expect(Math.abs(loss.testLoss - m.testLoss)).toBeLessThan(1e-5 * Math.max(1, m.testLoss));
      expect(Math.abs(loss.testAcc - m.testAcc)).toBeLessThanOrEqual(2 / 9970);
    }
  });
});

describe('reproduce --task mnist, tiny, end to end', () => {
  it('a measure that does not apply to mnist, named explicitly, is refused before any training', async () => {
    const { reproduceMnist } = await import('../src/experiments/reproduce-mnist.js');
    const out = join(mkdtempSync(join(tmpdir(), 'grokinfo-repro-mnist-bad-')), 'out');
    await expect(reproduceMnist({ quick: true, out, backend: 'cpu', overrides: { task: { kind: 'mnist' }, measures: { names: ['fourier'] } } })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(/--measure fourier/),
    });
    expect(existsSync(out)).toBe(false);
  });


  it('trains the grid and the long run, writes analysis, claims, leaderboard and report, consistent with the curves', async () => {
    const { reproduceMnist, MNIST_ANALYSIS_FILE } = await import('../src/experiments/reproduce-mnist.js');
    const { readJsonl } = await import('../src/core/fsutil.js');
    const out = mkdtempSync(join(tmpdir(), 'grokinfo-repro-mnist-'));
    const res = await reproduceMnist({
      quick: true,
      out,
      backend: 'cpu',
      seeds: [0],
      overrides: { task: { kind: 'mnist', trainSize: 40 }, model: { hidden: [12, 10] }, train: { batchSize: 20 } },
      steps: 60,
      longSteps: 120,
      evalEvery: 10,
      every: 20,
      expensiveEvery: 30,
    });
    expect(res.settings.note).toMatch(/too short to show late grokking or anti-grokking/);
    for (const f of ['reproduce.json', MNIST_ANALYSIS_FILE, 'claims.md', 'sweep/leaderboard.json', 'sweep/leaderboard.md', 'report/report.html']) expect(existsSync(join(out, f)), f).toBe(true);
    expect(res.runs).toHaveLength(5);
    const onDisk = JSON.parse(readFileSync(join(out, MNIST_ANALYSIS_FILE), 'utf8')) as { runs: typeof res.runs };
    expect(onDisk.runs.map((r) => r.id)).toEqual(res.runs.map((r) => r.id));
    for (const r of res.runs) {
      const runDir = join(out, 'sweep', 'runs', r.id);
      const config = JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8'));
      expect(config.grokThreshold).toBe(MNIST_GROK_THRESHOLD);
      expect(r.steps).toBe(r.name === 'mnist-long-wd0' ? 120 : 60);
      // the analysis recomputed from the curves on disk
      const m = readJsonl<MetricsRecord>(join(runDir, 'metrics.jsonl'));
      expect(r.memorisationStep).toBe(m.find((x) => x.trainAcc === 1)?.step ?? null);
      expect(r.grokStep).toBe(m.find((x) => x.testAcc > MNIST_GROK_THRESHOLD)?.step ?? null);
      const best = Math.max(...m.map((x) => x.testAcc));
      expect(r.bestTestAcc).toBe(best);
      expect(r.bestTestStep).toBe(m.find((x) => x.testAcc === best)!.step);
      expect(r.finalTestAcc).toBe(m[m.length - 1]!.testAcc);
      let ag: number | null = null,
        top = -1;
      for (const x of m.filter((x) => x.trainAcc === 1)) {
        if (top >= 0 && x.testAcc <= top - ANTI_GROK_MARGIN) {
          ag = x.step;
          break;
        }
        top = Math.max(top, x.testAcc);
      }
      expect(r.antiGrokking?.step ?? null).toBe(ag);
      // O-information on both hidden layers, phases attempted on each
      const oi = readJsonl<{ layer: number }>(join(runDir, 'oinfo.jsonl'));
      expect(new Set(oi.map((o) => o.layer))).toEqual(new Set([0, 1]));
      expect(r.phasesByLayer.map((p) => p.layer)).toEqual([0, 1]);
      expect(existsSync(join(runDir, 'measures.jsonl'))).toBe(true);
    }
    const ids = res.claims.map((c) => c.id);
    for (const id of ['c1', 'c2', 'c3 layer 0', 'c3 layer 1', 'c4 layer 0', 'c6 layer 1', 'c5', 'c7', 'o1', 'a1']) expect(ids).toContain(id);
    for (const id of ['c1', 'c2', 'c5']) expect(res.claims.find((c) => c.id === id)!.verdict).toBe('not applicable');
    expect(readFileSync(join(out, 'claims.md'), 'utf8')).toContain('not applicable');
    expect(res.leaderboard.rows.length).toBeGreaterThan(5);
    const html = readFileSync(join(out, 'report', 'report.html'), 'utf8');
    expect(html).toContain('too short to show late grokking');
    expect(html).toContain('fig9-oinfo-layers');
  }, 600_000);
});
