/**
 * The training engine, typed: many MLPs of one shape trained together, full batch or in seeded
 * minibatches, on one split of a task: the modular-arithmetic pairs (METHOD.md §1) or dense inputs
 * (e.g. MNIST pixels), with cross-entropy or MSE on one-hot targets. A thin wrapper over the native Trainer
 * (bindings/train.cpp -> native/mlp.h): every argument is validated here first, with coded errors
 * naming the argument and the allowed range.
 *
 *   const t = await Trainer.create({ backend: 'auto', arch, task: makeTask({...}), models: [{ seed: 0 }] });
 *   await t.step(100, { signal, onProgress });   const [m] = await t.evaluate();
 */
import { GrokinfoError, invalidArgument } from '../core/errors.js';
import { loadNative, resolveBackend, withNativeJob, type BackendName } from '../addon/native.js';
import { checkpointFromNative, measureNativeOptions, type CheckpointMeasure, type MeasureOptions } from '../measures/oinfo.js';
import { checkField, FIELD_BY_PATH, fieldDefault, getPath, MAX_LAYERS, MAX_WIDTH } from '../config/schema.js';
import type { OptimizerName, RunConfig } from '../config/types.js';

/** Input kinds: 'pairs' (two tokens, one-hot, the modular tasks) or 'dense' (rows of inputDim floats). */
export const INPUT_KINDS = ['pairs', 'dense'] as const;
export type InputKind = (typeof INPUT_KINDS)[number];
/** Losses: 'xent' (softmax cross-entropy) or 'mse' (PyTorch MSELoss, mean over samples and classes, on one-hot targets). */
export const LOSSES = ['xent', 'mse'] as const;
export type LossName = (typeof LOSSES)[number];

export interface ArchConfig {
  /** Input kind (default 'pairs'). */
  input?: InputKind;
  /** Tokens per operand (p) for pair inputs: layer 0 sees one_hot(a) ++ one_hot(b), 2*vocab inputs; 0 for dense inputs. */
  vocab: number;
  /** Features per sample for dense inputs (layer 0 sees inputDim inputs); 0 for pair inputs. */
  inputDim?: number;
  /** Loss (default 'xent'). */
  loss?: LossName;
  /** Widths of the ReLU hidden layers (1 to MAX_LAYERS layers). */
  hidden: number[];
  /** Classes (p). */
  out: number;
  biasFirst: boolean;
  biasHidden: boolean;
  biasOut: boolean;
}

export interface ModelSpec {
  /** Initialisation seed (the same initial parameters on every backend and in any batch). */
  seed: number;
  optimizer: OptimizerName;
  lr: number;
  /** AdamW: decoupled, on every parameter (biases included); Adam and SGD: L2 (g += wd * p). */
  weightDecay: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** Seed of the minibatch sampler (each epoch a permutation drawn from (batchSeed, epoch)); unused in full batch. */
  batchSeed: number;
  /** Init scale of the weight matrices (not the biases unless omnigrokBiases). */
  alpha: number;
  /** Zero the output weight matrix after scaling (the target norm is recorded before). */
  zeroOutput: boolean;
  /** Rescale the weight matrices to the initial target norm after every optimiser step. */
  constantNorm: boolean;
  /** Omnigrok variant: biases are scaled, counted in the norm and rescaled too. */
  omnigrokBiases: boolean;
  /**
   * Initial parameters (flat layout of paramLayout) that replace the seeded draw, e.g. a PyTorch
   * model's state_dict; alpha, zeroOutput and the constant-norm target then apply to them as to a draw.
   */
  initial?: Float32Array;
}

/** Where each model-spec field lives in a run configuration (its type, range and default: src/config/schema.ts). */
export const MODEL_SPEC_PATHS: Readonly<Record<Exclude<keyof ModelSpec, 'initial'>, string>> = {
  seed: 'init.seed',
  optimizer: 'optim.optimizer',
  lr: 'optim.lr',
  weightDecay: 'optim.weightDecay',
  beta1: 'optim.beta1',
  beta2: 'optim.beta2',
  eps: 'optim.eps',
  alpha: 'init.alpha',
  zeroOutput: 'init.zeroOutput',
  constantNorm: 'init.constantNorm',
  omnigrokBiases: 'init.omnigrokBiases',
  batchSeed: 'train.batchSeed',
};

