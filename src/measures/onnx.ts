/**
 * The weight measures (weight-norm, weight-entropy, htsr) on any ONNX model: every 2-D float initializer is a
 * weight matrix (rows x cols as stored). The activation and data measures need the grokinfo MLP's task
 * structure and are computed on grokinfo runs and checkpoints (train, `grokinfo measure`).
 */
import type { onnx as P } from 'onnx-proto';
import { GrokinfoError } from '../core/errors.js';
import { absWeightEntropy, htsrLayer } from './functions.js';

export interface OnnxWeightMatrix {
  name: string;
  rows: number;
  cols: number;
  data: Float64Array;
}

const FLOAT = 1,
  DOUBLE = 11;

/** The 2-D FLOAT/DOUBLE initializers of a model, as float64 matrices. */
export function onnxWeightMatrices(model: P.IModelProto): OnnxWeightMatrix[] {
  const out: OnnxWeightMatrix[] = [];
  for (const t of model.graph?.initializer ?? []) {
    const dims = (t.dims ?? []).map(Number);
    if (dims.length !== 2 || (t.dataType !== FLOAT && t.dataType !== DOUBLE)) continue;
    const n = dims[0]! * dims[1]!;
    let data: Float64Array;
    if (t.rawData && t.rawData.length > 0) {
      const raw = t.rawData;
      const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      const size = t.dataType === FLOAT ? 4 : 8;
      if (raw.byteLength !== n * size) throw new GrokinfoError('INVALID_DATA', `initializer ${t.name}: ${raw.byteLength} bytes for ${dims.join(' x ')} values`);
      data = Float64Array.from({ length: n }, (_, i) => (size === 4 ? view.getFloat32(i * 4, true) : view.getFloat64(i * 8, true)));
    } else {
      const src = (t.dataType === FLOAT ? t.floatData : t.doubleData) ?? [];
      if (src.length !== n) throw new GrokinfoError('INVALID_DATA', `initializer ${t.name}: ${src.length} values for ${dims.join(' x ')}`);
      data = Float64Array.from(src as ArrayLike<number>);
    }
    out.push({ name: t.name ?? `initializer ${out.length}`, rows: dims[0]!, cols: dims[1]!, data });
  }
  return out;
}

export interface OnnxWeightMeasures {
  matrices: { name: string; rows: number; cols: number; norm: number; entropy: number; alpha: number | null; ks: number | null; tail: number; traps: number }[];
  /** weight-norm total, weight-entropy total, htsr alphaMean and traps, as in measures.jsonl. */
  weightNorm: number;
  weightEntropy: number;
  alphaMean: number | null;
  traps: number;
}

export function onnxWeightMeasures(model: P.IModelProto, opts: { seed?: number } = {}): OnnxWeightMeasures {
  const mats = onnxWeightMatrices(model);
  if (mats.length === 0) throw new GrokinfoError('INVALID_DATA', 'the model has no 2-D float initializers (weight matrices)');
  const matrices = mats.map((m, i) => {
    let s = 0;
    for (const v of m.data) s += v * v;
    const h = htsrLayer(m.data, m.rows, m.cols, { seed: (opts.seed ?? 0) + i });
    return { name: m.name, rows: m.rows, cols: m.cols, norm: Math.sqrt(s), entropy: absWeightEntropy(m.data), alpha: h.fit?.alpha ?? null, ks: h.fit?.ks ?? null, tail: h.fit?.tail ?? 0, traps: h.traps };
  });
  const fitted = matrices.filter((m) => m.alpha !== null);
  return {
    matrices,
    weightNorm: Math.sqrt(matrices.reduce((a, m) => a + m.norm ** 2, 0)),
    weightEntropy: matrices.reduce((a, m) => a + m.entropy, 0),
    alphaMean: fitted.length ? fitted.reduce((a, m) => a + m.alpha!, 0) / fitted.length : null,
    traps: matrices.reduce((a, m) => a + m.traps, 0),
  };
}
