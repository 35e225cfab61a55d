/** The progress-measure framework: registry, measure functions, records, leaderboard (docs/measures.md). */
export * from './registry.js';
export * from './functions.js';
export * from './model.js';
export { computeMeasure, measureStep, type MeasureContext, type MeasureValues, type MeasuresRecord, type EvalValues } from './compute.js';
export { measureSchedule, MeasureSession } from './session.js';
export { remeasureRun, type RemeasureOptions, type RemeasureResult } from './remeasure.js';
export * from './leaderboard.js';
export { cholesky, logDet, symmetricEigen, symmetricEigenQL, squaredSingularValues } from './linalg.js';
export { onnxWeightMatrices, onnxWeightMeasures, type OnnxWeightMatrix, type OnnxWeightMeasures } from './onnx.js';
