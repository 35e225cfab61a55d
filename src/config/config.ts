/**
 * Run configurations: the paper's defaults (METHOD.md §1), validation with coded errors, and stable
 * run identifiers. Every field, its range and default is defined once in src/config/schema.ts.
 */
import { createHash } from 'node:crypto';
import { invalidArgument } from '../core/errors.js';
import { resolveMeasuresConfig, validateMeasuresConfig } from '../measures/config.js';
import { appliesTo, canonicalJson, checkField, checkKnownKeys, fieldDefault, fieldDefaultFor, fieldName, fieldsOf, FIELD_BY_PATH, getPath, leafKey, OPTIONAL_SECTIONS, RUN_FIELDS, sectionDefaults } from './schema.js';
import { taskKind, taskName, taskTag, validateAnyTask } from '../tasks/index.js';
import { measuredOInfo, type InitConfig, type MeasureConfig, type ModelConfig, type OInfoErrorRecord, type OptimConfig, type RunConfig, type TaskConfig, type TrainConfig } from './types.js';

export { canonicalJson };

/** Paper mode: p = 97, add, 40% train with split seed 420, MLP 250, AdamW lr 0.03 wd 2 betas (0.9, 0.98), 4000 steps, eval every 5. */
export function paperDefaults(): RunConfig {
  return {
    ...(sectionDefaults('') as Pick<RunConfig, 'steps' | 'evalEvery' | 'checkpoints' | 'grokThreshold'>),
    task: sectionDefaults('task') as unknown as TaskConfig,
    model: sectionDefaults('model') as unknown as ModelConfig,
    optim: sectionDefaults('optim') as unknown as OptimConfig,
    init: sectionDefaults('init') as unknown as InitConfig,
  };
}

export function defaultMeasure(): MeasureConfig {
  return sectionDefaults('measure') as unknown as MeasureConfig;
}

/** The settings of the alpha experiments (§4): weight decay 0, output zeroed, constant weight norm. */
export const ALPHA_EXPERIMENT = { optim: { weightDecay: 0 }, init: { zeroOutput: true, constantNorm: true } } as const;

/** The alpha experiments (§4): weight decay 0, weights scaled by alpha, output zeroed, constant norm. */
export function alphaInit(cfg: RunConfig, alpha: number): RunConfig {
  return {
    ...cfg,
    optim: { ...cfg.optim, ...ALPHA_EXPERIMENT.optim },
    init: { ...cfg.init, alpha, ...ALPHA_EXPERIMENT.init },
  };
}

type DeepPartial<T> = {
  [K in keyof T]?: NonNullable<T[K]> extends object ? (NonNullable<T[K]> extends unknown[] ? T[K] : DeepPartial<NonNullable<T[K]>>) : T[K];
};
export type PartialRunConfig = DeepPartial<RunConfig>;

/** Fills a partial configuration from paper defaults and validates it (an unknown key is an error). */
export function resolveRunConfig(partial: PartialRunConfig = {}): RunConfig {
  checkKnownKeys(partial);
  const d = paperDefaults();
  const task = resolveTask(partial.task as Record<string, unknown> | undefined, d.task);
  const cfg: RunConfig = {
    ...d,
    ...(partial.name !== undefined ? { name: partial.name } : {}),
    task,
    model: { ...d.model, ...(partial.model as Partial<ModelConfig>) },
    optim: { ...d.optim, ...(partial.optim as Partial<OptimConfig>) },
    init: { ...d.init, ...(partial.init as Partial<InitConfig>) },
    steps: partial.steps ?? d.steps,
    evalEvery: partial.evalEvery ?? d.evalEvery,
    checkpoints: (partial.checkpoints as number[] | undefined) ?? d.checkpoints,
    grokThreshold: partial.grokThreshold ?? fieldDefaultFor<number>('grokThreshold', task.kind),
  };
  if (partial.train) cfg.train = { ...(partial.train as TrainConfig) };
  if (partial.measure) cfg.measure = { ...defaultMeasure(), ...(partial.measure as Partial<MeasureConfig>) };
  if (partial.measures) cfg.measures = resolveMeasuresConfig(partial.measures, taskTag(cfg.task));
  if (partial.mask) cfg.mask = partial.mask as RunConfig['mask'];
  validateRunConfig(cfg);
  cfg.task = validateAnyTask(cfg.task); // the resolved split ('auto' -> 'authors' or 'seeded') is recorded
  return cfg;
}

