/**
 * Export round trip: grokinfo MLP parameters -> ONNX -> onnxruntime-node, compared with a plain
 * float64 forward pass written here from the definition (one_hot(a) ++ one_hot(b), ReLU layers).
 */
import { describe, expect, it } from 'vitest';
import ort from 'onnxruntime-node';
import { exportMlp, mlpParamCount, mlpParamLayout, type MlpArch } from '../src/onnx/export.js';
import { decodeModel, modelMetadata } from '../src/onnx/graph.js';
import { rng } from './rng.js';


/** Random parameters in the flat native layout, built layer by layer here (not from mlpParamLayout). */
function randomParams(arch: MlpArch, seed: number): Float32Array {
  const r = rng(seed);
  const vals: number[] = [];
  const L = arch.hidden.length;
  for (let l = 0; l <= L; l++) {
    const fin = l === 0 ? 2 * arch.vocab : arch.hidden[l - 1];
    const fout = l === L ? arch.out : arch.hidden[l];
    const bound = 1 / Math.sqrt(fin);
    for (let i = 0; i < fout * fin; i++) vals.push((2 * r() - 1) * bound * 3);
    const bias = l === 0 ? arch.biasFirst : l === L ? arch.biasOut : arch.biasHidden;
    if (bias) for (let i = 0; i < fout; i++) vals.push((2 * r() - 1) * bound);
  }
  return Float32Array.from(vals);
}

/** float64 forward from the definition: x = one_hot(a) ++ one_hot(b); h = relu(W x + b). */
function forward64(arch: MlpArch, params: Float32Array, a: number, b: number): { hidden: number[][]; logits: number[] } {
  const p = arch.vocab;
  let x = new Array(2 * p).fill(0);
  x[a] = 1;
  x[p + b] = 1;
  let off = 0;
  const hidden: number[][] = [];
  const L = arch.hidden.length;
  for (let l = 0; l <= L; l++) {
    const fin = x.length;
    const fout = l === L ? arch.out : arch.hidden[l];
    const y = new Array(fout).fill(0);
    for (let o = 0; o < fout; o++) {
      let s = 0;
      for (let i = 0; i < fin; i++) s += params[off + o * fin + i] * x[i];
      y[o] = s;
    }
    off += fout * fin;
    const bias = l === 0 ? arch.biasFirst : l === L ? arch.biasOut : arch.biasHidden;
    if (bias) {
      for (let o = 0; o < fout; o++) y[o] += params[off + o];
      off += fout;
    }
    if (l === L) return { hidden, logits: y };
    x = y.map((v) => Math.max(0, v));
    hidden.push(x);
  }
  throw new Error('unreachable');
}

function maxRelErr(got: ArrayLike<number>, want: number[]): number {
  let scale = 0;
  for (const w of want) scale = Math.max(scale, Math.abs(w));
  let err = 0;
  for (let i = 0; i < want.length; i++) err = Math.max(err, Math.abs(got[i] - want[i]));
  return err / Math.max(scale, 1e-30);
}

const ARCHS: [string, MlpArch][] = [
  ['paper (one hidden layer, bias on layer 0 only)', { vocab: 13, hidden: [24], out: 13, biasFirst: true, biasHidden: true, biasOut: false }],
  ['two hidden layers, every bias', { vocab: 7, hidden: [16, 9], out: 7, biasFirst: true, biasHidden: true, biasOut: true }],
  ['three hidden layers, no biases', { vocab: 5, hidden: [8, 6, 4], out: 11, biasFirst: false, biasHidden: false, biasOut: false }],
];

