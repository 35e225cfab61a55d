/** The change-point rule on synthetic curves with known change points, and the leaderboard on a synthetic sweep with known answers. */
import { describe, expect, it } from 'vitest';
import { resolveRunConfig } from '../src/config/config.js';
import type { MeasuresRecord } from '../src/measures/compute.js';
import { buildLeaderboard, changePoint, leaderboardToMarkdown, type LeaderboardRun } from '../src/measures/leaderboard.js';
import type { MetricsRecord, RunSummary } from '../src/config/types.js';
import { gauss, rng } from './rng.js';

const steps = Array.from({ length: 201 }, (_, i) => i * 5); // 0..1000

describe('change-point rule', () => {
  it('finds a step change exactly, through noise', () => {
    const u = rng(1);
    for (const at of [150, 400, 805]) {
      const v = steps.map((s) => (s < at ? 3 : 1) + 0.1 * gauss(u));
      expect(changePoint(steps, v).step).toBe(at);
    }
  });

  it('finds the midpoint of a sigmoid and ignores step 0', () => {
    const v = steps.map((s) => (s === 0 ? 100 : 1 / (1 + Math.exp(-(s - 600) / 20))));
    const cp = changePoint(steps, v);
    expect(Math.abs(cp.step! - 600)).toBeLessThanOrEqual(5);
    expect(cp.r2).toBeGreaterThan(0.9);
  });

  it('reports no transition for a steady ramp (a straight line fits better than two levels)', () => {
    const u = rng(3);
    const cp = changePoint(steps, steps.map((s) => s / 100 + 0.05 * gauss(u)));
    expect(cp.r2).toBeGreaterThan(0.5); // two levels explain 3/4 of a ramp's variance ...
    expect(cp.r2Line).toBeGreaterThan(cp.r2); // ... a line nearly all of it
    expect(cp.step).toBeNull();
  });

  it('searches only after `from` (the memorisation step): an earlier change is ignored, a later one found', () => {
    const u = rng(4);
    const v = steps.map((s) => (s < 100 ? 10 : s < 600 ? 3 : 1) + 0.05 * gauss(u));
    expect(changePoint(steps, v).step).toBe(100); // the largest change overall
    expect(changePoint(steps, v, 100).step).toBe(600);
    expect(changePoint(steps, v, 990).step).toBeNull(); // too few points left
    expect(() => changePoint(steps, v, -1)).toThrow(/from/);
  });

  it('reports no transition in pure noise, and none with too few points', () => {
    const u = rng(2);
    expect(changePoint(steps, steps.map(() => gauss(u))).step).toBeNull();
    expect(changePoint([0, 5, 10, 15], [1, 2, 3, 4]).step).toBeNull();
  });
});

function fakeRun(id: string, alpha: boolean, grokStep: number | null, normStep: number | null, giniStep: number, seed: number, memorizeStep: number | null = 50): LeaderboardRun {
  const u = rng(seed);
  const config = resolveRunConfig(alpha ? { init: { alpha: 8, zeroOutput: true, constantNorm: true }, optim: { weightDecay: 0 } } : { optim: { weightDecay: 2 } });
  const metrics: MetricsRecord[] = steps.map((s) => ({
    step: s,
    trainLoss: (s < 50 ? 4 : 0.01) + 0.001 * gauss(u),
    trainAcc: memorizeStep !== null && s >= memorizeStep ? 1 : 0,
    testLoss: 1,
    testAcc: grokStep !== null && s >= grokStep ? 1 : 0,
    weightNorm: 30 + 0.01 * gauss(u),
  }));
  const measures: MeasuresRecord[] = steps.map((s) => ({
    step: s,
    values: {
      'weight-norm': { total: (normStep !== null && s >= normStep ? 10 : 20) + 0.05 * gauss(u) },
      fourier: { gini: (s >= giniStep ? 0.8 : 0.1) + 0.01 * gauss(u) },
    },
    seconds: {},
  }));
  const summary = { grokStep, memorizeStep, failed: null } as unknown as RunSummary;
  return { id, config, summary, metrics, oinfo: [], measures };
}

