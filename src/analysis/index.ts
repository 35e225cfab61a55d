/** The analysis layer: normalised timelines, Pareto fronts, seed aggregation, phases, prediction, claims. */
export * from './timeline.js';
export * from './phases.js';
export * from './predict.js';
export * from './claims.js';
