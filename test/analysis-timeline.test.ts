import { describe, expect, it } from 'vitest';
import {
  aggregateSeeds,
  ema,
  emaZeroLag,
  firstStepAbove,
  firstStepBelow,
  hampel,
  minMax,
  normalizeRun,
  paperEmaAlpha,
  medianWindowFor,
  runningMedian,
  expKernelSmooth,
  logStepMedian,
  paretoFront,
  paretoPoints,
  paretoSet,
  type ParetoPoint,
} from '../src/analysis/index.js';
import { GrokinfoError } from '../src/core/errors.js';
import type { MetricsRecord, OInfoRecord, Timeline } from '../src/config/types.js';
import { gauss, rng } from './analysis-synth.js';

function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(GrokinfoError);
    return (e as GrokinfoError).code;
  }
  return 'no error';
}

function rec(step: number, synergy: number, redundancy: number, size: number, units: 'bits' | 'nats' = 'bits'): OInfoRecord {
  return {
    step, units, synergy, redundancy, synergyNeurons: [], redundancyNeurons: [], synergySize: size, redundancySize: 0,
    dead: 0, binSizes: [], bySize: [], multiplets: 0, seconds: 0,
  };
}

describe('hampel', () => {
  it("reproduces the hampel package's documented example (window_size=3 -> half-window 1)", () => {
    expect(hampel([1, 2, 3, 100, 4, 5, 6], 1, 3)).toEqual([1, 2, 3, 4, 4, 5, 6]);
  });

  it('matches a plain reference with half-window 3 on noisy data with spikes', () => {
    const u = rng(7);
    const x = Array.from({ length: 200 }, (_, i) => Math.sin(i / 10) + 0.1 * gauss(u) + (i % 37 === 5 ? 8 : 0));
    const ref = x.slice();
    for (let i = 3; i < x.length - 3; i++) {
      const w = x.slice(i - 3, i + 4).sort((a, b) => a - b);
      const med = w[3]!; // 7 values: the 4th
      const d = w.map((v) => Math.abs(v - med)).sort((a, b) => a - b);
      if (Math.abs(x[i]! - med) > 3 * 1.4826 * d[3]!) ref[i] = med;
    }
    const got = hampel(x, 3, 3);
    expect(got).toEqual(ref);
    // every spike away from the edges was replaced
    for (let i = 3; i < x.length - 3; i++) if (i % 37 === 5) expect(got[i]).toBeLessThan(2);
    // the edges are untouched
    expect(got.slice(0, 3)).toEqual(x.slice(0, 3));
  });

  it('validates its arguments', () => {
    expect(code(() => hampel([1, 2, 3], 0, 3))).toBe('INVALID_ARGUMENT');
    expect(code(() => hampel([1, NaN, 3], 1, 3))).toBe('INVALID_DATA');
  });
});

describe('ema, minMax', () => {
  it('ema of a unit step is 1 - (1 - alpha)^t', () => {
    const x = [0, ...Array(30).fill(1)];
    const s = ema(x, 0.1);
    for (let t = 0; t < x.length; t++) expect(s[t]).toBeCloseTo(1 - 0.9 ** t, 12);
    expect(code(() => ema(x, 0))).toBe('INVALID_ARGUMENT');
    expect(code(() => ema(x, 1.5))).toBe('INVALID_ARGUMENT');
  });

  it('zero-lag ema keeps a symmetric peak in place', () => {
    const x = Array.from({ length: 101 }, (_, i) => Math.exp(-((i - 50) ** 2) / 50));
    const s = emaZeroLag(x, 0.1);
    const peak = s.indexOf(Math.max(...s));
    expect(Math.abs(peak - 50)).toBeLessThanOrEqual(1);
    const lagged = ema(x, 0.1);
    expect(lagged.indexOf(Math.max(...lagged))).toBeGreaterThan(52);
  });

  it('minMax scales to [0, 1] and maps a constant series to zeros', () => {
    expect(minMax([2, 4, 3])).toEqual([0, 1, 0.5]);
    expect(minMax([5, 5])).toEqual([0, 0]);
    expect(minMax([])).toEqual([]);
  });
});

