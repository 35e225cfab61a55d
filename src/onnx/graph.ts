/**
 * A small ONNX graph builder and graph inspection helpers over onnx-proto's protobuf classes.
 * The builder writes initializers as little-endian raw bytes; models target IR version 8 and
 * opset 17 by default (onnx-proto encodes ONNX 1.10's schema, which onnxruntime reads unchanged).
 */
import protoPkg from 'onnx-proto';
import type { onnx as P } from 'onnx-proto';
import { GrokinfoError } from '../core/errors.js';

export const onnx = protoPkg.onnx;
export type { P as OnnxTypes };

/** ONNX TensorProto.DataType codes used here. */
export const ElemType = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
  BFLOAT16: 16,
} as const;

const ELEM_NAMES: Record<number, string> = Object.fromEntries(Object.entries(ElemType).map(([k, v]) => [v, k.toLowerCase()]));

export function elemTypeName(t: number | undefined): string {
  if (t === undefined || t === 0) return 'unknown';
  return ELEM_NAMES[t] ?? `type ${t}`;
}

export const DEFAULT_OPSET = 17;
export const DEFAULT_IR_VERSION = 8;

/** A dimension: a fixed size, or a symbolic name (e.g. 'batch'). */
export type Dim = number | string;

/** int64 fields decode as numbers or Long objects. */
export function toNum(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v && typeof (v as { toNumber?: () => number }).toNumber === 'function') return (v as { toNumber: () => number }).toNumber();
  return Number(v);
}

export function valueInfo(name: string, elemType: number, dims?: Dim[]): P.IValueInfoProto {
  const tensorType: P.TypeProto.ITensor = { elemType };
  if (dims) tensorType.shape = { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) };
  return { name, type: { tensorType } };
}

/** elem type and dims of a value info (dims: number, symbolic string, or '?' when unknown). */
export function describeValueInfo(vi: P.IValueInfoProto): { elemType?: number; dims?: Dim[] } {
  const tt = vi.type?.tensorType;
  if (!tt) return {};
  const out: { elemType?: number; dims?: Dim[] } = {};
  if (tt.elemType) out.elemType = tt.elemType;
  if (tt.shape) {
    out.dims = (tt.shape.dim ?? []).map((d) => {
      if (d.dimParam) return d.dimParam;
      const n = toNum(d.dimValue ?? 0);
      return n > 0 ? n : '?';
    });
  }
  return out;
}

export type TensorData = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;

function elemTypeOf(data: TensorData): number {
  if (data instanceof Float32Array) return ElemType.FLOAT;
  if (data instanceof Float64Array) return ElemType.DOUBLE;
  if (data instanceof Int32Array) return ElemType.INT32;
  if (data instanceof BigInt64Array) return ElemType.INT64;
  return ElemType.UINT8;
}

/** A TensorProto holding `data` (little-endian raw bytes) with shape `dims`. */
export function tensorProto(name: string, data: TensorData, dims: number[]): P.ITensorProto {
  const n = dims.reduce((a, b) => a * b, 1);
  if (n !== data.length) throw new GrokinfoError('INTERNAL', `tensor ${name}: ${data.length} values for shape [${dims.join(', ')}]`);
  const bytes = new Uint8Array(data.byteLength);
  bytes.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  // Typed arrays are host-endian; ONNX raw data is little-endian (every platform Node ships on).
  return { name, dims, dataType: elemTypeOf(data), rawData: bytes };
}

export type Attr =
  | { kind: 'int'; value: number }
  | { kind: 'ints'; value: number[] }
  | { kind: 'float'; value: number }
  | { kind: 'floats'; value: number[] }
  | { kind: 'string'; value: string }
  | { kind: 'tensor'; value: P.ITensorProto };

export const attr = {
  int: (value: number): Attr => ({ kind: 'int', value }),
  ints: (value: number[]): Attr => ({ kind: 'ints', value }),
  float: (value: number): Attr => ({ kind: 'float', value }),
  floats: (value: number[]): Attr => ({ kind: 'floats', value }),
  string: (value: string): Attr => ({ kind: 'string', value }),
  tensor: (value: P.ITensorProto): Attr => ({ kind: 'tensor', value }),
};

