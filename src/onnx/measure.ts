/**
 * O-information of the hidden layers of any ONNX model (and of grokinfo checkpoints through ONNX).
 *
 * measureModel: one model -> the activations of a named tensor (src/onnx/activations.ts) -> the
 * O-information engine in one of three modes:
 *   bins      the paper's measurement (METHOD.md §2): dead columns excluded, Ward clustering of the
 *             columns into K bins, Omega over the individual neurons of every union of bins;
 *             gives the same OInfoRecord as a native training run's measurement hook;
 *   variables every column is one variable, multiplets of minSize..maxSize columns;
 *   groups    the given column groups, each one vector-valued variable.
 * measureCheckpointDir: a directory of checkpoints (ONNX files or grokinfo safetensors, exported on
 * the fly), sorted by the step number in the file name -> oinfo.jsonl (one record per step), and,
 * in bins mode, timeline.json and phases.json (src/analysis), all written atomically.
 */
import { primaryLayer } from '../config/config.js';
import { modularTask } from '../tasks/index.js';
import { parseBinsSpec, parseGroupsSpec } from '../core/specs.js';
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { detectPhases } from '../analysis/phases.js';
import { normalizeRun } from '../analysis/timeline.js';
import { GrokinfoError, invalidArgument } from '../core/errors.js';
import { readJsonl, writeFileAtomic, writeJsonAtomic } from '../core/fsutil.js';
import { versioned } from '../core/version.js';
import { makeTask } from '../tasks/modular.js';
import type { MetricsRecord, OInfoRecord, PhasesFile, RunConfig, Timeline } from '../config/types.js';
import { collectActivations, loadModel, type ActivationOptions, type Activations, type ModelSource } from './activations.js';
import { engineCheckpoints, engineOInfo, type EngineOptions } from './engine.js';
import { exportCheckpoint, type ExportOptions } from './export.js';
import { decodeModel, modelInputs, modelMetadata } from './graph.js';

export type MeasureMode = { kind: 'bins'; bins: number } | { kind: 'variables' } | { kind: 'groups'; groups: number[][] };

/** Parses the CLI's --bins value: 'ward:K' or 'K' (Ward clustering into K bins). */
/** --bins of measure-model: Ward bins only ("ward:K" or "K", the syntax of src/core/specs.ts), K in 2..24. */
export function parseBins(v: string): number {
  const spec = parseBinsSpec('--bins', v);
  const k = Array.isArray(spec) ? NaN : spec.ward;
  if (!Number.isInteger(k) || k < 2 || k > 24) throw invalidArgument('--bins', "'ward:K' with K an integer in 2..24", v);
  return k;
}

/** --groups: the groups syntax of src/core/specs.ts ("0-3;4,5;6-9" or JSON), at least two groups. */
export function parseGroups(v: string): number[][] {
  const groups = parseGroupsSpec('--groups', v);
  if (groups.length < 2) throw invalidArgument('--groups', 'at least two non-empty groups of non-negative column indices', v);
  return groups;
}

export interface MeasureModelOptions extends ActivationOptions, EngineOptions {
  mode?: MeasureMode;
  /** The step this model is (bins mode records); default: the model's 'step' metadata, else 0. */
  step?: number;
}

export interface ModelMeasure {
  tensor: string;
  rows: number;
  cols: number;
  tensorShape: number[];
  layout: Activations['layout'];
  mode: MeasureMode;
  /** Bins mode: the record a native run writes for a measured step. */
  record?: OInfoRecord;
  /** Variables / groups mode: the engine's report. */
  report?: unknown;
  activationSeconds: number;
}

function engineOpts(o: EngineOptions): EngineOptions {
  const keys: (keyof EngineOptions)[] = ['minSize', 'maxSize', 'topK', 'units', 'ties', 'seed', 'biasCorrect', 'backend', 'signal', 'onProgress'];
  const out: Record<string, unknown> = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out as EngineOptions;
}

function stepOf(source: ModelSource, given?: number): number {
  if (given !== undefined) return given;
  if (source instanceof Uint8Array) {
    const md = modelMetadata(decodeModel(source));
    if (md.step !== undefined && Number.isInteger(Number(md.step))) return Number(md.step);
  }
  if (typeof source === 'string') {
    const s = stepFromName(source);
    if (s !== null) return s;
  }
  return 0;
}

