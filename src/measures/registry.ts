/**
 * The registry of progress measures: the one place that names each measure, its kind, cost class,
 * default interval, the field the leaderboard reads, its documentation and source. `--measure`,
 * records, `grokinfo measure`, the leaderboard and docs/measures.md all derive from MEASURES.
 */
import { GrokinfoError, invalidArgument } from '../core/errors.js';
import type { Op } from '../config/types.js';

export type MeasureKind = 'weights' | 'activations' | 'data';
/** What applicability is decided on: the modular operation of a task, or 'mnist'. */
export type TaskTag = Op | 'mnist';
export type CostClass = 'cheap' | 'expensive';

export interface MeasureDef {
  name: string;
  kind: MeasureKind;
  cost: CostClass;
  /** Cheap measures run at every evaluation step; expensive ones every DEFAULT_EXPENSIVE_EVERY steps (--expensive-every). */
  doc: string;
  source: string;
  /**
   * The tasks the measure is defined for, and why (absent: every task). The one statement of applicability:
   * `--measure all` expands to the measures that apply to the run's task, and naming one that does not is an
   * INVALID_ARGUMENT (checkMeasuresForTask).
   */
  tasks?: { only: readonly TaskTag[]; why: string };
  /** The record field (dotted path into the measure's values) the leaderboard's transition rule reads. */
  primary: string;
}

/**
 * Steps between two measurements of the expensive measures (and always step 0 and the last step). 250 gives
 * 17 measurements in a 4000-step run, enough points after memorisation for the leaderboard's change-point
 * rule, at a cost the paper protocol can afford on 2 cores (all expensive measures cost ~2.8 s per model and
 * measurement at paper size: every 50 steps they took 4x the training time; BENCHMARKS.md).
 */
export const DEFAULT_EXPENSIVE_EVERY = 250;
/** Golechha's activation-sparsity threshold (unstated in the paper; a third-party re-implementation's value). */
export const SPARSITY_TAU = 0.1;
/** Key-frequency rule: pooled embedding norm above this fraction of the largest (Nanda's demo rule). */
export const KEY_FREQUENCY_THRESHOLD = 0.25;
/** Binned MI: equal bins per unit over the layer's range. */
export const MI_BINS = 30;
/** Local complexity: directions, radius (inputs are one-hot, norm sqrt 2), probes per set. */
export const LC_DIRECTIONS = 25;
export const LC_RADIUS = 0.05;
export const LC_PROBES = 128;
/** Local circuit complexity: fraction of weights zeroed, masks averaged. */
export const LCC_FRACTION = 0.1;
export const LCC_MASKS = 1;

/** The ops whose labels are a +- b mod p: the Fourier measures' basis is that of the additive group. */
export const FOURIER_OPS: readonly Op[] = ['add', 'sub'];
const FOURIER_TASKS = { only: FOURIER_OPS, why: 'defined on the real Fourier basis of Z_p: needs a modular task with labels a + b or a - b mod p (op add or sub)' } as const;

