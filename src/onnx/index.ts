/** grokinfo's ONNX layer: export checkpoints to ONNX; O-information of any ONNX model's hidden layers. */
export { exportMlp, exportCheckpoint, mlpParamLayout, mlpParamCount, namedParams, loadGrokinfoCheckpoint, writeOnnx } from './export.js';
export type { MlpArch, MlpParams, ExportOptions, ParamSlot, LoadedCheckpoint } from './export.js';
export { GraphBuilder, ElemType, attr, decodeModel, encodeModel, listTensors, findTensor, modelInputs, withOutputs, modelMetadata } from './graph.js';
export type { TensorInfo, Dim } from './graph.js';
export { collectActivations, bindInputs, flattenShape, createSession, loadModel } from './activations.js';
export type { ActivationOptions, Activations, InputArray, Layout, ModelSource } from './activations.js';
export { measureModel, measureCheckpointDir, checkpointFiles, parseBins, parseGroups, stepFromName } from './measure.js';
export type { MeasureMode, MeasureModelOptions, ModelMeasure, DirMeasureOptions, DirMeasure, CheckpointFile } from './measure.js';
export { readNpy, writeNpy, parseNpy, formatNpy } from '../core/npy.js';
export type { NpyArray, NpyData } from '../core/npy.js';
