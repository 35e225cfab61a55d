/**
 * `grokinfo bench`: the O-information engine against its straightforward baseline
 * (bench/native/baseline_oinfo.cpp: one independent Cholesky and inverse per multiplet, same
 * threads), on the cases of BENCHMARKS.md. Prints the machine, the median of N runs, the target,
 * the ratio to the baseline and the max abs difference between the two.
 */
import type { Command } from 'commander';
import { cpus } from 'node:os';
import { invalidArgument } from '../core/errors.js';
import { loadBenchAddon, resolveBackend, type BackendName } from '../addon/native.js';
import { measureNativeOptions } from '../measures/oinfo.js';
import { jsonOutput } from './output.js';
import { consoleProgress } from '../core/progress.js';

interface CaseSpec {
  name: string;
  rows: number;
  cols: number;
  minSize: number;
  maxSize: number;
  targetMs: number;
  /** Baseline evaluates every stride-th multiplet per size (then extrapolated). */
  baselineStride: number;
  what: string;
}

const CASES: CaseSpec[] = [
  { name: 'P1', rows: 3763, cols: 250, minSize: 2, maxSize: 10, targetMs: 100, baselineStride: 1, what: '3763x250 ReLU-like, Ward 10 bins, 1013 unions (clustering + copula included)' },
  { name: 'G1', rows: 9409, cols: 10, minSize: 2, maxSize: 10, targetMs: 5, baselineStride: 1, what: '9409x10, all 1013 multiplets' },
  { name: 'G2', rows: 2000, cols: 100, minSize: 2, maxSize: 3, targetMs: 100, baselineStride: 1, what: '2000x100, sizes 2..3 (166,650)' },
  { name: 'G3', rows: 2000, cols: 100, minSize: 2, maxSize: 5, targetMs: 30000, baselineStride: 997, what: '2000x100, sizes 2..5 (79.4 M), extremes + top-100' },
  { name: 'G4', rows: 2000, cols: 24, minSize: 2, maxSize: 24, targetMs: 5000, baselineStride: 31, what: '2000x24, sizes 2..24 (16.8 M)' },
];

function normals(seed: number): () => number {
  let a = seed >>> 0;
  const u = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

/** Gaussian data with a few shared factors (so there is redundancy and synergy to find). */
export function gaussianCase(rows: number, cols: number, seed: number): Float64Array {
  const z = normals(seed);
  const d = new Float64Array(rows * cols);
  for (let t = 0; t < rows; t++) {
    const f = [z(), z(), z()];
    for (let j = 0; j < cols; j++) d[t * cols + j] = 0.5 * f[j % 3] + z();
  }
  return d;
}

/** ReLU-like activations: relu of a rank-8 Gaussian mixture plus noise, with a negative bias (many zeros). */
export function reluCase(rows: number, cols: number, seed: number): Float32Array {
  const z = normals(seed);
  const rank = 8;
  const W = Array.from({ length: cols * rank }, () => z());
  const bias = Array.from({ length: cols }, () => -0.5 + 0.5 * z());
  const out = new Float32Array(rows * cols);
  for (let t = 0; t < rows; t++) {
    const comp = t % 4;
    const f = Array.from({ length: rank }, (_, k) => z() + (k % 4 === comp ? 1.5 : 0));
    for (let j = 0; j < cols; j++) {
      let s = bias[j] + 0.3 * z();
      for (let k = 0; k < rank; k++) s += W[j * rank + k] * f[k] * 0.4;
      out[t * cols + j] = Math.max(0, s);
    }
  }
  return out;
}

const cpuMs = (u: NodeJS.CpuUsage): number => (u.user + u.system) / 1000;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : 0.5 * (s[m - 1] + s[m]);
}

interface Row {
  case: string;
  what: string;
  multiplets: number;
  medianMs: number;
  runsMs: number[];
  /** Process CPU time (user + system, all threads) of each timed call: the steadier figure on a loaded machine. */
  medianCpuMs: number;
  targetMs: number;
  baselineMs: number;
  baselineNote: string;
  ratio: number;
  maxAbsDiff: number;
  backend: string;
}