/** The paper's defaults (METHOD.md §1, the run-configuration defaults) for anything a model spec leaves out. */
export const DEFAULT_MODEL: Readonly<ModelSpec> = Object.freeze(
  Object.fromEntries(Object.entries(MODEL_SPEC_PATHS).map(([k, path]) => [k, fieldDefault(path)])) as unknown as ModelSpec,
);

const ARCH_FLAG_PATHS = { biasFirst: 'model.biasFirst', biasHidden: 'model.biasHidden', biasOut: 'model.biasOut' } as const;
export const DEFAULT_ARCH_FLAGS: Readonly<Record<keyof typeof ARCH_FLAG_PATHS, boolean>> = Object.freeze({
  biasFirst: fieldDefault<boolean>(ARCH_FLAG_PATHS.biasFirst),
  biasHidden: fieldDefault<boolean>(ARCH_FLAG_PATHS.biasHidden),
  biasOut: fieldDefault<boolean>(ARCH_FLAG_PATHS.biasOut),
});

/** The model spec of a run configuration: every value passed (an optional field left out: its schema default). */
export function modelSpecOf(c: RunConfig): ModelSpec {
  return Object.fromEntries(
    Object.entries(MODEL_SPEC_PATHS).map(([k, path]) => [k, getPath(c, path) ?? fieldDefault(path)]),
  ) as unknown as ModelSpec;
}

/** The split a trainer trains on (what makeTask returns; only these arrays are used). */
export type { TaskArrays } from '../tasks/modular.js';
import type { TaskArrays } from '../tasks/modular.js';

/** A split of a dense-input task: rows of inputDim floats (row-major, finite), int class labels (defined with the MNIST task). */
export type { DenseTaskArrays } from '../tasks/mnist.js';
import type { DenseTaskArrays } from '../tasks/mnist.js';

export interface TrainerOptions {
  backend?: BackendName;
  /** For pair inputs vocab is required; for dense inputs (input: 'dense') inputDim defaults to the task's. */
  arch: Partial<ArchConfig> & { hidden: number[] };
  task: TaskArrays | DenseTaskArrays;
  models: Partial<ModelSpec>[];
  /** Samples per optimiser step (0, the default: full batch; at most the training set's size). */
  batchSize?: number;
}

/** Is this split a dense-input one? */
export function isDenseTask(t: TaskArrays | DenseTaskArrays): t is DenseTaskArrays {
  return !!t && typeof t === 'object' && 'trainX' in t;
}

export interface EvalResult {
  trainLoss: number;
  trainAcc: number;
  testLoss: number;
  testAcc: number;
  /** sqrt(sum of squares of all weight matrices). */
  weightNorm: number;
  /** Non-finite loss or parameters: the model is frozen from then on. */
  failed: boolean;
  failure: string | null;
}

export interface ParamInfo {
  name: string;
  shape: number[];
  offset: number;
  size: number;
}

/** Options of a measurement of hidden activations (METHOD.md §2); backend and signal are the trainer's. */
export type TrainerMeasureOptions = Omit<MeasureOptions, 'backend' | 'signal'> & {
  /**
   * A model whose activations the estimator does not admit (INVALID_DATA: a singular bin covariance, too few
   * samples) gets a result with `error` set and the others are measured (CPU backend; on CUDA such a call
   * fails as a whole). Default false: the call fails.
   */
  itemErrors?: boolean;
};

export { MAX_LAYERS, MAX_WIDTH };

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

/** Most features of a dense input (native/mlp_init.cpp validate_arch). */
export const MAX_INPUT_DIM = 1 << 20;

/**
 * Validates an architecture (fills the defaults: input 'pairs', loss 'xent', the bias flags; out =
 * vocab for pairs) or throws INVALID_ARGUMENT naming the field.
 */
