/** .npy reading against byte layouts written by hand from the NumPy format spec, and the CLI's flag parsers. */
import { describe, expect, it } from 'vitest';
import { formatNpy, parseNpy } from '../src/core/npy.js';
import { parseBins, parseGroups, stepFromName } from '../src/onnx/measure.js';

/** A .npy v1.0 file built by hand: magic, version, header length, header, data. */
function handNpy(header: string, data: Uint8Array): Uint8Array {
  const pad = 64 - ((10 + header.length + 1) % 64);
  const h = header + ' '.repeat(pad % 64) + '\n';
  const out = new Uint8Array(10 + h.length + data.length);
  out.set([0x93, 78, 85, 77, 80, 89, 1, 0, h.length & 255, h.length >> 8]);
  for (let i = 0; i < h.length; i++) out[10 + i] = h.charCodeAt(i);
  out.set(data, 10 + h.length);
  return out;
}

describe('npy', () => {
  it('reads C-order float32 and int64', () => {
    const f = new Float32Array([1, 2, 3, 4, 5, 6]);
    const a = parseNpy(handNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", new Uint8Array(f.buffer)));
    expect(a.shape).toEqual([2, 3]);
    expect(Array.from(a.data as Float32Array)).toEqual([1, 2, 3, 4, 5, 6]);
    const i = new BigInt64Array([7n, -1n, 3n]);
    const b = parseNpy(handNpy("{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }", new Uint8Array(i.buffer)));
    expect(b.shape).toEqual([3]);
    expect(Array.from(b.data as BigInt64Array)).toEqual([7n, -1n, 3n]);
  });

  it('returns Fortran-ordered arrays in C order', () => {
    // the 2 x 3 matrix [[1,2,3],[4,5,6]] stored column by column
    const f = new Float64Array([1, 4, 2, 5, 3, 6]);
    const a = parseNpy(handNpy("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }", new Uint8Array(f.buffer)));
    expect(Array.from(a.data as Float64Array)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('writes what it reads, with a 64-byte aligned header', () => {
    const bytes = formatNpy(new Int32Array([1, -2, 3, 4]), [2, 2]);
    const hl = bytes[8] | (bytes[9] << 8);
    expect((10 + hl) % 64).toBe(0);
    const back = parseNpy(bytes);
    expect(back.dtype).toBe('<i4');
    expect(back.shape).toEqual([2, 2]);
    expect(Array.from(back.data as Int32Array)).toEqual([1, -2, 3, 4]);
  });

  it('rejects non-npy and truncated files with INVALID_DATA', () => {
    expect(() => parseNpy(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]), 'x.npy')).toThrowError(/x.npy is not a readable .npy/);
    const f = new Float32Array([1, 2]);
    expect(() => parseNpy(handNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", new Uint8Array(f.buffer)))).toThrowError(/truncated/);
    expect(() => parseNpy(handNpy("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", new Uint8Array(f.buffer)))).toThrowError(/not supported/);
  });
});

describe('flag parsers', () => {
  it('bins, groups, steps', () => {
    expect(parseBins('ward:10')).toBe(10);
    expect(parseBins('4')).toBe(4);
    expect(() => parseBins('kmeans:4')).toThrowError(/--bins/);
    expect(() => parseBins('ward:1')).toThrowError(/2\.\.24/);
    expect(parseGroups('0-2;3,5;6')).toEqual([[0, 1, 2], [3, 5], [6]]);
    expect(parseGroups('[[0,1],[2]]')).toEqual([[0, 1], [2]]);
    expect(() => parseGroups('0-2')).toThrowError(/at least two/);
    expect(() => parseGroups('a;b')).toThrowError(/--groups/);
    expect(stepFromName('runs/x/checkpoints/step-1200.onnx')).toBe(1200);
    expect(stepFromName('step_5.safetensors')).toBe(5);
    expect(stepFromName('model.onnx')).toBeNull();
  });
});
