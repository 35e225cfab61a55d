/**
 * Sweeps: a grid or list of configurations x seeds, trained in batched native calls, resumable and
 * shardable.
 *
 * A sweep directory holds sweep.json (the definition and the expanded plan: every run's id and
 * config) and runs/<id>/ (see src/run.ts). Rerunning the same command skips finished runs (those
 * with summary.json) and retrains unfinished ones from the start. `shard: {index, count}` keeps the
 * runs whose position in the id-sorted plan is congruent to index mod count, so shards are
 * disjoint, cover the plan, and need no coordination; mergeSweeps joins their directories.
 */
import { existsSync, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { batchKey, deepMergeConfig, resolveRunConfig, runId, type PartialRunConfig } from './config.js';
import { allowedKeys, canonicalJson, GRID_PATHS, gridJsonSchema, partialConfigJsonSchema, setPath } from './schema.js';
import { GrokinfoError, invalidArgument } from './errors.js';
import { readJson, writeJsonAtomic } from './fsutil.js';
import type { BackendName } from './native.js';
import { formatDuration, type ProgressSink } from './progress.js';
import { isFinished, trainBatch, type RunJob } from './run.js';
import type { RunConfig, RunSummary } from './types.js';

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
  compiled ??= new Ajv({ allErrors: true }).compile(definitionSchema);
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

/** Validates a definition (schema + every expanded configuration) and expands it into runs. */
export function planSweep(def: SweepDefinition): SweepPlan {
  if (!validateDefinition(def)) throw new GrokinfoError('INVALID_ARGUMENT', `sweep definition is invalid: ${definitionErrors(compiled!.errors ?? [])}`);
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
  await writeJsonAtomic(path, plan);
}

export interface SweepOptions {
  backend?: BackendName;
  signal?: AbortSignal;
  progress?: ProgressSink;
  shard?: Shard;
  /** Most models trained together in one native call (default 64). */
  maxBatch?: number;
}

export interface SweepResult {
  dir: string;
  trained: string[];
  skipped: string[];
  summaries: Record<string, RunSummary>;
  seconds: number;
}

/** Groups runs into batches that can share one native trainer. */
export function batchesOf(runs: PlannedRun[], maxBatch: number): PlannedRun[][] {
  const groups = new Map<string, PlannedRun[]>();
  for (const r of runs) {
    const k = batchKey(r.config);
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(r);
  }
  const out: PlannedRun[][] = [];
  for (const g of groups.values()) for (let i = 0; i < g.length; i += maxBatch) out.push(g.slice(i, i + maxBatch));
  return out;
}

export async function runSweep(dir: string, plan: SweepPlan, opts: SweepOptions = {}): Promise<SweepResult> {
  const t0 = performance.now();
  await fs.mkdir(join(dir, 'runs'), { recursive: true });
  await preparePlan(dir, plan);
  const mine = shardRuns(plan, opts.shard);
  const skipped = mine.filter((r) => isFinished(join(dir, 'runs', r.id))).map((r) => r.id);
  const todo = mine.filter((r) => !skipped.includes(r.id));
  const batches = batchesOf(todo, opts.maxBatch ?? 64);
  const trained: string[] = [];
  const summaries: Record<string, RunSummary> = {};
  opts.progress?.line(
    `sweep ${dir}: ${mine.length} runs${opts.shard ? ` (shard ${opts.shard.index}/${opts.shard.count} of ${plan.runs.length})` : ''}, ${skipped.length} already finished, ${todo.length} to train in ${batches.length} batch(es)`,
  );
  for (const [bi, batch] of batches.entries()) {
    const jobs: RunJob[] = batch.map((r) => ({ id: r.id, config: r.config, dir: join(dir, 'runs', r.id) }));
    const sums = await trainBatch(jobs, {
      backend: opts.backend,
      signal: opts.signal,
      progress: opts.progress,
      label: `batch ${bi + 1}/${batches.length} (${jobs.length} models)`,
    });
    sums.forEach((s, i) => {
      summaries[jobs[i].id] = s;
      trained.push(jobs[i].id);
    });
  }
  const seconds = (performance.now() - t0) / 1000;
  opts.progress?.line(`sweep ${dir}: ${trained.length} trained, ${skipped.length} skipped in ${formatDuration(seconds)}`);
  return { dir, trained, skipped, summaries, seconds };
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
  await fs.mkdir(join(out, 'runs'), { recursive: true });
  await preparePlan(out, plan!);
  const missing: string[] = [];
  let runs = 0;
  for (const r of plan!.runs) {
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
    const tmp = `${dest}.merging`;
    await fs.rm(tmp, { recursive: true, force: true });
    await fs.cp(src, tmp, { recursive: true });
    await fs.rm(dest, { recursive: true, force: true });
    await fs.rename(tmp, dest);
    runs++;
  }
  return { runs, missing };
}

/** Loads a finished run directory's records. */
export async function listRuns(dir: string): Promise<string[]> {
  if (existsSync(join(dir, 'summary.json')) || existsSync(join(dir, 'config.json'))) return [dir];
  const runsDir = join(dir, 'runs');
  if (!existsSync(runsDir)) throw new GrokinfoError('INVALID_ARGUMENT', `${dir} is neither a run directory (config.json) nor a sweep directory (runs/)`);
  const names = (await fs.readdir(runsDir)).sort();
  return names.map((n) => join(runsDir, n)).filter((d) => isFinished(d));
}