interface NM {
  value: number;
  members: number[];
}
interface NR {
  count: number;
  bySize: { size: number; synergy: NM; redundancy: NM }[];
  topSynergy: NM[];
  topRedundancy: NM[];
  synergy: NM;
  redundancy: NM;
}

function extremesDiff(a: NR, b: NR): number {
  let d = 0;
  for (let i = 0; i < a.bySize.length; i++) {
    d = Math.max(d, Math.abs(a.bySize[i].synergy.value - b.bySize[i].synergy.value));
    d = Math.max(d, Math.abs(a.bySize[i].redundancy.value - b.bySize[i].redundancy.value));
  }
  return d;
}

export async function runBench(names: string[], backendName: BackendName, repeats: number, log: (s: string) => void): Promise<Row[]> {
  // Engine and baseline from the same bench addon (same compiler flags); not shipped in the package.
  const native = loadBenchAddon();
  const backend = resolveBackend(backendName).backend;
  const rows: Row[] = [];
  for (const name of names) {
    const c = CASES.find((x) => x.name === name)!;
    const times: number[] = [];
    const cpuTimes: number[] = [];
    let row: Row;
    if (c.name === 'P1') {
      const Z = reluCase(c.rows, c.cols, 2408);
      const opts = measureNativeOptions({ bins: 10, units: 'bits' }, c.rows);
      let res: NR[] = [];
      for (let r = 0; r < repeats + 1; r++) {
        const t = performance.now();
        const c0 = process.cpuUsage();
        res = await native.measureCheckpoints(Z, 1, c.rows, c.cols, opts, backend);
        if (r > 0) {
          // the first run warms the thread pool
          times.push(performance.now() - t);
          cpuTimes.push(cpuMs(process.cpuUsage(c0)));
        }
      }
      const tb = performance.now();
      const base: NR[] = await native.measureCheckpoints(Z, 1, c.rows, c.cols, opts, 'cpu', undefined, 'baseline');
      const baselineMs = performance.now() - tb;
      const med = median(times);
      row = { case: c.name, what: c.what, multiplets: res[0].count, medianMs: med, runsMs: times, medianCpuMs: median(cpuTimes), targetMs: c.targetMs, baselineMs, baselineNote: 'full', ratio: baselineMs / med, maxAbsDiff: extremesDiff(res[0], base[0]), backend };
    } else {
      const X = gaussianCase(c.rows, c.cols, 97 + c.cols);
      const cov: Float64Array = await native.copulaCovariance(X, c.rows, c.cols, {});
      const units = { offsets: Int32Array.from({ length: c.cols + 1 }, (_, i) => i), members: Int32Array.from({ length: c.cols }, (_, i) => i) };
      const o = { minSize: c.minSize, maxSize: c.maxSize, topK: 100 };
      let res: NR[] = [];
      for (let r = 0; r < repeats + 1; r++) {
        const t = performance.now();
        const c0 = process.cpuUsage();
        res = await native.oinfoMultiplets(cov, 1, c.cols, units, o, backend);
        if (r > 0) {
          times.push(performance.now() - t);
          cpuTimes.push(cpuMs(process.cpuUsage(c0)));
        }
      }
      const tb = performance.now();
      const base: NR[] = await native.oinfoMultiplets(cov, 1, c.cols, units, { ...o, stride: c.baselineStride }, 'cpu', undefined, 'baseline');
      let baselineMs = performance.now() - tb;
      const med = median(times);
      let diff: number;
      let note = 'full';
      if (c.baselineStride > 1) {
        baselineMs *= res[0].count / base[0].count;
        note = `extrapolated from ${base[0].count.toLocaleString()} sampled multiplets (every ${c.baselineStride}th per size)`;
        // Agreement: the engine's top-100 lists recomputed from scratch by the baseline.
        const ms = [...res[0].topSynergy, ...res[0].topRedundancy];
        const vals: Float64Array = native.oinfoValuesBaseline(cov, c.cols, units, o, ms.map((m) => m.members));
        diff = Math.max(...ms.map((m, i) => Math.abs(m.value - vals[i])));
        // And no sampled multiplet beats the engine's extremes.
        for (let i = 0; i < res[0].bySize.length; i++) {
          if (base[0].bySize[i].synergy.value < res[0].bySize[i].synergy.value - 1e-9 || base[0].bySize[i].redundancy.value > res[0].bySize[i].redundancy.value + 1e-9)
            diff = Infinity;
        }
      } else diff = Math.max(extremesDiff(res[0], base[0]), ...res[0].topSynergy.map((m, i) => Math.abs(m.value - base[0].topSynergy[i].value)));
      row = { case: c.name, what: c.what, multiplets: res[0].count, medianMs: med, runsMs: times, medianCpuMs: median(cpuTimes), targetMs: c.targetMs, baselineMs, baselineNote: note, ratio: baselineMs / med, maxAbsDiff: diff, backend };
    }
    log(`${row.case}: median ${row.medianMs.toFixed(2)} ms (CPU ${row.medianCpuMs.toFixed(2)} ms, target ${row.targetMs} ms), baseline ${row.baselineMs.toFixed(1)} ms, x${row.ratio.toFixed(1)}, max |diff| ${row.maxAbsDiff.toExponential(2)}`);
    rows.push(row);
  }
  return rows;
}

