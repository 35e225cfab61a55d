/**
 * The §7 ablation: take the neurons of the lowest Omega over the whole run (the synergistic
 * sub-network), or their complement ("inverse"), or N random neurons, retrain from the same
 * initialisation (same seed, so the same initial parameters) for the full run, with the other
 * neurons' layer-1 weight rows zeroed before every step (and their biases too when maskBias: the
 * authors left biases and output weights unmasked, which is the default here). All subnets are
 * trained together as one batch. Results: <run>/ablation/<subnet>/ (run directories) and
 * <run>/ablation.json with the test-accuracy curves of the original and each subnet side by side.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { batchKey, primaryLayer, primaryRecords, runId } from '../config/config.js';
import { GrokinfoError, invalidArgument } from '../core/errors.js';
import { readJson, readJsonl, writeJsonAtomic } from '../core/fsutil.js';
import type { BackendName } from '../addon/native.js';
import type { ProgressSink } from '../core/progress.js';
import { versioned } from '../core/version.js';
import { trainBatch, type RunJob } from '../training/run.js';
import type { MetricsRecord, OInfoRecord, RunConfig, RunSummary } from '../config/types.js';

/**
 * synergy | inverse | random:N (N random neurons) | random:synergy / random:inverse (random neurons, as many as
 * the synergistic sub-network / its inverse: the size-matched control).
 */
export type SubnetSpec = 'synergy' | 'inverse' | `random:${number}` | 'random:synergy' | 'random:inverse';

export interface AblationOptions {
  subnets?: SubnetSpec[];
  maskBias?: boolean;
  /** Seed for random subnets (default: the run's seed). */
  seed?: number;
  backend?: BackendName;
  signal?: AbortSignal;
  progress?: ProgressSink;
}

export interface AblationCurve {
  subnet: string;
  neurons: number[];
  steps: number[];
  testAcc: number[];
  finalTestAcc: number;
  grokStep: number | null;
}

export interface AblationResult {
  run: string;
  source: { step: number; synergy: number; units: string };
  maskBias: boolean;
  curves: AblationCurve[]; // original first
  /** Subnets not trained, and why (an empty sub-network: e.g. the inverse when the argmin union is the whole layer). */
  skipped: { subnet: string; reason: string }[];
}

export function parseSubnet(text: string): SubnetSpec {
  if (text === 'synergy' || text === 'inverse' || text === 'random:synergy' || text === 'random:inverse') return text;
  const m = /^random:(\d+)$/.exec(text);
  if (m && Number(m[1]) >= 1) return text as SubnetSpec;
  throw invalidArgument('--subnet', 'synergy | inverse | random:N (N >= 1) | random:synergy | random:inverse', text);
}

/** The measured step with the lowest Omega over the run (step 0, the initialisation, excluded when others exist). */
export function lowestOmega(records: OInfoRecord[]): OInfoRecord {
  const usable = records.filter((r) => r.step > 0).length ? records.filter((r) => r.step > 0) : records;
  if (usable.length === 0) throw new GrokinfoError('INVALID_DATA', 'the run has no O-information records');
  return usable.reduce((best, r) => (r.synergy < best.synergy ? r : best));
}

/** Deterministic choice of n distinct indices from [0, width) (xorshift-seeded Fisher-Yates). */
export function randomSubset(width: number, n: number, seed: number): number[] {
  if (n > width) throw invalidArgument('--subnet random:N', `N <= ${width} (the layer width)`, n);
  const idx = Array.from({ length: width }, (_, i) => i);
  let s = (BigInt(seed) ^ 0x9e3779b97f4a7c15n) & 0xffffffffffffffffn;
  const next = () => {
    s ^= (s << 13n) & 0xffffffffffffffffn;
    s ^= s >> 7n;
    s ^= (s << 17n) & 0xffffffffffffffffn;
    return Number(s % 9007199254740881n) / 9007199254740881;
  };
  for (let i = width - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [idx[i], idx[j]] = [idx[j], idx[i]];
  }
  return idx.slice(0, n).sort((a, b) => a - b);
}

export function subnetNeurons(spec: SubnetSpec, synergy: number[], width: number, seed: number): number[] {
  if (spec === 'synergy') return [...synergy].sort((a, b) => a - b);
  if (spec === 'inverse') {
    const s = new Set(synergy);
    return Array.from({ length: width }, (_, i) => i).filter((i) => !s.has(i));
  }
  if (spec === 'random:synergy') return randomSubset(width, new Set(synergy).size, seed);
  if (spec === 'random:inverse') return randomSubset(width, width - new Set(synergy).size, seed);
  return randomSubset(width, Number(spec.slice('random:'.length)), seed);
}

function curveOf(subnet: string, neurons: number[], metrics: MetricsRecord[], summary: RunSummary): AblationCurve {
  return {
    subnet,
    neurons,
    steps: metrics.map((m) => m.step),
    testAcc: metrics.map((m) => m.testAcc),
    finalTestAcc: summary.finalTestAcc,
    grokStep: summary.grokStep,
  };
}

interface AblationPlan {
  runDir: string;
  summary: RunSummary;
  best: OInfoRecord;
  width: number;
  maskBias: boolean;
  chosen: SubnetSpec[];
  jobs: RunJob[];
  skipped: { subnet: string; reason: string }[];
}

