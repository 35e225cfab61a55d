/**
 * Run configurations: the paper's defaults (METHOD.md §1), validation with coded errors, and stable
 * run identifiers. Every option the paper varies is a field of RunConfig (src/types.ts).
 */
import { createHash } from 'node:crypto';
import { invalidArgument } from './errors.js';
import { resolveMeasuresConfig, validateMeasuresConfig } from './measures/config.js';
import { validateTaskConfig } from './task.js';
import type { InitConfig, MeasureConfig, ModelConfig, OptimConfig, RunConfig, TaskConfig } from './types.js';


/** Paper mode: p = 97, add, 40% train with split seed 420, MLP 250, AdamW lr 0.03 betas (0.9, 0.98), 4000 steps, eval every 5. */
export function paperDefaults(): RunConfig {
  return {
    task: { op: 'add', p: 97, trainFraction: 0.4, splitSeed: 420 },
    model: { hidden: [250], biasFirst: true, biasHidden: true, biasOut: false },
    optim: { optimizer: 'adamw', lr: 0.03, weightDecay: 2.0, beta1: 0.9, beta2: 0.98, eps: 1e-8 },
    init: { seed: 0, alpha: 1, zeroOutput: false, constantNorm: false, omnigrokBiases: false },
    steps: 4000,
    evalEvery: 5,
    checkpoints: [],
    grokThreshold: 0.98,
  };
}

export function defaultMeasure(): MeasureConfig {
  return { kind: 'oinfo', every: 5, bins: 10, ties: 'average', units: 'bits', biasCorrect: false, layer: 0 };
}

/** The alpha experiments (§4): weight decay 0, weights scaled by alpha, output zeroed, constant norm. */
export function alphaInit(cfg: RunConfig, alpha: number): RunConfig {
  return {
    ...cfg,
    optim: { ...cfg.optim, weightDecay: 0 },
    init: { ...cfg.init, alpha, zeroOutput: true, constantNorm: true },
  };
}

type DeepPartial<T> = {
  [K in keyof T]?: NonNullable<T[K]> extends object ? (NonNullable<T[K]> extends unknown[] ? T[K] : DeepPartial<NonNullable<T[K]>>) : T[K];
};
export type PartialRunConfig = DeepPartial<RunConfig>;

/** Fills a partial configuration from paper defaults and validates it. */
export function resolveRunConfig(partial: PartialRunConfig = {}): RunConfig {
  const d = paperDefaults();
  const cfg: RunConfig = {
    ...d,
    ...(partial.name !== undefined ? { name: partial.name } : {}),
    task: { ...d.task, ...(partial.task as Partial<TaskConfig>) },
    model: { ...d.model, ...(partial.model as Partial<ModelConfig>) },
    optim: { ...d.optim, ...(partial.optim as Partial<OptimConfig>) },
    init: { ...d.init, ...(partial.init as Partial<InitConfig>) },
    steps: partial.steps ?? d.steps,
    evalEvery: partial.evalEvery ?? d.evalEvery,
    checkpoints: (partial.checkpoints as number[] | undefined) ?? d.checkpoints,
    grokThreshold: partial.grokThreshold ?? d.grokThreshold,
  };
  if (partial.measure) cfg.measure = { ...defaultMeasure(), ...(partial.measure as Partial<MeasureConfig>) };
  if (partial.measures) cfg.measures = resolveMeasuresConfig(partial.measures, cfg.task.op);
  if (partial.mask) cfg.mask = partial.mask as RunConfig['mask'];
  validateRunConfig(cfg);
  cfg.task = validateTaskConfig(cfg.task); // the resolved split ('auto' -> 'authors' or 'seeded') is recorded
  return cfg;
}

function finite(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x);
}
function int(x: unknown): x is number {
  return typeof x === 'number' && Number.isInteger(x);
}