export const MEASURES: readonly MeasureDef[] = [
  {
    name: 'oinfo',
    kind: 'activations',
    cost: 'expensive',
    doc: 'O-information of the Ward-binned multiplets of a hidden layer (synergy = min, redundancy = max); its own record file oinfo.jsonl and its own interval (--every).',
    source: 'Clauw, Marinazzo & Stramaglia 2024 (arXiv 2408.08944); METHOD.md §2',
    primary: 'synergy',
  },
  {
    name: 'loss',
    kind: 'data',
    cost: 'cheap',
    doc: 'Train and test cross-entropy and accuracy at the step (the evaluation the trainer already does).',
    source: 'the training loop',
    primary: 'trainLoss',
  },
  {
    name: 'weight-norm',
    kind: 'weights',
    cost: 'cheap',
    doc: 'Frobenius norm of every weight matrix (biases excluded) and of all of them together.',
    source: 'Liu, Michaud & Tegmark 2023 (Omnigrok, arXiv 2210.01117); Nanda et al. 2023',
    primary: 'total',
  },
  {
    name: 'weight-entropy',
    kind: 'weights',
    cost: 'cheap',
    doc: 'Absolute weight entropy H(W) = -sum |w| ln |w| of each weight matrix (raw weights, nats), and the sum over layers.',
    source: 'Golechha 2024, "Progress measures for grokking on real-world tasks" (arXiv 2405.12755)',
    primary: 'total',
  },
  {
    name: 'sparsity',
    kind: 'activations',
    cost: 'cheap',
    doc: `Activation sparsity: fraction of post-ReLU activations below tau = ${SPARSITY_TAU} over the training set, per hidden layer (mean over layers is the primary).`,
    source: 'Golechha 2024 (arXiv 2405.12755); tau from a re-implementation (the paper gives none)',
    primary: 'mean',
  },
  {
    name: 'fourier',
    kind: 'weights',
    cost: 'cheap',
    tasks: FOURIER_TASKS,
    doc: 'Norm per real-Fourier component of Z_p of the a- and b-embeddings (first-layer weight columns), its Gini coefficient (mean of a and b is the primary) and inverse participation ratio, and the key frequencies (pooled norm > 1/4 of the largest).',
    source: 'Nanda, Chan, Lieberum, Smith & Steinhardt 2023 (arXiv 2301.05217), adapted to the MLP',
    primary: 'gini',
  },
  {
    name: 'fourier-neurons',
    kind: 'weights',
    cost: 'expensive',
    tasks: FOURIER_TASKS,
    doc: "Per-neuron frequency concentration: the median over neurons of the share of a neuron's Fourier energy (a and b embeddings, frequencies >= 1) in its top frequency.",
    source: 'Nanda et al. 2023 (arXiv 2301.05217), per neuron (docs/MEASURES.md notes: the population rule selects every frequency in this MLP)',
    primary: 'neuronConcentration',
  },
  {
    name: 'fourier-loss',
    kind: 'data',
    cost: 'expensive',
    tasks: FOURIER_TASKS,
    doc: 'Restricted loss (logits projected on the key frequencies of a+-b, plus the per-class mean; train, test, whole grid) and excluded loss (those directions removed; train).',
    source: 'Nanda et al. 2023 (arXiv 2301.05217)',
    primary: 'excludedTrain',
  },
  {
    name: 'info',
    kind: 'activations',
    cost: 'expensive',
    doc: 'Gaussian-copula total correlation, dual total correlation, O-information and S-information of the whole hidden layer (alive neurons), and of the synergy and redundancy multiplets of the O-information engine when it measured the same step.',
    source: 'Rosas, Mediano, Gastpar & Jensen 2019 (arXiv 1902.11239)',
    primary: 'layer.dtc',
  },
  {
    name: 'htsr',
    kind: 'weights',
    cost: 'expensive',
    doc: 'Per weight matrix: power-law exponent alpha of the ESD (MLE, xmin by least KS distance, as WeightWatcher), its KS distance and tail size, and correlation traps of the element-wise randomised matrix; mean alpha over fitted layers is the primary.',
    source: 'Martin & Mahoney 2021 (arXiv 1810.01075); Prakash & Martin 2025 (arXiv 2506.04434); WeightWatcher 0.7.5.5',
    primary: 'alphaMean',
  },
  {
    name: 'circuit-complexity',
    kind: 'data',
    cost: 'expensive',
    doc: `Approximate local circuit complexity: sum over the training set of KL(softmax z || softmax z') after zeroing a seeded random ${LCC_FRACTION * 100}% of every weight matrix.`,
    source: 'Golechha 2024 (arXiv 2405.12755)',
    primary: 'value',
  },
  {
    name: 'mi',
    kind: 'activations',
    cost: 'expensive',
    doc: `Binned mutual information I(T;X) = H(T) and I(T;Y) of each hidden layer T on the training set (${MI_BINS} equal bins over the layer's range, bits).`,
    source: 'de Mello Koch & Ghosh 2025 (arXiv 2504.12700); estimator of Shwartz-Ziv & Tishby 2017 (arXiv 1703.00810)',
    primary: 'itx',
  },
  {
    name: 'local-complexity',
    kind: 'data',
    cost: 'expensive',
    doc: `Local complexity: mean number of units (every layer, logits included) whose pre-activation sign changes over the ${2 * LC_DIRECTIONS} vertices x +- r v (r = ${LC_RADIUS}) around ${LC_PROBES} train and test points.`,
    source: 'Humayun, Balestriero & Baraniuk 2024, "Deep networks always grok and here is why" (arXiv 2402.15555)',
    primary: 'train',
  },
  {
    name: 'agop',
    kind: 'activations',
    cost: 'expensive',
    tasks: {
      only: FOURIER_OPS,
      why: 'its values are circulant deviations of the a-b block of sqrt(AGOP) (shifts in Z_p) of a one-hidden-layer model on one-hot pairs: needs a modular task with labels a + b or a - b mod p (op add or sub)',
    },
    doc: 'Average gradient outer product of the logits w.r.t. the input on the training set (one hidden layer): circulant deviation of the a-b block of sqrt(AGOP) for shifts +1 and -1, and its correlation with W1^T W1; AGOP alignment with the final model is added by `grokinfo measure`.',
    source: 'Mallinar, Beaglehole, Zhu, Radhakrishnan, Pandit & Belkin 2024 (arXiv 2407.20199)',
    primary: 'circulantDeviationPlus',
  },
];

