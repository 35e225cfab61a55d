/**
 * Synthetic run and sweep directories with known numbers, for the report tests. Every value is a plain
 * closed-form function of (configuration, seed, step), so a test can recompute what a figure must show.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MetricsRecord, OInfoRecord, PhasesFile, RunConfig, RunSummary } from '../src/config/types.js';

export const STEPS = 200;
export const EVAL_EVERY = 5;
export const MEASURE_EVERY = 10;

export function fixtureConfig(wd: number, seed: number, alpha = 1): RunConfig {
  return {
    task: { op: 'add', p: 97, trainFraction: 0.4, splitSeed: 420 },
    model: { hidden: [16], biasFirst: true, biasHidden: true, biasOut: false },
    optim: { optimizer: 'adamw', lr: 0.03, weightDecay: wd, beta1: 0.9, beta2: 0.98, eps: 1e-8 },
    init: { seed, alpha, zeroOutput: alpha !== 1, constantNorm: alpha !== 1, omnigrokBiases: false },
    steps: STEPS,
    evalEvery: EVAL_EVERY,
    checkpoints: [],
    measure: { kind: 'oinfo', every: MEASURE_EVERY, bins: 4, ties: 'average', units: 'bits', biasCorrect: false, layer: 0 },
    grokThreshold: 0.98,
  };
}

/** Known metric values: everything is a closed form of (wd, seed, step). */
export function metricAt(wd: number, seed: number, step: number): MetricsRecord {
  const s = seed / 100;
  const trainAcc = Math.min(1, 0.01 + step / 60 + 0.01 * s);
  const testAcc = Math.min(1, 0.005 + (step / STEPS) ** 2 * (1 + 0.03 * s) * (wd > 5 ? 0.3 : 1));
  return {
    step,
    trainLoss: 4.5 * Math.exp(-step / (30 + 3 * s)) + 1e-3,
    trainAcc,
    testLoss: 4.6 * Math.exp(-step / (90 + wd + s)) + 0.5 * Math.exp(-((step - 80) ** 2) / 400) + 1e-3,
    testAcc,
    weightNorm: 30 - step / 20,
  };
}

/** Known O-information values (bits): synergy dips around step 60, redundancy falls, size grows linearly. */
export function oinfoAt(wd: number, seed: number, step: number, units: 'bits' | 'nats' = 'bits'): OInfoRecord {
  const s = seed / 100;
  const k = units === 'nats' ? Math.LN2 : 1;
  const syn = -(0.2 + 1.5 * Math.exp(-((step - 60 - 5 * s) ** 2) / 800) + 0.001 * wd * step);
  const red = 2.0 - step / 150 + 0.1 * s + 0.2 * Math.sin(step / 17);
  const bySize = [2, 3, 4].map((size) => ({
    size,
    count: size === 2 ? 6 : size === 3 ? 4 : 1,
    min: (syn * size) / 4 * k,
    max: (red * (5 - size)) / 3 * k,
    minBins: [0, 1],
    maxBins: [2, 3],
  }));
  return {
    step,
    units,
    synergy: syn * k,
    redundancy: red * k,
    synergyNeurons: [0, 1, 2],
    redundancyNeurons: [3, 4],
    synergySize: 3 + Math.floor(step / 20) + s,
    redundancySize: 2,
    dead: 0,
    binSizes: [4, 4, 4, 4],
    bySize,
    multiplets: 11,
    seconds: 0.01,
  };
}

function jsonl(rows: unknown[]): string {
  return rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
}

export interface RunSpec {
  wd: number;
  seed: number;
  alpha?: number;
  oinfo?: boolean;
  summary?: boolean;
  phases?: PhasesFile;
  units?: 'bits' | 'nats';
  ablation?: boolean;
}

export function metricsOf(wd: number, seed: number): MetricsRecord[] {
  const out: MetricsRecord[] = [];
  for (let st = 0; st <= STEPS; st += EVAL_EVERY) out.push(metricAt(wd, seed, st));
  return out;
}

export function oinfoOf(wd: number, seed: number, units: 'bits' | 'nats' = 'bits'): OInfoRecord[] {
  const out: OInfoRecord[] = [];
  for (let st = 0; st <= STEPS; st += MEASURE_EVERY) out.push(oinfoAt(wd, seed, st, units));
  return out;
}

