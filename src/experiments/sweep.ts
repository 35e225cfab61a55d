/**
 * Sweeps: a grid or list of configurations x seeds, trained in batched native calls, resumable and
 * shardable.
 *
 * A sweep directory holds sweep.json (the definition and the expanded plan: every run's id and
 * config) and runs/<id>/ (see src/training/run.ts). One process at a time writes it (src/core/lock.ts). Rerunning
 * the same command skips finished runs (those with summary.json) and continues unfinished ones from
 * their saved training state (src/training/run.ts), runs saved at the same step batched together. `shard: {index, count}` keeps the
 * runs whose position in the id-sorted plan is congruent to index mod count, so shards are
 * disjoint, cover the plan, and need no coordination; mergeSweeps joins their directories.
 */
import { existsSync, promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { Ajv as AjvClass, ErrorObject, ValidateFunction } from 'ajv';
import { createRequire } from 'node:module';
import { batchKey, deepMergeConfig, resolveRunConfig, runId, type PartialRunConfig } from '../config/config.js';
import { allowedKeys, canonicalJson, GRID_PATHS, gridJsonSchema, partialConfigJsonSchema, setPath } from '../config/schema.js';
import { GrokinfoError, invalidArgument } from '../core/errors.js';
import { ioError, prepareOutDir, readJson, writeJsonAtomic } from '../core/fsutil.js';
import { lockDir } from '../core/lock.js';
import { versioned } from '../core/version.js';
import type { BackendName } from '../addon/native.js';
import { formatDuration, type ProgressSink } from '../core/progress.js';
import { checkMeasurable, isFinished, resumeStepOf, trainBatch, type RunJob } from '../training/run.js';
import type { RunConfig, RunSummary } from '../config/types.js';

export interface SweepDefinition {
  name?: string;
  /** Settings shared by every run. */
  base?: PartialRunConfig;
  /** Explicit configurations (each merged over base); default one empty configuration. */
  list?: PartialRunConfig[];
  /** Grid over dotted paths, e.g. {"optim.weightDecay": [0.1, 2]}; crossed with the list. */
  grid?: Record<string, unknown[]>;
  /** Model seeds crossed with everything (init.seed). */
  seeds?: number[];
}

export interface PlannedRun {
  id: string;
  config: RunConfig;
}

export interface SweepPlan {
  definition: SweepDefinition;
  runs: PlannedRun[];
}

const definitionSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    name: { type: 'string' },
    base: partialConfigJsonSchema(),
    list: { type: 'array', items: partialConfigJsonSchema(), minItems: 1 },
    grid: gridJsonSchema(),
    seeds: { type: 'array', items: { type: 'integer', minimum: 0 }, minItems: 1 },
  },
};
let compiled: ValidateFunction | undefined;
/** The sweep-definition validator, compiled on first use (not at CLI start-up). */
function validateDefinition(def: unknown): boolean {
  if (!compiled) {
    // loaded on first use: ajv is the slowest part of importing the core
    const { Ajv } = createRequire(import.meta.url)('ajv') as { Ajv: typeof AjvClass };
    compiled = new Ajv({ allErrors: true }).compile(definitionSchema);
  }
  return compiled(def);
}

/** The allowed keys at a location of a sweep definition, for the message about an unknown one. */
function allowedAt(instancePath: string): string[] {
  const parts = instancePath.split('/').filter(Boolean);
  if (parts.length === 0) return Object.keys(definitionSchema.properties);
  if (parts[0] === 'grid') return [...GRID_PATHS];
  const rest = parts[0] === 'list' ? parts.slice(2) : parts.slice(1);
  return allowedKeys(rest[0] ?? '');
}

/** One line per problem; an unknown key is named with its place and the allowed keys listed. */
function definitionErrors(errors: ErrorObject[]): string {
  const unknown = errors.filter((e) => e.keyword === 'additionalProperties');
  if (unknown.length > 0) {
    const e = unknown[0];
    const key = String((e.params as { additionalProperty: string }).additionalProperty);
    const where = e.instancePath.split('/').filter(Boolean).join('.');
    return `unknown key "${where ? `${where}.` : ''}${key}"; allowed ${where ? `in ${where}` : 'at the top level'}: ${allowedAt(e.instancePath).join(', ')}`;
  }
  return errors.map((e) => `${e.instancePath || '(root)'} ${e.message}`).join('; ');
}

