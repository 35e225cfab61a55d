import { describe, expect, it } from 'vitest';
import { GrokinfoError } from '../src/core/errors.js';
import { isPrime, makeTask } from '../src/tasks/modular.js';
import type { Op } from '../src/config/types.js';

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(GrokinfoError);
    return `${(e as GrokinfoError).code}: ${(e as GrokinfoError).message}`;
  }
  return 'no error';
}

// the label from the definition, with BigInt arithmetic and a brute-force inverse
function label(op: Op, a: number, b: number, p: number): number {
  const A = BigInt(a),
    B = BigInt(b),
    P = BigInt(p);
  const mod = (x: bigint) => Number(((x % P) + P) % P);
  switch (op) {
    case 'add':
      return mod(A + B);
    case 'sub':
      return mod(A - B);
    case 'mul':
      return mod(A * B);
    case 'x2xyy2':
      return mod(A * A + A * B + B * B);
    case 'div':
      for (let c = 0; c < p; c++) if (mod(BigInt(c) * B) === a) return c;
      throw new Error('no inverse');
  }
}

describe('makeTask', () => {
  it('paper split: p = 97, 40% of 9409 pairs for training, every pair exactly once', () => {
    const t = makeTask({ op: 'add', p: 97, trainFraction: 0.4, splitSeed: 420 });
    expect(t.trainA.length).toBe(3763);
    expect(t.testA.length).toBe(5646);
    const seen = new Uint8Array(97 * 97);
    for (const [A, B, Y] of [
      [t.trainA, t.trainB, t.trainY],
      [t.testA, t.testB, t.testY],
    ])
      for (let i = 0; i < A.length; i++) {
        seen[A[i] * 97 + B[i]]++;
        expect(Y[i]).toBe((A[i] + B[i]) % 97);
      }
    expect(seen.every((v) => v === 1)).toBe(true);
  });

  for (const op of ['add', 'sub', 'mul', 'div', 'x2xyy2'] as Op[])
    it(`labels of ${op} follow the definition (p = 13)`, () => {
      const t = makeTask({ op, p: 13, trainFraction: 0.5, splitSeed: 1 });
      const total = op === 'div' ? 13 * 12 : 169;
      expect(t.trainA.length + t.testA.length).toBe(total);
      expect(t.trainA.length).toBe(Math.floor(0.5 * total));
      for (const [A, B, Y] of [
        [t.trainA, t.trainB, t.trainY],
        [t.testA, t.testB, t.testY],
      ])
        for (let i = 0; i < A.length; i++) {
          if (op === 'div') expect(B[i]).not.toBe(0);
          expect(Y[i]).toBe(label(op, A[i], B[i], 13));
        }
    });

  it('the split depends only on the seed, and is a shuffle', () => {
    const a = makeTask({ op: 'mul', p: 31, trainFraction: 0.3, splitSeed: 7 });
    const b = makeTask({ op: 'mul', p: 31, trainFraction: 0.3, splitSeed: 7 });
    const c = makeTask({ op: 'mul', p: 31, trainFraction: 0.3, splitSeed: 8 });
    expect(a.trainA).toEqual(b.trainA);
    expect(a.trainB).toEqual(b.trainB);
    expect(a.trainA).not.toEqual(c.trainA);
    // a shuffle, not a prefix: training pairs cover every value of a
    expect(new Set(a.trainA).size).toBe(31);
    // the same seed gives nested splits in the same order for another op (pairs, not labels, are shuffled)
    const d = makeTask({ op: 'add', p: 31, trainFraction: 0.3, splitSeed: 7 });
    expect(d.trainA).toEqual(a.trainA);
  });

  it('validates with coded errors naming the flag', () => {
    expect(codeOf(() => makeTask({ op: 'div', p: 15, trainFraction: 0.5, splitSeed: 0 }))).toMatch(/INVALID_ARGUMENT: --p: a prime/);
    expect(codeOf(() => makeTask({ op: 'add', p: 1, trainFraction: 0.5, splitSeed: 0 }))).toMatch(/--p/);
    expect(codeOf(() => makeTask({ op: 'add', p: 5000, trainFraction: 0.5, splitSeed: 0 }))).toMatch(/--p/);
    expect(codeOf(() => makeTask({ op: 'add', p: 7.5, trainFraction: 0.5, splitSeed: 0 }))).toMatch(/--p/);
    expect(codeOf(() => makeTask({ op: 'pow' as Op, p: 7, trainFraction: 0.5, splitSeed: 0 }))).toMatch(/--op/);
    for (const f of [0, 1, -0.1, NaN, 0.001])
      expect(codeOf(() => makeTask({ op: 'add', p: 7, trainFraction: f, splitSeed: 0 }))).toMatch(/--train-fraction/);
    expect(codeOf(() => makeTask({ op: 'add', p: 7, trainFraction: 0.5, splitSeed: -1 }))).toMatch(/--split-seed/);
    // non-prime p is fine for the other ops
    expect(makeTask({ op: 'add', p: 10, trainFraction: 0.5, splitSeed: 0 }).trainA.length).toBe(50);
  });

  it('accepts every prime up to 257 for div (sieve reference)', () => {
    const sieve = new Uint8Array(300).fill(1);
    sieve[0] = sieve[1] = 0;
    for (let i = 2; i * i < 300; i++) if (sieve[i]) for (let j = i * i; j < 300; j += i) sieve[j] = 0;
    for (let n = 0; n < 300; n++) expect(isPrime(n), String(n)).toBe(sieve[n] === 1);
    const t = makeTask({ op: 'div', p: 257, trainFraction: 0.1, splitSeed: 3 });
    expect(t.trainA.length + t.testA.length).toBe(257 * 256);
    for (let i = 0; i < 200; i++) expect((t.trainY[i] * t.trainB[i]) % 257).toBe(t.trainA[i]);
  });
});