export function validateArch(a: Partial<ArchConfig>): Required<ArchConfig> {
  if (!a || typeof a !== 'object') throw invalidArgument('arch', 'an object {input, vocab | inputDim, hidden, out, loss, biasFirst, biasHidden, biasOut}', a);
  const input = a.input ?? 'pairs';
  if (!(INPUT_KINDS as readonly string[]).includes(input)) throw invalidArgument('arch.input', `one of ${INPUT_KINDS.join(', ')}`, a.input);
  const loss = a.loss ?? fieldDefault<LossName>('model.loss');
  if (!(LOSSES as readonly string[]).includes(loss)) throw invalidArgument('arch.loss', `one of ${LOSSES.join(', ')}`, a.loss);
  let vocab = 0,
    inputDim = 0;
  if (input === 'pairs') {
    if (!isInt(a.vocab) || a.vocab < 2 || a.vocab > MAX_WIDTH) throw invalidArgument('arch.vocab', `an integer in [2, ${MAX_WIDTH}]`, a.vocab);
    if (a.inputDim !== undefined && a.inputDim !== 0) throw invalidArgument('arch.inputDim', "0 or absent for pair inputs (layer 0 sees 2*vocab features)", a.inputDim);
    vocab = a.vocab;
  } else {
    if (!isInt(a.inputDim) || a.inputDim < 1 || a.inputDim > MAX_INPUT_DIM)
      throw invalidArgument('arch.inputDim', `an integer in [1, ${MAX_INPUT_DIM}] for dense inputs`, a.inputDim);
    if (a.vocab !== undefined && a.vocab !== 0) throw invalidArgument('arch.vocab', '0 or absent for dense inputs', a.vocab);
    inputDim = a.inputDim;
  }
  const out = a.out ?? (input === 'pairs' ? a.vocab : undefined);
  if (!isInt(out) || out < 2 || out > MAX_WIDTH) throw invalidArgument('arch.out', `an integer in [2, ${MAX_WIDTH}]`, a.out);
  if (!Array.isArray(a.hidden) || a.hidden.length < 1 || a.hidden.length > MAX_LAYERS)
    throw invalidArgument('arch.hidden', `an array of 1 to ${MAX_LAYERS} layer widths`, a.hidden);
  a.hidden.forEach((w, i) => {
    if (!isInt(w) || w < 1 || w > MAX_WIDTH) throw invalidArgument(`arch.hidden[${i}]`, `an integer in [1, ${MAX_WIDTH}]`, w);
  });
  const flag = (k: 'biasFirst' | 'biasHidden' | 'biasOut') => {
    const v = a[k] ?? DEFAULT_ARCH_FLAGS[k];
    if (typeof v !== 'boolean') throw invalidArgument(`arch.${k}`, 'a boolean', v);
    return v;
  };
  return { input, vocab, inputDim, loss, hidden: [...a.hidden], out, biasFirst: flag('biasFirst'), biasHidden: flag('biasHidden'), biasOut: flag('biasOut') };
}

/** Validates one model's hyper-parameters (fills defaults) or throws INVALID_ARGUMENT naming `models[i].field`. */
export function validateModel(m: Partial<ModelSpec>, i = 0): ModelSpec {
  if (!m || typeof m !== 'object') throw invalidArgument(`models[${i}]`, 'an object', m);
  const s: ModelSpec = { ...DEFAULT_MODEL, ...Object.fromEntries(Object.entries(m).filter(([, v]) => v !== undefined)) };
  for (const [k, path] of Object.entries(MODEL_SPEC_PATHS)) checkField(FIELD_BY_PATH.get(path)!, s[k as keyof ModelSpec], `models[${i}].${k}`);
  if (s.initial !== undefined && !(s.initial instanceof Float32Array)) throw invalidArgument(`models[${i}].initial`, 'a Float32Array (flat parameter layout)', typeof s.initial);
  return s;
}

function validateDenseArrays(t: DenseTaskArrays, arch: Required<ArchConfig>): void {
  if (t.inputDim !== arch.inputDim) throw invalidArgument('task.inputDim', `arch.inputDim (${arch.inputDim})`, t.inputDim);
  for (const k of ['trainX', 'testX'] as const) if (!(t[k] instanceof Float32Array)) throw invalidArgument(`task.${k}`, 'a Float32Array (n x inputDim, row-major)', typeof t[k]);
  for (const k of ['trainY', 'testY'] as const) if (!(t[k] instanceof Int32Array)) throw invalidArgument(`task.${k}`, 'an Int32Array', typeof t[k]);
  for (const side of ['train', 'test'] as const) {
    const X = t[`${side}X`],
      Y = t[`${side}Y`];
    if (X.length !== Y.length * arch.inputDim)
      throw invalidArgument(`task.${side}X`, `${side}Y.length x inputDim = ${Y.length} x ${arch.inputDim} floats`, X.length);
    for (let i = 0; i < X.length; i++)
      if (!Number.isFinite(X[i])) throw new GrokinfoError('INVALID_DATA', `task.${side}X row ${Math.floor(i / arch.inputDim)}: inputs must be finite (got ${X[i]})`);
    for (let i = 0; i < Y.length; i++)
      if (!isInt(Y[i]) || Y[i] < 0 || Y[i] >= arch.out) throw new GrokinfoError('INVALID_DATA', `task.${side} row ${i}: label outside [0, out=${arch.out})`);
  }
  if (t.trainY.length === 0) throw invalidArgument('task.trainY', 'at least one training example', 0);
}

