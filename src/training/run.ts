/**
 * Training runs with records. One call trains a batch of runs that share a task split, an
 * architecture and a schedule (config.batchKey) as M models of one native Trainer; each run writes
 * its own directory:
 *   config.json      the RunConfig (written first)
 *   metrics.jsonl    one MetricsRecord per evaluated step
 *   oinfo.jsonl      one OInfoRecord per measured step (when config.measure is set)
 *   measures.jsonl   one MeasuresRecord per measured step (when config.measures is set; src/measures/)
 *   checkpoints/step-<N>.safetensors
 *   summary.json     RunSummary, written last: its presence marks a finished run
 *   resume.safetensors  while unfinished: the full training state (see below)
 * While a run is in progress its records go to *.jsonl.partial; they are renamed into place when
 * the run finishes, so a record file is never half-written. summary.json records each record file's
 * count and size (`records`), so readers detect a cut or torn copy (fsutil.readJsonl).
 *
 * Resume inside a run: every `stateEvery` (default 500 steps or 2 minutes, whichever comes first)
 * each unfinished run saves its training state - parameters, Adam moments, the step, its failure,
 * the byte length of its partial record files and the timing so far - to resume.safetensors. A
 * resumed call (`resume: true`, as sweeps and `train` on an unfinished run do) truncates the partial
 * files to those lengths and continues from that step, bitwise equal to an uninterrupted run (no
 * random numbers are drawn after initialisation; the measurement's tie seed is the config's).
 */
