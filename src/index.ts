/**
 * grokinfo: O-information progress measures for grokking. The core API (package entry `grokinfo`):
 *
 *   oinfo, measureCheckpoints      the O-information engine (any samples x variables matrix)
 *   Trainer, makeTask              the native trainer of many models at once
 *   trainBatch, runSweep, ...      runs and sweeps with records on disk (resumable, shardable)
 *   ablateRun                      the §7 sub-network ablation
 *   reproduce                      the paper's experiments end to end
 *
 * The other entries load only when imported:
 *   grokinfo/analysis   analyzeRun, analyzeSweep, timelines, phases, prediction, claims
 *   grokinfo/report     buildReport: figures (SVG/PNG, needs vega, vega-lite, @resvg/resvg-js) and report.html
 *   grokinfo/onnx       exportMlp, measureModel, ... (activations need onnxruntime-node)
 * Nothing here loads the native addon or an optional package at import time.
 */
export { GrokinfoError, type ErrorCode } from './errors.js';
export { resolveBackend, loadNative, nativeInfo, type BackendName, type BackendChoice } from './native.js';
export { version } from './version.js';
export * from './types.js';
export { oinfo, measureCheckpoints, checkpointToRecord, constantColumns } from './oinfo.js';
export type { OInfoOptions, OInfoReport, CheckpointMeasure, MeasureOptions, MultipletRecord, SizeRecord, TiePolicy, InfoUnits } from './oinfo.js';
export { readMatrixFile, writeMatrixFile, parseCsv, formatCsv, parseNpy, formatNpy, type Matrix, type NamedMatrix } from './io.js';
export { Trainer, paramLayout, paramCount } from './trainer.js';
export type { ArchConfig, ModelSpec, EvalResult, ParamInfo, TrainerOptions } from './trainer.js';
export { makeTask, applyOp, isPrime, OPS, type Task } from './task.js';
export { saveCheckpoint, loadCheckpoint, readSafetensors, writeSafetensors, type Checkpoint } from './safetensors.js';
export { paperDefaults, defaultMeasure, alphaInit, resolveRunConfig, validateRunConfig, runId, batchKey, configKey, configurationLabels, configMatches, type PartialRunConfig } from './config.js';
export { RUN_FIELDS, GRID_PATHS, MAX_LAYERS, DEFAULT_UNITS, type FieldDef } from './schema.js';
export { trainBatch, scheduleOf, type RunJob, type TrainOptions } from './run.js';
export { planSweep, runSweep, mergeSweeps, shardRuns, parseShard, listRuns, type SweepDefinition, type SweepPlan, type SweepOptions, type SweepResult } from './sweep.js';
export { ablateRun, lowestOmega, subnetNeurons, type AblationOptions, type AblationResult as AblationCurves, type SubnetSpec } from './ablate.js';
export { reproduce, reproducePlan, reproduceSettings, type ReproduceOptions, type ReproduceResult } from './reproduce.js';
export { consoleProgress, type ProgressSink } from './progress.js';