describe('runningMedian', () => {
  it('centred window, shrinking symmetrically at the ends (values by hand)', () => {
    // window 5: i=0 -> [x0]; i=1 -> [x0..x2]; i=2..n-3 -> 5 values; mirrored at the end.
    const x = [9, 1, 4, 100, 2, 3, 7];
    expect(runningMedian(x, 5)).toEqual([9, 4, 4, 3, 4, 3, 7]);
    expect(runningMedian(x, 1)).toEqual(x);
    expect(runningMedian([], 3)).toEqual([]);
  });
  it('a transient at the start does not leak into later samples (an EMA seeded there does)', () => {
    const x = [10, 9, ...Array.from({ length: 30 }, () => 5)];
    const m = runningMedian(x, 5);
    for (let i = 3; i < x.length; i++) expect(m[i]).toBe(5);
    expect(ema(x, 0.1)[10]).toBeGreaterThan(6);
  });
  it('window spans about the given steps, odd, at least 3 samples', () => {
    expect(medianWindowFor(25, 5)).toBe(5);
    expect(medianWindowFor(25, 25)).toBe(3);
    expect(medianWindowFor(40, 5)).toBe(9);
    expect(code(() => runningMedian([1, 2], 4))).toBe('INVALID_ARGUMENT');
  });
});

describe('expKernelSmooth, logStepMedian', () => {
  const u = rng(5);
  const x = Array.from({ length: 60 }, () => gauss(u));
  it('expKernelSmooth equals the normalised two-sided kernel computed directly (O(n^2) reference)', () => {
    const q = 0.9;
    const got = expKernelSmooth(x, 0.1);
    x.forEach((_, i) => {
      let num = 0, den = 0;
      x.forEach((v, j) => {
        const w = q ** Math.abs(i - j);
        num += w * v;
        den += w;
      });
      expect(got[i]).toBeCloseTo(num / den, 12);
    });
  });
  it('logStepMedian takes the median of the steps within the (symmetrically shrunk) log window', () => {
    const steps = x.map((_, i) => 5 * (i + 1));
    const got = logStepMedian(steps, x, 1.2);
    steps.forEach((t, i) => {
      const r = Math.min(1.2, t / steps[0]!, steps[steps.length - 1]! / t);
      const w = x.filter((_, j) => steps[j]! >= t / r - 1e-9 && steps[j]! <= t * r + 1e-9).sort((a, b) => a - b);
      const m = w.length % 2 ? w[w.length >> 1]! : 0.5 * (w[w.length / 2 - 1]! + w[w.length / 2]!);
      expect(got[i]).toBe(m);
    });
    expect(code(() => logStepMedian([0, 5], [1, 2], 1.2))).toBe('INVALID_ARGUMENT');
  });
});