export const MEASURE_NAMES: readonly string[] = MEASURES.map((m) => m.name);

export function measureDef(name: string): MeasureDef {
  const d = MEASURES.find((m) => m.name === name);
  if (!d) throw invalidArgument('--measure', `one or more of: all, ${MEASURE_NAMES.join(', ')}`, name);
  return d;
}

/** Whether the Fourier measures apply to a task op. */
export function fourierApplies(op: TaskTag): boolean {
  return FOURIER_OPS.includes(op as Op);
}

/** Whether a registered measure is defined for a task (MeasureDef.tasks). */
export function measureApplies(d: MeasureDef, tag: TaskTag): boolean {
  return !d.tasks || d.tasks.only.includes(tag);
}

/** The measures defined for a task, in registry order. */
export function measuresFor(tag: TaskTag): string[] {
  return MEASURES.filter((m) => measureApplies(m, tag)).map((m) => m.name);
}

/**
 * Parses a `--measure` list ("a,b,c" or "all"). Unknown names are an INVALID_ARGUMENT that lists the allowed
 * ones; `all` means every measure that applies to the task (Fourier measures only for add/sub, never for mnist).
 * Returns the names in registry order, without duplicates.
 */
export function parseMeasureList(text: string | readonly string[], op?: TaskTag): string[] {
  const parts = (typeof text === 'string' ? text.split(',') : [...text]).map((s) => s.trim()).filter((s) => s.length > 0);
  if (parts.length === 0) throw invalidArgument('--measure', `one or more of: all, ${MEASURE_NAMES.join(', ')}`, text);
  const set = new Set<string>();
  for (const p of parts) {
    if (p === 'all') {
      for (const m of MEASURES) if (op === undefined || measureApplies(m, op)) set.add(m.name);
    } else set.add(measureDef(p).name);
  }
  return MEASURES.filter((m) => set.has(m.name)).map((m) => m.name);
}

/** Refuses a measure that is not defined for the task (MeasureDef.tasks), naming those that are. */
export function checkMeasuresForTask(names: readonly string[], op: TaskTag): void {
  for (const n of names) {
    const d = measureDef(n);
    if (!measureApplies(d, op))
      throw new GrokinfoError(
        'INVALID_ARGUMENT',
        `--measure ${n}: ${d.tasks!.why}; ${op === 'mnist' ? "this run's task is mnist (left out of --measure all for it)" : `this run's op is '${op}'`}. Measures that apply to this task: ${measuresFor(op).join(', ')}`,
        { what: '--measure', allowed: measuresFor(op), got: n },
      );
  }
}

/** Reads a dotted path ("layer.dtc") from a measure's values. */
export function readPath(values: unknown, path: string): number | null {
  let v: unknown = values;
  for (const k of path.split('.')) {
    if (v === null || typeof v !== 'object') return null;
    v = (v as Record<string, unknown>)[k];
  }
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}