function attributeProto(name: string, a: Attr): P.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  switch (a.kind) {
    case 'int':
      return { name, type: T.INT, i: a.value };
    case 'ints':
      return { name, type: T.INTS, ints: a.value };
    case 'float':
      return { name, type: T.FLOAT, f: a.value };
    case 'floats':
      return { name, type: T.FLOATS, floats: a.value };
    case 'string':
      return { name, type: T.STRING, s: new TextEncoder().encode(a.value) };
    case 'tensor':
      return { name, type: T.TENSOR, t: a.value };
  }
}

/** Builds one ONNX graph node by node; `toBytes()` gives a serialized ModelProto. */
export class GraphBuilder {
  readonly nodes: P.INodeProto[] = [];
  readonly initializers: P.ITensorProto[] = [];
  readonly inputs: P.IValueInfoProto[] = [];
  readonly outputs: P.IValueInfoProto[] = [];
  readonly valueInfos: P.IValueInfoProto[] = [];
  private counter = 0;

  constructor(readonly name = 'graph') {}

  input(name: string, elemType: number, dims: Dim[]): string {
    this.inputs.push(valueInfo(name, elemType, dims));
    return name;
  }

  output(name: string, elemType: number, dims?: Dim[]): string {
    this.outputs.push(valueInfo(name, elemType, dims));
    return name;
  }

  /** Declares the type/shape of an intermediate tensor (optional; helps tools that read value_info). */
  annotate(name: string, elemType: number, dims?: Dim[]): string {
    this.valueInfos.push(valueInfo(name, elemType, dims));
    return name;
  }

  initializer(name: string, data: TensorData, dims: number[]): string {
    this.initializers.push(tensorProto(name, data, dims));
    return name;
  }

  /** Adds a node; returns its first output name. `outputs` may be one name or several. */
  node(opType: string, inputs: string[], outputs: string | string[], attrs: Record<string, Attr> = {}): string {
    const outs = Array.isArray(outputs) ? outputs : [outputs];
    this.nodes.push({
      opType,
      name: `${opType}_${this.counter++}`,
      input: inputs,
      output: outs,
      attribute: Object.entries(attrs).map(([k, v]) => attributeProto(k, v)),
    });
    return outs[0];
  }

  toModel(opts: { opset?: number; producer?: string; doc?: string; metadata?: Record<string, string> } = {}): P.ModelProto {
    const graph: P.IGraphProto = {
      name: this.name,
      node: this.nodes,
      initializer: this.initializers,
      input: this.inputs,
      output: this.outputs,
      valueInfo: this.valueInfos,
    };
    return onnx.ModelProto.create({
      irVersion: DEFAULT_IR_VERSION,
      opsetImport: [{ domain: '', version: opts.opset ?? DEFAULT_OPSET }],
      producerName: opts.producer ?? 'grokinfo',
      producerVersion: '0.1.0',
      docString: opts.doc ?? '',
      graph,
      metadataProps: Object.entries(opts.metadata ?? {}).map(([key, value]) => ({ key, value })),
    });
  }

  toBytes(opts?: Parameters<GraphBuilder['toModel']>[0]): Uint8Array {
    return encodeModel(this.toModel(opts));
  }
}

export function encodeModel(model: P.IModelProto): Uint8Array {
  return onnx.ModelProto.encode(model).finish();
}

/** Decodes ModelProto bytes; bytes that are not an ONNX model -> INVALID_DATA. */
export function decodeModel(bytes: Uint8Array, source = 'model'): P.ModelProto {
  let model: P.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new GrokinfoError('INVALID_DATA', `${source} is not an ONNX model (protobuf decode failed: ${(e as Error).message})`);
  }
  if (!model.graph) throw new GrokinfoError('INVALID_DATA', `${source} is not an ONNX model (no graph)`);
  return model;
}

// ---------------------------------------------------------------------------------------------
// Inspection

export type TensorOrigin = 'input' | 'output' | 'node' | 'initializer';

export interface TensorInfo {
  name: string;
  origin: TensorOrigin;
  /** Producing node's op type (origin 'node' or 'output' produced by a node). */
  opType?: string;
  /** From graph inputs/outputs/value_info or the initializer, when known. */
  elemType?: number;
  dims?: Dim[];
}