/** Measures the O-information of one tensor of one ONNX model. */
export async function measureModel(source: ModelSource, opts: MeasureModelOptions): Promise<ModelMeasure> {
  const mode = opts.mode ?? { kind: 'bins', bins: 10 };
  const t0 = performance.now();
  const act = await collectActivations(source, opts);
  const activationSeconds = (performance.now() - t0) / 1000;
  const base = { tensor: opts.tensor, rows: act.rows, cols: act.cols, tensorShape: act.tensorShape, layout: act.layout, mode, activationSeconds };
  const eo = engineOpts(opts);
  if (mode.kind === 'bins') {
    const [record] = await engineCheckpoints([act.data], act.rows, act.cols, [stepOf(source, opts.step)], { ...eo, bins: mode.bins });
    return { ...base, record };
  }
  const matrix = { data: act.data, rows: act.rows, cols: act.cols };
  if (mode.kind === 'groups') {
    const bad = mode.groups.flat().find((c) => c >= act.cols);
    if (bad !== undefined) throw invalidArgument('groups', `column indices in 0..${act.cols - 1} (tensor '${opts.tensor}' has ${act.cols} features)`, bad);
    return { ...base, report: await engineOInfo(matrix, { ...eo, groups: mode.groups }) };
  }
  return { ...base, report: await engineOInfo(matrix, eo) };
}

// ---------------------------------------------------------------------------------------------
// Directories of checkpoints

export interface CheckpointFile {
  path: string;
  step: number;
  kind: 'onnx' | 'safetensors';
}

export function stepFromName(path: string): number | null {
  const m = /step[-_]?(\d+)/i.exec(basename(path)) ?? /(\d+)(?=\.[a-z]+$)/i.exec(basename(path));
  return m ? Number(m[1]) : null;
}

/**
 * The checkpoints in `dir` (.onnx and .safetensors files with a step number in their name), sorted
 * by step. Where a step has both, the ONNX file is used.
 */
export async function checkpointFiles(dir: string): Promise<CheckpointFile[]> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (e) {
    throw new GrokinfoError('IO', `could not list ${dir}: ${(e as Error).message}`);
  }
  const byStep = new Map<number, CheckpointFile>();
  for (const name of names) {
    const kind = name.endsWith('.onnx') ? 'onnx' : name.endsWith('.safetensors') ? 'safetensors' : null;
    if (!kind || name.startsWith('.')) continue;
    const step = stepFromName(name);
    if (step === null) continue;
    const prev = byStep.get(step);
    if (prev && prev.kind === 'onnx') continue;
    byStep.set(step, { path: join(dir, name), step, kind });
  }
  return [...byStep.values()].sort((a, b) => a.step - b.step);
}

export interface DirMeasureOptions extends Omit<MeasureModelOptions, 'step' | 'tensor' | 'inputs'> {
  /** Default: hidden.{measure.layer} of the run's config.json, else 'hidden.0' (grokinfo exports). */
  tensor?: string;
  /**
   * Default: the training examples of the run's task when the directory (or its parent) holds a
   * grokinfo config.json, as a native run measures: a, b for token graphs, one_hot(a) ++ one_hot(b)
   * for dense exports.
   */
  inputs?: ActivationOptions['inputs'];
  /** Output directory for oinfo.jsonl, timeline.json, phases.json (none: nothing written). */
  out?: string;
  /** How safetensors checkpoints are exported (default: token inputs). */
  export?: ExportOptions;
  /** Checkpoints measured together in one engine call (bins mode; default 8). */
  chunk?: number;
  /** Metrics for phase detection; default: metrics.jsonl in the directory or its parent (a run directory). */
  metrics?: MetricsRecord[];
  onCheckpoint?: (done: number, total: number, step: number) => void;
}

export interface DirMeasure {
  records: OInfoRecord[];
  /** Variables / groups mode: {step, report} per checkpoint. */
  reports: { step: number; report: unknown }[];
  timeline?: Timeline;
  phases?: PhasesFile;
  /** Why timeline/phases were not produced, when they were not. */
  skipped?: string;
  files: string[];
}

