/**
 * The paper's experiment set (METHOD.md §1): weight decay 0.1, 2, 10, 50 with the standard initialisation,
 * and alpha 1, 8, 50 with weight decay 0, the output layer zeroed and constant weight norm; 5 seeds each.
 * No heavy imports here: device benchmarks load this module with nothing but the addon.
 */
import { ALPHA_EXPERIMENT, deepMergeConfig, resolveRunConfig, runId, type PartialRunConfig } from './config.js';
import type { RunConfig } from './types.js';

export const PAPER_WEIGHT_DECAYS = [0.1, 2, 10, 50];
export const PAPER_ALPHAS = [1, 8, 50];
export const PAPER_SEEDS = [0, 100, 200, 300, 400];

/** The alpha sweep (§4): constant weight norm. */
export const inAlphaFamily = (c: RunConfig): boolean => c.init.constantNorm;
/** The weight-decay sweep: ordinary initialisation (no constant-norm rescaling). */
export const inWeightDecayFamily = (c: RunConfig): boolean => !c.init.constantNorm;

/** A named family of configurations (prediction and the leaderboard compare families). */
export interface RunFamily {
  name: string;
  select: (config: RunConfig) => boolean;
}

/** The paper's two families (§6), in the order they are held out: the alpha runs, the weight-decay runs. */
export const PAPER_FAMILY_LIST: readonly RunFamily[] = [
  { name: 'alpha runs', select: inAlphaFamily },
  { name: 'weight-decay runs', select: inWeightDecayFamily },
];

/** The seven configurations (without seeds), as sweep list entries. */
export function paperExperimentList(): PartialRunConfig[] {
  return [
    ...PAPER_WEIGHT_DECAYS.map((wd) => ({ name: `wd${wd}`, optim: { weightDecay: wd } })),
    ...PAPER_ALPHAS.map((a) => deepMergeConfig({ name: `alpha${a}` }, ALPHA_EXPERIMENT as PartialRunConfig, { init: { alpha: a } })),
  ];
}

/** Every run of the experiment set over `base` (the same configurations and ids as the reproduce sweep). */
export function paperRunConfigs(base: PartialRunConfig, seeds: readonly number[] = PAPER_SEEDS): { id: string; config: RunConfig }[] {
  const out: { id: string; config: RunConfig }[] = [];
  for (const entry of paperExperimentList())
    for (const seed of seeds) {
      const config = resolveRunConfig(deepMergeConfig(base, entry, { init: { seed } }));
      out.push({ id: runId(config), config });
    }
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