/** The path of the first null in a JSON value, or undefined. */
function nullPath(v: unknown, path: string): string | undefined {
  if (v === null) return path;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const p = nullPath(v[i], `${path}[${i}]`);
      if (p !== undefined) return p;
    }
  } else if (v && typeof v === 'object')
    for (const [k, x] of Object.entries(v)) {
      const p = nullPath(x, path ? `${path}.${k}` : k);
      if (p !== undefined) return p;
    }
  return undefined;
}

/** Most runs one sweep may plan (a larger grid is refused before it is expanded). */
export const MAX_SWEEP_RUNS = 100_000;

/** Validates a definition (schema + every expanded configuration) and expands it into runs. */
export function planSweep(def: SweepDefinition): SweepPlan {
  // a null first (with its place), before the schema's less specific type errors
  const nul = nullPath(def, '');
  if (nul !== undefined) throw invalidArgument(`sweep definition ${nul || '(root)'}`, 'a value (null is not allowed: leave the key out for the default)', null);
  if (!validateDefinition(def)) throw new GrokinfoError('INVALID_ARGUMENT', `sweep definition is invalid: ${definitionErrors(compiled!.errors ?? [])}`);
  const planned = Object.values(def.grid ?? {}).reduce((n, v) => n * v.length, (def.list?.length ?? 1) * (def.seeds?.length ?? 1));
  if (planned > MAX_SWEEP_RUNS)
    throw invalidArgument('sweep size', `at most ${MAX_SWEEP_RUNS.toLocaleString('en-US')} runs (this grid x list x seeds makes ${planned.toLocaleString('en-US')}); split it into several sweeps`, planned);
  let partials: Record<string, unknown>[] = (def.list ?? [{}]).map((c) => deepMergeConfig(def.base ?? {}, c) as Record<string, unknown>);
  for (const [path, values] of Object.entries(def.grid ?? {})) {
    const next: Record<string, unknown>[] = [];
    for (const p of partials)
      for (const v of values) {
        const c = structuredClone(p);
        setPath(c, path, v);
        next.push(c);
      }
    partials = next;
  }
  if (def.seeds) {
    const next: Record<string, unknown>[] = [];
    for (const p of partials)
      for (const s of def.seeds) {
        const c = structuredClone(p);
        setPath(c, 'init.seed', s);
        next.push(c);
      }
    partials = next;
  }
  const runs: PlannedRun[] = [];
  const seen = new Set<string>();
  partials.forEach((p, i) => {
    let config: RunConfig;
    try {
      config = resolveRunConfig(p as PartialRunConfig);
      checkMeasurable(config);
    } catch (e) {
      if (e instanceof GrokinfoError) throw new GrokinfoError(e.code, `sweep run ${i + 1}: ${e.message}`, e.details);
      throw e;
    }
    const id = runId(config);
    if (seen.has(id)) return; // identical configurations are trained once
    seen.add(id);
    runs.push({ id, config });
  });
  runs.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { definition: def, runs };
}

export interface Shard {
  index: number;
  count: number;
}

export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index >= count) throw invalidArgument('--shard', 'i/n with 0 <= i < n (e.g. 0/4)', text);
  return { index, count };
}

export function shardRuns(plan: SweepPlan, shard?: Shard): PlannedRun[] {
  if (!shard) return plan.runs;
  return plan.runs.filter((_, i) => i % shard.count === shard.index);
}