describe('leaderboard', () => {
  // weight decay: two grok (500, 600), two do not; alpha: one groks (700), one does not.
  // weight-norm moves at 300 in grokking runs only; Fourier Gini moves after grokking in grokking runs and at 200 in the others;
  // the train loss (baseline) drops at 50 everywhere: that is memorisation (train accuracy 1 from step 50), before the
  // window the rule searches, so it detects nothing and raises no alarm. wd-e never memorises: left out.
  const runs = [
    fakeRun('wd-e', false, null, 300, 200, 7, null),
    fakeRun('wd-a', false, 500, 300, 600, 1),
    fakeRun('wd-b', false, 600, 300, 700, 2),
    fakeRun('wd-c', false, null, null, 200, 3),
    fakeRun('wd-d', false, null, null, 200, 4),
    fakeRun('al-a', true, 700, 300, 800, 5),
    fakeRun('al-b', true, null, null, 200, 6),
  ];
  const lb = buildLeaderboard(runs);
  const row = (name: string) => lb.rows.find((r) => r.measure === name)!;

  it('detection, false alarms and lead per measure', () => {
    expect(lb.earlyWindowEnd).toBe(500);
    const wn = row('weight-norm');
    expect([wn.detected, wn.grokking, wn.falseAlarms, wn.nonGrokking]).toEqual([3, 3, 0, 3]);
    expect(wn.medianLead).toBe(300); // leads 200, 300, 400
    const g = row('fourier');
    expect([g.detected, g.falseAlarms]).toEqual([0, 3]);
    expect(g.medianLead).toBeNull();
    const tl = row('baseline: train loss');
    expect([tl.detected, tl.grokking, tl.falseAlarms, tl.nonGrokking]).toEqual([0, 3, 0, 3]);
    expect(tl.medianLead).toBeNull();
    expect(lb.notMemorized).toEqual(['wd-e']);
    expect(wn.transitions.map((t) => t.run)).not.toContain('wd-e');
    expect(row('baseline: weight norm').detected).toBe(0); // flat noise
    expect(lb.rows[0]!.measure).toBe('weight-norm'); // ranked first
  });

  it('predicts "will grok" from the early window within and across families', () => {
    const wn = row('weight-norm');
    expect(wn.withinFamily['weight-decay runs']).toBe(1);
    expect(wn.acrossFamilies['weight-decay runs -> alpha runs']).toBe(1);
    expect(wn.acrossFamilies['alpha runs -> weight-decay runs']).toBe(1);
    // the Gini moved at 200 in the non-grokking runs only (before the window's end): separable too, but inverted
    expect(row('fourier').acrossFamilies['weight-decay runs -> alpha runs']).toBe(1);
    // the train loss is the same in every run: nothing to learn
    expect(row('baseline: train loss').acrossFamilies['weight-decay runs -> alpha runs']).toBeLessThan(1);
  });

  it('families are the caller\'s: one per value of a field, or the paper\'s split by default', () => {
    expect(lb.families).toEqual(['alpha runs', 'weight-decay runs']);
    const bySeedParity = buildLeaderboard(runs, [
      { name: 'odd', select: (c) => c.init.seed % 2 === 1 },
      { name: 'even', select: (c) => c.init.seed % 2 === 0 },
    ]);
    expect(bySeedParity.families).toEqual(['even']); // every fake run has seed 0
    expect(Object.keys(bySeedParity.rows[0]!.withinFamily)).toEqual(['even']);
    expect(bySeedParity.rows[0]!.acrossFamilies).toEqual({});
    expect(leaderboardToMarkdown(bySeedParity)).toContain('will-grok acc. within even');
  });

  it('renders a Markdown table with one row per measure', () => {
    const md = leaderboardToMarkdown(lb);
    expect(md).toContain('| weight-norm (total) | 3/3 | 0/3 | 300 |');
    expect(md.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| measure')).length).toBe(lb.rows.length);
  });
});
