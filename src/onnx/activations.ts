/**
 * Activations of a named intermediate tensor of any ONNX model, computed with onnxruntime-node.
 *
 * The tensor is found among the graph's inputs, node outputs and outputs; if it is not a graph
 * output the graph is rewritten to output it (keeping its value_info when known, otherwise
 * declaring it untyped so onnxruntime infers the type). The inputs are fed in batches along their
 * first dimension, and the results are gathered into a samples x features float32 matrix:
 *   layout 'auto' (default): [batch] -> [batch, 1]; [batch, d] -> [batch, d];
 *     [batch, seq, d] -> [batch*seq, d] (every token position is a sample, d features: the usual
 *     view of a transformer's residual stream / MLP layer); rank >= 4 -> [batch, prod(rest)];
 *   layout 'tokens': every leading dim is a sample: [prod(dims[:-1]), dims[-1]];
 *   layout 'rows':   only the first dim is samples: [dims[0], prod(dims[1:])].
 * A tensor whose first dimension is not the batch can only be read in one batch (batchSize >= N).
 */
import type * as Ort from 'onnxruntime-node';
import type { onnx as P } from 'onnx-proto';
import { GrokinfoError, invalidArgument } from '../core/errors.js';
import { requireOptional } from '../core/optional.js';
import { ElemType, decodeModel, elemTypeName, encodeModel, findTensor, modelInputs, withOutputs, type Dim, type TensorInfo } from './graph.js';
import { readBytes } from './export.js';
import type { NpyData } from '../core/npy.js';

/** onnxruntime-node, an optional peer dependency loaded on first use. */
function ortLib(): typeof Ort {
  return requireOptional<typeof Ort>('onnxruntime-node', 'reading activations from ONNX models (grokinfo/onnx)');
}

export type ModelSource = Uint8Array | string | P.IModelProto;

export interface InputArray {
  data: NpyData | number[];
  shape: number[];
}

export type Layout = 'auto' | 'tokens' | 'rows';

export interface ActivationOptions {
  /** Name of the tensor to read (a node output, graph input or graph output). */
  tensor: string;
  /** One array per model input (in the model's input order), or by input name. A model with two
   * rank-1 inputs (e.g. grokinfo's a, b) also accepts one [N, 2] array: its columns. */
  inputs: InputArray[] | Record<string, InputArray>;
  /** Samples per onnxruntime run (default 2048). */
  batchSize?: number;
  layout?: Layout;
  /** onnxruntime intra-op threads (default: onnxruntime's choice). */
  threads?: number;
}

export interface Activations {
  /** rows x cols, row-major. */
  data: Float32Array;
  rows: number;
  cols: number;
  /** Shape of the whole tensor (first dim = all samples), and the layout used to flatten it. */
  tensorShape: number[];
  layout: Layout;
  tensor: TensorInfo;
}

export interface LoadedModel {
  model: P.ModelProto;
  label: string;
}

export async function loadModel(source: ModelSource): Promise<LoadedModel> {
  if (typeof source === 'string') return { model: decodeModel(await readBytes(source), source), label: source };
  if (source instanceof Uint8Array) return { model: decodeModel(source), label: 'model' };
  return { model: decodeModel(encodeModel(source)), label: 'model' };
}

/** Creates an onnxruntime session; a model onnxruntime cannot load -> INVALID_DATA with its message. */
export async function createSession(bytes: Uint8Array, label = 'model', threads?: number): Promise<Ort.InferenceSession> {
  const ort = ortLib(); // a missing onnxruntime-node is MISSING_DEPENDENCY, not a bad model
  try {
    return await ort.InferenceSession.create(bytes, {
      graphOptimizationLevel: 'all',
      ...(threads ? { intraOpNumThreads: threads } : {}),
    });
  } catch (e) {
    throw new GrokinfoError('INVALID_DATA', `onnxruntime cannot load ${label}: ${(e as Error).message}`);
  }
}

const FLOAT_TYPES = new Set<number>([ElemType.FLOAT, ElemType.DOUBLE, ElemType.FLOAT16]);

function showDims(dims: Dim[] | number[] | undefined): string {
  return dims ? `[${dims.join(', ')}]` : '[unknown]';
}

interface Feed {
  name: string;
  elemType?: number;
  data: NpyData | number[];
  rowSize: number;
  shape: number[];
}

