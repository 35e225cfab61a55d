/**
 * Test fixtures: ONNX models grokinfo did not train, built here with the graph builder, and their
 * forward passes written plainly in float64 (independent of onnxruntime).
 */
import { ElemType, GraphBuilder, attr } from '../src/onnx/graph.js';
import { gauss, rng } from './rng.js';

export { rng };

export function randomMatrix(r: () => number, rows: number, cols: number, scale = 1): Float32Array {
  return Float32Array.from({ length: rows * cols }, () => gauss(r) * scale);
}

/** y = A (rows x k) * B (k x cols), float64. */
function matmul(A: ArrayLike<number>, B: ArrayLike<number>, rows: number, k: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < cols; j++) {
      let s = 0;
      for (let t = 0; t < k; t++) s += A[i * k + t] * B[t * cols + j];
      out[i * cols + j] = s;
    }
  return out;
}

// ---------------------------------------------------------------------------------------------
// (a) MLP with two hidden layers on dense float inputs: x [batch, d] -> h1 = relu(x W1 + b1)
//     -> h2 = relu(h1 W2 + b2) -> y = h2 W3. Intermediate names "l1.relu", "l2.relu" are NOT outputs
//     and carry no value_info (so measure must add them as outputs and let onnxruntime infer types).

export interface Mlp2 {
  d: number;
  h1: number;
  h2: number;
  out: number;
  W1: Float32Array;
  b1: Float32Array;
  W2: Float32Array;
  b2: Float32Array;
  W3: Float32Array;
}

export function makeMlp2(seed: number, d = 6, h1 = 12, h2 = 8, out = 3): Mlp2 {
  const r = rng(seed);
  return {
    d,
    h1,
    h2,
    out,
    W1: randomMatrix(r, d, h1, 1 / Math.sqrt(d)),
    b1: randomMatrix(r, 1, h1, 0.3),
    W2: randomMatrix(r, h1, h2, 1 / Math.sqrt(h1)),
    b2: randomMatrix(r, 1, h2, 0.3),
    W3: randomMatrix(r, h2, out, 1 / Math.sqrt(h2)),
  };
}

export function mlp2Onnx(m: Mlp2, batch: number | string = 'N'): Uint8Array {
  const g = new GraphBuilder('two_layer_mlp');
  g.input('x', ElemType.FLOAT, [batch, m.d]);
  g.initializer('W1', m.W1, [m.d, m.h1]);
  g.initializer('b1', m.b1, [m.h1]);
  g.initializer('W2', m.W2, [m.h1, m.h2]);
  g.initializer('b2', m.b2, [m.h2]);
  g.initializer('W3', m.W3, [m.h2, m.out]);
  g.node('MatMul', ['x', 'W1'], 'l1.mm');
  g.node('Add', ['l1.mm', 'b1'], 'l1.pre');
  g.node('Relu', ['l1.pre'], 'l1.relu');
  g.node('MatMul', ['l1.relu', 'W2'], 'l2.mm');
  g.node('Add', ['l2.mm', 'b2'], 'l2.pre');
  g.node('Relu', ['l2.pre'], 'l2.relu');
  g.node('MatMul', ['l2.relu', 'W3'], 'y');
  g.node('ArgMax', ['y'], 'label', { axis: attr.int(1), keepdims: attr.int(0) });
  g.output('y', ElemType.FLOAT, [batch, m.out]);
  g.output('label', ElemType.INT64, [batch]);
  return g.toBytes();
}

/** float64 forward: the post-ReLU activations of both hidden layers, N x h row-major. */
export function mlp2Forward(m: Mlp2, x: ArrayLike<number>, n: number): { h1: Float64Array; h2: Float64Array } {
  const p1 = matmul(x, m.W1, n, m.d, m.h1);
  for (let i = 0; i < n; i++) for (let j = 0; j < m.h1; j++) p1[i * m.h1 + j] = Math.max(0, p1[i * m.h1 + j] + m.b1[j]);
  const p2 = matmul(p1, m.W2, n, m.h1, m.h2);
  for (let i = 0; i < n; i++) for (let j = 0; j < m.h2; j++) p2[i * m.h2 + j] = Math.max(0, p2[i * m.h2 + j] + m.b2[j]);
  return { h1: p1, h2: p2 };
}

// ---------------------------------------------------------------------------------------------
// (b) One attention block: x [batch, seq, d]; Q = x Wq, K = x Wk, V = x Wv;
//     A = softmax(Q K^T / sqrt(d)) over the last axis; r = x + A V;
//     "mlp.hidden" = relu(r W1 + b1) [batch, seq, h]; y = mlp.hidden W2 [batch, seq, d].

