/**
 * safetensors files (https://github.com/huggingface/safetensors): an 8-byte little-endian header
 * length, a JSON header {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {k: v}}
 * padded with spaces to a multiple of 8 bytes, then the tensors' little-endian bytes back to back.
 * Only float32 ('F32') tensors are written and read. Files are written atomically (src/core/fsutil.ts).
 *
 * Checkpoints: one tensor per parameter, named like PyTorch's `layers.{l}.weight` / `layers.{l}.bias`
 * (mlp.h layout), the architecture as JSON in the metadata key `grokinfo.arch`, and the caller's
 * metadata (step, seed, ...) as strings.
 */
import { promises as fs } from 'node:fs';
import { GrokinfoError } from '../core/errors.js';
import { writeFileAtomic } from '../core/fsutil.js';
import { paramLayout, validateArch, type ArchConfig, type ParamInfo } from './trainer.js';

export interface Tensor {
  shape: number[];
  data: Float32Array;
}

export interface SafetensorsFile {
  tensors: Map<string, Tensor>;
  metadata: Record<string, string>;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function bad(what: string): GrokinfoError {
  return new GrokinfoError('INVALID_DATA', `safetensors: ${what}`);
}

/** Serialises tensors (in the given order) and string metadata. */
export function encodeSafetensors(tensors: Map<string, Tensor> | Record<string, Tensor>, metadata: Record<string, string> = {}): Uint8Array {
  const entries = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  const header: Record<string, unknown> = {};
  const meta: Record<string, string> = {};
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== 'string') throw new GrokinfoError('INVALID_ARGUMENT', `safetensors metadata ${k}: values must be strings`);
    meta[k] = v;
  }
  if (Object.keys(meta).length > 0) header.__metadata__ = meta;
  let offset = 0;
  for (const [name, t] of entries) {
    if (name === '__metadata__') throw new GrokinfoError('INVALID_ARGUMENT', 'safetensors: "__metadata__" is not a tensor name');
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (!t.shape.every((d) => Number.isInteger(d) && d >= 0) || n !== t.data.length)
      throw new GrokinfoError('INVALID_ARGUMENT', `safetensors: tensor ${name} has shape [${t.shape}] but ${t.data.length} values`);
    header[name] = { dtype: 'F32', shape: [...t.shape], data_offsets: [offset, offset + 4 * n] };
    offset += 4 * n;
  }
  let json = JSON.stringify(header);
  const jsonBytes0 = Buffer.byteLength(json, 'utf8');
  json += ' '.repeat((8 - (jsonBytes0 % 8)) % 8);
  const hb = Buffer.from(json, 'utf8');
  const out = new Uint8Array(8 + hb.length + offset);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, BigInt(hb.length), true);
  out.set(hb, 8);
  let pos = 8 + hb.length;
  for (const [, t] of entries) {
    if (LITTLE_ENDIAN) out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), pos);
    else for (let i = 0; i < t.data.length; i++) dv.setFloat32(pos + 4 * i, t.data[i], true);
    pos += t.data.byteLength;
  }
  return out;
}

/** Parses a safetensors buffer; anything malformed is INVALID_DATA naming what is wrong. */
export function decodeSafetensors(bytes: Uint8Array): SafetensorsFile {
  if (bytes.length < 8) throw bad('file shorter than its 8-byte header length');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const hlen = dv.getBigUint64(0, true);
  if (hlen > BigInt(bytes.length - 8)) throw bad(`header length ${hlen} exceeds the file size`);
  const h = Number(hlen);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset + 8, h).toString('utf8'));
  } catch (e) {
    throw bad(`header is not valid JSON: ${(e as Error).message}`);
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) throw bad('header is not a JSON object');
  const dataStart = 8 + h;
  const dataLen = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const tensors = new Map<string, Tensor>();
  const spans: [number, number, string][] = [];
  for (const [name, v] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (!v || typeof v !== 'object') throw bad('__metadata__ must be an object of strings');
      for (const [k, s] of Object.entries(v as Record<string, unknown>)) {
        if (typeof s !== 'string') throw bad(`metadata ${k} is not a string`);
        metadata[k] = s;
      }
      continue;
    }
    const t = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (!t || typeof t !== 'object') throw bad(`tensor ${name}: entry is not an object`);
    if (t.dtype !== 'F32') throw bad(`tensor ${name}: dtype ${JSON.stringify(t.dtype)} is not supported (only F32)`);
    if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isInteger(d) && d >= 0)) throw bad(`tensor ${name}: bad shape`);
    const off = t.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((d) => Number.isInteger(d) && d >= 0) || off[0] > off[1] || off[1] > dataLen)
      throw bad(`tensor ${name}: bad data_offsets ${JSON.stringify(off)}`);
    const n = (t.shape as number[]).reduce((a, b) => a * b, 1);
    if (off[1] - off[0] !== 4 * n) throw bad(`tensor ${name}: data_offsets span ${off[1] - off[0]} bytes, shape needs ${4 * n}`);
    const data = new Float32Array(n);
    const base = dataStart + off[0];
    if (LITTLE_ENDIAN) new Uint8Array(data.buffer).set(bytes.subarray(base, base + 4 * n));
    else for (let i = 0; i < n; i++) data[i] = dv.getFloat32(base + 4 * i, true);
    tensors.set(name, { shape: [...(t.shape as number[])], data });
    spans.push([off[0], off[1], name]);
  }
  spans.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < spans.length; i++)
    if (spans[i][0] < spans[i - 1][1]) throw bad(`tensors ${spans[i - 1][2]} and ${spans[i][2]} overlap`);
  return { tensors, metadata };
}