/**
 * The task section of a partial configuration with its defaults: the fields that apply to its kind
 * (schema FieldDef.tasks); one set explicitly for the other kind is refused (--p for mnist, --train-size for
 * modular), naming the fields that apply.
 */
function resolveTask(partial: Record<string, unknown> | undefined, modularDefaults: TaskConfig): TaskConfig {
  const kind = partial?.kind ?? 'modular';
  checkField(FIELD_BY_PATH.get('task.kind')!, kind);
  const k = kind as TaskConfig['kind'] & string;
  const fields = fieldsOf('task');
  for (const f of fields)
    if (partial?.[leafKey(f)] !== undefined && !appliesTo(f, k))
      throw invalidArgument(
        fieldName(f),
        `applies to ${f.tasks!.join(', ')} tasks only; a ${k} task takes ${fields.filter((g) => appliesTo(g, k)).map(fieldName).join(', ')}`,
        partial[leafKey(f)],
      );
  if (k === 'modular') {
    const { kind: _kind, ...rest } = partial ?? {}; // 'modular' is the default: left out, so ids stay those of older configurations
    return { ...modularDefaults, ...(rest as Partial<TaskConfig>) } as TaskConfig;
  }
  const out: Record<string, unknown> = { kind: k };
  for (const f of fields) if (f.path !== 'task.kind' && appliesTo(f, k) && f.default !== undefined) out[leafKey(f)] = partial?.[leafKey(f)] ?? fieldDefault(f.path);
  return out as unknown as TaskConfig;
}

/**
 * Checks every field against its schema entry (type and range, src/config/schema.ts), then the rules that
 * relate fields: the task's (a prime p for div, a fraction leaving both sides non-empty),
 * checkpoints <= steps, the measured layer and the ablation's neurons inside the model, the progress
 * measures applying to the task (src/measures/config.ts).
 */
export function validateRunConfig(c: RunConfig): void {
  validateAnyTask(c.task);
  const kind = taskKind(c.task);
  for (const f of RUN_FIELDS) {
    if (!appliesTo(f, kind)) {
      if (getPath(c, f.path) !== undefined) throw invalidArgument(fieldName(f), `applies to ${f.tasks!.join(', ')} tasks only (this task: ${kind})`, getPath(c, f.path));
      continue;
    }
    const section = f.path.includes('.') ? f.path.slice(0, f.path.indexOf('.')) : null;
    if (section !== null && OPTIONAL_SECTIONS.includes(section) && !c[section as 'train' | 'measure' | 'measures' | 'mask']) continue;
    const v = getPath(c, f.path);
    if (v === undefined && f.optional) continue;
    checkField(f, v);
  }
  const m = c.model;
  if (!c.checkpoints.every((s) => s <= c.steps)) throw invalidArgument('checkpoints (--checkpoints)', `steps in [0, ${c.steps}]`, c.checkpoints);
  if (c.measure && c.measure.layer !== 'all' && c.measure.layer >= m.hidden.length)
    throw invalidArgument('measure.layer (--layer)', `a hidden layer index in [0, ${m.hidden.length - 1}]`, c.measure.layer);
  if (c.measures) validateMeasuresConfig(c.measures, c);
  if (c.mask) {
    const w = m.hidden[0];
    if (!c.mask.keep.every((j) => j < w)) throw invalidArgument('mask.keep', `neuron indices in [0, ${w - 1}]`, c.mask.keep);
  }
}

/** The hidden layers O-information is measured on: the configured one, or every one for 'all'. */
export function measuredLayers(c: RunConfig): number[] {
  if (!c.measure) return [];
  return c.measure.layer === 'all' ? c.model.hidden.map((_, l) => l) : [c.measure.layer];
}

