/**
 * Export of grokinfo MLPs (native/mlp.h) to ONNX.
 *
 * Token graph (default): inputs `a`, `b` (int64 [batch]); layer 0 is the one-hot-concat layer done
 * as the native code does it, a gather of two weight columns:
 *   pre.0 = W0[:, a] + W0[:, vocab + b] (+ b0)     (Gather rows of W0^T, then Add, then Add bias)
 *   hidden.0 = Relu(pre.0)
 *   pre.l = hidden.{l-1} W_l^T (+ b_l),  hidden.l = Relu(pre.l)      (Gemm, transB = 1)
 *   logits = hidden.{L-1} W_L^T (+ b_L)
 * Dense graph (`input: 'dense'`): input `x` (float32 [batch, 2*vocab]), pre.0 = x W0^T (+ b0).
 * Initializers keep the checkpoint's names and PyTorch layout ("layers.{l}.weight" [out, in],
 * "layers.{l}.bias" [out]); W0^T is a Transpose node that onnxruntime folds at load time.
 * Outputs: "logits" [batch, out], then "hidden.{l}" [batch, hidden[l]] for every hidden layer
 * (unless `hiddenOutputs: false`). The architecture is stored in the model's metadata
 * ("grokinfo.arch", JSON) along with any extra metadata given.
 */
import { readFile } from 'node:fs/promises';
import { GrokinfoError, invalidArgument } from '../core/errors.js';
import { writeFileAtomic } from '../core/fsutil.js';
import { loadCheckpoint } from '../training/safetensors.js';
import type { ArchConfig } from '../training/trainer.js';
import { ElemType, GraphBuilder, attr } from './graph.js';

/** The MLP architecture (the trainer's ArchConfig). */
export type MlpArch = ArchConfig;

export interface ParamSlot {
  name: string;
  /** [out, in] for weights, [out] for biases. */
  shape: number[];
  offset: number;
  size: number;
}

/** The flat parameter layout of native/mlp.h: per layer W_l (out x in, row-major) then b_l if present. */
export function mlpParamLayout(arch: MlpArch): ParamSlot[] {
  checkArch(arch);
  const slots: ParamSlot[] = [];
  let offset = 0;
  const L = arch.hidden.length;
  for (let l = 0; l <= L; l++) {
    const fanIn = l === 0 ? 2 * arch.vocab : arch.hidden[l - 1];
    const fanOut = l === L ? arch.out : arch.hidden[l];
    slots.push({ name: `layers.${l}.weight`, shape: [fanOut, fanIn], offset, size: fanOut * fanIn });
    offset += fanOut * fanIn;
    const hasBias = l === 0 ? arch.biasFirst : l === L ? arch.biasOut : arch.biasHidden;
    if (hasBias) {
      slots.push({ name: `layers.${l}.bias`, shape: [fanOut], offset, size: fanOut });
      offset += fanOut;
    }
  }
  return slots;
}

export function mlpParamCount(arch: MlpArch): number {
  const slots = mlpParamLayout(arch);
  const last = slots[slots.length - 1];
  return last.offset + last.size;
}

function checkArch(arch: MlpArch): void {
  const posInt = (v: unknown) => Number.isInteger(v) && (v as number) > 0;
  if (!arch || typeof arch !== 'object') throw invalidArgument('arch', 'an object {vocab, hidden, out, biasFirst, biasHidden, biasOut}', arch);
  if (!posInt(arch.vocab)) throw invalidArgument('arch.vocab', 'a positive integer', arch.vocab);
  if (!posInt(arch.out)) throw invalidArgument('arch.out', 'a positive integer', arch.out);
  if (!Array.isArray(arch.hidden) || arch.hidden.length < 1 || !arch.hidden.every(posInt))
    throw invalidArgument('arch.hidden', 'a non-empty array of positive integers', arch.hidden);
}

/** Parameters as the flat native layout, or by name ("layers.{l}.weight" ...). */
export type MlpParams = Float32Array | Record<string, Float32Array | { data: ArrayLike<number>; shape?: number[] }>;

/** Splits/validates parameters into named float32 tensors in the layout of `mlpParamLayout`. */
export function namedParams(arch: MlpArch, params: MlpParams): Map<string, Float32Array> {
  const slots = mlpParamLayout(arch);
  const out = new Map<string, Float32Array>();
  if (params instanceof Float32Array) {
    const total = slots[slots.length - 1].offset + slots[slots.length - 1].size;
    if (params.length !== total)
      throw new GrokinfoError('INVALID_DATA', `params: expected ${total} float32 values for this architecture, got ${params.length}`);
    for (const s of slots) out.set(s.name, params.subarray(s.offset, s.offset + s.size));
    return out;
  }
  for (const s of slots) {
    const t = params[s.name];
    if (!t) throw new GrokinfoError('INVALID_DATA', `params: tensor '${s.name}' [${s.shape.join(', ')}] is missing`);
    const data = t instanceof Float32Array ? t : Float32Array.from(t.data);
    const shape = t instanceof Float32Array ? undefined : t.shape;
    if (data.length !== s.size || (shape && shape.join(',') !== s.shape.join(',')))
      throw new GrokinfoError(
        'INVALID_DATA',
        `params: tensor '${s.name}' should have shape [${s.shape.join(', ')}], got ${shape ? `[${shape.join(', ')}]` : `${data.length} values`}`,
      );
    out.set(s.name, data);
  }
  return out;
}

