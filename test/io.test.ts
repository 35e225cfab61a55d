import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GrokinfoError } from '../src/core/errors.js';
import { formatCsv, formatNpy, parseCsv, parseNpy, readMatrixFile, writeMatrixFile } from '../src/core/io.js';

function code(f: () => unknown): GrokinfoError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(GrokinfoError);
    return e as GrokinfoError;
  }
  throw new Error('expected an error');
}

describe('CSV', () => {
  it('detects a header and parses numbers (NaN/Inf spellings are numbers, checked later)', () => {
    const m = parseCsv('a,b,c\n1,2.5,-3e2\n\n4,nan,Inf\n');
    expect(m.columnNames).toEqual(['a', 'b', 'c']);
    expect(m.rows).toBe(2);
    expect(m.cols).toBe(3);
    expect(Array.from(m.data)).toEqual([1, 2.5, -300, 4, NaN, Infinity]);
    const n = parseCsv('1;2\n3;4');
    expect(n.columnNames).toBeUndefined();
    expect(Array.from(n.data)).toEqual([1, 2, 3, 4]);
  });
  it('ragged rows and non-numeric fields name the line and column', () => {
    const e1 = code(() => parseCsv('a,b\n1,2\n3\n', 'x.csv'));
    expect(e1.code).toBe('INVALID_DATA');
    expect(e1.message).toMatch(/x\.csv: line 3 \(data row 1\) has 1 fields, expected 2/);
    const e2 = code(() => parseCsv('a,b\n1,2\n3,zz\n'));
    expect(e2.code).toBe('INVALID_DATA');
    expect(e2.message).toMatch(/line 3 \(data row 1\), column 1 \(b\): "zz" is not a number/);
  });
  it('round-trips through formatCsv', () => {
    const m = { data: Float64Array.from([0.1, 1e-300, -2, 3.25]), rows: 2, cols: 2 };
    const back = parseCsv(formatCsv(m, ['x', 'y']));
    expect(Array.from(back.data)).toEqual(Array.from(m.data));
  });
});

describe('.npy', () => {
  it('round-trips float32 and float64 and reads a numpy-written header', async () => {
    for (const data of [Float32Array.from([1, 2, 3, 4, 5, 6]), Float64Array.from([1.5, -2, 3, 4, 5, 6e100])]) {
      const m = parseNpy(formatNpy({ data, rows: 2, cols: 3 }));
      expect(m.rows).toBe(2);
      expect(m.cols).toBe(3);
      expect(m.data.constructor).toBe(data.constructor);
      expect(Array.from(m.data)).toEqual(Array.from(data));
    }
    // Written by numpy 2 (np.save of np.arange(6, dtype='<f8').reshape(2, 3)): header text as numpy writes it.
    const header = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }";
    const pad = 128 - 10 - header.length - 1;
    const h = header + ' '.repeat(pad) + '\n';
    const buf = new Uint8Array(128 + 48);
    buf.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, h.length & 255, h.length >> 8]);
    buf.set(new TextEncoder().encode(h), 10);
    new Float64Array(buf.buffer, 128, 6).set([0, 1, 2, 3, 4, 5]);
    const m = parseNpy(buf);
    expect(Array.from(m.data)).toEqual([0, 1, 2, 3, 4, 5]);
    const dir = mkdtempSync(join(tmpdir(), 'io-'));
    await writeMatrixFile(join(dir, 'a.npy'), m);
    expect(Array.from(readMatrixFile(join(dir, 'a.npy')).data)).toEqual([0, 1, 2, 3, 4, 5]);
  });
  it('reads Fortran order as C order; rejects other dtypes, 1-D arrays and truncated files', () => {
    const mk = (hdr: string, bytes: number) => {
      const h = hdr + ' '.repeat(127 - 10 - hdr.length) + '\n';
      const b = new Uint8Array(128 + bytes);
      b.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, h.length, 0]);
      b.set(new TextEncoder().encode(h), 10);
      return b;
    };
    const f = mk("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }", 48);
    new Float64Array(f.buffer, 128, 6).set([1, 4, 2, 5, 3, 6]); // column-major [[1,2,3],[4,5,6]]
    expect(Array.from(parseNpy(f).data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(code(() => parseNpy(mk("{'descr': '<i4', 'fortran_order': False, 'shape': (2, 2), }", 16))).message).toMatch(/dtype <i4/);
    expect(code(() => parseNpy(mk("{'descr': '<f8', 'fortran_order': False, 'shape': (4,), }", 32))).message).toMatch(/2-D/);
    expect(code(() => parseNpy(mk("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }", 8))).message).toMatch(/truncated/);
    const dir = mkdtempSync(join(tmpdir(), 'io-'));
    writeFileSync(join(dir, 'bad.npy'), 'hello');
    expect(code(() => readMatrixFile(join(dir, 'bad.npy'))).code).toBe('INVALID_DATA');
    // a wrong input path is the user's mistake (exit 2, README), not an I/O failure (issue 13)
    expect(code(() => readMatrixFile(join(dir, 'missing.csv'))).code).toBe('INVALID_ARGUMENT');
  });
});
