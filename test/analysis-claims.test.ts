import { describe, expect, it } from 'vitest';
import { buildClaims, claimsToMarkdown, type ClaimRun, type ClaimsInput } from '../src/analysis/index.js';
import { GrokinfoError } from '../src/core/errors.js';
import { highWdSpec, lowWdSpec, paperConfig, pl, summaryOf, synthRun, type SynthSpec } from './analysis-synth.js';

function make(spec: SynthSpec, wd: number, alpha: number, seed: number): ClaimRun {
  const { metrics, oinfo } = synthRun({ ...spec, seed: 1000 * seed + Math.round(wd * 10) + alpha });
  return { config: paperConfig(wd, alpha, seed), metrics, oinfo, summary: summaryOf(metrics) };
}
const noGrok = (synScale = 0.4): SynthSpec => ({
  S: pl([[0, 0.1], [400, 1], [4000, 0.5]]),
  R: pl([[0, 0.9], [400, 0.5], [4000, 0.8]]),
  Z: pl([[0, 0.2], [400, 0.5], [4000, 0.4]]),
  testAcc: pl([[0, 0.01], [4000, 0.08]]),
  synScale,
});
const alpha8: SynthSpec = { ...highWdSpec(), testAcc: pl([[0, 0.01], [1300, 0.1], [1500, 1], [4000, 1]]) };
const seeds = [0, 1, 2];

function paperLike(): ClaimRun[] {
  return [
    ...seeds.map((s) => make(lowWdSpec(), 0.1, 1, s)),
    ...seeds.map((s) => make(highWdSpec(), 2, 1, s)),
    ...seeds.map((s) => make(noGrok(), 10, 1, s)),
    ...seeds.map((s) => make(noGrok(), 50, 1, s)),
    ...seeds.map((s) => make(noGrok(), 0, 1, s)),
    ...seeds.map((s) => make(alpha8, 0, 8, s)),
    ...seeds.map((s) => make(noGrok(), 0, 50, s)),
  ];
}
const goodAblation = [{ original: 1, synergy: 0.97, inverse: 0.04, randomSynergy: 0.5 }, { original: 1, synergy: 0.9, inverse: 0.1, randomSynergy: 0.6 }];
const verdicts = (input: ClaimsInput) => Object.fromEntries(buildClaims(input).map((r) => [r.id, r.verdict]));

