/**
 * The progress measures during training: one MeasureSession per trained batch writes each run's
 * measures.jsonl (one MeasuresRecord per measured step; *.partial until the run finishes, like the
 * other records). run.ts calls atStep() once per stop of its schedule.
 */
import { primaryLayer } from '../config/config.js';
import { taskTag } from '../tasks/index.js';
import type { DenseTaskArrays } from '../tasks/mnist.js';
import { join } from 'node:path';
import { JsonlWriter, archOf } from '../training/run.js';
import type { RecordFileInfo } from '../core/fsutil.js';
import type { Task } from '../tasks/modular.js';
import { paramLayout, type ParamInfo } from '../training/trainer.js';
import type { OInfoRecord, RunConfig } from '../config/types.js';
import { measureStep, type EvalValues, type MeasuresRecord } from './compute.js';
import { modelFromParams, type SplitData } from './model.js';
import { measureDef } from './registry.js';

/** The steps at which a configuration's progress measures run: cheap at every evaluation, expensive every expensiveEvery (and at 0 and the last step). */
export function measureSchedule(c: RunConfig): { cheap: Set<number>; expensive: Set<number> } {
  const cheap = new Set<number>();
  const expensive = new Set<number>();
  if (!c.measures || c.measures.names.length === 0) return { cheap, expensive };
  cheap.add(0).add(c.steps);
  for (let s = c.evalEvery; s < c.steps; s += c.evalEvery) cheap.add(s);
  expensive.add(0).add(c.steps);
  for (let s = c.measures.expensiveEvery; s < c.steps; s += c.measures.expensiveEvery) expensive.add(s);
  return { cheap, expensive };
}

/** What the session needs from the trainer. */
export interface TrainerView {
  getParams(model: number): Float32Array;
  hidden(model: number, layer: number): Float32Array;
}

/** The progress measures' record file of a run. */
export const MEASURES_FILE = 'measures.jsonl';

export class MeasureSession {
  private constructor(
    private readonly config: RunConfig,
    private readonly writers: (JsonlWriter | undefined)[],
    private readonly layout: ParamInfo[],
    private readonly train: SplitData,
    private readonly test: SplitData,
    private readonly schedule: { cheap: Set<number>; expensive: Set<number> },
  ) {}

  /** The modular op and modulus the Fourier measures read ('mnist' and 0 for MNIST). */
  private get task(): { op: ReturnType<typeof taskTag>; p: number } {
    const t = this.config.task;
    return t.kind === 'mnist' ? { op: 'mnist', p: 0 } : { op: t.op, p: t.p };
  }

  /**
   * `keep[m]` (resuming): the record count and size of model m's measures.jsonl at its saved state; the partial
   * file is cut back to it and continued.
   */
  static async open(jobs: { dir: string; config: RunConfig }[], task: Task | DenseTaskArrays, keep: (RecordFileInfo | undefined)[] = []): Promise<MeasureSession | null> {
    const c = jobs[0]?.config;
    if (!c?.measures || c.measures.names.length === 0) return null;
    const writers: JsonlWriter[] = [];
    for (const [m, j] of jobs.entries()) {
      const w = new JsonlWriter(join(j.dir, MEASURES_FILE));
      await w.open(keep[m]);
      writers.push(w);
    }
    // the data measures see the whole training split (the trainer's activations: the same rows as the
    // O-information) and the whole test split; the only one that reads test inputs during training is
    // local-complexity, on LC_PROBES evenly spaced rows (the loss is the trainer's evaluation)
    const dense = 'trainX' in task;
    return new MeasureSession(
      c,
      writers,
      paramLayout(archOf(c)),
      dense ? { x: task.trainX, dim: task.inputDim, y: task.trainY } : { a: task.trainA, b: task.trainB, y: task.trainY },
      dense ? { x: task.testX, dim: task.inputDim, y: task.testY } : { a: task.testA, b: task.testB, y: task.testY },
      measureSchedule(c),
    );
  }

  /** Measures the models at `step` if the schedule says so; oinfo gives each model's O-information record at this step, when measured. */
  async atStep(step: number, models: number[], trainer: TrainerView, evals: (EvalValues | undefined)[], oinfo?: Promise<(OInfoRecord | undefined)[]>): Promise<void> {
    const names = (this.config.measures?.names ?? []).filter((n) => (measureDef(n).cost === 'cheap' ? this.schedule.cheap : this.schedule.expensive).has(step));
    if (names.length === 0) return;
    const needsOinfo = names.includes('info') && oinfo !== undefined;
    const oi = needsOinfo ? await oinfo : undefined;
    for (const m of models) {
      const hiddenCache = new Map<number, Float32Array>();
      const rec: MeasuresRecord = await measureStep(step, names, {
        model: modelFromParams(archOf(this.config), this.layout, trainer.getParams(m)),
        op: this.task.op,
        p: this.task.p,
        train: this.train,
        test: this.test,
        hidden: (l) => {
          if (!hiddenCache.has(l)) hiddenCache.set(l, trainer.hidden(m, l));
          return hiddenCache.get(l)!;
        },
        ...(evals[m] ? { eval: { trainLoss: evals[m]!.trainLoss, trainAcc: evals[m]!.trainAcc, testLoss: evals[m]!.testLoss, testAcc: evals[m]!.testAcc } } : {}),
        ...(oi?.[m] ? { oinfo: oi[m] } : {}),
        loss: archOf(this.config).loss,
        units: this.config.measure?.units ?? 'bits',
        infoLayer: primaryLayer(this.config),
        seed: this.config.init.seed,
      });
      this.writers[m]!.push(rec);
    }
  }

  /** Model m's measures.jsonl flushed and on disk: its record count and size, for a saved training state. */
  async sync(model: number): Promise<RecordFileInfo | undefined> {
    return this.writers[model]?.sync();
  }
  async flush(): Promise<void> {
    await Promise.all(this.writers.map((w) => w?.flush()));
  }
  /** Renames the model's measures.jsonl into place; its line count and size go into summary.json. */
  async commit(model: number): Promise<RecordFileInfo | undefined> {
    return this.writers[model]?.commit();
  }
  async abandon(): Promise<void> {
    await Promise.all(this.writers.map((w) => w?.abandon()));
  }
}
