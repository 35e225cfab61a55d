/**
 * The modular-arithmetic task (METHOD.md §1): every pair (a, b) in Z_p x Z_p, label (a op b) mod p,
 * split once into train and test by a seeded shuffle that depends only on the split seed.
 *
 * Ops: add, sub, mul, div (a * b^-1, pairs with b = 0 excluded), x2xyy2 (a^2 + ab + b^2).
 * Split size: train = floor(trainFraction * total), as the authors' code does (int(0.4 * 9409) = 3763
 * training and 5646 test examples at p = 97; rounding would give 3764).
 * Split order: 'authors' uses the authors' PyTorch permutation (p = 97), 'seeded' grokinfo's own
 * generator, `splitFrom` a user's list of training indices (the test set is every other pair, ascending).
 * Validation: p is an integer in [2, 4096]; `div` needs p prime (otherwise b^-1 does not exist for
 * every b != 0), the other ops accept any p (the paper uses the prime 97). trainFraction is in (0, 1)
 * and must leave at least one example on each side.
 */
import { readFileSync } from 'node:fs';
import { AUTHORS_PERM, AUTHORS_SPLIT } from './authors-split.js';
import { GrokinfoError, invalidArgument } from '../core/errors.js';
import { parseNpy } from '../core/npy.js';
import type { ModularTaskConfig as TaskConfig, Op, SplitKind } from '../config/types.js';

export const OPS: readonly Op[] = ['add', 'sub', 'mul', 'div', 'x2xyy2'];
export const MAX_P = 4096;

/** The train/test split arrays a trainer trains on. */
export interface TaskArrays {
  trainA: Int32Array;
  trainB: Int32Array;
  trainY: Int32Array;
  testA: Int32Array;
  testB: Int32Array;
  testY: Int32Array;
}

export interface Task extends TaskArrays {
  config: TaskConfig;
}

export function isPrime(n: number): boolean {
  if (!Number.isInteger(n) || n < 2) return false;
  if (n % 2 === 0) return n === 2;
  for (let d = 3; d * d <= n; d += 2) if (n % d === 0) return false;
  return true;
}

function modPow(b: number, e: number, p: number): number {
  let r = 1;
  b %= p;
  while (e > 0) {
    if (e & 1) r = (r * b) % p;
    b = (b * b) % p;
    e = Math.floor(e / 2);
  }
  return r;
}

/** (a op b) mod p for 0 <= a, b < p (b != 0 for div, p prime). */
export function applyOp(op: Op, a: number, b: number, p: number): number {
  switch (op) {
    case 'add':
      return (a + b) % p;
    case 'sub':
      return (((a - b) % p) + p) % p;
    case 'mul':
      return (a * b) % p;
    case 'div':
      return (a * modPow(b, p - 2, p)) % p;
    case 'x2xyy2':
      return (a * a + a * b + b * b) % p;
  }
}

/**
 * A seeded generator for the split: splitmix64 of the seed initialises xoshiro128**. The same seed
 * gives the same split on every platform.
 */
export function splitRng(seed: number): () => number {
  let x = BigInt.asUintN(64, BigInt(seed));
  const mask = (1n << 64n) - 1n;
  const next64 = () => {
    x = (x + 0x9e3779b97f4a7c15n) & mask;
    let z = x;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & mask;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & mask;
    return z ^ (z >> 31n);
  };
  const a = next64(),
    b = next64();
  const s = new Uint32Array([Number(a & 0xffffffffn), Number(a >> 32n), Number(b & 0xffffffffn), Number(b >> 32n)]);
  if ((s[0] | s[1] | s[2] | s[3]) === 0) s[0] = 1;
  const rotl = (v: number, k: number) => ((v << k) | (v >>> (32 - k))) >>> 0;
  const next32 = () => {
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  };
  // 53-bit uniform double in [0, 1)
  return () => ((next32() >>> 5) * 67108864 + (next32() >>> 6)) / 9007199254740992;
}

export function validateTaskConfig(c: Partial<TaskConfig>): TaskConfig {
  if (!c || typeof c !== 'object') throw invalidArgument('task', 'an object {op, p, trainFraction, splitSeed}', c);
  const op = c.op;
  if (!OPS.includes(op as Op)) throw invalidArgument('--op', `one of ${OPS.join(', ')}`, op);
  const p = c.p;
  if (typeof p !== 'number' || !Number.isInteger(p) || p < 2 || p > MAX_P)
    throw invalidArgument('--p', `an integer in [2, ${MAX_P}]`, p);
  if (op === 'div' && !isPrime(p)) throw invalidArgument('--p', "a prime number for op 'div' (b^-1 mod p must exist)", p);
  const f = c.trainFraction;
  if (typeof f !== 'number' || !(f > 0 && f < 1)) throw invalidArgument('--train-fraction', 'a number in (0, 1)', f);
  const seed = c.splitSeed ?? 0;
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed) || seed < 0)
    throw invalidArgument('--split-seed', 'an integer in [0, 2^53)', seed);
  const total = pairCount(op as Op, p);
  const nTrain = trainCount(f, total);
  if (nTrain < 1 || nTrain > total - 1)
    throw invalidArgument('--train-fraction', `a fraction leaving at least one training and one test example of ${total}`, f);
  const split = resolveSplit(c.split ?? 'auto', op as Op, p, seed);
  const out: TaskConfig = { op: op as Op, p, trainFraction: f, splitSeed: seed, split };
  if (c.splitFrom !== undefined) {
    if (typeof c.splitFrom !== 'string' || c.splitFrom === '') throw invalidArgument('--split-from', 'a file path', c.splitFrom);
    out.splitFrom = c.splitFrom;
  }
  return out;
}

