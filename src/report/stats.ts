/**
 * Seed aggregation for plots: the mean and the standard error of the mean over the seeds that have a
 * value at a step (sample standard deviation, n - 1; 0 for a single seed).
 */
export interface Aggregate {
  steps: number[];
  mean: number[];
  stderr: number[];
  /** How many seeds contributed at each step. */
  n: number[];
}

export interface Series {
  steps: readonly number[];
  values: readonly number[];
}

export function aggregateByStep(series: readonly Series[]): Aggregate {
  const by = new Map<number, number[]>();
  for (const s of series) {
    for (let i = 0; i < s.steps.length; i++) {
      const v = s.values[i];
      if (!Number.isFinite(v)) continue;
      const list = by.get(s.steps[i]);
      if (list) list.push(v);
      else by.set(s.steps[i], [v]);
    }
  }
  const steps = [...by.keys()].sort((a, b) => a - b);
  const out: Aggregate = { steps, mean: [], stderr: [], n: [] };
  for (const st of steps) {
    const xs = by.get(st)!;
    const n = xs.length;
    let sum = 0;
    for (const x of xs) sum += x;
    const mean = sum / n;
    let ss = 0;
    for (const x of xs) ss += (x - mean) * (x - mean);
    out.mean.push(mean);
    out.stderr.push(n > 1 ? Math.sqrt(ss / (n - 1)) / Math.sqrt(n) : 0);
    out.n.push(n);
  }
  return out;
}

/** Up to `k` items of a sorted list of positive steps, spread evenly on a log scale (first and last kept). */
export function logSpacedSubset(steps: readonly number[], k: number): number[] {
  const pos = steps.filter((s) => s > 0);
  if (pos.length <= k) return [...pos];
  const lo = Math.log(pos[0]);
  const hi = Math.log(pos[pos.length - 1]);
  const chosen = new Set<number>();
  for (let i = 0; i < k; i++) {
    const target = lo + ((hi - lo) * i) / (k - 1);
    let best = pos[0];
    for (const s of pos) if (Math.abs(Math.log(s) - target) < Math.abs(Math.log(best) - target)) best = s;
    chosen.add(best);
  }
  return [...chosen].sort((a, b) => a - b);
}