describe('normalizeRun', () => {
  it('drops step 0, negates synergy, scales, smooths (values by hand)', () => {
    const oinfo = [rec(0, -50, 9, 1), rec(5, -1, 2, 10), rec(10, -3, 4, 20), rec(15, -2, 3, 15)];
    const t = normalizeRun(oinfo);
    expect(t.steps).toEqual([5, 10, 15]);
    // -synergy = [1, 3, 2] -> [0, 1, 0.5] -> ema: 0, 0.1, 0.9*0.1 + 0.1*0.5 = 0.14
    expect(t.synergy[0]).toBeCloseTo(0, 12);
    expect(t.synergy[1]).toBeCloseTo(0.1, 12);
    expect(t.synergy[2]).toBeCloseTo(0.14, 12);
    // redundancy [2, 4, 3] -> same numbers
    expect(t.redundancy[2]).toBeCloseTo(0.14, 12);
    // size [10, 20, 15]: no outlier in a window of 3 -> [0, 1, 0.5] -> same numbers
    expect(t.size[2]).toBeCloseTo(0.14, 12);
  });

  it('bits and nats give the same timeline (min-max cancels the unit)', () => {
    const bits = [rec(5, -1, 2, 10), rec(10, -3, 4, 20), rec(15, -2, 3, 15), rec(20, -2.5, 1, 12)];
    const nats = bits.map((r) => ({ ...r, units: 'nats' as const, synergy: r.synergy * Math.LN2, redundancy: r.redundancy * Math.LN2 }));
    const a = normalizeRun(bits);
    const b = normalizeRun(nats);
    a.synergy.forEach((v, i) => expect(b.synergy[i]).toBeCloseTo(v, 12));
    a.redundancy.forEach((v, i) => expect(b.redundancy[i]).toBeCloseTo(v, 12));
  });

  it("keeps the paper's smoothing time constant in steps at any measurement interval", () => {
    expect(paperEmaAlpha(5)).toBeCloseTo(0.1, 15);
    expect(paperEmaAlpha(25)).toBeCloseTo(1 - 0.9 ** 5, 15);
    expect(code(() => paperEmaAlpha(0))).toBe('INVALID_ARGUMENT');
    // Synergy steps from 0 to 1 bit at step 500 (min-max leaves it as it is). Forward EMA with weight 0.1 per
    // 5 steps, closed form at every measured t >= 500: s(t) = 1 - 0.9^((t - 500 + every) / 5), measured every
    // 5 or every 25 steps (the same decay per training step).
    const run = (every: number) => {
      const recs: OInfoRecord[] = [];
      for (let t = 0; t <= 2000; t += every) recs.push(rec(t, t >= 500 ? -1 : 0, 0, 1));
      return normalizeRun(recs);
    };
    for (const every of [5, 25]) {
      const tl = run(every);
      tl.steps.forEach((t, i) => {
        const want = t < 500 ? 0 : 1 - 0.9 ** ((t - 500 + every) / 5);
        expect(tl.synergy[i]).toBeCloseTo(want, 12);
      });
    }
    // An explicit alpha is used as given.
    const fixed = normalizeRun([rec(25, 0, 0, 1), rec(50, -1, 0, 1)], { alpha: 0.1 });
    expect(fixed.synergy[1]).toBeCloseTo(0.1, 15);
  });

  it('rejects NaN, decreasing steps, mixed units, empty runs', () => {
    expect(code(() => normalizeRun([rec(5, NaN, 1, 1)]))).toBe('INVALID_DATA');
    expect(code(() => normalizeRun([rec(10, -1, 1, 1), rec(5, -1, 1, 1)]))).toBe('INVALID_DATA');
    expect(code(() => normalizeRun([rec(5, -1, 1, 1), rec(10, -1, 1, 1, 'nats')]))).toBe('INVALID_DATA');
    expect(code(() => normalizeRun([rec(0, -1, 1, 1)]))).toBe('INVALID_DATA');
  });
});

describe('aggregateSeeds', () => {
  it('mean and standard error (sample sd / sqrt(n)) on the common steps', () => {
    const a: Timeline = { steps: [5, 10, 15], synergy: [1, 2, 3], redundancy: [0, 0, 0], size: [1, 1, 1] };
    const b: Timeline = { steps: [10, 15, 20], synergy: [4, 6, 9], redundancy: [0, 2, 0], size: [1, 1, 1] };
    const c: Timeline = { steps: [10, 15], synergy: [0, 0], redundancy: [0, 1, 0].slice(0, 2), size: [1, 1] };
    const g = aggregateSeeds([a, b, c]);
    expect(g.steps).toEqual([10, 15]);
    expect(g.n).toBe(3);
    expect(g.mean.synergy[0]).toBeCloseTo(2, 12); // (2 + 4 + 0)/3
    // values 2, 4, 0: sample var = ((0)^2 + 2^2 + 2^2)/2 = 4, sd 2, se 2/sqrt(3)
    expect(g.stderr.synergy[0]).toBeCloseTo(2 / Math.sqrt(3), 12);
    expect(g.mean.synergy[1]).toBeCloseTo(3, 12);
    expect(g.stderr.size[1]).toBe(0);
    expect(aggregateSeeds([a]).stderr.synergy).toEqual([0, 0, 0]);
    expect(code(() => aggregateSeeds([]))).toBe('INVALID_ARGUMENT');
    expect(code(() => aggregateSeeds([a, { ...b, steps: [100, 200, 300] }]))).toBe('INVALID_DATA');
    expect(code(() => aggregateSeeds([{ ...a, size: [1] }]))).toBe('INVALID_DATA');
  });
});

