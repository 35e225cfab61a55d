/**
 * O-information of multiplets (METHOD.md §2): Gaussian copula, optional Ward bins or groups, and the
 * native lattice engine. Everything is validated here (coded errors naming the option or the data
 * position) before any native call; native work runs off the main thread with progress and an
 * AbortSignal.
 */
import { statSync } from 'node:fs';
import { rm, rename } from 'node:fs/promises';
import { GrokinfoError, invalidArgument } from '../core/errors.js';
import { tempPathFor } from '../core/fsutil.js';
import type { Matrix } from '../core/io.js';
import { loadNative, resolveBackend, withNativeJob, type BackendName } from '../addon/native.js';
import type { OInfoRecord, SizeExtremeRecord } from '../config/types.js';
import { DEFAULT_UNITS, INFO_UNITS } from '../config/schema.js';

export type { Matrix } from '../core/io.js';

export type TiePolicy = 'average' | 'random' | 'ordinal';
export type InfoUnits = (typeof INFO_UNITS)[number];

export interface OInfoOptions {
  /** Smallest multiplet, in units (default 2). */
  minSize?: number;
  /** Largest multiplet, in units (default 3 for variables, all units for bins/groups). */
  maxSize?: number;
  /** Bins: Ward clusters of the columns ({ward: K}) or an explicit partition of the variables. */
  bins?: { ward: number } | number[][];
  /** Groups: each group is one vector-valued variable (grouped O-information). */
  groups?: number[][];
  ties?: TiePolicy;
  seed?: number;
  units?: InfoUnits;
  biasCorrect?: boolean;
  topK?: number;
  /** Every multiplet as a JSON line {"members":[...],"oinfo":x} (unit indices); written atomically. */
  out?: string;
  backend?: BackendName;
  threads?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  columnNames?: string[];
  /** Refuse (INVALID_ARGUMENT) when the sizes asked for make more multiplets than this (default DEFAULT_MAX_MULTIPLETS). */
  maxMultiplets?: number;
  /** Refuse when `out` would be larger than this many bytes, estimated before starting (default DEFAULT_MAX_OUT_BYTES). */
  maxOutBytes?: number;
}

/** The size guard's defaults: about a minute of CPU work, and an output file that fits on a laptop. */
export const DEFAULT_MAX_MULTIPLETS = 1e9;
export const DEFAULT_MAX_OUT_BYTES = 10 * 2 ** 30;

/** Number of multiplets of minSize..maxSize of U units, and the estimated size of their JSON lines (--out). */
export function multipletCount(U: number, minSize: number, maxSize: number): { multiplets: number; outBytes: number } {
  let c = 1; // C(U, k), iteratively
  let multiplets = 0;
  let outBytes = 0;
  const digits = String(Math.max(U - 1, 0)).length;
  for (let k = 1; k <= maxSize; k++) {
    c = (c * (U - k + 1)) / k;
    if (k < minSize) continue;
    multiplets += c;
    // {"members":[..],"oinfo":-1.2345678901234567}\n: ~36 bytes plus the members
    outBytes += c * (36 + k * (digits + 1));
  }
  return { multiplets, outBytes };
}

function fmtCount(n: number): string {
  return n < 1e6 ? n.toLocaleString('en-US') : n.toExponential(2);
}

export interface MultipletRecord {
  value: number;
  /** Unit indices, ascending. */
  members: number[];
  /** The union's variable indices, ascending. */
  variables: number[];
}

export interface SizeRecord {
  size: number;
  count: number;
  synergy: MultipletRecord;
  redundancy: MultipletRecord;
}

export interface OInfoReport {
  units: InfoUnits;
  mode: 'variables' | 'bins' | 'groups';
  samples: number;
  variables: number;
  multiplets: number;
  /** The bins/groups actually used (variable index arrays); variables mode: one per variable. */
  unitsList: number[][];
  /** Constant columns excluded (bins mode with Ward). */
  dead: number[];
  bySize: SizeRecord[];
  synergy: MultipletRecord;
  redundancy: MultipletRecord;
  topSynergy: MultipletRecord[];
  topRedundancy: MultipletRecord[];
  seconds: number;
  backend: 'cpu' | 'cuda';
  biasCorrected: boolean;
  ties: TiePolicy;
  /** Notes such as fewer Ward bins than asked. */
  notes: string[];
  columnNames?: string[];
}

