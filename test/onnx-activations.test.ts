/**
 * Reading named intermediate tensors of ONNX models grokinfo did not train, through onnxruntime,
 * compared with float64 forward passes written in test/onnx-models.ts; and the coded errors.
 */
import { describe, expect, it } from 'vitest';
import { GrokinfoError } from '../src/core/errors.js';
import { collectActivations, flattenShape } from '../src/onnx/activations.js';
import { ElemType, GraphBuilder, listTensors, decodeModel } from '../src/onnx/graph.js';
import { attnForward, attnOnnx, makeAttn, makeMlp2, maxRelErr, mlp2Forward, mlp2Onnx, randomMatrix, rng } from './onnx-models.js';

async function codeOf(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    if (e instanceof GrokinfoError) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error('expected a GrokinfoError');
}

describe('collectActivations on models built in the test', () => {
  const m = makeMlp2(11);
  const n = 300;
  const x = randomMatrix(rng(5), n, m.d);
  const want = mlp2Forward(m, x, n);

  it('two-hidden-layer MLP: a non-output intermediate equals the float64 forward, in any batch size', async () => {
    const bytes = mlp2Onnx(m);
    expect(listTensors(decodeModel(bytes)).find((t) => t.name === 'l2.relu')?.origin).toBe('node');
    for (const batchSize of [1000, 64, 7]) {
      const act = await collectActivations(bytes, { tensor: 'l2.relu', inputs: [{ data: x, shape: [n, m.d] }], batchSize });
      expect([act.rows, act.cols]).toEqual([n, m.h2]);
      expect(maxRelErr(act.data, want.h2)).toBeLessThanOrEqual(1e-5);
    }
    const a1 = await collectActivations(bytes, { tensor: 'l1.relu', inputs: { x: { data: x, shape: [n, m.d] } } });
    expect([a1.rows, a1.cols]).toEqual([n, m.h1]);
    expect(maxRelErr(a1.data, want.h1)).toBeLessThanOrEqual(1e-5);
    expect(maxRelErr(a1.data, want.h2.subarray(0, a1.data.length))).toBeGreaterThan(1e-2);
  });

  it('float64 and int inputs are cast to the declared input type', async () => {
    const x64 = Float64Array.from(x);
    const act = await collectActivations(mlp2Onnx(m), { tensor: 'l1.relu', inputs: [{ data: x64, shape: [n, m.d] }] });
    expect(maxRelErr(act.data, want.h1)).toBeLessThanOrEqual(1e-5);
  });

  it('attention block: [batch, seq, h] is read as (batch*seq) x h and equals the float64 forward', async () => {
    const a = makeAttn(3);
    const batch = 50;
    const xa = randomMatrix(rng(9), batch * a.seq, a.d);
    const ref = attnForward(a, xa, batch);
    const act = await collectActivations(attnOnnx(a), { tensor: 'mlp.hidden', inputs: [{ data: xa, shape: [batch, a.seq, a.d] }], batchSize: 16 });
    expect(act.tensorShape).toEqual([batch, a.seq, a.h]);
    expect([act.rows, act.cols]).toEqual([batch * a.seq, a.h]);
    expect(maxRelErr(act.data, ref.hidden)).toBeLessThanOrEqual(1e-5);
    const att = await collectActivations(attnOnnx(a), { tensor: 'attn', inputs: [{ data: xa, shape: [batch, a.seq, a.d] }], layout: 'rows' });
    expect([att.rows, att.cols]).toEqual([batch, a.seq * a.seq]);
    expect(maxRelErr(att.data, ref.attn)).toBeLessThanOrEqual(1e-5);
  });

  it('flattenShape documents the layouts', () => {
    expect(flattenShape([10], 'auto')).toEqual([10, 1]);
    expect(flattenShape([10, 4], 'auto')).toEqual([10, 4]);
    expect(flattenShape([10, 3, 4], 'auto')).toEqual([30, 4]);
    expect(flattenShape([10, 3, 4, 5], 'auto')).toEqual([10, 60]);
    expect(flattenShape([10, 3, 4, 5], 'tokens')).toEqual([120, 5]);
    expect(flattenShape([10, 3, 4], 'rows')).toEqual([10, 12]);
  });
});

describe('coded errors', () => {
  const m = makeMlp2(2);
  const n = 20;
  const x = randomMatrix(rng(1), n, m.d);

  it('unknown tensor name: INVALID_ARGUMENT listing candidates', async () => {
    const e = await codeOf(collectActivations(mlp2Onnx(m), { tensor: 'l3.relu', inputs: [{ data: x, shape: [n, m.d] }] }));
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.message).toContain("'l3.relu'");
    expect(e.message).toContain('l2.relu');
    expect(e.message).toContain('l1.pre');
  });

  it('input shape mismatch: INVALID_DATA naming expected and given', async () => {
    const e = await codeOf(collectActivations(mlp2Onnx(m), { tensor: 'l1.relu', inputs: [{ data: new Float32Array(n * 5), shape: [n, 5] }] }));
    expect(e.code).toBe('INVALID_DATA');
    expect(e.message).toContain('[N, 6]');
    expect(e.message).toContain('[20, 5]');
  });

  it('non-float tensor: INVALID_DATA', async () => {
    const e = await codeOf(collectActivations(mlp2Onnx(m), { tensor: 'label', inputs: [{ data: x, shape: [n, m.d] }] }));
    expect(e.code).toBe('INVALID_DATA');
    expect(e.message).toMatch(/int64/);
    // an int tensor with no declared type is caught after the run
    const g = new GraphBuilder();
    g.input('x', ElemType.FLOAT, ['N', 3]);
    g.node('ArgMax', ['x'], 'idx', {});
    g.node('Relu', ['x'], 'y');
    g.output('y', ElemType.FLOAT, ['N', 3]);
    const e2 = await codeOf(collectActivations(g.toBytes(), { tensor: 'idx', inputs: [{ data: new Float32Array(6), shape: [2, 3] }] }));
    expect(e2.code).toBe('INVALID_DATA');
    expect(e2.message).toMatch(/int64/);
  });

  it('a model onnxruntime cannot load: INVALID_DATA with its message', async () => {
    const g = new GraphBuilder();
    g.input('x', ElemType.FLOAT, ['N', 3]);
    g.node('NoSuchOp', ['x'], 'y');
    g.output('y', ElemType.FLOAT, ['N', 3]);
    const e = await codeOf(collectActivations(g.toBytes(), { tensor: 'y', inputs: [{ data: new Float32Array(6), shape: [2, 3] }] }));
    expect(e.code).toBe('INVALID_DATA');
    expect(e.message).toMatch(/onnxruntime cannot load/);
    expect(e.message).toMatch(/NoSuchOp/);
    const e2 = await codeOf(collectActivations(new Uint8Array([1, 2, 3, 4, 5]), { tensor: 'y', inputs: [] }));
    expect(e2.code).toBe('INVALID_DATA');
  });

  it('weights are not activations; wrong number of inputs is INVALID_ARGUMENT', async () => {
    expect((await codeOf(collectActivations(mlp2Onnx(m), { tensor: 'W1', inputs: [{ data: x, shape: [n, m.d] }] }))).code).toBe('INVALID_ARGUMENT');
    expect((await codeOf(collectActivations(mlp2Onnx(m), { tensor: 'l1.relu', inputs: [] }))).code).toBe('INVALID_ARGUMENT');
  });
});