describe('ONNX export of grokinfo MLPs', () => {
  for (const [label, arch] of ARCHS) {
    it(`token graph matches a float64 forward: ${label}`, async () => {
      const params = randomParams(arch, 42);
      expect(params.length).toBe(mlpParamCount(arch));
      const bytes = exportMlp(arch, params);
      const session = await ort.InferenceSession.create(bytes);
      expect(session.inputNames).toEqual(['a', 'b']);
      expect(session.outputNames).toEqual(['logits', ...arch.hidden.map((_, l) => `hidden.${l}`)]);
      const p = arch.vocab;
      const as: number[] = [];
      const bs: number[] = [];
      for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) (as.push(a), bs.push(b));
      const n = as.length;
      const res = await session.run({
        a: new ort.Tensor('int64', BigInt64Array.from(as.map(BigInt)), [n]),
        b: new ort.Tensor('int64', BigInt64Array.from(bs.map(BigInt)), [n]),
      });
      expect(res.logits.dims).toEqual([n, arch.out]);
      const logits = res.logits.data as Float32Array;
      const hid = arch.hidden.map((_, l) => res[`hidden.${l}`].data as Float32Array);
      const wantLogits: number[] = [];
      const wantHidden: number[][] = arch.hidden.map(() => []);
      for (let i = 0; i < n; i++) {
        const f = forward64(arch, params, as[i], bs[i]);
        wantLogits.push(...f.logits);
        f.hidden.forEach((h, l) => wantHidden[l].push(...h));
      }
      expect(maxRelErr(logits, wantLogits)).toBeLessThanOrEqual(1e-5);
      for (let l = 0; l < arch.hidden.length; l++) expect(maxRelErr(hid[l], wantHidden[l])).toBeLessThanOrEqual(1e-5);
      // a sanity check that the comparison can fail: a wrong token shifts the result
      const f = forward64(arch, params, (as[1] + 1) % p, bs[1]);
      expect(maxRelErr(logits.subarray(arch.out, 2 * arch.out), f.logits)).toBeGreaterThan(1e-3);
    });
  }

  it('dense graph (x = one_hot(a) ++ one_hot(b)) matches the token graph and the float64 forward', async () => {
    const arch = ARCHS[1][1];
    const params = randomParams(arch, 7);
    const dense = await ort.InferenceSession.create(exportMlp(arch, params, { input: 'dense' }));
    expect(dense.inputNames).toEqual(['x']);
    const p = arch.vocab;
    const n = p * p;
    const x = new Float32Array(n * 2 * p);
    for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) (x[(a * p + b) * 2 * p + a] = 1, x[(a * p + b) * 2 * p + p + b] = 1);
    const res = await dense.run({ x: new ort.Tensor('float32', x, [n, 2 * p]) });
    const want: number[] = [];
    const want1: number[] = [];
    for (let a = 0; a < p; a++)
      for (let b = 0; b < p; b++) {
        const f = forward64(arch, params, a, b);
        want.push(...f.logits);
        want1.push(...f.hidden[1]);
      }
    expect(maxRelErr(res.logits.data as Float32Array, want)).toBeLessThanOrEqual(1e-5);
    expect(maxRelErr(res['hidden.1'].data as Float32Array, want1)).toBeLessThanOrEqual(1e-5);
  });

  it('keeps PyTorch names and layout, and the architecture in metadata', () => {
    const arch = ARCHS[1][1];
    const params = randomParams(arch, 3);
    const model = decodeModel(exportMlp(arch, params, { metadata: { step: '100' } }));
    const inits = model.graph!.initializer!.map((t) => [t.name, (t.dims ?? []).map(Number)]);
    expect(inits).toContainEqual(['layers.0.weight', [16, 14]]);
    expect(inits).toContainEqual(['layers.0.bias', [16]]);
    expect(inits).toContainEqual(['layers.1.weight', [9, 16]]);
    expect(inits).toContainEqual(['layers.2.weight', [7, 9]]);
    expect(inits).toContainEqual(['layers.2.bias', [7]]);
    const w0 = model.graph!.initializer!.find((t) => t.name === 'layers.0.weight')!;
    const raw = w0.rawData!;
    const f = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    expect(Array.from(f.subarray(0, 14))).toEqual(Array.from(params.subarray(0, 14)));
    const md = modelMetadata(model);
    expect(JSON.parse(md['grokinfo.arch'])).toEqual(arch);
    expect(md.step).toBe('100');
    expect(mlpParamLayout(arch).map((s) => s.name)).toEqual([
      'layers.0.weight',
      'layers.0.bias',
      'layers.1.weight',
      'layers.1.bias',
      'layers.2.weight',
      'layers.2.bias',
    ]);
  });

  it('rejects parameters of the wrong size with INVALID_DATA', () => {
    const arch = ARCHS[0][1];
    expect(() => exportMlp(arch, new Float32Array(10))).toThrowError(/expected \d+ float32 values/);
  });
});