/** Writes sweep.json, or checks that an existing one holds the same plan (resuming). */
export async function preparePlan(dir: string, plan: SweepPlan): Promise<void> {
  const path = join(dir, 'sweep.json');
  if (existsSync(path)) {
    const old = await readJson<SweepPlan>(path);
    const oldIds = canonicalJson(old.runs.map((r) => r.id));
    const newIds = canonicalJson(plan.runs.map((r) => r.id));
    if (oldIds !== newIds)
      throw new GrokinfoError(
        'INVALID_ARGUMENT',
        `${dir} already holds a different sweep (${old.runs.length} runs); use another --out, or delete it to start over`,
      );
    return;
  }
  await writeJsonAtomic(path, versioned(plan));
}

export interface SweepOptions {
  backend?: BackendName;
  signal?: AbortSignal;
  progress?: ProgressSink;
  shard?: Shard;
  /** Most models trained together in one native call (default 64). */
  maxBatch?: number;
  /** How often each run saves its training state (src/training/run.ts DEFAULT_STATE_EVERY); false never. */
  stateEvery?: { steps: number; seconds: number } | false;
}

export interface SweepResult {
  dir: string;
  trained: string[];
  skipped: string[];
  summaries: Record<string, RunSummary>;
  seconds: number;
}

/** Checks a --max-batch value: an integer >= 1. */
export function checkMaxBatch(v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 100_000) throw invalidArgument('maxBatch (--max-batch)', 'an integer in [1, 100000]', v);
  return v;
}

/**
 * Groups runs into batches that can share one native trainer (and, when `resumeStep` is given, that
 * resume from the same saved step).
 */
export function batchesOf(runs: PlannedRun[], maxBatch: number, resumeStep?: (r: PlannedRun) => number): PlannedRun[][] {
  checkMaxBatch(maxBatch);
  const groups = new Map<string, PlannedRun[]>();
  for (const r of runs) {
    const k = `${batchKey(r.config)}@${resumeStep ? resumeStep(r) : 0}`;
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(r);
  }
  const out: PlannedRun[][] = [];
  for (const g of groups.values()) for (let i = 0; i < g.length; i += maxBatch) out.push(g.slice(i, i + maxBatch));
  return out;
}

export async function runSweep(dir: string, plan: SweepPlan, opts: SweepOptions = {}): Promise<SweepResult> {
  const t0 = performance.now();
  const maxBatch = checkMaxBatch(opts.maxBatch ?? 64);
  await prepareOutDir(dir, '--out');
  const lock = await lockDir(dir, 'sweep directory', (why) => opts.progress?.line(`sweep ${dir}: taking over a stale lock (${why})`));
  try {
    try {
      await fs.mkdir(join(dir, 'runs'), { recursive: true });
    } catch (e) {
      throw ioError(join(dir, 'runs'), e, 'create');
    }
    await preparePlan(dir, plan);
    const mine = shardRuns(plan, opts.shard);
    const skipped = mine.filter((r) => isFinished(join(dir, 'runs', r.id))).map((r) => r.id);
    const todo = mine.filter((r) => !skipped.includes(r.id));
    const steps = new Map<string, number>();
    for (const r of todo) steps.set(r.id, await resumeStepOf(join(dir, 'runs', r.id), r.config));
    const batches = batchesOf(todo, maxBatch, (r) => steps.get(r.id) ?? 0);
    const resumed = [...steps.values()].filter((s) => s > 0).length;
    const trained: string[] = [];
    const summaries: Record<string, RunSummary> = {};
    opts.progress?.line(
      `sweep ${dir}: ${mine.length} runs${opts.shard ? ` (shard ${opts.shard.index}/${opts.shard.count} of ${plan.runs.length})` : ''}, ${skipped.length} already finished, ${todo.length} to train${resumed ? ` (${resumed} from a saved state)` : ''} in ${batches.length} batch(es)`,
    );
    for (const [bi, batch] of batches.entries()) {
      const jobs: RunJob[] = batch.map((r) => ({ id: r.id, config: r.config, dir: join(dir, 'runs', r.id) }));
      const sums = await trainBatch(jobs, {
        backend: opts.backend,
        signal: opts.signal,
        progress: opts.progress,
        label: `batch ${bi + 1}/${batches.length} (${jobs.length} models)`,
        resume: true,
        ...(opts.stateEvery !== undefined ? { stateEvery: opts.stateEvery } : {}),
      });
      sums.forEach((s, i) => {
        summaries[jobs[i].id] = s;
        trained.push(jobs[i].id);
      });
    }
    const seconds = (performance.now() - t0) / 1000;
    opts.progress?.line(`sweep ${dir}: ${trained.length} trained, ${skipped.length} skipped in ${formatDuration(seconds)}`);
    return { dir, trained, skipped, summaries, seconds };
  } finally {
    await lock.release();
  }
}