async function planAblation(runDir: string, opts: AblationOptions): Promise<AblationPlan> {
  for (const f of ['config.json', 'summary.json'])
    if (!existsSync(join(runDir, f))) throw new GrokinfoError('INVALID_ARGUMENT', `${runDir} is not a finished run directory (no ${f})`);
  const config = await readJson<RunConfig>(join(runDir, 'config.json'));
  const summary = await readJson<RunSummary>(join(runDir, 'summary.json'));
  // the trainer's ablation mask zeroes rows of the first weight matrix (hidden layer 0's neurons, native
  // set_mask on CPU and CUDA): the synergistic neurons of a deeper layer would be masked at the wrong indices
  const layer = primaryLayer(config);
  if (layer !== 0)
    throw new GrokinfoError(
      'INVALID_ARGUMENT',
      `${runDir}: its O-information was measured on hidden layer ${layer} (--layer ${layer}); ablate masks neurons of hidden layer 0 only (the trainer's mask covers the first weight matrix). Ablate a run measured with --layer 0 (or --layer all, whose primary layer is 0)`,
      { what: 'measure.layer', allowed: [0, 'all'], got: layer },
    );
  const oinfo = primaryRecords(readJsonl<OInfoRecord>(join(runDir, 'oinfo.jsonl')), config);
  if (oinfo.length === 0)
    throw new GrokinfoError('INVALID_ARGUMENT', `${runDir} has no oinfo.jsonl: train it with --measure oinfo first`);
  const best = lowestOmega(oinfo);
  const width = config.model.hidden[0];
  const subnets = opts.subnets ?? ['synergy', 'inverse'];
  const maskBias = opts.maskBias ?? false;
  const seed = opts.seed ?? config.init.seed;
  const skipped: { subnet: string; reason: string }[] = [];
  const chosen: SubnetSpec[] = [];
  const jobs: RunJob[] = [];
  for (const spec of subnets) {
    const keep = subnetNeurons(spec, best.synergyNeurons, width, seed);
    if (keep.length === 0) {
      skipped.push({ subnet: spec, reason: `empty: the synergistic sub-network of step ${best.step} is the whole layer (${width} neurons)` });
      continue;
    }
    const { measure: _m, ...rest } = config;
    const c: RunConfig = { ...rest, name: `ablate-${spec.replace(':', '')}`, checkpoints: [], mask: { keep, maskBias, source: `${spec} of step ${best.step}` } };
    chosen.push(spec);
    jobs.push({ id: runId(c), dir: join(runDir, 'ablation', spec.replace(':', '-')), config: c });
  }
  return { runDir, summary, best, width, maskBias, chosen, jobs, skipped };
}

/** Ablation of one finished, measured run: its sub-networks trained together as one batch. */
export async function ablateRun(runDir: string, opts: AblationOptions = {}): Promise<AblationResult> {
  return (await ablateRuns([runDir], opts))[0]!;
}

/**
 * Ablations of several finished, measured runs. Sub-networks of runs that share a task, architecture
 * and schedule are trained together in one batched call (one per shape), so a sweep's ablations cost
 * one training run on a GPU. Each run's ablation.json is written when its batch is done.
 */
export async function ablateRuns(runDirs: readonly string[], opts: AblationOptions = {}): Promise<AblationResult[]> {
  const plans: AblationPlan[] = [];
  for (const d of runDirs) plans.push(await planAblation(d, opts));
  const groups = new Map<string, AblationPlan[]>();
  for (const p of plans) {
    if (p.jobs.length === 0) continue;
    const k = batchKey(p.jobs[0]!.config);
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(p);
  }
  const sums = new Map<AblationPlan, RunSummary[]>();
  for (const group of groups.values()) {
    const jobs = group.flatMap((p) => p.jobs);
    const label = group.length === 1 ? `ablation of ${group[0]!.runDir}` : `ablation of ${group.length} runs`;
    const out = await trainBatch(jobs, { backend: opts.backend, signal: opts.signal, progress: opts.progress, label, resume: true });
    let at = 0;
    for (const p of group) {
      sums.set(p, out.slice(at, at + p.jobs.length));
      at += p.jobs.length;
    }
  }
  const results: AblationResult[] = [];
  for (const p of plans) {
    const s = sums.get(p) ?? [];
    const curves: AblationCurve[] = [
      curveOf('original', Array.from({ length: p.width }, (_, i) => i), readJsonl<MetricsRecord>(join(p.runDir, 'metrics.jsonl')), p.summary),
      ...p.jobs.map((j, i) => curveOf(p.chosen[i]!, j.config.mask!.keep, readJsonl<MetricsRecord>(join(j.dir, 'metrics.jsonl')), s[i]!)),
    ];
    const result: AblationResult = {
      run: p.runDir,
      source: { step: p.best.step, synergy: p.best.synergy, units: p.best.units },
      maskBias: p.maskBias,
      curves,
      skipped: p.skipped,
    };
    await writeJsonAtomic(join(p.runDir, 'ablation.json'), versioned(result));
    results.push(result);
  }
  return results;
}

/**
 * Final test accuracies per ablation for the claims table (c7, c8): ablations with both the synergistic
 * sub-network and its inverse trained (the inverse is skipped when the sub-network is the whole layer),
 * with the size-matched random control when it was trained; `skipped` counts the others.
 */
export function ablationClaimInput(results: readonly AblationResult[]): {
  ablation: { original: number; synergy: number; inverse: number; randomSynergy?: number }[];
  skipped: number;
} {
  const final = (a: AblationResult, name: string) => a.curves.find((c) => c.subnet === name)?.finalTestAcc;
  const complete = results.filter((a) => final(a, 'synergy') !== undefined && final(a, 'inverse') !== undefined);
  return {
    ablation: complete.map((a) => {
      const r = final(a, 'random:synergy');
      return { original: final(a, 'original')!, synergy: final(a, 'synergy')!, inverse: final(a, 'inverse')!, ...(r !== undefined ? { randomSynergy: r } : {}) };
    }),
    skipped: results.length - complete.length,
  };
}
