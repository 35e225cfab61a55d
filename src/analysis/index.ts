/**
 * The analysis layer (package entry `grokinfo/analysis`): normalised timelines, Pareto fronts, seed
 * aggregation, phases, prediction, claims, and analyzeRun / analyzeSweep over records on disk.
 */
export * from './timeline.js';
export * from './phases.js';
export * from './predict.js';
export * from './claims.js';
export { analyzeRun, analyzeSweep, loadRun, PAPER_FAMILIES, type SweepAnalysis, type RunAnalysis, type LoadedRun, type FamilySplit, type Family } from './analyze.js';
export * from './mnist.js';