function validateTaskArrays(t: TaskArrays | DenseTaskArrays, arch: Required<ArchConfig>): number {
  if (arch.input === 'dense') {
    if (!isDenseTask(t)) throw invalidArgument('task', "an object with trainX, testX (Float32Array), inputDim, trainY, testY (Int32Array) for arch.input 'dense'", t);
    validateDenseArrays(t, arch);
    return t.trainY.length;
  }
  if (isDenseTask(t)) throw invalidArgument('task', "pair arrays trainA, trainB, trainY, testA, testB, testY for arch.input 'pairs' (dense arrays need arch.input 'dense')", 'trainX');
  if (!t || typeof t !== 'object') throw invalidArgument('task', 'an object with trainA, trainB, trainY, testA, testB, testY (Int32Array)', t);
  for (const k of ['trainA', 'trainB', 'trainY', 'testA', 'testB', 'testY'] as const)
    if (!(t[k] instanceof Int32Array)) throw invalidArgument(`task.${k}`, 'an Int32Array', typeof t[k]);
  for (const side of ['train', 'test'] as const) {
    const A = t[`${side}A`],
      B = t[`${side}B`],
      Y = t[`${side}Y`];
    if (A.length !== B.length || A.length !== Y.length)
      throw invalidArgument(`task.${side}`, `${side}A, ${side}B and ${side}Y of one length`, [A.length, B.length, Y.length]);
    for (let i = 0; i < A.length; i++) {
      if (A[i] < 0 || A[i] >= arch.vocab || B[i] < 0 || B[i] >= arch.vocab)
        throw new GrokinfoError('INVALID_DATA', `task.${side} row ${i}: token outside [0, vocab=${arch.vocab})`);
      if (Y[i] < 0 || Y[i] >= arch.out) throw new GrokinfoError('INVALID_DATA', `task.${side} row ${i}: label outside [0, out=${arch.out})`);
    }
  }
  if (t.trainA.length === 0) throw invalidArgument('task.trainA', 'at least one training example', 0);
  return t.trainA.length;
}

/** Parameter tensors of one model in the flat layout of native/mlp.h (PyTorch Linear order). */
export function paramLayout(arch: ArchConfig): ParamInfo[] {
  const out: ParamInfo[] = [];
  const L = arch.hidden.length;
  let offset = 0;
  let fanIn = arch.input === 'dense' ? (arch.inputDim ?? 0) : 2 * arch.vocab;
  for (let l = 0; l <= L; l++) {
    const o = l < L ? arch.hidden[l] : arch.out;
    out.push({ name: `layers.${l}.weight`, shape: [o, fanIn], offset, size: o * fanIn });
    offset += o * fanIn;
    const bias = l === 0 ? arch.biasFirst : l < L ? arch.biasHidden : arch.biasOut;
    if (bias) {
      out.push({ name: `layers.${l}.bias`, shape: [o], offset, size: o });
      offset += o;
    }
    fanIn = o;
  }
  return out;
}

export function paramCount(arch: ArchConfig): number {
  return paramLayout(arch).reduce((s, t) => s + t.size, 0);
}

type NativeTrainer = any;

export class Trainer {
  private busy = false;
  private constructor(
    private readonly native: NativeTrainer,
    readonly backend: 'cpu' | 'cuda',
    /** Why this backend (for 'auto': why CUDA was or was not used). */
    readonly backendReason: string,
    readonly arch: Required<ArchConfig>,
    readonly specs: ModelSpec[],
    readonly trainSize: number,
    /** Samples per optimiser step (0: full batch). */
    readonly batchSize: number,
  ) {}