import { MNIST_CLASSES, MNIST_INPUT_DIM, mnistSplit } from '../tasks/mnist.js';
import { existsSync, promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { batchKey, canonicalJson, measuredLayers, primaryLayer } from '../config/config.js';
import { GrokinfoError, invalidArgument } from '../core/errors.js';
import { ioError, mkdirIO, prepareOutDir, readJson, readJsonl, writeJsonAtomic, type RecordFileInfo } from '../core/fsutil.js';
import { LOCK_FILE, lockDir } from '../core/lock.js';
import { versioned } from '../core/version.js';
import { resolveBackend, type BackendName } from '../addon/native.js';
import { checkpointToRecord, type CheckpointMeasure } from '../measures/oinfo.js';
import { formatDuration, type ProgressSink } from '../core/progress.js';
import { readInitialParams, readSafetensors, saveCheckpoint, writeSafetensors } from './safetensors.js';
import { makeTask } from '../tasks/modular.js';
import { MEASURES_FILE, MeasureSession, measureSchedule } from '../measures/session.js';
import { modelSpecOf, Trainer } from './trainer.js';
import { fieldDefault } from '../config/schema.js';
import type { MetricsRecord, OInfoErrorRecord, OInfoRecord, RunConfig, RunSummary } from '../config/types.js';

export interface RunJob {
  id: string;
  dir: string;
  config: RunConfig;
}

export interface TrainOptions {
  backend?: BackendName;
  signal?: AbortSignal;
  progress?: ProgressSink;
  /** Shown in progress lines. */
  label?: string;
  /**
   * Measurements that may be pending (snapshot taken, not yet recorded) while training goes on; when
   * measuring is slower than training, stepping waits for the oldest one. Bounds the memory held by
   * activation snapshots (each models x rows x width float32, on the device under CUDA). Default 2.
   */
  maxPendingMeasures?: number;
  /**
   * Continue each run from its saved training state (resume.safetensors) when it has one, the
   * runs sharing one saved step; otherwise (default) every run starts from step 0.
   */
  resume?: boolean;
  /** How often the training state is saved (default DEFAULT_STATE_EVERY); `false` never. */
  stateEvery?: { steps: number; seconds: number } | false;
}

/** The default interval of training-state saves: every 500 steps or 2 minutes, whichever comes first. */
export const DEFAULT_STATE_EVERY = { steps: 500, seconds: 120 } as const;
/** The training state of an unfinished run. */
export const STATE_FILE = 'resume.safetensors';
const STATE_KEY = 'grokinfo.resume';
const RECORD_FILES = { metrics: 'metrics.jsonl', oinfo: 'oinfo.jsonl' } as const;

interface SavedState {
  version: 1;
  /** canonicalJson of the run's config: a state is used only for the same configuration. */
  config: string;
  step: number;
  failed: string | null;
  /** Byte length and record count of each partial record file at `step`. */
  records: Record<string, RecordFileInfo>;
  trainSeconds: number;
  measureSeconds: number;
  wallSeconds: number;
}

/** The saved state of an unfinished run (parameters and moments included), or undefined when it has none usable. */
export async function readTrainState(
  dir: string,
  config: RunConfig,
): Promise<{ state: SavedState; params: Float32Array; m: Float32Array; v: Float32Array } | undefined> {
  const path = join(dir, STATE_FILE);
  if (!existsSync(path)) return undefined;
  try {
    const f = await readSafetensors(path);
    const state = JSON.parse(f.metadata[STATE_KEY] ?? 'null') as SavedState | null;
    const t = (k: string) => f.tensors.get(k)?.data;
    const params = t('params'), m = t('m'), v = t('v');
    if (!state || state.version !== 1 || state.config !== canonicalJson(config) || !params || !m || !v) return undefined;
    return { state, params, m, v };
  } catch {
    return undefined; // unreadable (e.g. an older format): the run starts over
  }
}

/** The step an unfinished run would resume from (0 when it has no usable state). */
export async function resumeStepOf(dir: string, config: RunConfig): Promise<number> {
  return (await readTrainState(dir, config))?.state.step ?? 0;
}

export function archOf(c: RunConfig) {
  const t = c.task;
  return {
    ...(t.kind === 'mnist' ? { input: 'dense' as const, vocab: 0, inputDim: MNIST_INPUT_DIM, out: MNIST_CLASSES } : { vocab: t.p, out: t.p }),
    hidden: [...c.model.hidden],
    biasFirst: c.model.biasFirst,
    biasHidden: c.model.biasHidden,
    biasOut: c.model.biasOut,
    loss: c.model.loss ?? fieldDefault<'xent' | 'mse'>('model.loss'),
  };
}

export function modelOf(c: RunConfig) {
  return modelSpecOf(c);
}

/** The steps at which something happens: evaluation, measurement, checkpoints (always 0 and the last step). */
export function scheduleOf(c: RunConfig): { evalAt: Set<number>; measureAt: Set<number>; checkpointAt: Set<number>; stops: number[] } {
  const evalAt = new Set<number>([0, c.steps]);
  for (let s = c.evalEvery; s < c.steps; s += c.evalEvery) evalAt.add(s);
  const measureAt = new Set<number>();
  if (c.measure) {
    measureAt.add(0);
    for (let s = c.measure.every; s <= c.steps; s += c.measure.every) measureAt.add(s);
  }
  const checkpointAt = new Set<number>(c.checkpoints);
  const stops = [...new Set([...evalAt, ...measureAt, ...checkpointAt, ...measureSchedule(c).expensive])].sort((a, b) => a - b);
  return { evalAt, measureAt, checkpointAt, stops };
}

export function isFinished(dir: string): boolean {
  return existsSync(join(dir, 'summary.json'));
}

/** First evaluated step whose value is strictly above the threshold, or null. */
export function firstAbove(records: MetricsRecord[], key: 'testAcc' | 'trainAcc', threshold: number): number | null {
  for (const r of records) if (r[key] > threshold) return r.step;
  return null;
}

export class JsonlWriter {
  private handle: fs.FileHandle | undefined;
  private pending: string[] = [];
  /** Bytes and records written (flushed) so far. */
  bytes = 0;
  records = 0;
  constructor(readonly finalPath: string) {}
  get partialPath() {
    return `${this.finalPath}.partial`;
  }
  /** Opens a new partial file, or (resuming) the existing one cut to `keep` bytes / records. */
  async open(keep?: RecordFileInfo) {
    try {
      if (keep) {
        this.handle = await fs.open(this.partialPath, 'r+');
        await this.handle.truncate(keep.bytes);
        this.bytes = keep.bytes;
        this.records = keep.records;
      } else this.handle = await fs.open(this.partialPath, 'w');
    } catch (e) {
      throw ioError(this.finalPath, e);
    }
  }
  push(rec: unknown) {
    this.pending.push(JSON.stringify(rec));
  }
  async flush() {
    if (!this.handle || this.pending.length === 0) return;
    const text = this.pending.join('\n') + '\n';
    const n = this.pending.length;
    this.pending = [];
    const data = Buffer.from(text, 'utf8');
    try {
      // positional writes: a resumed file continues exactly at `bytes` whatever its length was
      let off = 0;
      while (off < data.length) {
        const { bytesWritten } = await this.handle.write(data, off, data.length - off, this.bytes + off);
        off += bytesWritten;
      }
    } catch (e) {
      throw ioError(this.finalPath, e);
    }
    this.bytes += data.length;
    this.records += n;
  }
  /** Flushed, on disk, and cut to what was flushed (for a state save). */
  async sync(): Promise<RecordFileInfo> {
    await this.flush();
    try {
      await this.handle?.sync();
    } catch (e) {
      throw ioError(this.finalPath, e);
    }
    return { records: this.records, bytes: this.bytes };
  }
  async commit(): Promise<RecordFileInfo> {
    const info = await this.sync();
    try {
      await this.handle?.truncate(this.bytes);
      await this.handle?.close();
      this.handle = undefined;
      await fs.rename(this.partialPath, this.finalPath);
    } catch (e) {
      throw ioError(this.finalPath, e);
    }
    return info;
  }
  async abandon() {
    try {
      await this.flush();
    } catch {
      /* the partial file stays for inspection; a resumed run cuts it back to its saved state */
    }
    try {
      await this.handle?.close();
    } catch {
      /* ignore */
    }
    this.handle = undefined;
  }
}

/** A configuration the O-information measure cannot use, refused before any training. */
export function checkMeasurable(c: RunConfig): void {
  for (const l of measuredLayers(c))
    if (c.model.hidden[l] < 2)
      throw invalidArgument(
        'measure (--measure oinfo)',
        `a measured layer of at least 2 neurons (layer ${l} has ${c.model.hidden[l]}; O-information needs multiplets of 2 or more)`,
      );
}

/**
 * Trains every job of one batch (all must share config.batchKey) together and writes their
 * records. Returns one summary per job. Failed models (non-finite loss) are recorded in their
 * summary and do not stop the others. Cancellation (signal) rejects with CANCELLED and leaves no
 * summary.json for unfinished runs; their saved state lets a resumed call continue them.
 */
export async function trainBatch(jobs: RunJob[], opts: TrainOptions = {}): Promise<RunSummary[]> {
  if (jobs.length === 0) return [];
  const key = batchKey(jobs[0].config);
  for (const j of jobs) {
    if (batchKey(j.config) !== key) throw new GrokinfoError('INTERNAL', `trainBatch: run ${j.id} does not share the batch's task/architecture/schedule`);
    checkMeasurable(j.config);
  }
  const every = opts.stateEvery === undefined ? DEFAULT_STATE_EVERY : opts.stateEvery;
  if (every !== false && !(Number.isInteger(every.steps) && every.steps >= 1 && Number.isFinite(every.seconds) && every.seconds > 0))
    throw invalidArgument('stateEvery', '{steps: an integer >= 1, seconds: a number > 0} or false', every);
  const c0 = jobs[0].config;
  const { backend } = resolveBackend(opts.backend ?? 'auto');
  const wallStart = performance.now();
  const task = c0.task.kind === 'mnist' ? mnistSplit(c0.task.trainSize, c0.task.splitSeed) : makeTask(c0.task);
  const initial = await Promise.all(jobs.map((j) => (j.config.init.from ? readInitialParams(j.config.init.from, archOf(c0)) : undefined)));
  const models = jobs.map((j, i) => ({ ...modelOf(j.config), ...(initial[i] ? { initial: initial[i] } : {}) }));
  const trainer = await Trainer.create({ backend, arch: archOf(c0), task, models, batchSize: c0.train?.batchSize ?? fieldDefault<number>('train.batchSize') });
  const metricsW: JsonlWriter[] = [];
  const oinfoW: (JsonlWriter | undefined)[] = [];
  let inflight: Promise<void> | undefined; // the measurement running beside training
  let session: MeasureSession | null = null; // the progress measures (src/measures/), measures.jsonl
  const queue: Promise<void>[] = []; // pending measurements, oldest first (each settles after its records are written)
  const maxPending = opts.maxPendingMeasures ?? 2;
  if (!(Number.isInteger(maxPending) && maxPending >= 1)) throw invalidArgument('maxPendingMeasures', 'an integer >= 1', maxPending);
  let lastSave = { step: 0, time: performance.now() }; // the last saved training state
  try {
    jobs.forEach((j, m) => {
      if (j.config.mask) {
        const keep = new Uint8Array(c0.model.hidden[0]);
        for (const i of j.config.mask.keep) keep[i] = 1;
        trainer.setMask(m, keep, j.config.mask.maskBias);
      }
    });
    // Saved states: used only when every job has one at the same step (sweeps batch them so).
    let saved = opts.resume ? await Promise.all(jobs.map((j) => readTrainState(j.dir, j.config))) : [];
    if (saved.length && !saved.every((x) => x && x.state.step === saved[0]!.state.step)) {
      if (saved.some((x) => x)) opts.progress?.line(`${jobs.map((j) => j.id).join(', ')}: saved states at different steps (or some missing): starting over`);
      saved = [];
    }
    const metrics: MetricsRecord[][] = jobs.map(() => []);
    const failed: (string | null)[] = jobs.map(() => null);
    let step = 0;
    let trainSeconds = 0;
    let measureSeconds = 0;
    let wallBefore = 0; // wall seconds of the interrupted calls this one continues
    for (const [m, j] of jobs.entries()) {
      await mkdirIO(j.dir);
      await fs.rm(join(j.dir, 'summary.json'), { force: true }).catch((e) => {
        throw ioError(join(j.dir, 'summary.json'), e);
      });
      const st = saved[m];
      if (!st) {
        await fs.rm(join(j.dir, STATE_FILE), { force: true }).catch((e) => {
          throw ioError(join(j.dir, STATE_FILE), e);
        });
        await writeJsonAtomic(join(j.dir, 'config.json'), j.config);
      }
      const keep = (f: string) => {
        const r = st?.state.records[f];
        if (st && !r) throw new GrokinfoError('INTERNAL', `${join(j.dir, STATE_FILE)}: no record count of ${f}`);
        return r;
      };
      const mw = new JsonlWriter(join(j.dir, RECORD_FILES.metrics));
      await mw.open(keep(RECORD_FILES.metrics));
      metricsW.push(mw);
      if (j.config.measure) {
        const ow = new JsonlWriter(join(j.dir, RECORD_FILES.oinfo));
        await ow.open(keep(RECORD_FILES.oinfo));
        oinfoW.push(ow);
      } else oinfoW.push(undefined);
      if (st) {
        // the records up to the saved step (the partial file was just cut to them)
        metrics[m] = readJsonl<MetricsRecord>(mw.partialPath);
        if (metrics[m].length !== st.state.records[RECORD_FILES.metrics].records)
          throw new GrokinfoError('INVALID_DATA', `${mw.partialPath}: shorter than its saved state records; delete ${j.dir} to train the run again`);
        if (st.state.failed === null) {
          // (a failed model is frozen and never recorded again: its possibly non-finite values are not restored)
          trainer.setParams(m, st.params);
          trainer.setMoments(m, st.m, st.v);
        }
        failed[m] = st.state.failed;
        step = st.state.step;
        trainSeconds = st.state.trainSeconds;
        measureSeconds = st.state.measureSeconds;
        wallBefore = st.state.wallSeconds;
      }
    }
    // after the run directories exist; resuming, measures.jsonl continues from its saved record count
    session = await MeasureSession.open(
    jobs,
    task,
    jobs.map((_, m) => {
      const st = saved[m];
      if (!st || !jobs[m]!.config.measures?.names.length) return undefined;
      const r = st.state.records[MEASURES_FILE];
      if (!r) throw new GrokinfoError('INTERNAL', `${join(jobs[m]!.dir, STATE_FILE)}: no record count of ${MEASURES_FILE}`);
      return r;
    }),
  );
    if (saved.length) {
      trainer.setStepsDone(step);
      failed.forEach((f, m) => {
        if (f !== null) trainer.setFailed(m, f);
      });
      opts.progress?.line(`${jobs.length === 1 ? jobs[0].id : `${jobs.length} runs`}: resuming from the state saved at step ${step}`);
    }
    const { evalAt, measureAt, checkpointAt, stops: scheduled } = scheduleOf(c0);
    const stateAt = new Set<number>();
    if (every !== false) for (let s = every.steps; s < c0.steps; s += every.steps) stateAt.add(s);
    const stops = [...new Set([...scheduled, ...stateAt])].filter((s) => s >= step).sort((a, b) => a - b);
    const measure = c0.measure;
    const layers = measuredLayers(c0), primary = primaryLayer(c0);
    const label = opts.label ?? (jobs.length === 1 ? jobs[0].id : `${jobs.length} runs`);
    const resumedAt = step;
    lastSave = { step, time: performance.now() };
    const wallNow = () => wallBefore + (performance.now() - wallStart) / 1000;

    // Returns the pending records wrapped in an object (an async function's result promise would flatten them).
    const startMeasure = async (atStep: number): Promise<{ records: Promise<(OInfoRecord | undefined)[]> } | undefined> => {
      if (!measure) return;
      const models = jobs.map((_, m) => m).filter((m) => failed[m] === null);
      if (models.length === 0) return;
      while (queue.length >= maxPending) await queue.shift();
      const t0 = performance.now();
      const opt = { bins: measure.bins, ties: measure.ties, seed: c0.init.seed, units: measure.units, biasCorrect: measure.biasCorrect, itemErrors: true };
      // every measured layer (one for an integer --layer), all started now, while the trainer is idle (each
      // takes its snapshot of the activations at once); results[li][i]: layer layers[li], model models[i]
      const p = Promise.all(layers.map((l) => trainer.measure(models, l, opt, opts.signal)));
      p.catch(() => undefined); // handled below; avoids an unhandled rejection while `prev` runs
      const prev = inflight;
      const records: (OInfoRecord | undefined)[] = jobs.map(() => undefined);
      const notMeasured = (m: number, layer: number, error: string) =>
        oinfoW[m]!.push({ step: atStep, units: measure.units, layer, error } satisfies OInfoErrorRecord);
      inflight = (async () => {
        if (prev) await prev;
        let results: CheckpointMeasure[][];
        try {
          results = await p;
        } catch (e) {
          // Activations the estimator does not admit, where the backend cannot tell which model's (CUDA fails
          // the whole call; the CPU reports per model, below): the step is recorded as not measured for every
          // model of the call, and training goes on.
          if (!(e instanceof GrokinfoError && e.code === 'INVALID_DATA')) throw e;
          for (const m of models)
            for (const l of layers) notMeasured(m, l, e.message);
          opts.progress?.line(`${label}: step ${atStep} not measured: ${e.message}`);
          return;
        }
        const secs = (performance.now() - t0) / 1000;
        measureSeconds += secs;
        results.forEach((byModel, li) =>
          byModel.forEach((r, i) => {
            if (r.error !== undefined) {
              notMeasured(models[i]!, layers[li]!, r.error);
              opts.progress?.line(`${jobs[models[i]!]!.id}: step ${atStep}${layers.length > 1 ? `, layer ${layers[li]}` : ''} not measured: ${r.error}`);
              return;
            }
            const rec: OInfoRecord = { ...checkpointToRecord(atStep, r, measure.units, secs / (byModel.length * layers.length)), layer: layers[li] };
            oinfoW[models[i]]!.push(rec);
            if (layers[li] === primary) records[models[i]!] = rec;
          }),
        );
      })();
      inflight.catch(() => undefined); // awaited later (in order, or on failure); never unhandled meanwhile
      queue.push(inflight); // settled entries are dropped by the next call's loop at no cost
      const done = inflight.then(() => records);
      done.catch(() => undefined);
      return { records: done };
    };

    const saveStates = async () => {
      if (inflight) await inflight; // the records of every measurement started so far
      const infos = await Promise.all(jobs.map(async (_, m) => [await metricsW[m].sync(), await oinfoW[m]?.sync()] as const));
      for (const [m, j] of jobs.entries()) {
        const records: Record<string, RecordFileInfo> = { [RECORD_FILES.metrics]: infos[m][0] };
        if (infos[m][1]) records[RECORD_FILES.oinfo] = infos[m][1]!;
        const mi = await session?.sync(m);
        if (mi) records[MEASURES_FILE] = mi;
        const state: SavedState = {
          version: 1,
          config: canonicalJson(j.config),
          step,
          failed: failed[m],
          records,
          trainSeconds,
          measureSeconds,
          wallSeconds: wallNow(),
        };
        const n = trainer.paramCount;
        const { m: mm, v } = trainer.getMoments(m);
        await writeSafetensors(
          join(j.dir, STATE_FILE),
          { params: { shape: [n], data: trainer.getParams(m) }, m: { shape: [n], data: mm }, v: { shape: [n], data: v } },
          { [STATE_KEY]: JSON.stringify(state) },
        );
      }
      lastSave = { step, time: performance.now() };
    };

    for (const stop of stops) {
      if (stop > step) {
        const t0 = performance.now();
        await trainer.step(stop - step, {
          signal: opts.signal,
          onProgress: (done: number) => {
            const s = step + done;
            const rate = (((s - resumedAt) * jobs.length) / ((performance.now() - wallStart) / 1000)).toFixed(0);
            opts.progress?.status(`${label}: step ${s}/${c0.steps}  ${rate} model-steps/s`);
          },
        });
        trainSeconds += (performance.now() - t0) / 1000;
        step = stop;
      }
      const stepEvals: (MetricsRecord | undefined)[] = jobs.map(() => undefined);
      if (evalAt.has(step) && !(saved.length && step === resumedAt)) {
        const t0 = performance.now();
        const ev = await trainer.evaluate();
        trainSeconds += (performance.now() - t0) / 1000;
        ev.forEach((e, m) => {
          if (failed[m] !== null) return;
          if (e.failed) {
            failed[m] = e.failure || `non-finite values by step ${step}`;
            return;
          }
          const rec: MetricsRecord = {
            step,
            trainLoss: e.trainLoss,
            trainAcc: e.trainAcc,
            testLoss: e.testLoss,
            testAcc: e.testAcc,
            weightNorm: e.weightNorm,
          };
          metrics[m].push(rec);
          metricsW[m].push(rec);
          stepEvals[m] = rec;
        });
      }
      if (saved.length && step === resumedAt) continue; // everything at the saved step was recorded before the save
      const oinfoRecords = measureAt.has(step) ? await startMeasure(step) : undefined;
      if (session) {
        const t0 = performance.now();
        await session.atStep(step, jobs.map((_, m) => m).filter((m) => failed[m] === null), trainer, stepEvals, oinfoRecords?.records);
        measureSeconds += (performance.now() - t0) / 1000;
      }
      if (checkpointAt.has(step)) {
        for (let m = 0; m < jobs.length; m++) {
          if (failed[m] !== null) continue;
          await saveCheckpoint(join(jobs[m].dir, 'checkpoints', `step-${step}.safetensors`), archOf(c0), trainer.getParams(m), {
            step: String(step),
            seed: String(jobs[m].config.init.seed),
            run: jobs[m].id,
          });
        }
      }
      await Promise.all([...metricsW, ...oinfoW].map((w) => w?.flush()));
      await session?.flush();
      if (every !== false && step < c0.steps && step > lastSave.step && (stateAt.has(step) || performance.now() - lastSave.time >= every.seconds * 1000))
        await saveStates();
    }
    if (inflight) await inflight;
    const wallSeconds = wallNow();
    const summaries: RunSummary[] = [];
    for (let m = 0; m < jobs.length; m++) {
      const records: Record<string, RecordFileInfo> = { [RECORD_FILES.metrics]: await metricsW[m].commit() };
      const oi = await oinfoW[m]?.commit();
      if (oi) records[RECORD_FILES.oinfo] = oi;
      const mi = await session?.commit(m);
      if (mi) records[MEASURES_FILE] = mi;
      const rec = metrics[m];
      const last = rec[rec.length - 1];
      const thr = jobs[m].config.grokThreshold;
      // the summary returned is the one written (with the version that wrote it)
      const summary: RunSummary = versioned({
        grokStep: firstAbove(rec, 'testAcc', thr),
        memorizeStep: firstAbove(rec, 'trainAcc', thr),
        grokThreshold: thr,
        stepsDone: last?.step ?? 0,
        finalTrainAcc: last?.trainAcc ?? NaN,
        finalTestAcc: last?.testAcc ?? NaN,
        finalTrainLoss: last?.trainLoss ?? NaN,
        finalTestLoss: last?.testLoss ?? NaN,
        wallSeconds,
        trainSeconds,
        measureSeconds,
        backend,
        failed: failed[m],
        records,
      });
      await writeJsonAtomic(join(jobs[m].dir, 'summary.json'), summary);
      await fs.rm(join(jobs[m].dir, STATE_FILE), { force: true }).catch(() => undefined);
      summaries.push(summary);
      opts.progress?.line(
        `${jobs[m].id}: ${summary.failed ? `FAILED (${summary.failed})` : `test acc ${summary.finalTestAcc.toFixed(3)}, grok step ${summary.grokStep ?? 'never'}`} [${formatDuration(wallSeconds)}]`,
      );
    }
    return summaries;
  } catch (e) {
    // Unfinished runs keep their *.partial files and saved state (no summary.json): a resumed call continues them.
    await inflight?.catch(() => undefined);
    await Promise.all([...metricsW, ...oinfoW].map((w) => w?.abandon()));
    await session?.abandon();
    if (e instanceof GrokinfoError && e.code === 'CANCELLED') {
      // the run's step (the native message counts the steps of its own call)
      const at = trainer.stepsDone;
      throw new GrokinfoError('CANCELLED', `cancelled at step ${at} of ${c0.steps}${every !== false && lastSave.step > 0 ? ` (state saved at step ${lastSave.step}: rerun to continue from there)` : ''}`, {
        step: at,
        savedStep: lastSave.step,
      });
    }
    throw e;
  }
}

/**
 * Trains one run into `dir` (the `train` command). An empty or new directory is trained into; an
 * unfinished run of the same configuration there is continued from its saved state; anything else
 * (a finished run, another configuration, other files) is refused unless `overwrite`, which trains
 * into a hidden sibling directory and swaps it in only once the new run has finished, so `dir` never
 * holds records of two runs. The directory is locked while training.
 */
export async function trainRunDir(
  dir: string,
  id: string,
  config: RunConfig,
  opts: TrainOptions & { overwrite?: boolean } = {},
): Promise<RunSummary> {
  await prepareOutDir(dir, '--out');
  const lock = await lockDir(dir, 'run directory');
  try {
    let entries: string[];
    try {
      entries = (await fs.readdir(dir)).filter((e) => e !== LOCK_FILE && !e.startsWith(`${LOCK_FILE}.`));
    } catch (e) {
      throw ioError(dir, e, 'read');
    }
    const { overwrite, ...trainOpts } = opts;
    if (entries.length === 0) return (await trainBatch([{ id, dir, config }], { ...trainOpts, resume: false }))[0];
    const cfgPath = join(dir, 'config.json');
    const sameConfig = existsSync(cfgPath) && canonicalJson(await readJson<unknown>(cfgPath).catch(() => null)) === canonicalJson(config);
    if (!overwrite) {
      if (sameConfig && !isFinished(dir)) return (await trainBatch([{ id, dir, config }], { ...trainOpts, resume: true }))[0];
      const what = isFinished(dir) ? (sameConfig ? 'a finished run of this configuration' : 'a finished run of another configuration') : existsSync(cfgPath) ? 'an unfinished run of another configuration' : 'other files';
      throw invalidArgument('--out', `a new or empty directory, or an unfinished run of the same configuration (to continue it); ${dir} holds ${what}: add --overwrite to replace it, or choose another --out`, dir);
    }
    const tmp = join(dirname(dir), `.${basename(dir)}.new-${process.pid}`);
    const old = join(dirname(dir), `.${basename(dir)}.old-${process.pid}`);
    await fs.rm(tmp, { recursive: true, force: true }).catch((e) => {
      throw ioError(tmp, e, 'remove');
    });
    try {
      const [summary] = await trainBatch([{ id, dir: tmp, config }], { ...trainOpts, resume: false });
      try {
        await fs.rename(dir, old);
        await fs.rename(tmp, dir);
      } catch (e) {
        if (!existsSync(dir) && existsSync(old)) await fs.rename(old, dir).catch(() => undefined);
        throw ioError(dir, e, 'replace');
      }
      await fs.rm(old, { recursive: true, force: true }).catch(() => undefined);
      return summary;
    } finally {
      await fs.rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    }
  } finally {
    await lock.release();
  }
}

/** Checks a summary.json read from disk (INVALID_DATA naming the file and the field when a type is wrong). */
export function checkSummary(v: unknown, path: string): RunSummary {
  const bad = (field: string, want: string): never => {
    throw new GrokinfoError('INVALID_DATA', `${path}: ${field} must be ${want} (the file is damaged or not a grokinfo run summary; train the run again)`, { path, field });
  };
  if (!v || typeof v !== 'object' || Array.isArray(v)) bad('the file', 'a JSON object');
  const s = v as Record<string, unknown>;
  const num = (k: string) => typeof s[k] === 'number' || s[k] === null; // NaN is written as null
  for (const k of ['grokStep', 'memorizeStep']) if (!(s[k] === null || (typeof s[k] === 'number' && Number.isInteger(s[k])))) bad(k, 'an integer step or null');
  for (const k of ['grokThreshold', 'stepsDone', 'finalTrainAcc', 'finalTestAcc', 'finalTrainLoss', 'finalTestLoss']) if (!num(k)) bad(k, 'a number');
  for (const k of ['wallSeconds', 'trainSeconds', 'measureSeconds']) if (s[k] !== undefined && !num(k)) bad(k, 'a number');
  if (!(s.failed === null || s.failed === undefined || typeof s.failed === 'string')) bad('failed', 'null or a string');
  if (s.records !== undefined && (typeof s.records !== 'object' || s.records === null || Array.isArray(s.records))) bad('records', 'an object');
  return v as RunSummary;
}