export function register(program: Command): void {
  program
    .command('bench')
    .description('benchmark the O-information engine against the one-factorisation-per-multiplet baseline')
    .option('--cases <list>', 'comma-separated cases: P1,G1,G2,G3,G4', 'P1,G1,G2,G3,G4')
    .option('--backend <b>', 'auto | cpu | cuda', 'cpu')
    .option('--repeats <n>', 'timed runs per case (median reported)', '5')
    .option('--json', 'machine-readable results on stdout')
    .option('--quiet', 'no progress output')
    .action(async (f: { cases: string; backend: string; repeats: string; json?: boolean; quiet?: boolean }) => {
      const names = f.cases.split(',').map((s) => s.trim().toUpperCase());
      for (const n of names) if (!CASES.some((c) => c.name === n)) throw invalidArgument('--cases', 'a comma-separated subset of P1,G1,G2,G3,G4', n);
      const repeats = Number(f.repeats);
      if (!Number.isInteger(repeats) || repeats < 1 || repeats > 1000) throw invalidArgument('--repeats', 'an integer in [1, 1000]', f.repeats);
      const kernels = (loadBenchAddon().cpuKernels() as { active: string }).active;
      const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} logical cores, CPU kernels ${kernels}, node ${process.version}`;
      const progress = consoleProgress({ quiet: !!f.quiet });
      const rows = await runBench(names, f.backend as BackendName, repeats, (s) => progress.line(s));
      progress.done();
      if (f.json) {
        process.stdout.write(jsonOutput({ machine, repeats, rows }));
        return;
      }
      const lines = [`machine: ${machine}; median of ${repeats} runs`, '', '| case | what | multiplets | median ms | median CPU ms | target ms | baseline ms | ratio | max abs diff |', '|---|---|---:|---:|---:|---:|---:|---:|---:|'];
      for (const r of rows)
        lines.push(
          `| ${r.case} | ${r.what} | ${r.multiplets.toLocaleString('en-US')} | ${r.medianMs.toFixed(2)} | ${r.medianCpuMs.toFixed(2)} | ${r.targetMs} | ${r.baselineMs.toFixed(1)}${r.baselineNote === 'full' ? '' : ' *'} | ${r.ratio.toFixed(1)} | ${r.maxAbsDiff.toExponential(1)} |`,
        );
      if (rows.some((r) => r.baselineNote !== 'full')) lines.push('', '* baseline ' + rows.filter((r) => r.baselineNote !== 'full').map((r) => `${r.case}: ${r.baselineNote}`).join('; '));
      process.stdout.write(lines.join('\n') + '\n');
    });
}