  /** Validates everything, resolves the backend and initialises every model. */
  static async create(opts: TrainerOptions): Promise<Trainer> {
    if (!opts || typeof opts !== 'object') throw invalidArgument('options', 'an object {backend, arch, task, models}', opts);
    const task = opts.task;
    const arch = validateArch(
      opts.arch?.input === 'dense' && opts.arch.inputDim === undefined && isDenseTask(task) ? { ...opts.arch, inputDim: task.inputDim } : opts.arch,
    );
    const ntrain = validateTaskArrays(task, arch);
    const batchSize = opts.batchSize ?? fieldDefault<number>('train.batchSize');
    if (!isInt(batchSize) || batchSize < 0 || batchSize > ntrain)
      throw invalidArgument('batchSize', `an integer in [0, ${ntrain}] (0 = full batch; at most the training set's size)`, batchSize);
    if (!Array.isArray(opts.models) || opts.models.length < 1 || opts.models.length > 100000)
      throw invalidArgument('models', 'an array of 1 to 100000 model specs', Array.isArray(opts.models) ? opts.models.length : opts.models);
    const specs = opts.models.map((m, i) => validateModel(m, i));
    const np = paramCount(arch);
    specs.forEach((s, i) => {
      if (s.initial && s.initial.length !== np) throw invalidArgument(`models[${i}].initial`, `${np} parameters (the layout of paramLayout(arch))`, s.initial.length);
    });
    const bytes = specs.length * paramCount(arch) * 4 * 3;
    if (bytes > 48 * 2 ** 30)
      throw invalidArgument('models', `at most ${Math.floor((48 * 2 ** 30) / (paramCount(arch) * 12))} models of this size (parameters and optimiser state)`, specs.length);
    const choice = resolveBackend(opts.backend ?? 'auto');
    const data = isDenseTask(task)
      ? { trainX: task.trainX, testX: task.testX, trainY: task.trainY, testY: task.testY }
      : { trainA: task.trainA, trainB: task.trainB, trainY: task.trainY, testA: task.testA, testB: task.testB, testY: task.testY };
    const native = new (loadNative().Trainer)({ backend: choice.backend, arch, data, batchSize, models: specs });
    return new Trainer(native, choice.backend, choice.reason, arch, specs, ntrain, batchSize);
  }

  get models(): number {
    return this.specs.length;
  }
  get paramCount(): number {
    return this.native.paramCount as number;
  }
  get stepsDone(): number {
    return this.native.stepsDone as number;
  }

  /** Parameter tensors of one model (names, shapes, offsets into getParams()). */
  paramNames(): ParamInfo[] {
    return paramLayout(this.arch);
  }

  private async exclusive<T>(what: string, run: () => Promise<T>): Promise<T> {
    if (this.busy) throw new GrokinfoError('INVALID_ARGUMENT', `${what}: the trainer is busy with another operation (await it first)`);
    this.busy = true;
    try {
      return await run();
    } finally {
      this.busy = false;
    }
  }

  private checkModel(model: number): void {
    if (!isInt(model) || model < 0 || model >= this.models) throw invalidArgument('model', `an integer in [0, ${this.models - 1}]`, model);
  }
  private checkLayer(layer: number): void {
    const L = this.arch.hidden.length;
    if (!isInt(layer) || layer < 0 || layer >= L) throw invalidArgument('layer', `an integer in [0, ${L - 1}]`, layer);
  }

  /** n optimiser steps (full batch, or the next n minibatches) of every model that has not failed. Progress counts steps. */
  async step(n: number, opts: { signal?: AbortSignal; onProgress?: (done: number, total: number) => void } = {}): Promise<void> {
    if (!isInt(n) || n < 0 || n > 2 ** 31 - 1) throw invalidArgument('steps', 'an integer in [0, 2^31)', n);
    await this.exclusive('step', () => withNativeJob(opts.signal, opts.onProgress, (control) => this.native.step(n, control) as Promise<void>));
  }

  /** Loss and accuracy on the training and test sets, and the weight norm, of every model. */
  async evaluate(): Promise<EvalResult[]> {
    return this.exclusive('evaluate', () => this.native.evaluate() as Promise<EvalResult[]>);
  }

  /** Post-ReLU activations of hidden layer `layer` on the training set: trainSize x width, row-major. */
  hidden(model: number, layer = 0): Float32Array {
    this.checkModel(model);
    this.checkLayer(layer);
    this.idle('hidden');
    return this.native.hidden(model, layer) as Float32Array;
  }

