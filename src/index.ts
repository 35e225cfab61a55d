/**
 * grokinfo: O-information progress measures for grokking. The core API (package entry `grokinfo`):
 *
 *   oinfo, measureCheckpoints      the O-information engine (any samples x variables matrix)
 *   Trainer, makeTask              the native trainer of many models at once
 *   trainBatch, runSweep, ...      runs and sweeps with records on disk (resumable, shardable)
 *   ablateRun                      the §7 sub-network ablation
 *   reproduce, reproduceMnist      the paper's experiments, and the MNIST ones, end to end
 *
 * The other entries load only when imported:
 *   grokinfo/analysis   analyzeRun, analyzeSweep, timelines, phases, prediction, claims
 *   grokinfo/report     buildReport: figures (SVG/PNG, needs vega, vega-lite, @resvg/resvg-js) and report.html
 *   grokinfo/onnx       exportMlp, measureModel, ... (activations need onnxruntime-node)
 * `measures` (progress measures, their records and the leaderboard; docs/measures.md) is part of the core.
 * Nothing here loads the native addon or an optional package at import time.
 */
export { GrokinfoError, type ErrorCode } from './core/errors.js';
export { resolveBackend, loadNative, nativeInfo, type BackendName, type BackendChoice } from './addon/native.js';
export { version } from './core/version.js';
export * from './config/types.js';
export { oinfo, measureCheckpoints, checkpointToRecord, constantColumns } from './measures/oinfo.js';
export type { OInfoOptions, OInfoReport, CheckpointMeasure, MeasureOptions, MultipletRecord, SizeRecord, TiePolicy, InfoUnits } from './measures/oinfo.js';
export { readMatrixFile, writeMatrixFile, parseCsv, formatCsv, parseNpy, formatNpy, type Matrix, type NamedMatrix } from './core/io.js';
export { Trainer, paramLayout, paramCount } from './training/trainer.js';
export type { ArchConfig, ModelSpec, EvalResult, ParamInfo, TrainerOptions } from './training/trainer.js';
export { makeTask, applyOp, isPrime, OPS, type Task } from './tasks/modular.js';
export { loadMnist, mnistSplit, classQuotas, MNIST_TOTAL, MNIST_INPUT_DIM, MNIST_MAX_TRAIN, type DenseTaskArrays, type MnistSplit, type MnistDigits } from './tasks/mnist.js';
export { crossLayerOInfo, layersOf, type CrossLayerOptions, type CrossLayerReport, type LayerUnit } from './measures/layers.js';
export { saveCheckpoint, loadCheckpoint, readSafetensors, writeSafetensors, type Checkpoint } from './training/safetensors.js';
export { paperDefaults, defaultMeasure, alphaInit, resolveRunConfig, validateRunConfig, runId, batchKey, configKey, configurationLabels, configMatches, type PartialRunConfig } from './config/config.js';
export { RUN_FIELDS, GRID_PATHS, MAX_LAYERS, DEFAULT_UNITS, type FieldDef } from './config/schema.js';
export { trainBatch, scheduleOf, type RunJob, type TrainOptions } from './training/run.js';
export { planSweep, runSweep, mergeSweeps, shardRuns, parseShard, listRuns, type SweepDefinition, type SweepPlan, type SweepOptions, type SweepResult } from './experiments/sweep.js';
export { ablateRun, lowestOmega, subnetNeurons, type AblationOptions, type AblationResult as AblationCurves, type SubnetSpec } from './experiments/ablate.js';
export { reproduce, reproducePlan, reproduceSettings, type ReproduceOptions, type ReproduceResult } from './experiments/reproduce.js';
export { reproduceMnist, MNIST_ANALYSIS_FILE, type MnistReproduceOptions, type MnistReproduceResult } from './experiments/reproduce-mnist.js';
export { consoleProgress, type ProgressSink } from './core/progress.js';
export * as measures from './measures/index.js';
