/**
 * Runs and sweeps end to end on the CPU at a tiny scale: records, schedule, failures, measurement
 * hook, resume after cancellation, shards + merge, ablation.
 */
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { ablateRun, ablateRuns } from '../src/experiments/ablate.js';
import { resolveRunConfig, runId } from '../src/config/config.js';
import { GrokinfoError } from '../src/core/errors.js';
import { readJsonl } from '../src/core/fsutil.js';
import { oinfo } from '../src/measures/oinfo.js';
import { trainBatch, archOf, modelOf } from '../src/training/run.js';
import { mergeSweeps, planSweep, runSweep } from '../src/experiments/sweep.js';
import { makeTask } from '../src/tasks/modular.js';
import { Trainer, paramLayout } from '../src/training/trainer.js';
import { saveCheckpoint } from '../src/training/safetensors.js';
import { loadRun } from '../src/experiments/runs.js';
import type { MetricsRecord, OInfoRecord, RunSummary } from '../src/config/types.js';

const tiny = {
  task: { p: 11, trainFraction: 0.5, splitSeed: 3 },
  model: { hidden: [24] },
  optim: { lr: 0.01, weightDecay: 1 },
  steps: 40,
  evalEvery: 10,
};

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'grokinfo-run-'));
}

describe('trainBatch', () => {
  it('writes config, metrics at every evaluation, oinfo at every measurement, summary last', async () => {
    const dir = tmp();
    const cfgs = [0, 1].map((seed) => resolveRunConfig({ ...tiny, init: { seed }, measure: { every: 20, bins: 4 }, checkpoints: [20] }));
    const jobs = cfgs.map((config) => ({ id: runId(config), dir: join(dir, runId(config)), config }));
    const sums = await trainBatch(jobs, { backend: 'cpu' });
    for (const [i, j] of jobs.entries()) {
      const metrics = readJsonl<MetricsRecord>(join(j.dir, 'metrics.jsonl'));
      expect(metrics.map((m) => m.step)).toEqual([0, 10, 20, 30, 40]);
      const oi = readJsonl<OInfoRecord>(join(j.dir, 'oinfo.jsonl'));
      expect(oi.map((r) => r.step)).toEqual([0, 20, 40]);
      for (const r of oi) {
        expect(r.synergy).toBeLessThanOrEqual(r.redundancy);
        expect(r.binSizes.reduce((a, b) => a + b, 0) + r.dead).toBe(24);
        expect(r.synergyNeurons.length).toBe(r.synergySize);
      }
      const summary = JSON.parse(readFileSync(join(j.dir, 'summary.json'), 'utf8')) as RunSummary;
      expect(summary).toEqual(sums[i]);
      const firstGrok = metrics.find((m) => m.testAcc > 0.98)?.step ?? null;
      expect(summary.grokStep).toBe(firstGrok);
      expect(summary.finalTestAcc).toBe(metrics[metrics.length - 1].testAcc);
      expect(existsSync(join(j.dir, 'checkpoints', 'step-20.safetensors'))).toBe(true);
      expect(existsSync(join(j.dir, 'metrics.jsonl.partial'))).toBe(false);
      expect(statSync(join(j.dir, 'summary.json')).mtimeMs).toBeGreaterThanOrEqual(statSync(join(j.dir, 'metrics.jsonl')).mtimeMs);
    }
  });

  it('a diverging model is recorded as failed and the others are unaffected', async () => {
    const dir = tmp();
    const good = resolveRunConfig({ ...tiny, init: { seed: 5 } });
    const bad = resolveRunConfig({ ...tiny, init: { seed: 5 }, optim: { lr: 1e30, weightDecay: 0, optimizer: 'adamw' } });
    const alone = await trainBatch([{ id: 'alone', dir: join(dir, 'alone'), config: good }], { backend: 'cpu' });
    const both = await trainBatch(
      [
        { id: 'good', dir: join(dir, 'good'), config: good },
        { id: 'bad', dir: join(dir, 'bad'), config: bad },
      ],
      { backend: 'cpu' },
    );
    expect(both[1].failed).toMatch(/non-finite|diverg/i);
    expect(both[0].failed).toBeNull();
    expect(readFileSync(join(dir, 'good', 'metrics.jsonl'), 'utf8')).toBe(readFileSync(join(dir, 'alone', 'metrics.jsonl'), 'utf8'));
    expect(both[0].finalTestAcc).toBe(alone[0].finalTestAcc);
  });
});