describe('claims table', () => {
  it('paper-like runs: every claim holds, with the numbers in "measured"', () => {
    const rows = buildClaims({ runs: paperLike(), ablation: goodAblation });
    expect(rows.map((r) => r.id)).toEqual(['c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7', 'c8']);
    for (const r of rows) expect(r.verdict, `${r.id}: ${r.measured}`).toBe('holds');
    const by = Object.fromEntries(rows.map((r) => [r.id, r]));
    expect(by.c1!.measured).toBe('wd 0.1: 3/3 grok; wd 2: 3/3 grok; wd 10: 0/3 grok; wd 50: 0/3 grok');
    expect(by.c2!.measured).toBe('alpha 8: 3/3 grok; alpha 1: 0/3 grok; alpha 50: 0/3 grok');
    expect(by.c3!.measured).toMatch(/^emergence peak before the grok step in 9\/9 grokking runs/);
    expect(by.c5!.measured).toMatch(/wd 0.1: both phases in 3\/3 runs; wd 2: neither in 3\/3 runs/);
    expect(by.c7!.measured).toMatch(/synergistic 0.935, inverse 0.070; synergistic higher in 2\/2/);
    expect(by.c8!.measured).toMatch(/synergistic 0.935, random of the same size 0.550; synergistic higher in 2\/2/);
    const md = claimsToMarkdown(rows);
    expect(md.split('\n')).toHaveLength(rows.length + 3);
  });

  it('each claim can fail', () => {
    const runs = paperLike();
    // c1: weight decay 10 groks; c2: alpha 50 groks
    const c12 = runs.map((r) =>
      r.config.optim.weightDecay === 10 || r.config.init.alpha === 50 ? make(highWdSpec(), r.config.optim.weightDecay, r.config.init.alpha, r.config.init.seed) : r,
    );
    const v12 = verdicts({ runs: c12 });
    expect(v12.c1).toBe('does not hold');
    expect(v12.c2).toBe('does not hold');
    // c3: grok at step 100, before any synergy peak
    const early = runs.map((r) => (r.summary.grokStep !== null ? { ...r, summary: { ...r.summary, grokStep: 100 } } : r));
    expect(verdicts({ runs: early }).c3).toBe('does not hold');
    // c4: non-grokking runs with MORE synergy
    const c4 = runs.map((r) => (r.summary.grokStep === null ? make(noGrok(8), r.config.optim.weightDecay, r.config.init.alpha, r.config.init.seed) : r));
    expect(verdicts({ runs: c4 }).c4).toBe('does not hold');
    // c5: weight decay 0.1 behaves like 2.0
    const c5 = runs.map((r) => (r.config.optim.weightDecay === 0.1 ? make(highWdSpec(), 0.1, 1, r.config.init.seed) : r));
    expect(verdicts({ runs: c5 }).c5).toBe('does not hold');
    // c6: after grokking synergy keeps rising and redundancy falls
    const rising: SynthSpec = {
      ...highWdSpec(),
      S: pl([[0, 0.1], [200, 0.1], [500, 0.6], [4000, 1]]),
      R: pl([[0, 0.9], [200, 0.9], [500, 0.6], [4000, 0.1]]),
    };
    const c6 = runs.map((r) => (r.summary.grokStep !== null ? make(rising, r.config.optim.weightDecay, r.config.init.alpha, r.config.init.seed) : r));
    expect(verdicts({ runs: c6 }).c6).toBe('does not hold');
    // c7: the inverse wins
    expect(verdicts({ runs, ablation: { original: 1, synergy: 0.2, inverse: 0.6 } }).c7).toBe('does not hold');
    // c8: a random sub-network of the same size does as well (holds only when strictly better), and is
    // 'not measured' without the control
    expect(verdicts({ runs, ablation: { original: 1, synergy: 0.9, inverse: 0.6, randomSynergy: 0.9 } }).c8).toBe('does not hold');
    expect(verdicts({ runs, ablation: [{ original: 1, synergy: 0.9, inverse: 0.6, randomSynergy: 0.5 }, { original: 1, synergy: 0.8, inverse: 0.6, randomSynergy: 0.85 }] }).c8).toBe('holds');
    expect(verdicts({ runs, ablation: { original: 1, synergy: 0.9, inverse: 0.6 } }).c8).toBe('not measured');
  });

  it('missing data is "not measured", never a verdict', () => {
    const v = verdicts({ runs: [] });
    for (const id of ['c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7']) expect(v[id]).toBe('not measured');
    // runs without O-information: c1/c2 measured, the information claims not
    const bare = paperLike().map(({ config, summary, metrics }) => ({ config, summary, metrics }));
    const vb = verdicts({ runs: bare });
    expect([vb.c1, vb.c2]).toEqual(['holds', 'holds']);
    expect([vb.c3, vb.c4, vb.c5, vb.c6, vb.c7]).toEqual(Array(5).fill('not measured'));
    // a sweep value missing
    const rows = buildClaims({ runs: paperLike().filter((r) => r.config.optim.weightDecay !== 50) });
    expect(rows[0]!.verdict).toBe('not measured');
    expect(rows[0]!.measured).toMatch(/^no runs for wd 50/);
  });

  it('failed runs are excluded and said so; bad input is a coded error', () => {
    const runs = paperLike();
    runs[0] = { ...runs[0]!, summary: { ...runs[0]!.summary, failed: 'diverged' } };
    expect(buildClaims({ runs })[0]!.measured).toMatch(/wd 0.1: 2\/2 grok.*\(1 failed run excluded\)/);
    const code = (f: () => unknown) => {
      try {
        f();
        return 'none';
      } catch (e) {
        expect(e).toBeInstanceOf(GrokinfoError);
        return (e as GrokinfoError).code;
      }
    };
    expect(code(() => buildClaims({ runs, ablation: { original: 1, synergy: 2, inverse: 0 } }))).toBe('INVALID_DATA');
    expect(code(() => buildClaims({ runs }, { fraction: 0 }))).toBe('INVALID_ARGUMENT');
    expect(code(() => buildClaims({} as ClaimsInput))).toBe('INVALID_ARGUMENT');
  });
});
