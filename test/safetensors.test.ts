import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GrokinfoError } from '../src/core/errors.js';
import { decodeSafetensors, encodeSafetensors, loadCheckpoint, readSafetensors, saveCheckpoint, writeSafetensors } from '../src/training/safetensors.js';
import { paramLayout, validateArch } from '../src/training/trainer.js';

const dir = mkdtempSync(join(tmpdir(), 'grokinfo-st-'));

describe('safetensors', () => {
  it('writes the documented byte layout', async () => {
    const a = new Float32Array([1, -2.5, 3e-8, 4, 5, 6]);
    const b = new Float32Array([7]);
    const path = join(dir, 'x.safetensors');
    await writeSafetensors(path, { a: { shape: [2, 3], data: a }, b: { shape: [1], data: b } }, { step: '12' });
    const bytes = readFileSync(path);
    const n = Number(bytes.readBigUInt64LE(0));
    expect(n % 8).toBe(0);
    const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8'));
    expect(header).toEqual({
      __metadata__: { step: '12' },
      a: { dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] },
      b: { dtype: 'F32', shape: [1], data_offsets: [24, 28] },
    });
    expect(bytes.length).toBe(8 + n + 28);
    // little-endian float32 values, back to back
    for (let i = 0; i < 6; i++) expect(bytes.readFloatLE(8 + n + 4 * i)).toBe(a[i]);
    expect(bytes.readFloatLE(8 + n + 24)).toBe(7);
    const back = await readSafetensors(path);
    expect(back.metadata).toEqual({ step: '12' });
    expect(back.tensors.get('a')).toEqual({ shape: [2, 3], data: a });
    expect(back.tensors.get('b')!.data).toEqual(b);
  });

  it('reads a file assembled by hand', () => {
    const header = Buffer.from('{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', 'utf8');
    const buf = Buffer.alloc(8 + header.length + 8);
    buf.writeBigUInt64LE(BigInt(header.length), 0);
    header.copy(buf, 8);
    buf.writeFloatLE(0.5, 8 + header.length);
    buf.writeFloatLE(-1, 12 + header.length);
    const f = decodeSafetensors(new Uint8Array(buf));
    expect(Array.from(f.tensors.get('w')!.data)).toEqual([0.5, -1]);
    expect(f.metadata).toEqual({});
  });

  it('rejects malformed files with INVALID_DATA', () => {
    const good = encodeSafetensors({ w: { shape: [2], data: new Float32Array([1, 2]) } });
    const bad = (b: Uint8Array) => {
      try {
        decodeSafetensors(b);
      } catch (e) {
        expect(e).toBeInstanceOf(GrokinfoError);
        return (e as GrokinfoError).code;
      }
      return 'none';
    };
    expect(bad(good.subarray(0, 4))).toBe('INVALID_DATA');
    expect(bad(good.subarray(0, good.length - 4))).toBe('INVALID_DATA');
    const big = Uint8Array.from(good);
    new DataView(big.buffer).setBigUint64(0, 1n << 40n, true);
    expect(bad(big)).toBe('INVALID_DATA');
    const f16 = Buffer.from(good).toString('latin1').replace('"F32"', '"F16"');
    expect(bad(Uint8Array.from(Buffer.from(f16, 'latin1')))).toBe('INVALID_DATA');
    expect(() => encodeSafetensors({ w: { shape: [3], data: new Float32Array(2) } })).toThrow(GrokinfoError);
  });

  it('checkpoints round-trip with names, shapes, architecture and metadata', async () => {
    const arch = validateArch({ vocab: 7, hidden: [5, 3], out: 7, biasOut: true });
    const layout = paramLayout(arch);
    const total = layout.reduce((s, t) => s + t.size, 0);
    const params = Float32Array.from({ length: total }, (_, i) => Math.sin(i) * 0.3);
    const path = join(dir, 'ck', 'step-10.safetensors');
    await saveCheckpoint(path, arch, params, { step: 10, seed: '4' });
    const ck = await loadCheckpoint(path);
    expect(ck.arch).toEqual(arch);
    expect(ck.params).toEqual(params);
    expect(ck.metadata.step).toBe('10');
    expect(ck.metadata.seed).toBe('4');
    expect(Object.keys(ck.tensors)).toEqual(['layers.0.weight', 'layers.0.bias', 'layers.1.weight', 'layers.1.bias', 'layers.2.weight', 'layers.2.bias']);
    expect(ck.tensors['layers.1.weight'].length).toBe(3 * 5);
    const raw = await readSafetensors(path);
    expect(raw.tensors.get('layers.0.weight')!.shape).toEqual([5, 14]);
    expect(raw.tensors.get('layers.2.bias')!.shape).toEqual([7]);
    // a missing tensor is INVALID_DATA
    const f = decodeSafetensors(new Uint8Array(readFileSync(path)));
    f.tensors.delete('layers.1.bias');
    const p2 = join(dir, 'broken.safetensors');
    writeFileSync(p2, encodeSafetensors(f.tensors, f.metadata));
    await expect(loadCheckpoint(p2)).rejects.toMatchObject({ code: 'INVALID_DATA' });
    await expect(loadCheckpoint(join(dir, 'nope.safetensors'))).rejects.toMatchObject({ code: 'IO' });
    await expect(saveCheckpoint(path, arch, params.subarray(1))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