describe('measurement backpressure', () => {
  it('holds at most maxPendingMeasures snapshots while measuring lags training, and records every step', async () => {
    const orig = Trainer.prototype.measure;
    for (const limit of [1, 2]) {
      let pending = 0;
      let maxPending = 0;
      const spy = vi.spyOn(Trainer.prototype, 'measure').mockImplementation(function (this: Trainer, ...args) {
        pending++; // the snapshot is taken here, synchronously
        maxPending = Math.max(maxPending, pending);
        const p = orig.apply(this, args);
        // A measurement much slower than the 1-step training intervals.
        return p.then((r) => new Promise((res) => setTimeout(() => { pending--; res(r); }, 25)));
      });
      try {
        const dir = tmp();
        const config = resolveRunConfig({ ...tiny, steps: 12, init: { seed: 9 }, measure: { every: 1, bins: 3 } });
        await trainBatch([{ id: 'bp', dir: join(dir, 'bp'), config }], { backend: 'cpu', maxPendingMeasures: limit });
        const oi = readJsonl<OInfoRecord>(join(dir, 'bp', 'oinfo.jsonl'));
        expect(oi.map((r) => r.step)).toEqual(Array.from({ length: 13 }, (_, i) => i));
        expect(spy).toHaveBeenCalledTimes(13);
        expect(maxPending).toBe(limit);
      } finally {
        spy.mockRestore();
      }
    }
  });

  it('rejects a bad maxPendingMeasures', async () => {
    const config = resolveRunConfig({ ...tiny, init: { seed: 9 } });
    await expect(trainBatch([{ id: 'x', dir: join(tmp(), 'x'), config }], { maxPendingMeasures: 0 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

describe('measurement hook', () => {
  it('equals the O-information engine run separately on the same activations', async () => {
    const config = resolveRunConfig({ ...tiny, init: { seed: 7 } });
    const task = makeTask(config.task);
    const trainer = await Trainer.create({ backend: 'cpu', arch: archOf(config), task, models: [modelOf(config)] });
    await trainer.step(30);
    const hidden = trainer.hidden(0, 0);
    const [hooked] = await trainer.measure([0], 0, { bins: 5, ties: 'average', units: 'bits' });
    const rows = task.trainA.length;
    const alive: number[] = [];
    for (let j = 0; j < 24; j++) {
      let constant = true;
      for (let i = 1; i < rows && constant; i++) if (hidden[i * 24 + j] !== hidden[j]) constant = false;
      if (!constant) alive.push(j);
    }
    expect(hooked.dead).toBe(24 - alive.length);
    const sub = new Float64Array(rows * alive.length);
    for (let i = 0; i < rows; i++) for (const [k, j] of alive.entries()) sub[i * alive.length + k] = hidden[i * 24 + j];
    const bins: number[][] = [];
    for (let b = 0; b < hooked.binSizes.length; b++) bins.push(alive.map((j, k) => (hooked.labels[j] === b ? k : -1)).filter((k) => k >= 0));
    const separate = (await oinfo({ data: sub, rows, cols: alive.length }, { bins, units: 'bits', minSize: 2, maxSize: bins.length })) as Awaited<ReturnType<typeof oinfo>> & { synergy: { value: number; variables: number[] }; redundancy: { value: number } };
    expect(hooked.synergy).toBeCloseTo(separate.synergy.value, 9);
    expect(hooked.redundancy).toBeCloseTo(separate.redundancy.value, 9);
    expect([...hooked.synergyNeurons].sort((a, b) => a - b)).toEqual(separate.synergy.variables.map((k: number) => alive[k]).sort((a: number, b: number) => a - b));
    trainer.dispose?.();
  });
});

describe('sweeps', () => {
  it('resume after cancellation keeps finished runs and trains only the rest', async () => {
    const dir = tmp();
    const plan = planSweep({ base: { ...tiny, measure: { kind: 'oinfo', every: 20, bins: 4 } }, grid: { 'optim.weightDecay': [0.5, 1] }, seeds: [0, 1] });
    const ac = new AbortController();
    let finished = 0;
    const progress = {
      status() {},
      line(t: string) {
        if (/test acc/.test(t) && ++finished === 2) ac.abort();
      },
      done() {},
    };
    await expect(runSweep(dir, plan, { backend: 'cpu', maxBatch: 2, signal: ac.signal, progress })).rejects.toSatisfy(
      (e: unknown) => e instanceof GrokinfoError && e.code === 'CANCELLED',
    );
    const done = plan.runs.filter((r) => existsSync(join(dir, 'runs', r.id, 'summary.json'))).map((r) => r.id);
    expect(done.length).toBe(2);
    const files = (id: string) => ['metrics.jsonl', 'oinfo.jsonl', 'summary.json'].map((f) => readFileSync(join(dir, 'runs', id, f), 'utf8'));
    const before = done.map(files);
    const res = await runSweep(dir, plan, { backend: 'cpu', maxBatch: 2 });
    expect(res.skipped.sort()).toEqual(done.sort());
    expect(res.trained.length).toBe(2);
    expect(done.map(files)).toEqual(before);
    for (const r of plan.runs) {
      expect(existsSync(join(dir, 'runs', r.id, 'summary.json'))).toBe(true);
      expect(readJsonl<OInfoRecord>(join(dir, 'runs', r.id, 'oinfo.jsonl')).map((x) => x.step)).toEqual([0, 20, 40]);
    }
  });

  it('shards merge into the whole sweep', async () => {
    const root = tmp();
    const plan = planSweep({ base: { ...tiny, steps: 10 }, seeds: [0, 1, 2] });
    for (let i = 0; i < 2; i++) await runSweep(join(root, `s${i}`), plan, { backend: 'cpu', shard: { index: i, count: 2 } });
    const merged = await mergeSweeps(join(root, 'all'), [join(root, 's0'), join(root, 's1')]);
    expect(merged).toEqual({ runs: 3, missing: [] });
    const partial = await mergeSweeps(join(root, 'half'), [join(root, 's0')]);
    expect(partial.missing.length).toBe(1);
  });
});

describe('ablation', () => {
  it('trains the synergistic sub-network and its inverse from the same initialisation', async () => {
    const dir = tmp();
    const config = resolveRunConfig({ ...tiny, init: { seed: 2 }, measure: { every: 10, bins: 4 } });
    await trainBatch([{ id: 'r', dir, config }], { backend: 'cpu' });
    // Make the lowest-Omega record name a known partial sub-network, so the inverse is not empty.
    const recs = readJsonl<OInfoRecord>(join(dir, 'oinfo.jsonl'));
    const odd = Array.from({ length: 12 }, (_, i) => 2 * i + 1);
    const edited = recs.map((r) => (r.step === 20 ? { ...r, synergy: -1e9, synergyNeurons: odd, synergySize: 12 } : r));
    writeFileSync(join(dir, 'oinfo.jsonl'), edited.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const res = await ablateRun(dir, { subnets: ['synergy', 'inverse', 'random:5', 'random:synergy', 'random:inverse'], backend: 'cpu' });
    expect(res.curves.map((c) => c.subnet)).toEqual(['original', 'synergy', 'inverse', 'random:5', 'random:synergy', 'random:inverse']);
    const [, syn, inv, rnd, rsyn, rinv] = res.curves;
    // size-matched controls: random neurons, as many as the sub-network and as its inverse
    expect(rsyn.neurons.length).toBe(12);
    expect(rinv.neurons.length).toBe(12);
    expect(new Set(rsyn.neurons).size).toBe(12);
    expect(rsyn.neurons.every((i) => i >= 0 && i < 24)).toBe(true);
    expect(rsyn.neurons).not.toEqual(odd);
    expect([...syn.neurons, ...inv.neurons].sort((a, b) => a - b)).toEqual(Array.from({ length: 24 }, (_, i) => i));
    expect(rnd.neurons.length).toBe(5);
    const oi = readJsonl<OInfoRecord>(join(dir, 'oinfo.jsonl')).filter((r) => r.step > 0);
    const min = oi.reduce((a, b) => (b.synergy < a.synergy ? b : a));
    expect(syn.neurons).toEqual([...min.synergyNeurons].sort((a, b) => a - b));
    expect(syn.neurons).toEqual(odd);
    expect(res.source.step).toBe(20);
    expect(existsSync(join(dir, 'ablation.json'))).toBe(true);
  });

  it('does not train an empty sub-network (the inverse of a whole-layer argmin) and says why', async () => {
    const dir = tmp();
    const config = resolveRunConfig({ ...tiny, init: { seed: 4 }, measure: { every: 20, bins: 3 } });
    await trainBatch([{ id: 'r', dir, config }], { backend: 'cpu' });
    const recs = readJsonl<OInfoRecord>(join(dir, 'oinfo.jsonl'));
    const all = Array.from({ length: 24 }, (_, i) => i);
    const edited = recs.map((r) => (r.step === 20 ? { ...r, synergy: -1e9, synergyNeurons: all, synergySize: 24 } : r));
    writeFileSync(join(dir, 'oinfo.jsonl'), edited.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const res = await ablateRun(dir, { subnets: ['synergy', 'inverse'], backend: 'cpu' });
    expect(res.curves.map((c) => c.subnet)).toEqual(['original', 'synergy']);
    expect(res.skipped).toEqual([{ subnet: 'inverse', reason: expect.stringMatching(/empty/) }]);
  });

  it('a run measured on hidden layer >= 1 is refused with a coded error (the mask covers hidden layer 0), before any training', async () => {
    const dir = tmp();
    const config = resolveRunConfig({ ...tiny, model: { hidden: [24, 16] }, measure: { every: 20, bins: 3, layer: 1 } });
    await trainBatch([{ id: 'r', dir, config }], { backend: 'cpu' });
    const e = await ablateRun(dir, { backend: 'cpu' }).then(
      () => null,
      (x: unknown) => x as GrokinfoError,
    );
    expect(e).toBeInstanceOf(GrokinfoError);
    expect(e!.code).toBe('INVALID_ARGUMENT');
    expect(e!.message).toMatch(/hidden layer 1.*hidden layer 0 only/);
    expect(existsSync(join(dir, 'ablation'))).toBe(false);
  });

  it('several runs ablated in one batch give exactly what each gives alone', async () => {
    const root = tmp();
    const dirs = [11, 12].map((seed) => join(root, `r${seed}`));
    for (const [i, d] of dirs.entries()) {
      const config = resolveRunConfig({ ...tiny, init: { seed: 11 + i }, optim: { lr: 0.01, weightDecay: 1 + i }, measure: { every: 10, bins: 4 } });
      await trainBatch([{ id: 'r', dir: d, config }], { backend: 'cpu' });
      const recs = readJsonl<OInfoRecord>(join(d, 'oinfo.jsonl'));
      const part = Array.from({ length: 10 }, (_, k) => 2 * k + i);
      writeFileSync(join(d, 'oinfo.jsonl'), recs.map((r) => JSON.stringify(r.step === 20 ? { ...r, synergy: -1e9, synergyNeurons: part, synergySize: 10 } : r)).join('\n') + '\n');
    }
    const together = await ablateRuns(dirs, { backend: 'cpu' });
    const batched = dirs.map((d) => ['synergy', 'inverse'].map((s) => readFileSync(join(d, 'ablation', s, 'metrics.jsonl'), 'utf8')));
    const alone = [];
    for (const d of dirs) alone.push(await ablateRun(d, { backend: 'cpu' }));
    dirs.forEach((d, i) => {
      expect(together[i].run).toBe(d);
      expect(together[i].curves.map((c) => c.neurons)).toEqual(alone[i].curves.map((c) => c.neurons));
      expect(together[i].curves.map((c) => c.testAcc)).toEqual(alone[i].curves.map((c) => c.testAcc));
      ['synergy', 'inverse'].forEach((s, k) => expect(readFileSync(join(d, 'ablation', s, 'metrics.jsonl'), 'utf8')).toBe(batched[i][k]));
    });
    // The two runs' sub-networks differ, so a mix-up between runs would show.
    expect(together[0].curves[1].neurons).not.toEqual(together[1].curves[1].neurons);
  });
});

describe('a measured step the estimator does not admit', () => {
  it('is recorded as an error line and training goes on (two identical neurons: a singular bin covariance)', async () => {
    const dir = tmp();
    // Neuron 5 a copy of neuron 4 (its layer-0 row, bias and output column): the two get identical gradients,
    // so they stay identical, and every measurement's bin holding both has a singular covariance.
    const arch = archOf(resolveRunConfig({ ...tiny }));
    const t = await Trainer.create({ backend: 'cpu', arch, task: makeTask({ op: 'add', p: 11, trainFraction: 0.5, splitSeed: 3 }), models: [{ seed: 2 }] });
    const params = t.getParams(0);
    const layout = paramLayout(arch);
    const w0 = layout.find((x) => x.name === 'layers.0.weight')!;
    const b0 = layout.find((x) => x.name === 'layers.0.bias')!;
    const w1 = layout.find((x) => x.name === 'layers.1.weight')!;
    const cols = w0.shape[1]!;
    params.copyWithin(w0.offset + 5 * cols, w0.offset + 4 * cols, w0.offset + 5 * cols);
    params[b0.offset + 5] = params[b0.offset + 4]!;
    const H = w1.shape[1]!;
    for (let r = 0; r < w1.shape[0]!; r++) params[w1.offset + r * H + 5] = params[w1.offset + r * H + 4]!;
    const from = join(dir, 'dup.safetensors');
    await saveCheckpoint(from, arch, params);
    const lines: string[] = [];
    const progress = { status: () => undefined, line: (s: string) => lines.push(s), done: () => undefined };
    const dupCfg = resolveRunConfig({ ...tiny, init: { from }, measure: { every: 20, bins: 4 } });
    const okCfg = resolveRunConfig({ ...tiny, init: { seed: 2 }, measure: { every: 20, bins: 4 } });
    const jobs = [dupCfg, okCfg].map((config) => ({ id: runId(config), dir: join(dir, runId(config)), config }));
    const sums = await trainBatch(jobs, { backend: 'cpu', progress });
    expect(sums.map((s) => s.failed)).toEqual([null, null]);
    expect(sums[0].stepsDone).toBe(40);
    // the duplicate pair is still a duplicate after training (so every step below had it)
    const rows = readJsonl<OInfoRecord & { error?: string }>(join(jobs[0].dir, 'oinfo.jsonl'));
    expect(rows.map((r) => r.step)).toEqual([0, 20, 40]);
    for (const r of rows) {
      expect(r.error).toMatch(/singular covariance.*duplicate, constant or collinear/);
      expect(r.synergy).toBeUndefined();
    }
    expect(lines.filter((l) => /step \d+ not measured: .*singular covariance/.test(l)).length).toBe(3);
    // The two models were measured in one native call: the healthy one's steps are all measured, and equal
    // to that model trained and measured alone.
    const other = readJsonl<OInfoRecord>(join(jobs[1].dir, 'oinfo.jsonl'));
    const alone = await trainBatch([{ ...jobs[1], dir: join(dir, 'alone') }], { backend: 'cpu' });
    expect(alone[0].failed).toBeNull();
    const aloneRows = readJsonl<OInfoRecord>(join(dir, 'alone', 'oinfo.jsonl'));
    expect(other.map((r) => r.step)).toEqual([0, 20, 40]);
    expect(other.map((r) => [r.synergy, r.redundancy, r.synergyNeurons])).toEqual(aloneRows.map((r) => [r.synergy, r.redundancy, r.synergyNeurons]));
    expect(other.every((r) => Number.isFinite(r.synergy) && r.synergy <= r.redundancy)).toBe(true);
    // readers leave the error lines out: the run loads, with no O-information and a note saying why
    const notes: string[] = [];
    const run = await loadRun(jobs[0].dir, notes);
    expect(run.oinfo).toBeNull();
    expect(notes.join('\n')).toMatch(/3 measured step\(s\) in oinfo\.jsonl could not be measured/);

    // A backend that fails the whole call (CUDA) instead: every model of the call gets the error line.
    const spy = vi.spyOn(Trainer.prototype, 'measure').mockRejectedValue(new GrokinfoError('INVALID_DATA', 'checkpoint batch: singular covariance (covariance #0)'));
    try {
      const d2 = join(dir, 'whole');
      const jobs2 = jobs.map((j) => ({ ...j, dir: join(d2, j.id) }));
      const sums2 = await trainBatch(jobs2, { backend: 'cpu' });
      expect(sums2.map((s) => s.failed)).toEqual([null, null]);
      for (const j of jobs2) {
        const r2 = readJsonl<{ step: number; error?: string }>(join(j.dir, 'oinfo.jsonl'));
        expect(r2.map((r) => [r.step, r.error])).toEqual([0, 20, 40].map((st) => [st, 'checkpoint batch: singular covariance (covariance #0)']));
      }
    } finally {
      spy.mockRestore();
    }
  });
});