export function summaryOf(wd: number, seed: number): RunSummary {
  const m = metricsOf(wd, seed);
  const last = m[m.length - 1];
  return {
    grokStep: m.find((r) => r.testAcc > 0.98)?.step ?? null,
    memorizeStep: m.find((r) => r.trainAcc > 0.98)?.step ?? null,
    grokThreshold: 0.98,
    stepsDone: STEPS,
    finalTrainAcc: last.trainAcc,
    finalTestAcc: last.testAcc,
    finalTrainLoss: last.trainLoss,
    finalTestLoss: last.testLoss,
    wallSeconds: 12.5 + seed / 100,
    trainSeconds: 10,
    measureSeconds: 2.5,
    backend: 'cpu',
    failed: null,
  };
}

/** Ablation test accuracy of a subnet: a known scaling of the original's. */
export function ablationAcc(role: 'synergy' | 'inverse', wd: number, seed: number, step: number): number {
  const a = metricAt(wd, seed, step).testAcc;
  return role === 'synergy' ? 0.9 * a : 0.3 * a;
}

export function writeRun(dir: string, spec: RunSpec): void {
  mkdirSync(dir, { recursive: true });
  const cfg = fixtureConfig(spec.wd, spec.seed, spec.alpha ?? 1);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(cfg, null, 2));
  writeFileSync(join(dir, 'metrics.jsonl'), jsonl(metricsOf(spec.wd, spec.seed)));
  if (spec.oinfo !== false) writeFileSync(join(dir, 'oinfo.jsonl'), jsonl(oinfoOf(spec.wd, spec.seed, spec.units)));
  if (spec.summary !== false) writeFileSync(join(dir, 'summary.json'), JSON.stringify(summaryOf(spec.wd, spec.seed)));
  if (spec.phases) writeFileSync(join(dir, 'phases.json'), JSON.stringify(spec.phases));
  if (spec.ablation) {
    for (const role of ['synergy', 'inverse'] as const) {
      const sub = join(dir, 'ablation', role);
      mkdirSync(sub, { recursive: true });
      const keep = role === 'synergy' ? [0, 1, 2] : Array.from({ length: 13 }, (_, i) => i + 3);
      const { measure: _m, ...rest } = cfg;
      const c: RunConfig = { ...rest, name: `ablate-${role}`, mask: { keep, maskBias: false, source: `${role} of step 60` } };
      writeFileSync(join(sub, 'config.json'), JSON.stringify(c));
      const m = metricsOf(spec.wd, spec.seed).map((r) => ({ ...r, testAcc: ablationAcc(role, spec.wd, spec.seed, r.step) }));
      writeFileSync(join(sub, 'metrics.jsonl'), jsonl(m));
    }
  }
}

export const PHASES: PhasesFile = {
  method: 'fixture',
  phases: [
    { name: 'feature-learning', start: 0, end: 40, evidence: {} },
    { name: 'emergence', start: 40, end: 90, evidence: {} },
    { name: 'decoupling', start: 90, end: 200, evidence: {} },
  ],
};

export const SWEEP_WDS = [0.1, 2, 10];
export const SWEEP_SEEDS = [0, 100, 200];
export const ALPHA_SEEDS = [0, 100];

/**
 * A sweep: weight decays 0.1, 2, 10 x seeds 0, 100, 200; alpha 8 (wd 0, constant norm) x seeds 0, 100;
 * wd 2 seed 0 has phases.json and an ablation (synergy, inverse).
 */
export function writeSweep(root: string): string {
  const dir = join(root, 'sweep');
  mkdirSync(join(dir, 'runs'), { recursive: true });
  const runs: { id: string; config: RunConfig }[] = [];
  const add = (id: string, spec: RunSpec) => {
    writeRun(join(dir, 'runs', id), spec);
    runs.push({ id, config: fixtureConfig(spec.wd, spec.seed, spec.alpha ?? 1) });
  };
  for (const wd of SWEEP_WDS)
    for (const seed of SWEEP_SEEDS)
      add(`wd${wd}-s${seed}`, { wd, seed, phases: wd === 2 && seed === 0 ? PHASES : undefined, ablation: wd === 2 });
  for (const seed of ALPHA_SEEDS) add(`alpha8-s${seed}`, { wd: 0, seed, alpha: 8 });
  writeFileSync(join(dir, 'sweep.json'), JSON.stringify({ definition: { name: 'fixture' }, runs }, null, 2));
  return dir;
}

export function tempRoot(prefix = 'grokinfo-report-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
