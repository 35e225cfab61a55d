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
 * While a run is in progress its records go to *.jsonl.partial; they are renamed into place when
 * the run finishes, so a record file is never half-written. An interrupted run has no summary.json
 * and is trained again from the start by resumable callers (sweeps).
 */
import { existsSync, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { batchKey } from './config.js';
import { GrokinfoError, invalidArgument } from './errors.js';
import { writeJsonAtomic } from './fsutil.js';
import { resolveBackend, type BackendName } from './native.js';
import { checkpointToRecord, type CheckpointMeasure } from './oinfo.js';
import { formatDuration, type ProgressSink } from './progress.js';
import { readInitialParams, saveCheckpoint } from './safetensors.js';
import { makeTask } from './task.js';
import { MeasureSession, measureSchedule } from './measures/session.js';
import { modelSpecOf, Trainer } from './trainer.js';
import type { MetricsRecord, OInfoRecord, RunConfig, RunSummary } from './types.js';

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
}

export function archOf(c: RunConfig) {
  return {
    vocab: c.task.p,
    hidden: [...c.model.hidden],
    out: c.task.p,
    biasFirst: c.model.biasFirst,
    biasHidden: c.model.biasHidden,
    biasOut: c.model.biasOut,
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
  constructor(readonly finalPath: string) {}
  get partialPath() {
    return `${this.finalPath}.partial`;
  }
  async open() {
    this.handle = await fs.open(this.partialPath, 'w');
  }
  push(rec: unknown) {
    this.pending.push(JSON.stringify(rec));
  }
  async flush() {
    if (!this.handle || this.pending.length === 0) return;
    const text = this.pending.join('\n') + '\n';
    this.pending = [];
    await this.handle.appendFile(text);
  }
  async commit() {
    await this.flush();
    await this.handle?.sync();
    await this.handle?.close();
    this.handle = undefined;
    await fs.rename(this.partialPath, this.finalPath);
  }
  async abandon() {
    try {
      await this.flush();
      await this.handle?.close();
    } catch {
      /* the partial file stays for inspection; a resumed run overwrites it */
    }
    this.handle = undefined;
  }
}

/**
 * Trains every job of one batch (all must share config.batchKey) together and writes their
 * records. Returns one summary per job. Failed models (non-finite loss) are recorded in their
 * summary and do not stop the others. Cancellation (signal) rejects with CANCELLED and leaves no
 * summary.json for unfinished runs.
 */
export async function trainBatch(jobs: RunJob[], opts: TrainOptions = {}): Promise<RunSummary[]> {
  if (jobs.length === 0) return [];
  const key = batchKey(jobs[0].config);
  for (const j of jobs)
    if (batchKey(j.config) !== key) throw new GrokinfoError('INTERNAL', `trainBatch: run ${j.id} does not share the batch's task/architecture/schedule`);
  const c0 = jobs[0].config;
  const { backend } = resolveBackend(opts.backend ?? 'auto');
  const wallStart = performance.now();
  const task = makeTask(c0.task);
  const initial = await Promise.all(jobs.map((j) => (j.config.init.from ? readInitialParams(j.config.init.from, archOf(c0)) : undefined)));
  const models = jobs.map((j, i) => ({ ...modelOf(j.config), ...(initial[i] ? { initial: initial[i] } : {}) }));
  const trainer = await Trainer.create({ backend, arch: archOf(c0), task, models });
  const metricsW: JsonlWriter[] = [];
  const oinfoW: (JsonlWriter | undefined)[] = [];
  let inflight: Promise<void> | undefined; // the measurement running beside training
  let session: MeasureSession | null = null; // the progress measures (src/measures/), measures.jsonl
  const queue: Promise<void>[] = []; // pending measurements, oldest first (each settles after its records are written)
  const maxPending = opts.maxPendingMeasures ?? 2;
  if (!(Number.isInteger(maxPending) && maxPending >= 1)) throw invalidArgument('maxPendingMeasures', 'an integer >= 1', maxPending);
  try {
    jobs.forEach((j, m) => {
      if (j.config.mask) {
        const keep = new Uint8Array(c0.model.hidden[0]);
        for (const i of j.config.mask.keep) keep[i] = 1;
        trainer.setMask(m, keep, j.config.mask.maskBias);
      }
    });
    for (const j of jobs) {
      await fs.mkdir(j.dir, { recursive: true });
      await fs.rm(join(j.dir, 'summary.json'), { force: true });
      await writeJsonAtomic(join(j.dir, 'config.json'), j.config);
      const mw = new JsonlWriter(join(j.dir, 'metrics.jsonl'));
      await mw.open();
      metricsW.push(mw);
      if (j.config.measure) {
        const ow = new JsonlWriter(join(j.dir, 'oinfo.jsonl'));
        await ow.open();
        oinfoW.push(ow);
      } else oinfoW.push(undefined);
    }
    session = await MeasureSession.open(jobs, task);
    const metrics: MetricsRecord[][] = jobs.map(() => []);
    const failed: (string | null)[] = jobs.map(() => null);
    const { evalAt, measureAt, checkpointAt, stops } = scheduleOf(c0);
    const measure = c0.measure;
    let trainSeconds = 0;
    let measureSeconds = 0;
    let step = 0;
    const label = opts.label ?? (jobs.length === 1 ? jobs[0].id : `${jobs.length} runs`);

    // Returns the pending records wrapped in an object (an async function's result promise would flatten them).
    const startMeasure = async (atStep: number): Promise<{ records: Promise<(OInfoRecord | undefined)[]> } | undefined> => {
      if (!measure) return;
      const models = jobs.map((_, m) => m).filter((m) => failed[m] === null);
      if (models.length === 0) return;
      while (queue.length >= maxPending) await queue.shift();
      const t0 = performance.now();
      const p = trainer.measure(models, measure.layer, {
        bins: measure.bins,
        ties: measure.ties,
        seed: c0.init.seed,
        units: measure.units,
        biasCorrect: measure.biasCorrect,
      }, opts.signal);
      p.catch(() => undefined); // handled below; avoids an unhandled rejection while `prev` runs
      const prev = inflight;
      const records: (OInfoRecord | undefined)[] = jobs.map(() => undefined);
      inflight = (async () => {
        if (prev) await prev;
        const results: CheckpointMeasure[] = await p;
        const secs = (performance.now() - t0) / 1000;
        measureSeconds += secs;
        results.forEach((r, i) => {
          const rec: OInfoRecord = checkpointToRecord(atStep, r, measure.units, secs / results.length);
          oinfoW[models[i]]!.push(rec);
          records[models[i]!] = rec;
        });
      })();
      inflight.catch(() => undefined); // awaited later (in order, or on failure); never unhandled meanwhile
      queue.push(inflight); // settled entries are dropped by the next call's loop at no cost
      const done = inflight.then(() => records);
      done.catch(() => undefined);
      return { records: done };
    };

    for (const stop of stops) {
      if (stop > step) {
        const t0 = performance.now();
        await trainer.step(stop - step, {
          signal: opts.signal,
          onProgress: (done: number) => {
            const s = step + done;
            const rate = ((s * jobs.length) / ((performance.now() - wallStart) / 1000)).toFixed(0);
            opts.progress?.status(`${label}: step ${s}/${c0.steps}  ${rate} model-steps/s`);
          },
        });
        trainSeconds += (performance.now() - t0) / 1000;
        step = stop;
      }
      const stepEvals: (MetricsRecord | undefined)[] = jobs.map(() => undefined);
      if (evalAt.has(step)) {
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
    }
    if (inflight) await inflight;
    const wallSeconds = (performance.now() - wallStart) / 1000;
    const summaries: RunSummary[] = [];
    for (let m = 0; m < jobs.length; m++) {
      await metricsW[m].commit();
      await oinfoW[m]?.commit();
      await session?.commit(m);
      const rec = metrics[m];
      const last = rec[rec.length - 1];
      const thr = jobs[m].config.grokThreshold;
      const summary: RunSummary = {
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
      };
      await writeJsonAtomic(join(jobs[m].dir, 'summary.json'), summary);
      summaries.push(summary);
      opts.progress?.line(
        `${jobs[m].id}: ${summary.failed ? `FAILED (${summary.failed})` : `test acc ${summary.finalTestAcc.toFixed(3)}, grok step ${summary.grokStep ?? 'never'}`} [${formatDuration(wallSeconds)}]`,
      );
    }
    return summaries;
  } catch (e) {
    // Unfinished runs keep only their *.partial files (no summary.json): a resumed sweep redoes them.
    await inflight?.catch(() => undefined);
    await Promise.all([...metricsW, ...oinfoW].map((w) => w?.abandon()));
    await session?.abandon();
    throw e;
  }
}
