/**
 * The seam between the ONNX layer and the O-information engine (src/measures/oinfo.ts): every call into the
 * engine made by src/onnx goes through here.
 */
import { checkpointToRecord, measureCheckpoints, oinfo, type OInfoReport } from '../measures/oinfo.js';
import type { BackendName } from '../addon/native.js';
import type { OInfoRecord } from '../config/types.js';

export interface Matrix {
  data: Float32Array | Float64Array;
  rows: number;
  cols: number;
}

export interface EngineOptions {
  minSize?: number;
  maxSize?: number;
  topK?: number;
  units?: 'bits' | 'nats';
  ties?: 'average' | 'random' | 'ordinal';
  seed?: number;
  biasCorrect?: boolean;
  backend?: BackendName;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

/** Variables mode (each column a variable) or groups mode (each group one vector variable). */
export interface OInfoCall extends EngineOptions {
  groups?: number[][];
}

/** The paper's per-checkpoint measurement (dead columns out, Ward bins, Omega over bin unions). */
export interface CheckpointCall extends EngineOptions {
  bins: number;
}

/** The engine's generic O-information report over a samples x variables matrix (variables or groups mode). */
export async function engineOInfo(m: Matrix, opts: OInfoCall): Promise<OInfoReport> {
  return oinfo(m, opts);
}

/**
 * Measures several activation matrices of one shape (N x H each) like a native run does, and
 * returns one OInfoRecord per matrix for the given steps.
 */
export async function engineCheckpoints(zs: Float32Array[], n: number, h: number, steps: number[], opts: CheckpointCall): Promise<OInfoRecord[]> {
  const t0 = performance.now();
  const z = new Float32Array(zs.length * n * h);
  zs.forEach((a, i) => z.set(a, i * n * h));
  const results = await measureCheckpoints({ data: z, batch: zs.length, rows: n, cols: h }, opts);
  const secs = (performance.now() - t0) / 1000;
  return results.map((r, i) => checkpointToRecord(steps[i], r, opts.units ?? 'bits', secs / zs.length));
}