/** The model's real inputs: graph inputs that are not initializers, with elem type and dims. */
export function modelInputs(model: P.IModelProto): { name: string; elemType?: number; dims?: Dim[] }[] {
  const g = model.graph!;
  const inits = new Set((g.initializer ?? []).map((t) => t.name));
  return (g.input ?? []).filter((vi) => !inits.has(vi.name!)).map((vi) => ({ name: vi.name!, ...describeValueInfo(vi) }));
}

/**
 * Every named tensor of the main graph: graph inputs, node outputs (in graph order), graph outputs
 * and initializers, with the type information found in inputs/outputs/value_info/initializers.
 */
export function listTensors(model: P.IModelProto): TensorInfo[] {
  const g = model.graph!;
  const typed = new Map<string, { elemType?: number; dims?: Dim[] }>();
  for (const vi of [...(g.valueInfo ?? []), ...(g.input ?? []), ...(g.output ?? [])]) if (vi.name) typed.set(vi.name, describeValueInfo(vi));
  const out: TensorInfo[] = [];
  const seen = new Set<string>();
  const push = (t: TensorInfo) => {
    if (!t.name || seen.has(t.name)) return;
    seen.add(t.name);
    out.push({ ...t, ...typed.get(t.name) });
  };
  const inits = new Set((g.initializer ?? []).map((t) => t.name!));
  for (const vi of g.input ?? []) if (!inits.has(vi.name!)) push({ name: vi.name!, origin: 'input' });
  const outputs = new Set((g.output ?? []).map((vi) => vi.name!));
  for (const n of g.node ?? [])
    for (const o of n.output ?? []) if (o) push({ name: o, origin: outputs.has(o) ? 'output' : 'node', opType: n.opType ?? undefined });
  for (const vi of g.output ?? []) push({ name: vi.name!, origin: 'output' });
  for (const t of g.initializer ?? [])
    push({ name: t.name!, origin: 'initializer', elemType: t.dataType ?? undefined, dims: (t.dims ?? []).map(toNum) });
  return out;
}

/** Finds a tensor by name; an unknown name -> INVALID_ARGUMENT listing the candidates. */
export function findTensor(model: P.IModelProto, name: string): TensorInfo {
  const all = listTensors(model);
  const hit = all.find((t) => t.name === name);
  if (hit) return hit;
  const candidates = all.filter((t) => t.origin !== 'initializer').map((t) => t.name);
  const lower = name.toLowerCase();
  const close = candidates.filter((c) => c.toLowerCase().includes(lower) || lower.includes(c.toLowerCase()));
  const shown = candidates.slice(0, 40).join(', ') + (candidates.length > 40 ? `, ... (${candidates.length - 40} more)` : '');
  throw new GrokinfoError(
    'INVALID_ARGUMENT',
    `tensor: no tensor named '${name}' in the model` +
      (close.length ? `; did you mean ${close.slice(0, 5).map((c) => `'${c}'`).join(', ')}?` : '') +
      `; candidates (graph inputs and node outputs): ${shown}`,
    { what: 'tensor', got: name, candidates },
  );
}

/**
 * A copy of the model whose graph outputs are exactly `names` (each must be a node output, graph
 * input or graph output). Known type information (value_info, existing outputs) is kept; a tensor
 * of unknown type is declared with no type, so onnxruntime infers it when it loads the graph.
 */
export function withOutputs(model: P.IModelProto, names: string[]): P.ModelProto {
  const copy = onnx.ModelProto.decode(encodeModel(model));
  const g = copy.graph!;
  const known = new Map<string, P.IValueInfoProto>();
  for (const vi of [...(g.valueInfo ?? []), ...(g.input ?? []), ...(g.output ?? [])]) if (vi.name) known.set(vi.name, vi);
  g.output = names.map((name) => {
    findTensor(copy, name);
    const vi = known.get(name);
    return onnx.ValueInfoProto.create(vi?.type?.tensorType ? { name, type: vi.type } : { name });
  });
  return copy;
}

/** Metadata props of a model as a plain record. */
export function modelMetadata(model: P.IModelProto): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of model.metadataProps ?? []) if (kv.key) out[kv.key] = kv.value ?? '';
  return out;
}
