/**
 * Each figure's plotted rows against the records they came from. The fixture's records are closed-form
 * functions of (configuration, seed, step) (test/report-fixture.ts); the references below recompute the
 * expected numbers plainly in float64 from those functions, never from the report's own output.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { GrokinfoError } from '../src/core/errors.js';
import {
  ablationFigure,
  accuracyFigure,
  buildFigures,
  gridFigure,
  loadReportDir,
  mainFigure,
  paretoFigure,
  synergySweepFigure,
  type LoadedReport,
  type Row,
} from '../src/report/index.js';
import {
  ALPHA_SEEDS,
  EVAL_EVERY,
  MEASURE_EVERY,
  PHASES,
  STEPS,
  SWEEP_SEEDS,
  SWEEP_WDS,
  ablationAcc,
  metricAt,
  oinfoAt,
  tempRoot,
  writeRun,
  writeSweep,
} from './report-fixture.js';

const TOL = 1e-12;

function plainMean(xs: number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}
function plainStderr(xs: number[]): number {
  if (xs.length < 2) return 0;
  const m = plainMean(xs);
  let ss = 0;
  for (const x of xs) ss += (x - m) ** 2;
  return Math.sqrt(ss / (xs.length - 1)) / Math.sqrt(xs.length);
}
function minmax(xs: number[]): number[] {
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  return xs.map((x) => (hi > lo ? (x - lo) / (hi - lo) : 0));
}
// The paper's EMA (weight 0.1 per 5 steps) at the fixture's measurement interval: weight 1 - 0.9^(every/5).
function ema01(xs: number[]): number[] {
  const a = 1 - 0.9 ** (MEASURE_EVERY / 5);
  const out: number[] = [];
  for (let i = 0; i < xs.length; i++) out.push(i === 0 ? xs[0] : a * xs[i] + (1 - a) * out[i - 1]);
  return out;
}
function rowsWhere(rows: Row[], pred: Partial<Row>): Row[] {
  return rows.filter((r) => Object.entries(pred).every(([k, v]) => r[k] === v));
}
const evalSteps = () => Array.from({ length: STEPS / EVAL_EVERY }, (_, i) => (i + 1) * EVAL_EVERY); // step 0 dropped (log axis)
const measureSteps = () => Array.from({ length: STEPS / MEASURE_EVERY }, (_, i) => (i + 1) * MEASURE_EVERY);

let rep: LoadedReport;
let root: string;

beforeAll(async () => {
  root = tempRoot();
  rep = await loadReportDir(writeSweep(root));
});

describe('loading', () => {
  it('reads every run of a sweep and its ablations, grouped by configuration', () => {
    expect(rep.kind).toBe('sweep');
    expect(rep.runs.length).toBe(SWEEP_WDS.length * SWEEP_SEEDS.length + ALPHA_SEEDS.length + 2 * SWEEP_SEEDS.length);
    expect(rep.groups.map((g) => g.label)).toEqual(['wd=0.1', 'wd=2', 'wd=10', 'alpha=8', 'wd=2 sub-network', 'wd=2 inverse']);
    expect(rep.groups.map((g) => g.runs.length)).toEqual([3, 3, 3, 2, 3, 3]);
    const wd2 = rep.groups[1];
    expect(wd2.runs.map((r) => r.config.init.seed)).toEqual(SWEEP_SEEDS);
  });

  it('coded errors for a missing, wrong or malformed directory', async () => {
    const code = async (p: Promise<unknown>) => {
      try {
        await p;
      } catch (e) {
        expect(e).toBeInstanceOf(GrokinfoError);
        return (e as GrokinfoError).code;
      }
      return 'no error';
    };
    expect(await code(loadReportDir(join(root, 'does-not-exist')))).toBe('INVALID_ARGUMENT');
    const empty = join(root, 'empty');
    mkdirSync(empty);
    expect(await code(loadReportDir(empty))).toBe('INVALID_ARGUMENT');
    writeFileSync(join(root, 'a-file'), 'x');
    expect(await code(loadReportDir(join(root, 'a-file')))).toBe('INVALID_ARGUMENT');
    const bad = join(root, 'bad-config');
    mkdirSync(bad);
    writeFileSync(join(bad, 'config.json'), '{ not json');
    expect(await code(loadReportDir(bad))).toBe('INVALID_DATA');
    const badLine = join(root, 'bad-metrics');
    writeRun(badLine, { wd: 2, seed: 0 });
    writeFileSync(join(badLine, 'metrics.jsonl'), '{"step":0}\n{oops\n{"step":10}\n');
    expect(await code(loadReportDir(badLine))).toBe('INVALID_DATA');
  });
});

describe('figure 1: accuracy curves', () => {
  it('the mean and standard error over seeds at each step equal a plain computation from the records', () => {
    const f = accuracyFigure(rep)!;
    const rows = f.data.accuracy;
    expect((f.spec.datasets as Record<string, Row[]>).accuracy).toBe(rows);
    for (const [label, wd] of [
      ['wd=0.1', 0.1],
      ['wd=2', 2],
      ['wd=10', 10],
    ] as const) {
      for (const split of ['train', 'test'] as const) {
        const rs = rowsWhere(rows, { config: label, split });
        expect(rs.map((r) => r.step)).toEqual(evalSteps());
        for (const r of rs) {
          const xs = SWEEP_SEEDS.map((s) => metricAt(wd, s, r.step as number)[split === 'train' ? 'trainAcc' : 'testAcc']);
          expect(Math.abs((r.mean as number) - plainMean(xs))).toBeLessThan(TOL);
          expect(Math.abs((r.stderr as number) - plainStderr(xs))).toBeLessThan(TOL);
          expect(Math.abs((r.lo as number) - (plainMean(xs) - plainStderr(xs)))).toBeLessThan(TOL);
          expect(Math.abs((r.hi as number) - (plainMean(xs) + plainStderr(xs)))).toBeLessThan(TOL);
          expect(r.n).toBe(3);
        }
      }
    }
    // the alpha configuration has two seeds
    const a = rowsWhere(rows, { config: 'alpha=8', split: 'test', step: 100 })[0];
    expect(a.mean).toBeCloseTo(plainMean(ALPHA_SEEDS.map((s) => metricAt(0, s, 100).testAcc)), 12);
    expect(a.n).toBe(2);
  });

  it('a single run plots its own records exactly (band of zero width)', async () => {
    const dir = join(root, 'single');
    writeRun(dir, { wd: 0.1, seed: 300 });
    const one = await loadReportDir(dir);
    expect(one.kind).toBe('run');
    const rows = accuracyFigure(one)!.data.accuracy;
    for (const r of rowsWhere(rows, { split: 'test' })) {
      expect(r.mean).toBe(metricAt(0.1, 300, r.step as number).testAcc);
      expect(r.stderr).toBe(0);
    }
  });
});

describe('figure 2: normalised synergy, redundancy, size with losses and phases', () => {
  it('measures are min-max scaled and EMA-smoothed per seed (step 0 dropped), then averaged over seeds', () => {
    const g = rep.groups[1]; // wd=2, seeds 0, 100, 200
    const f = mainFigure(g, 1)!;
    const steps = measureSteps();
    const perSeed = (key: 'synergy' | 'redundancy' | 'size') =>
      SWEEP_SEEDS.map((s) => {
        const recs = steps.map((st) => oinfoAt(2, s, st));
        const raw = recs.map((o) => (key === 'synergy' ? -o.synergy : key === 'redundancy' ? o.redundancy : o.synergySize));
        return ema01(minmax(raw)); // the fixture's size is monotone, so the Hampel filter leaves it unchanged
      });
    for (const [key, name] of [
      ['synergy', 'synergy'],
      ['redundancy', 'redundancy'],
      ['size', 'sub-network size'],
    ] as const) {
      const rs = rowsWhere(f.data.measures, { measure: name });
      expect(rs.map((r) => r.step)).toEqual(steps);
      const ref = perSeed(key);
      rs.forEach((r, i) => {
        const xs = ref.map((v) => v[i]);
        expect(Math.abs((r.mean as number) - plainMean(xs))).toBeLessThan(1e-12);
        expect(Math.abs((r.stderr as number) - plainStderr(xs))).toBeLessThan(1e-12);
      });
    }
    // losses: mean over seeds of the metrics records
    for (const r of rowsWhere(f.data.losses, { loss: 'test loss' })) {
      expect(Math.abs((r.mean as number) - plainMean(SWEEP_SEEDS.map((s) => metricAt(2, s, r.step as number).testLoss)))).toBeLessThan(TOL);
    }
    expect(rowsWhere(f.data.losses, { loss: 'train loss' }).length).toBe(evalSteps().length);
    // phases from phases.json (seed 0), the start of the first clamped to the first plotted step (log axis)
    expect(f.data.phases).toEqual([
      { phase: 'feature-learning', start: EVAL_EVERY, end: 40 },
      { phase: 'emergence', start: 40, end: 90 },
      { phase: 'decoupling', start: 90, end: 200 },
    ]);
    expect(PHASES.phases.length).toBe(3);
    // no phases.json in the other configurations
    expect(mainFigure(rep.groups[0], 0)!.data.phases).toEqual([]);
  });
});

describe('figure 3: Pareto fronts', () => {
  it('points are (−min Ω, max Ω) in bits per measured step; the last front is the non-dominated set of all of them', async () => {
    const f = paretoFigure(rep)!;
    const label = 'wd=2 (wd2-s0)';
    const pts = rowsWhere(f.data.points, { config: label });
    expect(pts.map((p) => p.step)).toEqual(measureSteps());
    for (const p of pts) {
      const o = oinfoAt(2, 0, p.step as number);
      expect(p.synergy).toBe(-o.synergy);
      expect(p.redundancy).toBe(o.redundancy);
    }
    // brute-force front of all points, both coordinates maximised
    const all = measureSteps().map((st) => ({ step: st, s: -oinfoAt(2, 0, st).synergy, r: oinfoAt(2, 0, st).redundancy }));
    const front = all.filter((p) => !all.some((q) => q !== p && q.s >= p.s && q.r >= p.r && (q.s > p.s || q.r > p.r)));
    const last = rowsWhere(f.data.fronts, { config: label, at: STEPS });
    expect(last.map((p) => p.step).sort((a, b) => (a as number) - (b as number))).toEqual(front.map((p) => p.step));
    // nats are converted to bits
    const dir = join(root, 'nats');
    writeRun(dir, { wd: 2, seed: 0, units: 'nats' });
    const nats = paretoFigure(await loadReportDir(dir))!;
    for (const p of nats.data.points) expect(Math.abs((p.synergy as number) + oinfoAt(2, 0, p.step as number).synergy)).toBeLessThan(1e-12);
  });
});

describe('figure 4: raw synergy across weight decays and alphas', () => {
  it('one line per configuration: mean over seeds of −min Ω, split into weight-decay and alpha panels', () => {
    const f = synergySweepFigure(rep)!;
    const rows = f.data.synergy;
    expect([...new Set(rows.map((r) => r.config))]).toEqual(['wd=0.1', 'wd=2', 'wd=10', 'alpha=8']);
    expect(new Set(rowsWhere(rows, { config: 'alpha=8' }).map((r) => r.family))).toEqual(new Set(['across alphas']));
    expect(new Set(rowsWhere(rows, { config: 'wd=10' }).map((r) => r.family))).toEqual(new Set(['across weight decays']));
    for (const r of rowsWhere(rows, { config: 'wd=10' })) {
      const xs = SWEEP_SEEDS.map((s) => -oinfoAt(10, s, r.step as number).synergy);
      expect(Math.abs((r.mean as number) - plainMean(xs))).toBeLessThan(TOL);
      expect(Math.abs((r.stderr as number) - plainStderr(xs))).toBeLessThan(TOL);
    }
    expect(rowsWhere(rows, { config: 'wd=10' }).map((r) => r.step)).toEqual(measureSteps());
  });
});

describe('figure 5: ablation', () => {
  it('test accuracy of the original, the sub-network and the inverse, mean over seeds', () => {
    const f = ablationFigure(rep)!;
    const rows = f.data.ablation;
    expect(new Set(rows.map((r) => r.config))).toEqual(new Set(['wd=2']));
    for (const r of rows) {
      const st = r.step as number;
      const xs =
        r.role === 'original'
          ? SWEEP_SEEDS.map((s) => metricAt(2, s, st).testAcc)
          : SWEEP_SEEDS.map((s) => ablationAcc(r.role === 'sub-network' ? 'synergy' : 'inverse', 2, s, st));
      expect(Math.abs((r.mean as number) - plainMean(xs))).toBeLessThan(TOL);
    }
    expect(new Set(rows.map((r) => r.role))).toEqual(new Set(['original', 'sub-network', 'inverse']));
    expect(rowsWhere(rows, { role: 'inverse' }).length).toBe(evalSteps().length);
  });
});

describe('figure 6: appendix grids', () => {
  it('one cell per run: final test accuracy and grok step (first evaluation above 0.98)', () => {
    const f = gridFigure(rep)!;
    const rows = f.data.grid;
    expect(rows.length).toBe(rep.runs.length);
    for (const wd of SWEEP_WDS) {
      for (const s of SWEEP_SEEDS) {
        const r = rowsWhere(rows, { config: `wd=${wd}`, seed: String(s) })[0];
        expect(r.finalTestAcc).toBe(metricAt(wd, s, STEPS).testAcc);
        let grok: number | null = null;
        for (let st = 0; st <= STEPS; st += EVAL_EVERY) {
          if (metricAt(wd, s, st).testAcc > 0.98) {
            grok = st;
            break;
          }
        }
        expect(r.grokStep).toBe(grok);
      }
    }
    // ablation runs have no summary.json: taken from their metrics
    const inv = rowsWhere(rows, { config: 'wd=2 inverse', seed: '100' })[0];
    expect(inv.finalTestAcc).toBe(ablationAcc('inverse', 2, 100, STEPS));
    expect(inv.grokStep).toBe(null);
    expect(inv.grokText).toBe('no grok');
  });
});

describe('unusable records', () => {
  it('a figure whose records are invalid is left out with the coded reason; the others are drawn', async () => {
    const dir = join(root, 'duplicated-steps');
    writeRun(dir, { wd: 2, seed: 0 });
    const recs = [0, 10, 20, 20, 30].map((st) => JSON.stringify(oinfoAt(2, 0, st))).join('\n') + '\n';
    writeFileSync(join(dir, 'oinfo.jsonl'), recs);
    const set = buildFigures(await loadReportDir(dir));
    expect(set.figures.map((f) => f.id)).toEqual(['fig1-accuracy', 'fig6-grids']);
    const reasons = Object.fromEntries(set.skipped.map((s) => [s.id, s.reason]));
    expect(reasons['fig2-main-1']).toMatch(/^INVALID_DATA: .*step 20 does not increase/);
    expect(reasons['fig3-pareto']).toMatch(/^INVALID_DATA/);
  });
});

describe('missing oinfo.jsonl', () => {
  it('only the figures that do not need it, and the reason is recorded', async () => {
    const dir = join(root, 'unmeasured');
    writeRun(dir, { wd: 2, seed: 0, oinfo: false });
    const one = await loadReportDir(dir);
    const set = buildFigures(one);
    expect(set.figures.map((f) => f.id)).toEqual(['fig1-accuracy', 'fig6-grids']);
    expect(set.skipped.map((s) => s.id)).toEqual(['fig2-main-1', 'fig3-pareto', 'fig4-synergy-sweeps', 'fig5-ablation', 'fig9-oinfo-layers']);
    expect(one.notes.join('\n')).toMatch(/no oinfo\.jsonl/);
  });
});