/** Measures every checkpoint of a directory (see the module comment). */
export async function measureCheckpointDir(dir: string, opts: DirMeasureOptions): Promise<DirMeasure> {
  const files = await checkpointFiles(dir);
  if (files.length === 0) throw invalidArgument('checkpoint directory', `${dir} holds no step-<N>.onnx or step-<N>.safetensors files`);
  const mode = opts.mode ?? { kind: 'bins', bins: 10 };
  const config = findRunConfig(dir);
  const tensor = opts.tensor ?? `hidden.${config ? primaryLayer(config) : 0}`;
  let trainingSet: { a: Int32Array; b: Int32Array; p: number } | undefined;
  if (!opts.inputs) {
    if (!config)
      throw invalidArgument('inputs', `samples for the model inputs (.npy); ${dir} is not inside a grokinfo run directory (no config.json), so the training set cannot be used`);
    const tc = modularTask(config.task, 'measure-model on a run directory (its training set as inputs; pass --inputs for other tasks)');
    const task = makeTask(tc);
    trainingSet = { a: task.trainA, b: task.trainB, p: tc.p };
  }
  const chunk = opts.chunk ?? 8;
  const eo = engineOpts(opts);
  const records: OInfoRecord[] = [];
  const reports: { step: number; report: unknown }[] = [];
  let pending: { step: number; act: Activations }[] = [];
  const flush = async () => {
    if (pending.length === 0) return;
    const { rows, cols } = pending[0].act;
    const odd = pending.find((p) => p.act.rows !== rows || p.act.cols !== cols);
    if (odd) {
      // shapes differ between checkpoints: measure one by one
      for (const p of pending) records.push(...(await engineCheckpoints([p.act.data], p.act.rows, p.act.cols, [p.step], { ...eo, bins: (mode as { bins: number }).bins })));
    } else {
      records.push(
        ...(await engineCheckpoints(
          pending.map((p) => p.act.data),
          rows,
          cols,
          pending.map((p) => p.step),
          { ...eo, bins: (mode as { bins: number }).bins },
        )),
      );
    }
    pending = [];
  };
  for (let i = 0; i < files.length; i++) {
    const f = files[i];
    const source: ModelSource = f.kind === 'onnx' ? f.path : await exportCheckpoint(f.path, { ...(opts.export ?? {}), metadata: { step: String(f.step) } });
    const inputs = opts.inputs ?? (await trainingInputs(source, trainingSet!));
    const act = await collectActivations(source, { ...opts, tensor, inputs });
    if (mode.kind === 'bins') {
      pending.push({ step: f.step, act });
      if (pending.length >= chunk) await flush();
    } else {
      const matrix = { data: act.data, rows: act.rows, cols: act.cols };
      reports.push({ step: f.step, report: await engineOInfo(matrix, mode.kind === 'groups' ? { ...eo, groups: mode.groups } : eo) });
    }
    opts.onCheckpoint?.(i + 1, files.length, f.step);
  }
  await flush();

  const result: DirMeasure = { records, reports, files: [] };
  if (mode.kind === 'bins') {
    try {
      result.timeline = normalizeRun(records);
      const metrics = opts.metrics ?? findMetrics(dir);
      result.phases = detectPhases(metrics, records);
    } catch (e) {
      result.skipped = `timeline/phases not computed: ${(e as Error).message}`;
    }
  }
  if (opts.out) {
    const lines = (mode.kind === 'bins' ? records : reports).map((r) => JSON.stringify(r)).join('\n') + '\n';
    const oinfoPath = join(opts.out, 'oinfo.jsonl');
    await writeFileAtomic(oinfoPath, lines);
    result.files.push(oinfoPath);
    if (result.timeline) {
      await writeJsonAtomic(join(opts.out, 'timeline.json'), versioned(result.timeline));
      result.files.push(join(opts.out, 'timeline.json'));
    }
    if (result.phases) {
      await writeJsonAtomic(join(opts.out, 'phases.json'), versioned(result.phases));
      result.files.push(join(opts.out, 'phases.json'));
    }
  }
  return result;
}

function findRunConfig(dir: string): RunConfig | undefined {
  for (const d of [dir, dirname(dir)]) {
    const p = join(d, 'config.json');
    if (existsSync(p)) {
      try {
        const c = JSON.parse(readFileSync(p, 'utf8')) as RunConfig;
        if (c?.task && (typeof (c.task as { p?: unknown }).p === 'number' || c.task.kind === 'mnist')) return c;
      } catch {
        /* not a run config */
      }
    }
  }
  return undefined;
}

/** The training set as the model's inputs: a, b (token graphs) or x = one_hot(a) ++ one_hot(b) (dense). */
async function trainingInputs(source: ModelSource, t: { a: Int32Array; b: Int32Array; p: number }): Promise<ActivationOptions['inputs']> {
  const { model } = await loadModel(source);
  const ins = modelInputs(model);
  const n = t.a.length;
  if (ins.length === 2) return [{ data: t.a, shape: [n] }, { data: t.b, shape: [n] }];
  if (ins.length === 1) {
    const x = new Float32Array(n * 2 * t.p);
    for (let i = 0; i < n; i++) {
      x[i * 2 * t.p + t.a[i]] = 1;
      x[i * 2 * t.p + t.p + t.b[i]] = 1;
    }
    return [{ data: x, shape: [n, 2 * t.p] }];
  }
  throw invalidArgument('inputs', `samples for the model's ${ins.length} inputs (the training set fits only grokinfo exports: a, b or x)`);
}

function findMetrics(dir: string): MetricsRecord[] {
  for (const d of [dir, dirname(dir)]) {
    const p = join(d, 'metrics.jsonl');
    if (existsSync(p)) return readJsonl<MetricsRecord>(p);
  }
  return [];
}
