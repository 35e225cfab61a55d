/**
 * `grokinfo measure <run or checkpoints dir>`: the progress measures recomputed from saved checkpoints
 * (checkpoints/step-<N>.safetensors), so old runs can be re-measured. Written atomically to
 * measures-checkpoints.jsonl in the run directory (or --out), one MeasuresRecord per checkpoint. With the final
 * checkpoint known, fourier-loss uses its key frequencies (Nanda et al. fix K a posteriori) and agop adds the
 * alignment of each sqrt(AGOP) with the final one.
 */
import { primaryLayer, primaryRecords } from '../config/config.js';
import { taskTag } from '../tasks/index.js';
import { mnistSplit } from '../tasks/mnist.js';
import { existsSync, readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { GrokinfoError } from '../core/errors.js';
import { readJson, readJsonl, writeFileAtomic } from '../core/fsutil.js';
import type { ProgressSink } from '../core/progress.js';
import { loadCheckpoint } from '../training/safetensors.js';
import { archOf } from '../training/run.js';
import { makeTask } from '../tasks/modular.js';
import { paramLayout } from '../training/trainer.js';
import type { OInfoRecord, RunConfig } from '../config/types.js';
import { measureStep, type MeasuresRecord } from './compute.js';
import { agopMeasures, fourierMeasures } from './functions.js';
import { forwardData, modelFromParams, type MlpModel, type PairData, type SplitData } from './model.js';
import { KEY_FREQUENCY_THRESHOLD, checkMeasuresForTask, fourierApplies, parseMeasureList } from './registry.js';

export interface RemeasureOptions {
  /** Registry names (default: the run's configured measures, else every one that applies). */
  names?: string[];
  /** Output file (default <run>/measures-checkpoints.jsonl). */
  out?: string;
  signal?: AbortSignal;
  progress?: ProgressSink;
}

export interface RemeasureResult {
  runDir: string;
  out: string;
  names: string[];
  records: MeasuresRecord[];
}

/** Finds the run directory (with config.json) of a run dir or its checkpoints dir. */
function runDirOf(dir: string): string {
  if (!existsSync(dir)) throw new GrokinfoError('INVALID_ARGUMENT', `${dir}: no such directory (give a run directory or its checkpoints/ directory)`);
  if (existsSync(join(dir, 'config.json'))) return dir;
  if (basename(dir) === 'checkpoints' && existsSync(join(dirname(dir), 'config.json'))) return dirname(dir);
  throw new GrokinfoError('INVALID_ARGUMENT', `${dir}: not a run directory (no config.json here or in its parent; the task split comes from it)`);
}

export async function remeasureRun(dir: string, opts: RemeasureOptions = {}): Promise<RemeasureResult> {
  const runDir = runDirOf(dir);
  const config = await readJson<RunConfig>(join(runDir, 'config.json'));
  const ckDir = join(runDir, 'checkpoints');
  const files = existsSync(ckDir)
    ? readdirSync(ckDir)
        .map((f) => /^step-(\d+)\.safetensors$/.exec(f))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => ({ step: Number(m[1]), path: join(ckDir, m[0]) }))
        .sort((a, b) => a.step - b.step)
    : [];
  if (files.length === 0) throw new GrokinfoError('INVALID_ARGUMENT', `${runDir}: no checkpoints (checkpoints/step-<N>.safetensors; train with --checkpoints)`);
  const tc = config.task;
  const op = taskTag(tc);
  const p = tc.kind === 'mnist' ? 0 : tc.p;
  const names = (opts.names ? parseMeasureList(opts.names, op) : config.measures?.names ?? parseMeasureList('all', op)).filter((n) => n !== 'oinfo');
  checkMeasuresForTask(names, op);
  let train: SplitData, test: SplitData;
  if (tc.kind === 'mnist') {
    const s = mnistSplit(tc.trainSize, tc.splitSeed);
    train = { x: s.trainX, dim: s.inputDim, y: s.trainY };
    test = { x: s.testX, dim: s.inputDim, y: s.testY };
  } else {
    const task = makeTask(tc);
    train = { a: task.trainA, b: task.trainB, y: task.trainY };
    test = { a: task.testA, b: task.testB, y: task.testY };
  }
  const oinfo = primaryRecords(readJsonl<OInfoRecord>(join(runDir, 'oinfo.jsonl')), config);
  const load = async (path: string): Promise<MlpModel> => {
    const ck = await loadCheckpoint(path);
    return modelFromParams(ck.arch, paramLayout(ck.arch), ck.params);
  };
  const final = await load(files[files.length - 1]!.path);
  const modular = fourierApplies(op) && final.vocab === p;
  const keyFrequencies = modular && names.includes('fourier-loss') ? fourierMeasures(final, p, { keyThreshold: KEY_FREQUENCY_THRESHOLD }).keyFrequencies : undefined;
  const finalSqrtAgop = modular && names.includes('agop') && final.layers.length === 2 ? agopMeasures(final, train as PairData).sqrtAgop : undefined;
  const records: MeasuresRecord[] = [];
  for (const [i, f] of files.entries()) {
    if (opts.signal?.aborted) throw new GrokinfoError('CANCELLED', 'measure: cancelled');
    const model = await load(f.path);
    let fw: ReturnType<typeof forwardData> | null = null;
    const hidden = (l: number) => {
      fw ??= forwardData(model, train);
      return Float32Array.from(fw.hidden[l]!);
    };
    const o = oinfo.find((r) => r.step === f.step);
    records.push(
      await measureStep(f.step, names, {
        model,
        op,
        p,
        loss: archOf(config).loss,
        train,
        test,
        hidden,
        ...(o ? { oinfo: o } : {}),
        units: config.measure?.units ?? 'bits',
        infoLayer: primaryLayer(config),
        seed: config.init.seed,
        ...(keyFrequencies ? { keyFrequencies } : {}),
        ...(finalSqrtAgop ? { finalSqrtAgop } : {}),
      }),
    );
    opts.progress?.status(`measure: checkpoint ${i + 1}/${files.length} (step ${f.step})`);
  }
  const out = opts.out ?? join(runDir, 'measures-checkpoints.jsonl');
  try {
    await writeFileAtomic(out, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
  } catch (e) {
    throw new GrokinfoError('IO', `${out}: could not write (${(e as Error).message})`);
  }
  return { runDir, out, names, records };
}