/** Joins shard directories into `out`: same plan required; finished runs are copied; missing ones are listed. */
export async function mergeSweeps(out: string, shardDirs: string[]): Promise<{ runs: number; missing: string[] }> {
  if (shardDirs.length === 0) throw invalidArgument('merge', 'at least one shard directory');
  let plan: SweepPlan | undefined;
  for (const d of shardDirs) {
    const p = join(d, 'sweep.json');
    if (!existsSync(p)) throw new GrokinfoError('INVALID_ARGUMENT', `${d} is not a sweep directory (no sweep.json)`);
    const pl = await readJson<SweepPlan>(p);
    if (plan && canonicalJson(plan.runs.map((r) => r.id)) !== canonicalJson(pl.runs.map((r) => r.id)))
      throw new GrokinfoError('INVALID_ARGUMENT', `${d} holds a different sweep plan than ${shardDirs[0]}`);
    plan ??= pl;
  }
  await prepareOutDir(out, '--out');
  const lock = await lockDir(out, 'merged sweep directory');
  try {
    await fs.mkdir(join(out, 'runs'), { recursive: true }).catch((e) => {
      throw ioError(join(out, 'runs'), e, 'create');
    });
    await preparePlan(out, plan!);
    return await copyFinished(out, plan!, shardDirs);
  } finally {
    await lock.release();
  }
}

async function copyFinished(out: string, plan: SweepPlan, shardDirs: string[]): Promise<{ runs: number; missing: string[] }> {
  const missing: string[] = [];
  let runs = 0;
  for (const r of plan.runs) {
    const dest = join(out, 'runs', r.id);
    if (isFinished(dest)) {
      runs++;
      continue;
    }
    const src = shardDirs.map((d) => join(d, 'runs', r.id)).find((d) => isFinished(d));
    if (!src) {
      missing.push(r.id);
      continue;
    }
    const tmp = join(out, 'runs', `.${r.id}.merging`);
    try {
      await fs.rm(tmp, { recursive: true, force: true });
      await fs.cp(src, tmp, { recursive: true });
      await fs.rm(dest, { recursive: true, force: true });
      await fs.rename(tmp, dest);
    } catch (e) {
      await fs.rm(tmp, { recursive: true, force: true }).catch(() => undefined);
      throw ioError(dest, e);
    }
    runs++;
  }
  return { runs, missing };
}

/** The finished run directories of a run or sweep directory; the unfinished ones are added to `unfinished` when given. */
export async function listRuns(dir: string, unfinished?: string[]): Promise<string[]> {
  if (existsSync(join(dir, 'summary.json')) || existsSync(join(dir, 'config.json'))) return [dir];
  const runsDir = join(dir, 'runs');
  if (!existsSync(runsDir)) throw new GrokinfoError('INVALID_ARGUMENT', `${dir} is neither a run directory (config.json) nor a sweep directory (runs/)`);
  const names = new Set((await fs.readdir(runsDir)).filter((n) => !n.startsWith('.')));
  // runs of the plan that were never started count as unfinished too
  if (existsSync(join(dir, 'sweep.json'))) {
    const plan = await readJson<SweepPlan>(join(dir, 'sweep.json'));
    if (Array.isArray(plan?.runs)) for (const r of plan.runs) if (typeof r?.id === 'string') names.add(r.id);
  }
  const dirs = [...names].sort().map((n) => join(runsDir, n));
  unfinished?.push(...dirs.filter((d) => !isFinished(d)));
  return dirs.filter((d) => isFinished(d));
}
