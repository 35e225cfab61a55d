/** analyzeSweep over records on disk (the report fixture): claims computed, incomplete ablations left out. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AblationResult } from '../src/experiments/ablate.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { analyzeSweep } from '../src/analysis/analyze.js';
import { buildClaims } from '../src/analysis/index.js';
import { fixtureConfig, metricsOf, oinfoOf, summaryOf, tempRoot, writeSweep } from './report-fixture.js';

const jsonl = (rs: unknown[]) => rs.map((r) => JSON.stringify(r)).join('\n') + '\n';

/**
 * A learning-rate sweep at fixed weight decay 2: lr 0.03 runs have the fixture's grokking records (those
 * of wd 2), lr 0.01 runs the fixture's non-grokking ones (those of wd 10), 3 seeds each.
 */
function writeLrSweep(root: string): string {
  const dir = join(root, 'sweep');
  const runs: { id: string }[] = [];
  for (const lr of [0.01, 0.03])
    for (const seed of [0, 100, 200]) {
      const id = `lr${lr}-s${seed}`;
      const rd = join(dir, 'runs', id);
      mkdirSync(rd, { recursive: true });
      const records = lr === 0.03 ? 2 : 10;
      const cfg = fixtureConfig(2, seed);
      cfg.optim.lr = lr;
      writeFileSync(join(rd, 'config.json'), JSON.stringify(cfg));
      writeFileSync(join(rd, 'metrics.jsonl'), jsonl(metricsOf(records, seed)));
      writeFileSync(join(rd, 'oinfo.jsonl'), jsonl(oinfoOf(records, seed)));
      writeFileSync(join(rd, 'summary.json'), JSON.stringify(summaryOf(records, seed)));
      runs.push({ id });
    }
  writeFileSync(join(dir, 'sweep.json'), JSON.stringify({ definition: { name: 'lr' }, runs }));
  return dir;
}

const curve = (subnet: string, finalTestAcc: number) => ({ subnet, neurons: [0], steps: [0, 10], testAcc: [0, finalTestAcc], finalTestAcc, grokStep: null });

describe('analyzeSweep', () => {
  it('an ablation whose inverse was not trained (empty) is left out of c7 and counted, not a NaN error', async () => {
    const dir = writeSweep(tempRoot('grokinfo-analyze-'));
    const full: AblationResult = {
      run: join(dir, 'a'), source: { step: 10, synergy: -1, units: 'bits' }, maskBias: false, skipped: [],
      curves: [curve('original', 0.99), curve('synergy', 0.9), curve('inverse', 0.3)],
    };
    const noInverse: AblationResult = {
      run: join(dir, 'b'), source: { step: 10, synergy: -1, units: 'bits' }, maskBias: false,
      skipped: [{ subnet: 'inverse', reason: 'empty' }],
      curves: [curve('original', 0.99), curve('synergy', 0.2)],
    };
    const a = await analyzeSweep(dir, { ablations: [full, noInverse] });
    const c7 = a.claims.find((c) => c.id === 'c7')!;
    // Only the complete ablation counts: synergistic 0.9 > inverse 0.3 (the other's 0.2 is not averaged in).
    expect(c7.verdict).toBe('holds');
    expect(c7.measured).toMatch(/mean of 1\)/);
    expect(c7.measured).toMatch(/synergistic 0\.900/);
    expect(c7.measured).toMatch(/1 ablation\(s\) without an inverse/);
  });

  it('a learning-rate sweep at fixed weight decay stays two configurations, labelled by the learning rate', async () => {
    const dir = writeLrSweep(tempRoot('grokinfo-analyze-lr-'));
    // independent expectation: the fixture's closed forms (wd 2 groks in every seed, wd 10 never does)
    const grokking = [0, 100, 200].filter((s) => summaryOf(2, s).grokStep !== null).length;
    const never = [0, 100, 200].filter((s) => summaryOf(10, s).grokStep !== null).length;
    expect([grokking, never]).toEqual([3, 0]);
    const a = await analyzeSweep(dir);
    const byLabel = Object.fromEntries(a.configurations.map((c) => [c.label, c]));
    expect(Object.keys(byLabel).sort()).toEqual(['lr=0.01', 'lr=0.03']);
    expect(byLabel['lr=0.03']).toMatchObject({ runs: 3, grokked: 3 });
    expect(byLabel['lr=0.01']).toMatchObject({ runs: 3, grokked: 0 });
    expect(byLabel['lr=0.03'].meanFinalTestAcc).toBeCloseTo([0, 100, 200].reduce((t, s) => t + summaryOf(2, s).finalTestAcc, 0) / 3, 12);
    // prediction over whole configurations: one held out, the other trained on, never mixed
    expect(a.prediction).toHaveLength(1);
    expect(a.prediction[0]).toMatchObject({ train: ['lr=0.01'], heldOut: ['lr=0.03'] });
    expect(a.prediction[0].report!.trainRuns).toBe(3);
    expect(a.prediction[0].report!.heldOutRuns).toBe(3);
    expect(a.prediction[0].report!.runs.every((r) => r.label === 'lr=0.03')).toBe(true);
    // families chosen by field: each learning rate held out in turn
    const f = await analyzeSweep(dir, { families: { field: 'optim.lr' } });
    expect(f.prediction.map((p) => [p.name, p.train, p.heldOut])).toEqual([
      ['train on lr=0.03 runs, predict lr=0.01 runs', ['lr=0.03'], ['lr=0.01']],
      ['train on lr=0.01 runs, predict lr=0.03 runs', ['lr=0.01'], ['lr=0.03']],
    ]);
    // or by predicate
    const g = await analyzeSweep(dir, { families: { families: [{ name: 'slow', select: (c) => c.optim.lr < 0.02 }, { name: 'fast', select: (c) => c.optim.lr >= 0.02 }] } });
    expect(g.prediction.map((p) => p.name)).toEqual(['train on fast, predict slow', 'train on slow, predict fast']);
  });

  it('claims compare configurations that differ only on the claim axis (c1 per learning rate)', () => {
    const run = (wd: number, lr: number, groks: boolean, seed: number) => {
      const config = fixtureConfig(wd, seed);
      config.optim.lr = lr;
      return { config, summary: { ...summaryOf(2, seed), grokStep: groks ? 100 : null } };
    };
    const runs = [0.1, 2, 10, 50].flatMap((wd) => [run(wd, 0.03, wd < 5, 0), run(wd, 0.01, false, 0)]);
    const c1 = buildClaims({ runs }).find((c) => c.id === 'c1')!;
    expect(c1.measured).toContain('[lr=0.01] wd 0.1: 0/1 grok; wd 2: 0/1 grok; wd 10: 0/1 grok; wd 50: 0/1 grok');
    expect(c1.measured).toContain('[lr=0.03] wd 0.1: 1/1 grok; wd 2: 1/1 grok; wd 10: 0/1 grok; wd 50: 0/1 grok');
    expect(c1.verdict).toBe('does not hold');
    const one = buildClaims({ runs: runs.filter((r) => r.config.optim.lr === 0.03) }).find((c) => c.id === 'c1')!;
    expect(one).toMatchObject({ measured: 'wd 0.1: 1/1 grok; wd 2: 1/1 grok; wd 10: 0/1 grok; wd 50: 0/1 grok', verdict: 'holds' });
  });
});