export async function writeSafetensors(path: string, tensors: Map<string, Tensor> | Record<string, Tensor>, metadata: Record<string, string> = {}): Promise<void> {
  await writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}

export async function readSafetensors(path: string): Promise<SafetensorsFile> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await fs.readFile(path));
  } catch (e) {
    throw new GrokinfoError('IO', `could not read ${path}: ${(e as Error).message}`);
  }
  try {
    return decodeSafetensors(bytes);
  } catch (e) {
    if (e instanceof GrokinfoError) throw new GrokinfoError(e.code, `${path}: ${e.message}`);
    throw e;
  }
}

export const ARCH_KEY = 'grokinfo.arch';

/** Saves one model's flat parameters (mlp.h layout) as named tensors, with the architecture and metadata. */
export async function saveCheckpoint(
  path: string,
  arch: ArchConfig,
  params: Float32Array,
  metadata: Record<string, string | number | boolean> = {},
): Promise<void> {
  const a = validateArch(arch);
  const layout = paramLayout(a);
  const total = layout.reduce((s, t) => s + t.size, 0);
  if (params.length !== total)
    throw new GrokinfoError('INVALID_ARGUMENT', `saveCheckpoint: params must hold ${total} floats for this architecture (got ${params.length})`);
  const tensors = new Map<string, Tensor>();
  for (const t of layout) tensors.set(t.name, { shape: t.shape, data: params.subarray(t.offset, t.offset + t.size) });
  const meta: Record<string, string> = { format: 'grokinfo-mlp', [ARCH_KEY]: JSON.stringify(a) };
  for (const [k, v] of Object.entries(metadata)) meta[k] = String(v);
  await writeSafetensors(path, tensors, meta);
}

export interface Checkpoint {
  arch: ArchConfig;
  /** Named tensors (layers.{l}.weight, layers.{l}.bias). */
  tensors: Record<string, Float32Array>;
  /** The same parameters, flat in the mlp.h layout (what Trainer.setParams takes). */
  params: Float32Array;
  metadata: Record<string, string>;
}

export async function loadCheckpoint(path: string): Promise<Checkpoint> {
  const f = await readSafetensors(path);
  const archText = f.metadata[ARCH_KEY];
  if (!archText) throw new GrokinfoError('INVALID_DATA', `${path}: not a grokinfo checkpoint (no ${ARCH_KEY} metadata)`);
  let arch: ArchConfig;
  try {
    arch = validateArch(JSON.parse(archText));
  } catch (e) {
    throw new GrokinfoError('INVALID_DATA', `${path}: bad ${ARCH_KEY} metadata: ${(e as Error).message}`);
  }
  const layout = paramLayout(arch);
  const params = flatParams(f, layout, path);
  const tensors: Record<string, Float32Array> = {};
  for (const t of layout) tensors[t.name] = params.subarray(t.offset, t.offset + t.size);
  const metadata = { ...f.metadata };
  delete metadata[ARCH_KEY];
  return { arch, tensors, params, metadata };
}

/**
 * Initial parameters for a model of `arch` from a safetensors file of named tensors (grokinfo's names
 * layers.{l}.weight [out, in] and layers.{l}.bias [out], PyTorch's Linear layout; a PyTorch state_dict
 * saved under these names works as is). Other tensors in the file are ignored. Coded errors name the
 * file and the missing or misshapen tensor.
 */
export async function readInitialParams(path: string, arch: ArchConfig): Promise<Float32Array> {
  const layout = paramLayout(validateArch(arch));
  const params = flatParams(await readSafetensors(path), layout, `--init-from ${path}`);
  for (const t of layout)
    for (let i = 0; i < t.size; i++)
      if (!Number.isFinite(params[t.offset + i])) throw new GrokinfoError('INVALID_DATA', `--init-from ${path}: tensor ${t.name} holds a non-finite value at ${i}`);
  return params;
}

/**
 * The named tensors of a file in the flat layout of `layout` (loadCheckpoint, readInitialParams); coded errors
 * name the missing or misshapen tensor, what the file holds and what the model needs.
 */
function flatParams(f: SafetensorsFile, layout: ParamInfo[], where: string): Float32Array {
  const params = new Float32Array(layout.reduce((s, t) => s + t.size, 0));
  for (const t of layout) {
    const v = f.tensors.get(t.name);
    if (!v)
      throw new GrokinfoError(
        'INVALID_DATA',
        `${where}: tensor ${t.name} [${t.shape}] is missing (the file has ${f.tensors.size ? [...f.tensors.keys()].join(', ') : 'no tensors'}; needed: ${layout.map((l) => `${l.name} [${l.shape}]`).join(', ')})`,
      );
    if (v.shape.length !== t.shape.length || v.shape.some((d, i) => d !== t.shape[i]))
      throw new GrokinfoError('INVALID_DATA', `${where}: tensor ${t.name} has shape [${v.shape}], this model needs [${t.shape}]`);
    params.set(v.data, t.offset);
  }
  return params;
}