export interface Attn {
  seq: number;
  d: number;
  h: number;
  Wq: Float32Array;
  Wk: Float32Array;
  Wv: Float32Array;
  W1: Float32Array;
  b1: Float32Array;
  W2: Float32Array;
}

export function makeAttn(seed: number, seq = 4, d = 6, h = 10): Attn {
  const r = rng(seed);
  const s = 1 / Math.sqrt(d);
  return {
    seq,
    d,
    h,
    Wq: randomMatrix(r, d, d, s),
    Wk: randomMatrix(r, d, d, s),
    Wv: randomMatrix(r, d, d, s),
    W1: randomMatrix(r, d, h, s),
    b1: randomMatrix(r, 1, h, 0.2),
    W2: randomMatrix(r, h, d, 1 / Math.sqrt(h)),
  };
}

export function attnOnnx(m: Attn): Uint8Array {
  const g = new GraphBuilder('attention_block');
  g.input('x', ElemType.FLOAT, ['batch', m.seq, m.d]);
  g.initializer('Wq', m.Wq, [m.d, m.d]);
  g.initializer('Wk', m.Wk, [m.d, m.d]);
  g.initializer('Wv', m.Wv, [m.d, m.d]);
  g.initializer('W1', m.W1, [m.d, m.h]);
  g.initializer('b1', m.b1, [m.h]);
  g.initializer('W2', m.W2, [m.h, m.d]);
  g.initializer('scale', Float32Array.of(1 / Math.sqrt(m.d)), []);
  g.node('MatMul', ['x', 'Wq'], 'q');
  g.node('MatMul', ['x', 'Wk'], 'k');
  g.node('MatMul', ['x', 'Wv'], 'v');
  g.node('Transpose', ['k'], 'kt', { perm: attr.ints([0, 2, 1]) });
  g.node('MatMul', ['q', 'kt'], 'scores_raw');
  g.node('Mul', ['scores_raw', 'scale'], 'scores');
  g.node('Softmax', ['scores'], 'attn', { axis: attr.int(-1) });
  g.node('MatMul', ['attn', 'v'], 'ctx');
  g.node('Add', ['x', 'ctx'], 'resid');
  g.node('MatMul', ['resid', 'W1'], 'mlp.mm');
  g.node('Add', ['mlp.mm', 'b1'], 'mlp.pre');
  g.node('Relu', ['mlp.pre'], 'mlp.hidden');
  g.node('MatMul', ['mlp.hidden', 'W2'], 'y');
  g.output('y', ElemType.FLOAT, ['batch', m.seq, m.d]);
  return g.toBytes();
}

/** float64 forward of the attention block: "mlp.hidden" as (batch*seq) x h, and "attn" as batch x seq x seq. */
export function attnForward(m: Attn, x: ArrayLike<number>, batch: number): { hidden: Float64Array; attn: Float64Array } {
  const { seq, d, h } = m;
  const hidden = new Float64Array(batch * seq * h);
  const attnAll = new Float64Array(batch * seq * seq);
  for (let b = 0; b < batch; b++) {
    const xb = Array.from({ length: seq * d }, (_, i) => x[b * seq * d + i]);
    const q = matmul(xb, m.Wq, seq, d, d);
    const k = matmul(xb, m.Wk, seq, d, d);
    const v = matmul(xb, m.Wv, seq, d, d);
    for (let i = 0; i < seq; i++) {
      const s = new Float64Array(seq);
      let mx = -Infinity;
      for (let j = 0; j < seq; j++) {
        let t = 0;
        for (let c = 0; c < d; c++) t += q[i * d + c] * k[j * d + c];
        s[j] = t / Math.sqrt(d);
        mx = Math.max(mx, s[j]);
      }
      let z = 0;
      for (let j = 0; j < seq; j++) z += (s[j] = Math.exp(s[j] - mx));
      for (let j = 0; j < seq; j++) attnAll[(b * seq + i) * seq + j] = s[j] / z;
      const r = new Float64Array(d);
      for (let c = 0; c < d; c++) {
        let t = 0;
        for (let j = 0; j < seq; j++) t += (s[j] / z) * v[j * d + c];
        r[c] = xb[i * d + c] + t;
      }
      for (let u = 0; u < h; u++) {
        let t = m.b1[u];
        for (let c = 0; c < d; c++) t += r[c] * m.W1[c * h + u];
        hidden[(b * seq + i) * h + u] = Math.max(0, t);
      }
    }
  }
  return { hidden, attn: attnAll };
}

export function maxRelErr(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let scale = 0;
  let err = 0;
  for (let i = 0; i < want.length; i++) {
    scale = Math.max(scale, Math.abs(want[i]));
    err = Math.max(err, Math.abs(got[i] - want[i]));
  }
  return err / Math.max(scale, 1e-30);
}