  /** A copy of one model's flat parameters (layout: paramNames()). */
  getParams(model: number): Float32Array {
    this.checkModel(model);
    this.idle('getParams');
    return this.native.getParams(model) as Float32Array;
  }

  setParams(model: number, params: Float32Array): void {
    this.checkModel(model);
    if (!(params instanceof Float32Array) || params.length !== this.paramCount)
      throw invalidArgument('params', `a Float32Array of ${this.paramCount} values`, params instanceof Float32Array ? params.length : typeof params);
    this.idle('setParams');
    this.native.setParams(model, params);
  }

  /** The optimiser moments of one model in the parameter layout (zeros for SGD): with getParams and stepsDone, the whole training state. */
  getMoments(model: number): { m: Float32Array; v: Float32Array } {
    this.checkModel(model);
    this.idle('getMoments');
    return this.native.getMoments(model) as { m: Float32Array; v: Float32Array };
  }

  setMoments(model: number, m: Float32Array, v: Float32Array): void {
    this.checkModel(model);
    for (const [k, a] of [['m', m], ['v', v]] as const)
      if (!(a instanceof Float32Array) || a.length !== this.paramCount)
        throw invalidArgument(k, `a Float32Array of ${this.paramCount} values`, a instanceof Float32Array ? a.length : typeof a);
    this.idle('setMoments');
    this.native.setMoments(model, m, v);
  }

  /** Sets the step counter (the optimiser step of every live model: Adam's bias correction) when resuming a saved state. */
  setStepsDone(steps: number): void {
    if (!isInt(steps) || steps < 0) throw invalidArgument('steps', 'an integer >= 0', steps);
    this.idle('setStepsDone');
    this.native.setStepsDone(steps);
  }

  /** Marks a model failed (frozen) with the reason recorded before a resume. */
  setFailed(model: number, why: string): void {
    this.checkModel(model);
    if (typeof why !== 'string' || why === '') throw invalidArgument('why', 'a non-empty string', why);
    this.idle('setFailed');
    this.native.setFailed(model, why);
  }

  /** The gradient of the current mean loss over the whole training set (flat layout), without stepping (tests, checks). */
  gradients(model: number): Float32Array {
    this.checkModel(model);
    this.idle('gradients');
    return this.native.gradients(model) as Float32Array;
  }

  /**
   * Ablation mask on hidden layer 0: neurons with keep[j] == 0 have their W0 row (and b0 entry when
   * maskBias) zeroed now and after every optimiser step. null clears the mask.
   */
  setMask(model: number, keep: Uint8Array | ArrayLike<number | boolean> | null, maskBias = false): void {
    this.checkModel(model);
    if (typeof maskBias !== 'boolean') throw invalidArgument('maskBias', 'a boolean', maskBias);
    const H = this.arch.hidden[0];
    let k: Uint8Array | null = null;
    if (keep !== null && keep !== undefined) {
      if (keep.length !== H) throw invalidArgument('keep', `one entry per neuron of hidden layer 0 (${H})`, keep.length);
      k = new Uint8Array(H);
      for (let i = 0; i < H; i++) k[i] = keep[i] ? 1 : 0;
    }
    this.idle('setMask');
    this.native.setMask(model, k, maskBias);
  }

  /**
   * Measures the O-information of hidden layer `layer` of `models` on the training set (METHOD.md §2).
   * The activations are copied before this returns, so the trainer may step while it runs.
   */
  async measure(models: number[], layer: number, opts: TrainerMeasureOptions = {}, signal?: AbortSignal): Promise<CheckpointMeasure[]> {
    if (!Array.isArray(models) || models.length === 0) throw invalidArgument('models', 'a non-empty array of model indices', models);
    models.forEach((m) => this.checkModel(m));
    this.checkLayer(layer);
    const native: Record<string, unknown> = { ...measureNativeOptions(opts, this.trainSize), itemErrors: opts.itemErrors === true };
    this.idle('measure');
    const bins = native.bins as number;
    const raw = await withNativeJob(signal, undefined, (control) => this.native.measure(models, layer, native, control) as Promise<any[]>);
    return raw.map((r) => checkpointFromNative(r, bins));
  }

  private idle(what: string): void {
    if (this.busy) throw new GrokinfoError('INVALID_ARGUMENT', `${what}: the trainer is busy with another operation (await it first)`);
  }
}