export interface CheckpointMeasure {
  /**
   * Set when this checkpoint was not measured because the estimator does not admit its activations (a
   * singular bin covariance, too few samples); only for callers that ask for per-checkpoint errors (measured
   * training): the numbers are then NaN and empty.
   */
  error?: string;
  dead: number;
  labels: Int32Array;
  binSizes: number[];
  synergy: number;
  redundancy: number;
  synergyBins: number[];
  redundancyBins: number[];
  synergyNeurons: number[];
  redundancyNeurons: number[];
  bySize: SizeExtremeRecord[];
  multiplets: number;
  /** Present when fewer alive neurons than bins (then as many bins as alive neurons were used). */
  note?: string;
}

export interface MeasureOptions {
  bins?: number;
  ties?: TiePolicy;
  seed?: number;
  units?: InfoUnits;
  biasCorrect?: boolean;
  topK?: number;
  backend?: BackendName;
  threads?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

// ---------------------------------------------------------------------------------------------
// Validation helpers

function checkInt(name: string, v: unknown, lo: number, hi: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi)
    throw invalidArgument(name, `an integer in [${lo}, ${hi}]`, v);
  return v;
}

function checkPositive(name: string, v: unknown): number {
  if (typeof v !== 'number' || !(v > 0)) throw invalidArgument(name, 'a number > 0', v);
  return v;
}