describe('pareto', () => {
  const brute = (pts: ParetoPoint[]) =>
    pts
      .filter((p) => !pts.some((q) => q !== p && q.synergy >= p.synergy && q.redundancy >= p.redundancy && (q.synergy > p.synergy || q.redundancy > p.redundancy)))
      .map((p) => p.step)
      .sort((x, y) => x - y);

  it('cumulative and windowed fronts match a brute-force reference', () => {
    const u = rng(3);
    const pts: ParetoPoint[] = Array.from({ length: 120 }, (_, i) => ({
      step: 5 * (i + 1),
      synergy: Math.round(10 * u()) / 2, // ties on purpose
      redundancy: Math.round(10 * u()) / 2,
    }));
    const cum = paretoFront(pts);
    expect(cum).toHaveLength(pts.length);
    for (let i = 0; i < pts.length; i++) {
      expect(cum[i]!.front.map((p) => p.step).sort((x, y) => x - y)).toEqual(brute(pts.slice(0, i + 1)));
    }
    const win = paretoFront(pts, { mode: 'window', window: 50 });
    for (let i = 0; i < pts.length; i++) {
      const t = pts[i]!.step;
      const inWin = pts.filter((p) => p.step > t - 50 && p.step <= t);
      expect(win[i]!.from).toBe(inWin[0]!.step);
      expect(win[i]!.front.map((p) => p.step).sort((x, y) => x - y)).toEqual(brute(inWin));
    }
    expect(paretoSet(pts).map((p) => p.step).sort((x, y) => x - y)).toEqual(brute(pts));
  });

  it('paretoPoints negates Omega_min and converts nats to bits', () => {
    const p = paretoPoints([rec(0, -9, 9, 1, 'nats'), rec(5, -Math.LN2, 2 * Math.LN2, 1, 'nats')]);
    expect(p).toHaveLength(1);
    expect(p[0]!.synergy).toBeCloseTo(1, 12);
    expect(p[0]!.redundancy).toBeCloseTo(2, 12);
  });

  it('validates', () => {
    expect(code(() => paretoFront([{ step: 1, synergy: 1, redundancy: 1 }], { mode: 'window' }))).toBe('INVALID_ARGUMENT');
    expect(code(() => paretoFront([{ step: 1, synergy: NaN, redundancy: 1 }]))).toBe('INVALID_DATA');
  });
});

describe('metric helpers', () => {
  const m = (step: number, testAcc: number, trainLoss: number): MetricsRecord => ({
    step, trainLoss, trainAcc: 1, testLoss: 1, testAcc, weightNorm: 1,
  });
  it('firstStepAbove is strict, firstStepBelow too', () => {
    const ms = [m(0, 0.1, 5), m(5, 0.98, 1), m(10, 0.99, 0.5), m(15, 1, 0.1)];
    expect(firstStepAbove(ms, 'testAcc', 0.98)).toBe(10);
    expect(firstStepAbove(ms, 'testAcc', 1)).toBeNull();
    expect(firstStepBelow(ms, 'trainLoss', 1)).toBe(10);
    expect(code(() => firstStepAbove(ms, 'nope' as 'testAcc', 0.5))).toBe('INVALID_ARGUMENT');
  });
});
