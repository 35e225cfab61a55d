/**
 * The analysis layer (package entry `grokinfo/analysis`): normalised timelines, Pareto fronts, seed
 * aggregation, phases, prediction, claims, and analyzeRun / analyzeSweep over records on disk.
 */
export * from './timeline.js';
export * from './phases.js';
export * from './predict.js';
export * from './claims.js';
export { analyzeRun, analyzeSweep, loadRun, type SweepAnalysis, type RunAnalysis, type LoadedRun } from '../analyze.js';
