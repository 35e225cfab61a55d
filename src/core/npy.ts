/**
 * NumPy .npy reading and writing (format versions 1-3, little-endian numeric dtypes, C or Fortran
 * order), for the inputs of `measure-model`. Fortran-ordered arrays are returned in C order.
 */
import { readFile } from 'node:fs/promises';
import { GrokinfoError } from './errors.js';
import { writeFileAtomic } from './fsutil.js';

export type NpyData = Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | BigInt64Array | BigUint64Array;

export interface NpyArray {
  data: NpyData;
  shape: number[];
  /** numpy dtype string, e.g. '<f4'. */
  dtype: string;
}

const DTYPES: Record<string, { bytes: number; make: (buf: ArrayBuffer, n: number) => NpyData }> = {
  f4: { bytes: 4, make: (b, n) => new Float32Array(b, 0, n) },
  f8: { bytes: 8, make: (b, n) => new Float64Array(b, 0, n) },
  i1: { bytes: 1, make: (b, n) => new Int8Array(b, 0, n) },
  u1: { bytes: 1, make: (b, n) => new Uint8Array(b, 0, n) },
  b1: { bytes: 1, make: (b, n) => new Uint8Array(b, 0, n) },
  i2: { bytes: 2, make: (b, n) => new Int16Array(b, 0, n) },
  u2: { bytes: 2, make: (b, n) => new Uint16Array(b, 0, n) },
  i4: { bytes: 4, make: (b, n) => new Int32Array(b, 0, n) },
  u4: { bytes: 4, make: (b, n) => new Uint32Array(b, 0, n) },
  i8: { bytes: 8, make: (b, n) => new BigInt64Array(b, 0, n) },
  u8: { bytes: 8, make: (b, n) => new BigUint64Array(b, 0, n) },
};

export function parseNpy(bytes: Uint8Array, source = 'array'): NpyArray {
  const bad = (why: string) => new GrokinfoError('INVALID_DATA', `${source} is not a readable .npy file: ${why}`);
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
  if (bytes.length < 10 || magic.some((m, i) => bytes[i] !== m)) throw bad('missing the \\x93NUMPY magic');
  const major = bytes[6];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number;
  let start: number;
  if (major === 1) {
    headerLen = dv.getUint16(8, true);
    start = 10;
  } else if (major === 2 || major === 3) {
    headerLen = dv.getUint32(8, true);
    start = 12;
  } else throw bad(`format version ${major} is not supported`);
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1] === 'True';
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || shapeText === undefined) throw bad(`unreadable header ${JSON.stringify(header.trim())}`);
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => Number(s.replace(/L$/, '')));
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw bad(`bad shape (${shapeText})`);
  const endian = descr[0];
  const kind = descr.slice(1);
  const dt = DTYPES[kind];
  if (!dt || (endian === '>' && dt.bytes > 1)) throw bad(`dtype '${descr}' is not supported (use little-endian float32/64 or integers)`);
  const n = shape.reduce((a, b) => a * b, 1);
  const offset = start + headerLen;
  if (bytes.length - offset < n * dt.bytes) throw bad(`truncated: ${n} values of ${dt.bytes} bytes expected, ${bytes.length - offset} bytes present`);
  const buf = new ArrayBuffer(n * dt.bytes);
  new Uint8Array(buf).set(bytes.subarray(offset, offset + n * dt.bytes));
  let data = dt.make(buf, n);
  if (fortran && shape.length > 1) data = fortranToC(data, shape);
  return { data, shape, dtype: `${endian === '|' ? '<' : endian}${kind}` };
}

function fortranToC(data: NpyData, shape: number[]): NpyData {
  const n = data.length;
  const out = new (data.constructor as new (n: number) => NpyData)(n);
  const rank = shape.length;
  const idx = new Array(rank).fill(0);
  // walk C order; Fortran offset = sum idx[k] * prod(shape[0..k-1])
  for (let c = 0; c < n; c++) {
    let f = 0;
    let stride = 1;
    for (let k = 0; k < rank; k++) {
      f += idx[k] * stride;
      stride *= shape[k];
    }
    (out as unknown as { [i: number]: number | bigint })[c] = (data as unknown as { [i: number]: number | bigint })[f];
    for (let k = rank - 1; k >= 0; k--) {
      if (++idx[k] < shape[k]) break;
      idx[k] = 0;
    }
  }
  return out;
}

export async function readNpy(path: string): Promise<NpyArray> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (e) {
    throw new GrokinfoError('IO', `could not read ${path}: ${(e as Error).message}`);
  }
  return parseNpy(bytes, path);
}

function descrOf(data: NpyData): string {
  if (data instanceof Float32Array) return '<f4';
  if (data instanceof Float64Array) return '<f8';
  if (data instanceof Int8Array) return '|i1';
  if (data instanceof Uint8Array) return '|u1';
  if (data instanceof Int16Array) return '<i2';
  if (data instanceof Uint16Array) return '<u2';
  if (data instanceof Int32Array) return '<i4';
  if (data instanceof Uint32Array) return '<u4';
  if (data instanceof BigInt64Array) return '<i8';
  return '<u8';
}

/** Serializes a C-ordered array as .npy version 1.0. */
export function formatNpy(data: NpyData, shape: number[]): Uint8Array {
  const n = shape.reduce((a, b) => a * b, 1);
  if (n !== data.length) throw new GrokinfoError('INTERNAL', `npy: ${data.length} values for shape [${shape.join(', ')}]`);
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descrOf(data)}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length);
  return out;
}

export async function writeNpy(path: string, data: NpyData, shape: number[]): Promise<void> {
  await writeFileAtomic(path, formatNpy(data, shape));
}