function fmtBytes(n: number): string {
  const u = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(1)} ${u[i]}`;
}

function checkTies(v: unknown): TiePolicy {
  if (v === undefined) return 'average';
  if (v !== 'average' && v !== 'random' && v !== 'ordinal') throw invalidArgument('ties', "one of 'average', 'random', 'ordinal'", v);
  return v;
}

function checkUnits(v: unknown): InfoUnits {
  if (v === undefined) return DEFAULT_UNITS;
  if (v !== 'bits' && v !== 'nats') throw invalidArgument('units', "'bits' or 'nats'", v);
  return v;
}

function checkMatrix(m: Matrix, what: string): void {
  if (!m || typeof m !== 'object') throw invalidArgument(what, 'a {data, rows, cols} matrix', typeof m);
  if (!(m.data instanceof Float32Array || m.data instanceof Float64Array))
    throw invalidArgument(`${what}.data`, 'a Float32Array or Float64Array (row-major samples x variables)');
  checkInt(`${what}.rows`, m.rows, 1, 2 ** 31 - 1);
  checkInt(`${what}.cols`, m.cols, 1, 2 ** 31 - 1);
  if (m.data.length !== m.rows * m.cols)
    throw invalidArgument(`${what}.data`, `length rows * cols = ${m.rows * m.cols}`, m.data.length);
}

function colName(c: number, names?: string[]): string {
  return names && names[c] !== undefined ? `column ${c} (${names[c]})` : `column ${c}`;
}

function checkFinite(m: Matrix, names: string[] | undefined, prefix: string): void {
  const { data, cols } = m;
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      const r = Math.floor(i / cols);
      throw new GrokinfoError('INVALID_DATA', `${prefix}non-finite value ${data[i]} at row ${r}, ${colName(i % cols, names)}`, {
        row: r,
        column: i % cols,
      });
    }
  }
}

/** Indices of the constant columns. */
export function constantColumns(m: Matrix): number[] {
  const out: number[] = [];
  for (let c = 0; c < m.cols; c++) {
    const v0 = m.data[c];
    let constant = true;
    for (let r = 1; r < m.rows; r++)
      if (m.data[r * m.cols + c] !== v0) {
        constant = false;
        break;
      }
    if (constant) out.push(c);
  }
  return out;
}

function checkUnitLists(name: string, lists: unknown, D: number, partition: boolean): number[][] {
  if (!Array.isArray(lists) || lists.length < 2) throw invalidArgument(name, 'an array of at least 2 non-empty variable index arrays');
  const owner = new Map<number, number>();
  const out: number[][] = [];
  lists.forEach((l, u) => {
    if (!Array.isArray(l) || l.length === 0) throw invalidArgument(`${name}[${u}]`, 'a non-empty array of variable indices', l);
    for (const v of l) {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= D)
        throw invalidArgument(`${name}[${u}]`, `variable indices in [0, ${D - 1}]`, v);
      if (owner.has(v))
        throw new GrokinfoError('INVALID_DATA', `${name}: variable ${v} appears twice (in ${name}[${owner.get(v)}] and ${name}[${u}]); ${name} must be disjoint`, {
          variable: v,
        });
      owner.set(v, u);
    }
    out.push([...(l as number[])].sort((a, b) => a - b));
  });
  if (partition)
    for (let v = 0; v < D; v++)
      if (!owner.has(v))
        throw new GrokinfoError('INVALID_DATA', `${name}: variable ${v} is in no bin; bins must be a partition of the ${D} variables`, { variable: v });
  return out;
}

function unitsToNative(lists: number[][]): { offsets: Int32Array; members: Int32Array } {
  const offsets = new Int32Array(lists.length + 1);
  const members: number[] = [];
  lists.forEach((l, u) => {
    members.push(...l);
    offsets[u + 1] = members.length;
  });
  return { offsets, members: Int32Array.from(members) };
}

interface NativeMultiplet {
  value: number;
  members: number[];
}
interface NativeResult {
  count: number;
  synergy: NativeMultiplet;
  redundancy: NativeMultiplet;
  bySize: { size: number; count: number; synergy: NativeMultiplet; redundancy: NativeMultiplet }[];
  topSynergy: NativeMultiplet[];
  topRedundancy: NativeMultiplet[];
}

/** Bins as variable lists from per-column labels (-1: not binned), each list ascending. */
function listsFromLabels(labels: Int32Array, k: number): number[][] {
  const l: number[][] = Array.from({ length: k }, () => []);
  labels.forEach((b, v) => {
    if (b >= 0) l[b].push(v);
  });
  return l;
}

function withVariables(m: NativeMultiplet, lists: number[][]): MultipletRecord {
  const vars = m.members.flatMap((u) => lists[u]).sort((a, b) => a - b);
  return { value: m.value, members: [...m.members], variables: vars };
}

/** Rewrites a native "multiplet of units [..]" message with the columns involved. */
function mapNativeError(e: unknown, lists: number[][], names: string[] | undefined, mode: string): unknown {
  if (!(e instanceof GrokinfoError) || e.code !== 'INVALID_DATA') return e;
  const m = /units \[([\d, ]+)\]/.exec(e.message);
  if (!m) return e;
  const units = m[1].split(',').map((s) => Number(s.trim()));
  const vars = units.flatMap((u) => lists[u] ?? []);
  const last = units[units.length - 1];
  const lastVars = (lists[last] ?? []).map((v) => colName(v, names)).join(', ');
  const shown = vars.map((v) => colName(v, names)).join(', ');
  const what =
    mode === 'variables'
      ? `${lastVars} is a duplicate of, or collinear with, the other columns of {${shown}} (after the rank transform)`
      : `the ${mode} ${JSON.stringify(units)} (${shown}) have a singular joint covariance (duplicate or collinear columns)`;
  return new GrokinfoError('INVALID_DATA', `singular covariance: ${what}`, { units, variables: vars });
}

// ---------------------------------------------------------------------------------------------

/** O-information of every multiplet of one matrix, or of a batch of matrices of one shape. */
export async function oinfo(data: Matrix, options?: OInfoOptions): Promise<OInfoReport>;
export async function oinfo(data: Matrix[], options?: OInfoOptions): Promise<OInfoReport[]>;
export async function oinfo(data: Matrix | Matrix[], options: OInfoOptions = {}): Promise<OInfoReport | OInfoReport[]> {
  const t0 = performance.now();
  const batch = Array.isArray(data);
  const mats = batch ? data : [data];
  if (mats.length === 0) throw invalidArgument('data', 'a matrix or a non-empty array of matrices');
  mats.forEach((m, i) => checkMatrix(m, batch ? `data[${i}]` : 'data'));
  const { rows: N, cols: D } = mats[0];
  mats.forEach((m, i) => {
    if (m.rows !== N || m.cols !== D)
      throw invalidArgument(`data[${i}]`, `the same shape as data[0] (${N} x ${D})`, `${m.rows} x ${m.cols}`);
  });
  const o = options;
  const names = o.columnNames;
  if (names !== undefined && (!Array.isArray(names) || names.length !== D))
    throw invalidArgument('columnNames', `an array of ${D} names (one per column)`, names?.length);
  const ties = checkTies(o.ties);
  const seed = o.seed === undefined ? 0 : checkInt('seed', o.seed, 0, Number.MAX_SAFE_INTEGER);
  const units = checkUnits(o.units);
  const topK = o.topK === undefined ? 0 : checkInt('topK', o.topK, 0, 1_000_000);
  const threads = o.threads === undefined ? 0 : checkInt('threads', o.threads, 0, 4096);
  if (o.biasCorrect !== undefined && typeof o.biasCorrect !== 'boolean') throw invalidArgument('biasCorrect', 'a boolean', o.biasCorrect);
  if (o.out !== undefined && (typeof o.out !== 'string' || o.out === '')) throw invalidArgument('out', 'a file path', o.out);
  if (typeof o.out === 'string' && (() => { try { return statSync(o.out).isDirectory(); } catch { return false; } })())
    throw invalidArgument('out', 'a file path (this is a directory)', o.out);
  if (o.out !== undefined && batch) throw invalidArgument('out', 'only with a single matrix (not a batch)');
  if (o.bins !== undefined && o.groups !== undefined) throw invalidArgument('bins/groups', 'at most one of bins and groups');
  const backend = resolveBackend(o.backend ?? 'auto').backend;
  const mode: OInfoReport['mode'] = o.groups !== undefined ? 'groups' : o.bins !== undefined ? 'bins' : 'variables';

  mats.forEach((m, i) => checkFinite(m, names, batch ? `data[${i}]: ` : ''));
  const prefix = (i: number) => (batch ? `data[${i}]: ` : '');

  // Units per matrix (Ward bins may differ between matrices).
  const notes: string[] = [];
  let dead: number[][] = mats.map(() => []);
  let lists: number[][][];
  if (mode === 'groups') {
    const g = checkUnitLists('groups', o.groups, D, false);
    lists = mats.map(() => g);
  } else if (mode === 'bins' && Array.isArray(o.bins)) {
    const b = checkUnitLists('bins', o.bins, D, true);
    lists = mats.map(() => b);
  } else if (mode === 'bins') {
    const spec = o.bins as { ward?: unknown };
    if (!spec || typeof spec !== 'object' || !('ward' in spec))
      throw invalidArgument('bins', '{ ward: K } or an array of variable index arrays (a partition)', o.bins);
    const K = checkInt('bins.ward', spec.ward, 2, D);
    dead = mats.map((m) => constantColumns(m));
    lists = [];
    for (let i = 0; i < mats.length; i++) {
      const alive = D - dead[i].length;
      const k = Math.min(K, alive);
      if (i > 0 && k !== Math.min(K, D - dead[0].length))
        throw new GrokinfoError('INVALID_DATA', `${prefix(i)}${alive} non-constant columns give ${k} Ward bins, unlike data[0]; measure these matrices separately`);
      if (k < 2)
        throw new GrokinfoError('INVALID_DATA', `${prefix(i)}only ${alive} non-constant column(s): Ward bins need at least 2`);
      if (k < K) notes.push(`${prefix(i)}only ${alive} non-constant columns: ${k} Ward bins used instead of ${K}`);
      lists.push([]);
    }
  } else {
    lists = mats.map(() => Array.from({ length: D }, (_, v) => [v]));
  }
  if (mode !== 'bins' || Array.isArray(o.bins)) {
    // Constant columns have no copula: an error wherever they are used.
    mats.forEach((m, i) => {
      const used = new Set(lists[i].flat());
      const bad = constantColumns(m).filter((c) => used.has(c));
      if (bad.length)
        throw new GrokinfoError(
          'INVALID_DATA',
          `${prefix(i)}singular covariance: constant ${bad.length > 1 ? 'columns' : 'column'} ${bad.map((c) => colName(c, names)).join(', ')} (no copula is defined; remove ${bad.length > 1 ? 'them' : 'it'})`,
          { columns: bad },
        );
    });
  }

  const U = mode === 'bins' && !Array.isArray(o.bins) ? Math.min((o.bins as { ward: number }).ward, D - dead[0].length) : lists[0].length;
  const minSize = o.minSize === undefined ? 2 : checkInt('minSize', o.minSize, 2, U);
  const maxSize = o.maxSize === undefined ? (mode === 'variables' ? Math.min(3, U) : U) : checkInt('maxSize', o.maxSize, minSize, U);
  const maxMultiplets = o.maxMultiplets === undefined ? DEFAULT_MAX_MULTIPLETS : checkPositive('maxMultiplets (--max-multiplets)', o.maxMultiplets);
  const maxOutBytes = o.maxOutBytes === undefined ? DEFAULT_MAX_OUT_BYTES : checkPositive('maxOutBytes (--max-out-bytes)', o.maxOutBytes);
  const size = multipletCount(U, minSize, maxSize);
  if (size.multiplets * mats.length > maxMultiplets)
    throw invalidArgument(
      'sizes (--min-size/--max-size)',
      `at most ${fmtCount(maxMultiplets)} multiplets (maxMultiplets, --max-multiplets); sizes ${minSize}..${maxSize} of ${U} units make ${fmtCount(size.multiplets * mats.length)}`,
      { minSize, maxSize, units: U },
    );
  if (o.out !== undefined && size.outBytes > maxOutBytes)
    throw invalidArgument(
      'out (--out)',
      `an output of at most ${fmtBytes(maxOutBytes)} (maxOutBytes, --max-out-bytes); ${fmtCount(size.multiplets)} multiplets make about ${fmtBytes(size.outBytes)}`,
      o.out,
    );
  const native = loadNative();
  const scale = units === 'bits' ? 1 / Math.LN2 : 1;
  let tmpOut: string | undefined;
  try {
    const reports = await withNativeJob(o.signal, o.onProgress, async (control) => {
      const wardK = mode === 'bins' && !Array.isArray(o.bins) ? (o.bins as { ward: number }).ward : 0;
      const wardLists = async (i: number): Promise<number[][]> => {
        const use = new Uint8Array(D).fill(1);
        for (const c of dead[i]) use[c] = 0;
        const k = Math.min(wardK, D - dead[i].length);
        const labels: Int32Array = await native.wardCluster(mats[i].data, N, D, k, use, control);
        return listsFromLabels(labels, k);
      };
      const nativeOpts = {
        minSize,
        maxSize,
        topK,
        grouped: mode === 'groups',
        scale,
        biasSamples: o.biasCorrect ? N : 0,
        threads,
        streamPath: undefined as string | undefined,
      };
      if (o.out) {
        tmpOut = tempPathFor(o.out);
        nativeOpts.streamPath = tmpOut;
      }
      // The native writer names its temporary file: an IO error names the user's.
      const outError = (e: unknown): unknown => {
        if (!(e instanceof GrokinfoError) || e.code !== 'IO' || !o.out) return e;
        const why = /: ([^:]+)$/.exec(e.message)?.[1];
        return new GrokinfoError('IO', `could not write ${o.out}${why ? `: ${why}` : ''} (nothing was written there)`, { path: o.out });
      };
      const results: NativeResult[] = [];
      if (wardK > 0 && backend === 'cpu') {
        // Ward bins on the CPU: the bins pipeline of measure-model and measured training (dead columns
        // out, Ward, copula and the lattice in one native call per matrix, a warm engine each time).
        for (let i = 0; i < mats.length; i++) {
          const opts = { bins: wardK, ties, seed, ...nativeOpts, checkSamples: true };
          let r: NativeResult & { labels: Int32Array };
          try {
            r = await native.measureBins(mats[i].data, N, D, opts, backend, control);
          } catch (e) {
            if (!(e instanceof GrokinfoError) || e.code !== 'INVALID_DATA') throw outError(e);
            if (e.message.startsWith('too few samples')) throw new GrokinfoError('INVALID_DATA', `${prefix(i)}${e.message}`);
            throw mapNativeError(e, await wardLists(i), names, 'bins');
          }
          lists[i] = listsFromLabels(r.labels, Math.min(wardK, D - dead[i].length));
          results.push(r);
        }
      } else {
        // Ward bins (per matrix).
        if (wardK > 0) for (let i = 0; i < mats.length; i++) lists[i] = await wardLists(i);
        for (let i = 0; i < mats.length; i++) {
          const sizes = lists[i].map((l) => l.length).sort((a, b) => b - a);
          const maxVars = sizes.slice(0, maxSize).reduce((a, b) => a + b, 0);
          if (N <= maxVars + 1)
            throw new GrokinfoError(
              'INVALID_DATA',
              `${prefix(i)}too few samples: ${N} rows for multiplets of up to ${maxVars} variables (need at least ${maxVars + 2})`,
            );
        }
        // Copula covariances.
        const covs = new Float64Array(mats.length * D * D);
        for (let i = 0; i < mats.length; i++) {
          const c: Float64Array = await native.copulaCovariance(mats[i].data, N, D, { ties, seed }, control);
          covs.set(c, i * D * D);
        }
        // One native call when every matrix has the same units; else one per matrix.
        const sameUnits = mode !== 'bins' || Array.isArray(o.bins);
        const groupsOfCalls = sameUnits ? [mats.map((_, i) => i)] : mats.map((_, i) => [i]);
        for (const idx of groupsOfCalls) {
          const cov = idx.length === mats.length ? covs : covs.subarray(idx[0] * D * D, (idx[0] + 1) * D * D);
          try {
            const r: NativeResult[] = await native.oinfoMultiplets(cov, idx.length, D, unitsToNative(lists[idx[0]]), nativeOpts, backend, control);
            results.push(...r);
          } catch (e) {
            throw mapNativeError(outError(e), lists[idx[0]], names, mode === 'variables' ? 'variables' : mode);
          }
        }
      }
      return results.map((r, i): OInfoReport => {
        const l = lists[i];
        return {
          units,
          mode,
          samples: N,
          variables: D,
          multiplets: r.count,
          unitsList: l,
          dead: dead[i],
          bySize: r.bySize.map((s) => ({
            size: s.size,
            count: s.count,
            synergy: withVariables(s.synergy, l),
            redundancy: withVariables(s.redundancy, l),
          })),
          synergy: withVariables(r.synergy, l),
          redundancy: withVariables(r.redundancy, l),
          topSynergy: r.topSynergy.map((m) => withVariables(m, l)),
          topRedundancy: r.topRedundancy.map((m) => withVariables(m, l)),
          seconds: 0,
          backend,
          biasCorrected: !!o.biasCorrect,
          ties,
          notes: notes.filter((n) => !batch || n.startsWith(prefix(i))),
          ...(names ? { columnNames: names } : {}),
        };
      });
    });
    if (tmpOut && o.out) {
      await rename(tmpOut, o.out).catch((e) => {
        throw new GrokinfoError('IO', `could not write ${o.out}: ${(e as Error).message}`);
      });
      tmpOut = undefined;
    }
    const seconds = (performance.now() - t0) / 1000;
    for (const r of reports) r.seconds = seconds;
    return batch ? reports : reports[0];
  } finally {
    if (tmpOut) await rm(tmpOut, { force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Checkpoint measurement (the paper's measure; also used by the trainer's measurement hook)

/** The JS shape returned by the native measurement (bindings: measure_result_to_js). */
export interface NativeMeasure extends NativeResult {
  dead: number;
  labels: Int32Array;
  /** With itemErrors: why this checkpoint was not measured (its data is not admitted: INVALID_DATA). */
  error?: string;
}

function neuronsOf(labels: Int32Array, bins: number[]): number[] {
  const set = new Set(bins);
  const out: number[] = [];
  labels.forEach((b, i) => {
    if (set.has(b)) out.push(i);
  });
  return out;
}

/** Converts one native measurement (from measureCheckpoints or the trainer) into a CheckpointMeasure. */
export function checkpointFromNative(raw: NativeMeasure, requestedBins?: number): CheckpointMeasure {
  let nb = 0;
  raw.labels.forEach((b) => {
    if (b + 1 > nb) nb = b + 1;
  });
  const binSizes = new Array<number>(nb).fill(0);
  raw.labels.forEach((b) => {
    if (b >= 0) binSizes[b]++;
  });
  const m: CheckpointMeasure = {
    ...(raw.error !== undefined ? { error: raw.error } : {}),
    dead: raw.dead,
    labels: raw.labels,
    binSizes,
    synergy: raw.count > 0 ? raw.synergy.value : NaN,
    redundancy: raw.count > 0 ? raw.redundancy.value : NaN,
    synergyBins: [...raw.synergy.members],
    redundancyBins: [...raw.redundancy.members],
    synergyNeurons: neuronsOf(raw.labels, raw.synergy.members),
    redundancyNeurons: neuronsOf(raw.labels, raw.redundancy.members),
    bySize: raw.bySize.map((s) => ({
      size: s.size,
      count: s.count,
      min: s.synergy.value,
      max: s.redundancy.value,
      minBins: [...s.synergy.members],
      maxBins: [...s.redundancy.members],
    })),
    multiplets: raw.count,
  };
  const alive = raw.labels.length - raw.dead;
  if (requestedBins !== undefined && nb < requestedBins)
    m.note =
      nb < 2
        ? `only ${alive} non-constant neuron(s): nothing measured`
        : `only ${alive} non-constant neurons: ${nb} bins used instead of ${requestedBins}`;
  return m;
}

/** One oinfo.jsonl record (src/config/types.ts) from a checkpoint measurement. */
export function checkpointToRecord(step: number, m: CheckpointMeasure, units: InfoUnits, seconds: number): OInfoRecord {
  return {
    step,
    units,
    synergy: m.synergy,
    redundancy: m.redundancy,
    synergyNeurons: m.synergyNeurons,
    redundancyNeurons: m.redundancyNeurons,
    synergySize: m.synergyNeurons.length,
    redundancySize: m.redundancyNeurons.length,
    dead: m.dead,
    binSizes: m.binSizes,
    bySize: m.bySize,
    multiplets: m.multiplets,
    seconds,
  };
}

/** Native measurement options from the JS ones (units -> scale, biasCorrect -> the sample count). */
export function measureNativeOptions(opts: MeasureOptions, rows: number): Record<string, unknown> {
  const bins = opts.bins === undefined ? 10 : checkInt('bins', opts.bins, 2, 100_000);
  return {
    bins,
    ties: checkTies(opts.ties),
    seed: opts.seed === undefined ? 0 : checkInt('seed', opts.seed, 0, Number.MAX_SAFE_INTEGER),
    scale: checkUnits(opts.units) === 'bits' ? 1 / Math.LN2 : 1,
    biasSamples: opts.biasCorrect ? rows : 0,
    topK: opts.topK === undefined ? 0 : checkInt('topK', opts.topK, 0, 1_000_000),
    threads: opts.threads === undefined ? 0 : checkInt('threads', opts.threads, 0, 4096),
  };
}

/**
 * The paper's measurement of a batch of activation matrices (batch x rows x cols float32): dead
 * columns excluded, Ward bins, copula, O-information of every union of 2..bins bins.
 */
export async function measureCheckpoints(
  z: { data: Float32Array; batch: number; rows: number; cols: number },
  opts: MeasureOptions = {},
): Promise<CheckpointMeasure[]> {
  if (!z || !(z.data instanceof Float32Array)) throw invalidArgument('z.data', 'a Float32Array (batch x rows x cols)');
  const batch = checkInt('z.batch', z.batch, 1, 2 ** 31 - 1);
  const rows = checkInt('z.rows', z.rows, 3, 2 ** 31 - 1);
  const cols = checkInt('z.cols', z.cols, 2, 2 ** 31 - 1);
  if (z.data.length !== batch * rows * cols) throw invalidArgument('z.data', `length batch * rows * cols = ${batch * rows * cols}`, z.data.length);
  const nopts = measureNativeOptions(opts, rows);
  const backend = resolveBackend(opts.backend ?? 'auto').backend;
  for (let b = 0; b < batch; b++) {
    const m: Matrix = { data: z.data.subarray(b * rows * cols, (b + 1) * rows * cols), rows, cols };
    checkFinite(m, undefined, batch > 1 ? `checkpoint ${b}: ` : '');
  }
  const native = loadNative();
  const raw: NativeMeasure[] = await withNativeJob(opts.signal, opts.onProgress, (control) =>
    native.measureCheckpoints(z.data, batch, rows, cols, nopts, backend, control),
  );
  return raw.map((r) => checkpointFromNative(r, nopts.bins as number));
}