/**
 * The layer whose O-information records analysis, phases, claims, reports and the progress measures use:
 * the configured layer, or layer 0 for 'all'.
 */
export function primaryLayer(c: Pick<RunConfig, 'measure'>): number {
  const l = c.measure?.layer;
  return typeof l === 'number' ? l : 0;
}

/** The records of the primary layer (untagged records, from before layers were tagged, count as it). */
export function primaryRecords<T extends { layer?: number; step: number }>(records: readonly (T | OInfoErrorRecord)[], c: Pick<RunConfig, 'measure'>): T[] {
  const l = primaryLayer(c);
  return measuredOInfo<T>(records).filter((r) => r.layer === undefined || r.layer === l);
}

/** The schema entry of a path (throws for a path that is not a run-configuration field). */
export function runField(path: string) {
  const f = FIELD_BY_PATH.get(path);
  if (!f) throw invalidArgument('configuration field', `one of ${[...FIELD_BY_PATH.keys()].join(', ')}`, path);
  return f;
}

/** Runs that can be trained in one batched native call: same task split, architecture and schedule. */
export function batchKey(c: RunConfig): string {
  const batchSize = c.train?.batchSize ?? fieldDefault<number>('train.batchSize'); // shape-level: never mixed in one trainer
  return JSON.stringify([c.task, c.model, c.steps, c.evalEvery, c.measure ?? null, [...c.checkpoints].sort((a, b) => a - b), c.measures ?? null, batchSize]);
}

/** A stable, readable identifier of a run configuration (name if given, else a content hash). */
export function runId(c: RunConfig): string {
  const { name: _name, ...rest } = c;
  const hash = createHash('sha256').update(canonicalJson(rest)).digest('hex').slice(0, 10);
  const base = c.name ? c.name.replace(/[^A-Za-z0-9_.-]+/g, '_') : `${taskName(c.task)}-wd${c.optim.weightDecay}-a${c.init.alpha}-s${c.init.seed}`;
  return `${base}-${hash}`;
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

// ---------------------------------------------------------------------------------------------------
// Configurations: what the runs of one configuration share, and readable labels

/** Ablation role of a run: the original (no mask), its synergistic sub-network, the inverse, or a random control. */
export type AblationRole = 'original' | 'sub-network' | 'inverse' | 'random';

/**
 * Ablation role of a run, from config.mask.source as src/experiments/ablate.ts writes it ("synergy of step N",
 * "inverse of step N", "random:K of step N"); without a source, the smaller half is the sub-network.
 */
export function ablationRole(c: RunConfig): AblationRole {
  if (!c.mask) return 'original';
  const src = c.mask.source ?? '';
  if (/^invers|complement/i.test(src)) return 'inverse';
  if (/^random/i.test(src)) return 'random';
  if (/^syn|sub/i.test(src)) return 'sub-network';
  const width = c.model.hidden[0] ?? 0;
  return c.mask.keep.length * 2 <= width ? 'sub-network' : 'inverse';
}

/**
 * The configuration a run belongs to: its full config without what varies between the seeds of one
 * configuration (init.seed, the name, the checkpoint steps). Every field the user can set is part of
 * it, so runs that differ in learning rate, p, width or optimiser are different configurations. The
 * kept neurons of an ablation differ from seed to seed: an ablation configuration is its role (and the
 * size of a random control), and it is not measured, so the measure settings (measure, measures) are
 * not part of it.
 */
export function configKey(c: RunConfig): string {
  const { name: _name, init, checkpoints: _cp, mask, ...rest } = c;
  const { seed: _seed, ...initRest } = init;
  const m = mask ? { role: ablationRole(c), maskBias: mask.maskBias, ...(mask.source?.startsWith('random') ? { n: mask.keep.length } : {}) } : undefined;
  const { measure, measures, ...unmeasured } = rest;
  return canonicalJson({ ...(mask ? unmeasured : { ...unmeasured, measure, measures }), init: initRest, mask: m });
}

/** The configuration an ablation run was derived from: the key without the mask and the measure settings (both kinds). */
export function baseKey(c: RunConfig): string {
  const { mask: _mask, measure: _measure, measures: _measures, name: _n, init, checkpoints: _cp, ...rest } = c;
  const { seed: _seed, ...initRest } = init;
  return canonicalJson({ ...rest, init: initRest });
}

/** The labelled fields of a configuration: schema path -> value as a label shows it ("128x128", "0.1"). */
function labelFields(c: RunConfig): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of RUN_FIELDS) {
    if (!f.label || f.path === 'init.seed') continue;
    const v = getPath(c, f.path);
    if (v !== undefined) out.set(f.path, Array.isArray(v) ? v.join('x') : String(v));
  }
  return out;
}