/** Matches the given arrays to the model's inputs and checks their shapes against the declared ones. */
export function bindInputs(model: P.IModelProto, given: ActivationOptions['inputs']): { feeds: Feed[]; n: number; fixedBatch?: number } {
  const ins = modelInputs(model);
  const describe = ins.map((i) => `${i.name}: ${elemTypeName(i.elemType)} ${showDims(i.dims)}`).join(', ');
  let arrays: InputArray[];
  if (Array.isArray(given)) {
    if (ins.length === 2 && given.length === 1 && given[0].shape.length === 2 && given[0].shape[1] === 2 && ins.every((i) => !i.dims || i.dims.length === 1)) {
      const [N] = given[0].shape;
      const src = given[0].data;
      const cols = [0, 1].map((c) => {
        const out: (number | bigint)[] = new Array(N);
        for (let r = 0; r < N; r++) out[r] = src[2 * r + c];
        return { data: (typeof out[0] === 'bigint' ? BigInt64Array.from(out as bigint[]) : Float64Array.from(out as number[])) as NpyData, shape: [N] };
      });
      arrays = cols;
    } else if (given.length !== ins.length) {
      throw invalidArgument('inputs', `the model has ${ins.length} input(s) (${describe}); give one array per input`, `${given.length} array(s)`);
    } else arrays = given;
  } else {
    const names = Object.keys(given);
    const unknown = names.filter((n) => !ins.some((i) => i.name === n));
    if (unknown.length) throw invalidArgument('inputs', `the model's inputs are ${describe}`, unknown);
    const missing = ins.filter((i) => !(i.name in given));
    if (missing.length) throw invalidArgument('inputs', `missing input(s) ${missing.map((m) => m.name).join(', ')}; the model's inputs are ${describe}`);
    arrays = ins.map((i) => given[i.name]);
  }
  let n = -1;
  let fixedBatch: number | undefined;
  const feeds: Feed[] = ins.map((inp, k) => {
    const arr = arrays[k];
    const shape = arr.shape;
    const size = shape.reduce((a, b) => a * b, 1);
    if (shape.length === 0 || size !== arr.data.length)
      throw new GrokinfoError('INVALID_DATA', `input '${inp.name}': ${arr.data.length} values do not make shape ${showDims(shape)}`);
    if (inp.dims) {
      const mismatch =
        inp.dims.length !== shape.length || inp.dims.some((d, j) => j > 0 && typeof d === 'number' && d !== shape[j]);
      if (mismatch)
        throw new GrokinfoError(
          'INVALID_DATA',
          `input '${inp.name}': the model expects shape ${showDims(inp.dims)}, given ${showDims(shape)}`,
          { input: inp.name, expected: inp.dims, given: shape },
        );
      const d0 = inp.dims[0];
      if (typeof d0 === 'number' && d0 !== shape[0]) {
        if (shape[0] % d0 !== 0)
          throw new GrokinfoError(
            'INVALID_DATA',
            `input '${inp.name}': the model expects shape ${showDims(inp.dims)} (fixed batch ${d0}), given ${showDims(shape)} whose first dimension is not a multiple of ${d0}`,
          );
        fixedBatch = d0;
      }
    }
    if (n >= 0 && shape[0] !== n)
      throw new GrokinfoError('INVALID_DATA', `input '${inp.name}': ${shape[0]} samples, but the other inputs have ${n} (the first dimension must agree)`);
    n = shape[0];
    return { name: inp.name, elemType: inp.elemType, data: arr.data, rowSize: size / shape[0], shape };
  });
  return { feeds, n, fixedBatch };
}