export const SPLIT_KINDS: readonly SplitKind[] = ['auto', 'authors', 'seeded'];

/** 'auto' becomes 'authors' for the paper's task (p = 97, split seed 420, not div), else 'seeded'. */
function resolveSplit(split: unknown, op: Op, p: number, seed: number): Exclude<SplitKind, 'auto'> {
  if (!SPLIT_KINDS.includes(split as SplitKind)) throw invalidArgument('--split', `one of ${SPLIT_KINDS.join(', ')}`, split);
  const fits = p === AUTHORS_SPLIT.p && op !== 'div';
  if (split === 'authors') {
    if (!fits) throw invalidArgument('--split authors', `the authors' split exists for p = ${AUTHORS_SPLIT.p} and ops other than div only`, { op, p });
    return 'authors';
  }
  if (split === 'auto') return fits && seed === AUTHORS_SPLIT.seed ? 'authors' : 'seeded';
  return 'seeded';
}

/**
 * Reads a file of training pair indices (a * p + b): a JSON array of integers, or a 1-D integer .npy.
 * Checks every index is an integer in range, not repeated, a valid pair for the op, and leaves a test set.
 */
export function readSplitFile(path: string, op: Op, p: number): Int32Array {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new GrokinfoError('IO', `--split-from ${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let values: ArrayLike<number | bigint>;
  if (path.toLowerCase().endsWith('.npy')) {
    const arr = parseNpy(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), `--split-from ${path}`);
    if (arr.shape.length !== 1 || arr.data instanceof Float32Array || arr.data instanceof Float64Array)
      throw new GrokinfoError('INVALID_DATA', `--split-from ${path}: expected a 1-D integer array, got dtype ${arr.dtype} shape (${arr.shape.join(', ')})`);
    values = arr.data;
  } else {
    let parsed: unknown;
    try {
      parsed = JSON.parse(bytes.toString('utf8'));
    } catch {
      throw new GrokinfoError('INVALID_DATA', `--split-from ${path}: not JSON (expected an array of training indices a * p + b, or a .npy file)`);
    }
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed) && Array.isArray((parsed as { train?: unknown }).train))
      parsed = (parsed as { train: unknown[] }).train;
    if (!Array.isArray(parsed)) throw new GrokinfoError('INVALID_DATA', `--split-from ${path}: expected a JSON array of training indices (or {"train": [...]})`);
    values = parsed as number[];
  }
  const total = p * p;
  const seen = new Uint8Array(total);
  const out = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = Number(values[i]);
    if (!Number.isInteger(v) || v < 0 || v >= total)
      throw new GrokinfoError('INVALID_DATA', `--split-from ${path}: entry ${i} is ${String(values[i])}; indices are integers a * p + b in [0, ${total}) for p = ${p}`);
    if (op === 'div' && v % p === 0) throw new GrokinfoError('INVALID_DATA', `--split-from ${path}: entry ${i} (${v}) has b = 0, which op div excludes`);
    if (seen[v]) throw new GrokinfoError('INVALID_DATA', `--split-from ${path}: index ${v} appears twice`);
    seen[v] = 1;
    out[i] = v;
  }
  const pairs = pairCount(op, p);
  if (out.length < 1 || out.length > pairs - 1)
    throw new GrokinfoError('INVALID_DATA', `--split-from ${path}: ${out.length} training indices; need between 1 and ${pairs - 1} (a test set must remain)`);
  return out;
}

/** Every pair of the task as an index a * p + b, ascending (b = 0 excluded for div). */
function pairIndices(op: Op, p: number): number[] {
  const out: number[] = [];
  for (let a = 0; a < p; a++) for (let b = op === 'div' ? 1 : 0; b < p; b++) out.push(a * p + b);
  return out;
}

function pairCount(op: Op, p: number): number {
  return op === 'div' ? p * (p - 1) : p * p;
}

/** Training examples of a split: floor(fraction * total) (a tiny epsilon absorbs binary rounding of e.g. 0.3 * 100). */
export function trainCount(fraction: number, total: number): number {
  return Math.floor(fraction * total + 1e-9);
}

/** All pairs in split order (a split file's indices, the authors' permutation or the seeded shuffle); the first nTrain train. */
export function makeTask(config: Partial<TaskConfig>): Task {
  const c = validateTaskConfig(config);
  const { op, p } = c;
  let pairs: number[];
  let nTrain: number;
  if (c.splitFrom !== undefined) {
    const train = readSplitFile(c.splitFrom, op, p);
    const inTrain = new Uint8Array(p * p);
    for (const v of train) inTrain[v] = 1;
    pairs = Array.from(train);
    for (const v of pairIndices(op, p)) if (!inTrain[v]) pairs.push(v);
    nTrain = train.length;
  } else if (c.split === 'authors') {
    pairs = AUTHORS_PERM.slice();
    nTrain = trainCount(c.trainFraction, pairs.length);
  } else {
    pairs = pairIndices(op, p);
    const rand = splitRng(c.splitSeed);
    for (let i = pairs.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      const t = pairs[i];
      pairs[i] = pairs[j];
      pairs[j] = t;
    }
    nTrain = trainCount(c.trainFraction, pairs.length);
  }
  const fill = (from: number, to: number) => {
    const n = to - from;
    const A = new Int32Array(n),
      B = new Int32Array(n),
      Y = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const v = pairs[from + i];
      A[i] = Math.floor(v / p);
      B[i] = v % p;
      Y[i] = applyOp(op, A[i], B[i], p);
    }
    return [A, B, Y] as const;
  };
  const [trainA, trainB, trainY] = fill(0, nTrain);
  const [testA, testB, testY] = fill(nTrain, pairs.length);
  return { config: c, trainA, trainB, trainY, testA, testB, testY };
}