/**
 * Readable labels of configurations that name only the fields that vary among them ("wd=0.1",
 * "lr=0.01 wd=2", "alpha=8", "wd=2 sub-network"); configKey -> label, unique (an index is appended
 * where two would collide). The alpha experiments' settings that come with alpha (zeroed output,
 * constant norm, weight decay 0: alphaInit) are not repeated; a label is also a selector for
 * `configMatches` (src/config/config.ts).
 */
export function configurationLabels(configs: readonly RunConfig[]): Map<string, string> {
  const byKey = new Map<string, RunConfig>();
  for (const c of configs) if (!byKey.has(configKey(c))) byKey.set(configKey(c), c);
  const keys = [...byKey.keys()];
  const flats = keys.map((k) => labelFields(byKey.get(k)!));
  const paths = RUN_FIELDS.map((f) => f.path);
  // a field varies when the configurations that have it disagree (ablations have no measure settings)
  const differing = paths.filter((p) => new Set(flats.map((m) => m.get(p)).filter((v) => v !== undefined)).size > 1);
  const label = (p: string) => FIELD_BY_PATH.get(p)!.label!;
  const labels = new Map<string, string>();
  keys.forEach((k, i) => {
    const c = byKey.get(k)!;
    const alphaRun = c.init.constantNorm || c.init.alpha !== 1;
    const implied = (p: string) =>
      p === 'init.zeroOutput' || p === 'init.constantNorm'
        ? differing.includes('init.alpha')
        : p === 'init.alpha'
          ? !alphaRun
          : p === 'optim.weightDecay'
            ? alphaRun && c.optim.weightDecay === ALPHA_EXPERIMENT.optim.weightDecay
            : false;
    const parts = differing.filter((p) => !implied(p) && flats[i].has(p)).map((p) => `${label(p)}=${flats[i].get(p)}`);
    if (parts.length === 0) parts.push(`wd=${c.optim.weightDecay}`, `alpha=${c.init.alpha}`);
    const role = ablationRole(c);
    if (role !== 'original') parts.push(role);
    labels.set(k, parts.join(' '));
  });
  const seen = new Map<string, number>();
  for (const k of [...keys].sort()) {
    const l = labels.get(k)!;
    const n = seen.get(l) ?? 0;
    seen.set(l, n + 1);
    if (n > 0) labels.set(k, `${l} #${n + 1}`);
  }
  return labels;
}

/**
 * Does a configuration match a selector string? Either a configuration key (configKey) or a label
 * made of `name=value` terms (schema label or path: "wd=2 alpha=1", "optim.lr=0.01"), every term
 * matching. Anything else matches nothing.
 */
export function configMatches(selector: string, c: RunConfig): boolean {
  if (selector.startsWith('{')) return selector === configKey(c);
  const terms = selector.trim().split(/\s+/).filter(Boolean);
  if (terms.length === 0) return false;
  const fields = labelFields(c);
  return terms.every((t) => {
    const eq = t.indexOf('=');
    if (eq <= 0) return false;
    const name = t.slice(0, eq);
    const f = RUN_FIELDS.find((x) => x.label === name || x.path === name);
    if (!f) return false;
    const v = f.path === 'init.seed' ? String(c.init.seed) : fields.get(f.path);
    return v !== undefined && (v === t.slice(eq + 1) || Number(v) === Number(t.slice(eq + 1)));
  });
}