function sliceAs(feed: Feed, r0: number, r1: number): Ort.Tensor {
  const a = r0 * feed.rowSize;
  const b = r1 * feed.rowSize;
  const dims = [r1 - r0, ...feed.shape.slice(1)];
  const src = feed.data;
  const part = Array.isArray(src) ? src.slice(a, b) : src.subarray(a, b);
  const t = feed.elemType ?? (src instanceof Float32Array || src instanceof Float64Array || Array.isArray(src) ? ElemType.FLOAT : ElemType.INT64);
  const nums = (): number[] => Array.from(part as ArrayLike<number | bigint>, Number);
  switch (t) {
    case ElemType.FLOAT:
      return new (ortLib().Tensor)('float32', part instanceof Float32Array ? part : Float32Array.from(nums()), dims);
    case ElemType.DOUBLE:
      return new (ortLib().Tensor)('float64', part instanceof Float64Array ? part : Float64Array.from(nums()), dims);
    case ElemType.INT64: {
      if (part instanceof BigInt64Array) return new (ortLib().Tensor)('int64', part, dims);
      const v = nums();
      const bad = v.findIndex((x) => !Number.isInteger(x));
      if (bad >= 0) throw new GrokinfoError('INVALID_DATA', `input '${feed.name}' is int64 but value ${v[bad]} (row ${r0 + Math.floor(bad / feed.rowSize)}) is not an integer`);
      return new (ortLib().Tensor)('int64', BigInt64Array.from(v, BigInt), dims);
    }
    case ElemType.INT32: {
      const v = nums();
      const bad = v.findIndex((x) => !Number.isInteger(x));
      if (bad >= 0) throw new GrokinfoError('INVALID_DATA', `input '${feed.name}' is int32 but value ${v[bad]} (row ${r0 + Math.floor(bad / feed.rowSize)}) is not an integer`);
      return new (ortLib().Tensor)('int32', Int32Array.from(v), dims);
    }
    case ElemType.BOOL:
      return new (ortLib().Tensor)('bool', Uint8Array.from(nums().map((x) => (x ? 1 : 0))), dims);
    case ElemType.UINT8:
      return new (ortLib().Tensor)('uint8', Uint8Array.from(nums()), dims);
    default:
      throw new GrokinfoError('INVALID_DATA', `input '${feed.name}' has type ${elemTypeName(t)}, which measure-model cannot feed (float, double, int64, int32, bool, uint8)`);
  }
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

function toFloat32(t: Ort.Tensor, name: string): Float32Array {
  switch (t.type) {
    case 'float32':
      return t.data as Float32Array;
    case 'float64':
      return Float32Array.from(t.data as Float64Array);
    case 'float16':
      return Float32Array.from(t.data as unknown as ArrayLike<number>, (v) => (typeof v === 'number' && t.data instanceof Uint16Array ? halfToFloat(v) : Number(v)));
    default:
      throw new GrokinfoError('INVALID_DATA', `tensor '${name}' has type ${t.type}; O-information needs float activations (float32, float64 or float16)`);
  }
}

/** Samples x features view of a tensor of shape `dims` (see the module comment). */
export function flattenShape(dims: number[], layout: Layout): [number, number] {
  const prod = (a: number[]) => a.reduce((x, y) => x * y, 1);
  if (dims.length === 0) return [1, 1];
  if (layout === 'rows') return [dims[0], prod(dims.slice(1))];
  if (layout === 'tokens') return [prod(dims.slice(0, -1)), dims[dims.length - 1]];
  if (dims.length === 1) return [dims[0], 1];
  if (dims.length === 3) return [dims[0] * dims[1], dims[2]];
  return [dims[0], prod(dims.slice(1))];
}

/** Runs the model on the inputs and returns the named tensor as a samples x features matrix. */
export async function collectActivations(source: ModelSource, opts: ActivationOptions): Promise<Activations> {
  const layout = opts.layout ?? 'auto';
  if (!['auto', 'tokens', 'rows'].includes(layout)) throw invalidArgument('layout', "'auto', 'tokens' or 'rows'", layout);
  const batchSize = opts.batchSize ?? 2048;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw invalidArgument('batchSize', 'a positive integer', batchSize);
  const { model, label } = await loadModel(source);
  const info = findTensor(model, opts.tensor);
  if (info.origin === 'initializer')
    throw invalidArgument('tensor', `'${opts.tensor}' is a weight (initializer), not an activation; name a node output or graph input`, opts.tensor);
  if (info.elemType !== undefined && !FLOAT_TYPES.has(info.elemType))
    throw new GrokinfoError('INVALID_DATA', `tensor '${opts.tensor}' has type ${elemTypeName(info.elemType)}; O-information needs float activations (float32, float64 or float16)`);
  const { feeds, n, fixedBatch } = bindInputs(model, opts.inputs);
  const step = fixedBatch ?? Math.min(batchSize, n);

  if (info.origin === 'input') {
    const feed = feeds.find((f) => f.name === opts.tensor)!;
    const t = sliceAs(feed, 0, n);
    const data = toFloat32(t, opts.tensor);
    const [rows, cols] = flattenShape(feed.shape, layout);
    return { data: data === feed.data ? Float32Array.from(data) : data, rows, cols, tensorShape: feed.shape, layout, tensor: info };
  }

  const session = await createSession(encodeModel(withOutputs(model, [opts.tensor])), label, opts.threads);
  try {
    const parts: Float32Array[] = [];
    let shape: number[] | undefined;
    for (let r0 = 0; r0 < n; r0 += step) {
      const r1 = Math.min(n, r0 + step);
      const feedsNow: Record<string, Ort.Tensor> = {};
      for (const f of feeds) feedsNow[f.name] = sliceAs(f, r0, r1);
      let out: Ort.InferenceSession.OnnxValueMapType;
      try {
        out = await session.run(feedsNow, [opts.tensor]);
      } catch (e) {
        throw new GrokinfoError('INVALID_DATA', `onnxruntime failed on ${label} (samples ${r0}..${r1 - 1}): ${(e as Error).message}`);
      }
      const t = out[opts.tensor] as Ort.Tensor;
      const dims = t.dims.map(Number);
      if (step < n && dims[0] !== r1 - r0)
        throw new GrokinfoError(
          'INVALID_DATA',
          `tensor '${opts.tensor}' has shape ${showDims(dims)} for a batch of ${r1 - r0} samples: its first dimension is not the batch, so it cannot be collected in batches; use a batch size >= ${n}`,
        );
      const data = toFloat32(t, opts.tensor);
      parts.push(data === t.data ? Float32Array.from(data) : data);
      shape = shape ? [shape[0] + dims[0], ...dims.slice(1)] : dims;
      t.dispose?.();
    }
    const total = parts.reduce((a, p) => a + p.length, 0);
    const data = new Float32Array(total);
    let off = 0;
    for (const p of parts) (data.set(p, off), (off += p.length));
    const [rows, cols] = flattenShape(shape!, layout);
    return { data, rows, cols, tensorShape: shape!, layout, tensor: info };
  } finally {
    await session.release();
  }
}