export interface ExportOptions {
  /** 'tokens' (default): int64 inputs a, b; 'dense': float32 input x [batch, 2*vocab]. */
  input?: 'tokens' | 'dense';
  /** Expose every hidden layer's post-ReLU activations as outputs "hidden.{l}" (default true). */
  hiddenOutputs?: boolean;
  opset?: number;
  /** Extra model metadata (string values), e.g. {step: '1000'}. */
  metadata?: Record<string, string>;
}

/** Builds the ONNX model of a grokinfo MLP; returns serialized ModelProto bytes. */
export function exportMlp(arch: MlpArch, params: MlpParams, opts: ExportOptions = {}): Uint8Array {
  const input = opts.input ?? 'tokens';
  if (input !== 'tokens' && input !== 'dense') throw invalidArgument('input', "'tokens' or 'dense'", input);
  const named = namedParams(arch, params);
  const slots = mlpParamLayout(arch);
  const L = arch.hidden.length;
  const g = new GraphBuilder('grokinfo_mlp');
  for (const s of slots) g.initializer(s.name, named.get(s.name)!, s.shape);
  const has = (name: string) => named.has(name);

  let pre0: string;
  if (input === 'tokens') {
    g.input('a', ElemType.INT64, ['batch']);
    g.input('b', ElemType.INT64, ['batch']);
    g.initializer('vocab_offset', BigInt64Array.of(BigInt(arch.vocab)), []);
    const w0t = g.node('Transpose', ['layers.0.weight'], 'layers.0.weight_t', { perm: attr.ints([1, 0]) });
    const bShift = g.node('Add', ['b', 'vocab_offset'], 'b_shifted');
    const ea = g.node('Gather', [w0t, 'a'], 'gather.a', { axis: attr.int(0) });
    const eb = g.node('Gather', [w0t, bShift], 'gather.b', { axis: attr.int(0) });
    if (has('layers.0.bias')) {
      const sum = g.node('Add', [ea, eb], 'sum.0');
      pre0 = g.node('Add', [sum, 'layers.0.bias'], 'pre.0');
    } else {
      pre0 = g.node('Add', [ea, eb], 'pre.0');
    }
  } else {
    g.input('x', ElemType.FLOAT, ['batch', 2 * arch.vocab]);
    const ins = ['x', 'layers.0.weight', ...(has('layers.0.bias') ? ['layers.0.bias'] : [])];
    pre0 = g.node('Gemm', ins, 'pre.0', { transB: attr.int(1) });
  }
  let h = g.node('Relu', [pre0], 'hidden.0');
  g.annotate('pre.0', ElemType.FLOAT, ['batch', arch.hidden[0]]);
  for (let l = 1; l <= L; l++) {
    const ins = [h, `layers.${l}.weight`, ...(has(`layers.${l}.bias`) ? [`layers.${l}.bias`] : [])];
    if (l === L) {
      g.node('Gemm', ins, 'logits', { transB: attr.int(1) });
    } else {
      const pre = g.node('Gemm', ins, `pre.${l}`, { transB: attr.int(1) });
      g.annotate(pre, ElemType.FLOAT, ['batch', arch.hidden[l]]);
      h = g.node('Relu', [pre], `hidden.${l}`);
    }
  }
  g.output('logits', ElemType.FLOAT, ['batch', arch.out]);
  for (let l = 0; l < L; l++) {
    if (opts.hiddenOutputs === false) g.annotate(`hidden.${l}`, ElemType.FLOAT, ['batch', arch.hidden[l]]);
    else g.output(`hidden.${l}`, ElemType.FLOAT, ['batch', arch.hidden[l]]);
  }
  const metadata: Record<string, string> = {
    'grokinfo.arch': JSON.stringify({ vocab: arch.vocab, hidden: arch.hidden, out: arch.out, biasFirst: arch.biasFirst, biasHidden: arch.biasHidden, biasOut: arch.biasOut }),
    'grokinfo.input': input,
    ...(opts.metadata ?? {}),
  };
  return g.toBytes({
    opset: opts.opset,
    metadata,
    doc:
      input === 'tokens'
        ? 'grokinfo MLP on (a, b) token pairs: layer 0 = W0[:, a] + W0[:, vocab + b] (+ b0), ReLU hidden layers, logits'
        : 'grokinfo MLP on dense inputs x = one_hot(a) ++ one_hot(b): ReLU hidden layers, logits',
  });
}

// ---------------------------------------------------------------------------------------------
// Checkpoint files (src/training/safetensors.ts).

export interface LoadedCheckpoint {
  arch: MlpArch;
  params: MlpParams;
  metadata: Record<string, string>;
}

/** Loads a grokinfo safetensors checkpoint (via src/training/safetensors.ts). */
export async function loadGrokinfoCheckpoint(path: string): Promise<LoadedCheckpoint> {
  const ck = await loadCheckpoint(path);
  return { arch: ck.arch, params: ck.params, metadata: ck.metadata };
}

/** Exports a checkpoint file (grokinfo safetensors) to ONNX bytes; the checkpoint's metadata is kept. */
export async function exportCheckpoint(path: string, opts: ExportOptions = {}): Promise<Uint8Array> {
  const ck = await loadGrokinfoCheckpoint(path);
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(ck.metadata)) metadata[`checkpoint.${k}`] = v;
  return exportMlp(ck.arch, ck.params, { ...opts, metadata: { ...metadata, ...(opts.metadata ?? {}) } });
}

/** Writes ONNX bytes atomically. */
export async function writeOnnx(path: string, bytes: Uint8Array): Promise<void> {
  await writeFileAtomic(path, bytes);
}

/** Reads a file as bytes; a missing file -> IO. */
export async function readBytes(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    throw new GrokinfoError('IO', `could not read ${path}: ${(e as Error).message}`);
  }
}