export function validateRunConfig(c: RunConfig): void {
  validateTaskConfig(c.task);
  const m = c.model;
  if (!Array.isArray(m.hidden) || m.hidden.length < 1 || m.hidden.length > 8 || !m.hidden.every((w) => int(w) && w >= 1 && w <= 65536))
    throw invalidArgument('model.hidden (--hidden)', '1 to 8 layer widths, each an integer in [1, 65536]', m.hidden);
  if (c.init.from !== undefined && (typeof c.init.from !== 'string' || c.init.from === ''))
    throw invalidArgument('init.from (--init-from)', 'the path of a safetensors file', c.init.from);
  const o = c.optim;
  if (!['adamw', 'adam', 'sgd'].includes(o.optimizer)) throw invalidArgument('optim.optimizer (--optimizer)', 'one of adamw, adam, sgd', o.optimizer);
  if (!finite(o.lr) || o.lr <= 0) throw invalidArgument('optim.lr (--lr)', 'a finite number > 0', o.lr);
  if (!finite(o.weightDecay) || o.weightDecay < 0) throw invalidArgument('optim.weightDecay (--weight-decay)', 'a finite number >= 0', o.weightDecay);
  if (!finite(o.beta1) || o.beta1 < 0 || o.beta1 >= 1) throw invalidArgument('optim.beta1 (--beta1)', 'a number in [0, 1)', o.beta1);
  if (!finite(o.beta2) || o.beta2 < 0 || o.beta2 >= 1) throw invalidArgument('optim.beta2 (--beta2)', 'a number in [0, 1)', o.beta2);
  if (!finite(o.eps) || o.eps <= 0) throw invalidArgument('optim.eps (--eps)', 'a finite number > 0', o.eps);
  const i = c.init;
  if (!int(i.seed) || i.seed < 0 || i.seed > Number.MAX_SAFE_INTEGER) throw invalidArgument('init.seed (--seed)', 'a non-negative integer', i.seed);
  if (!finite(i.alpha) || i.alpha <= 0) throw invalidArgument('init.alpha (--alpha)', 'a finite number > 0', i.alpha);
  if (!int(c.steps) || c.steps < 1 || c.steps > 10_000_000) throw invalidArgument('steps (--steps)', 'an integer in [1, 10000000]', c.steps);
  if (!int(c.evalEvery) || c.evalEvery < 1) throw invalidArgument('evalEvery (--eval-every)', 'an integer >= 1', c.evalEvery);
  if (!Array.isArray(c.checkpoints) || !c.checkpoints.every((s) => int(s) && s >= 0 && s <= c.steps))
    throw invalidArgument('checkpoints (--checkpoints)', `steps in [0, ${c.steps}]`, c.checkpoints);
  if (!finite(c.grokThreshold) || c.grokThreshold <= 0 || c.grokThreshold > 1)
    throw invalidArgument('grokThreshold (--grok-threshold)', 'a number in (0, 1]', c.grokThreshold);
  if (c.measure) {
    const me = c.measure;
    if (me.kind !== 'oinfo') throw invalidArgument('measure (--measure)', "'oinfo'", me.kind);
    if (!int(me.every) || me.every < 1) throw invalidArgument('measure.every (--every)', 'an integer >= 1', me.every);
    if (!int(me.bins) || me.bins < 2 || me.bins > 20) throw invalidArgument('measure.bins (--bins)', 'an integer in [2, 20]', me.bins);
    if (!['average', 'random', 'ordinal'].includes(me.ties)) throw invalidArgument('measure.ties (--ties)', 'one of average, random, ordinal', me.ties);
    if (!['bits', 'nats'].includes(me.units)) throw invalidArgument('measure.units (--units)', 'bits or nats', me.units);
    if (!int(me.layer) || me.layer < 0 || me.layer >= m.hidden.length)
      throw invalidArgument('measure.layer (--layer)', `a hidden layer index in [0, ${m.hidden.length - 1}]`, me.layer);
  }
  if (c.measures) validateMeasuresConfig(c.measures, c);
  if (c.mask) {
    const w = m.hidden[0];
    if (!Array.isArray(c.mask.keep) || !c.mask.keep.every((j) => int(j) && j >= 0 && j < w))
      throw invalidArgument('mask.keep', `neuron indices in [0, ${w - 1}]`, c.mask.keep);
  }
}

/** Runs that can be trained in one batched native call: same task split, architecture and schedule. */
export function batchKey(c: RunConfig): string {
  return JSON.stringify([c.task, c.model, c.steps, c.evalEvery, c.measure ?? null, [...c.checkpoints].sort((a, b) => a - b), c.measures ?? null]);
}

/** A stable, readable identifier of a run configuration (name if given, else a content hash). */
export function runId(c: RunConfig): string {
  const { name: _name, ...rest } = c;
  const hash = createHash('sha256').update(canonicalJson(rest)).digest('hex').slice(0, 10);
  const base = c.name ? c.name.replace(/[^A-Za-z0-9_.-]+/g, '_') : `${c.task.op}-p${c.task.p}-wd${c.optim.weightDecay}-a${c.init.alpha}-s${c.init.seed}`;
  return `${base}-${hash}`;
}

export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.keys(v as object)
      .sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

function mergeDeep(a: unknown, b: unknown): unknown {
  if (b === undefined) return a;
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const out: Record<string, unknown> = { ...(a as Record<string, unknown>) };
    for (const [k, v] of Object.entries(b as Record<string, unknown>)) out[k] = mergeDeep(out[k], v);
    return out;
  }
  return b;
}

/** Deep merge of partial configurations (later wins; arrays are replaced, not merged). */
export function deepMergeConfig(...parts: PartialRunConfig[]): PartialRunConfig {
  return parts.reduce<unknown>((acc, p) => mergeDeep(acc, p), {}) as PartialRunConfig;
}
