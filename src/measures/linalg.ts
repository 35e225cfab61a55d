/**
 * Small dense float64 linear algebra for the measures (matrices of at most a few hundred rows):
 * Cholesky log-determinant, symmetric inverse diagonal, cyclic Jacobi eigen-decomposition.
 * Row-major Float64Array, n x n.
 */
import { GrokinfoError } from '../core/errors.js';

/** Lower Cholesky factor of a symmetric positive-definite matrix; null when not positive definite. */
export function cholesky(A: ArrayLike<number>, n: number): Float64Array | null {
  const L = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let d = A[j * n + j]!;
    for (let k = 0; k < j; k++) d -= L[j * n + k]! * L[j * n + k]!;
    if (!(d > 0) || !Number.isFinite(d)) return null;
    const ljj = Math.sqrt(d);
    L[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let s = A[i * n + j]!;
      for (let k = 0; k < j; k++) s -= L[i * n + k]! * L[j * n + k]!;
      L[i * n + j] = s / ljj;
    }
  }
  return L;
}

/** ln|A| of a symmetric positive-definite matrix (INVALID_DATA when it is not). */
export function logDet(A: ArrayLike<number>, n: number, what = 'covariance'): number {
  const L = cholesky(A, n);
  if (!L) throw new GrokinfoError('INVALID_DATA', `${what}: not positive definite (add a ridge or drop constant variables)`);
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.log(L[i * n + i]!);
  return 2 * s;
}

/** ln|A| and the diagonal of A^-1 from one Cholesky factorisation. */
export function logDetAndInverseDiagonal(A: ArrayLike<number>, n: number, what = 'covariance'): { logDet: number; invDiag: Float64Array } {
  const L = cholesky(A, n);
  if (!L) throw new GrokinfoError('INVALID_DATA', `${what}: not positive definite (add a ridge or drop constant variables)`);
  let ld = 0;
  for (let i = 0; i < n; i++) ld += Math.log(L[i * n + i]!);
  // (A^-1)_ii = sum_k (L^-1)_ki^2: invert L column by column (forward substitution).
  const invDiag = new Float64Array(n);
  const col = new Float64Array(n);
  for (let c = 0; c < n; c++) {
    col.fill(0);
    col[c] = 1 / L[c * n + c]!;
    for (let i = c + 1; i < n; i++) {
      let s = 0;
      for (let k = c; k < i; k++) s -= L[i * n + k]! * col[k]!;
      col[i] = s / L[i * n + i]!;
    }
    for (let i = c; i < n; i++) invDiag[c] += col[i]! * col[i]!;
  }
  return { logDet: 2 * ld, invDiag };
}

/**
 * Eigenvalues (ascending) and eigenvectors (columns of `vectors`, row-major n x n) of a symmetric
 * matrix by cyclic Jacobi rotations, to relative off-diagonal norm 1e-14 or 60 sweeps.
 */
export function symmetricEigen(Ain: ArrayLike<number>, n: number, wantVectors = true): { values: Float64Array; vectors: Float64Array | null } {
  const A = Float64Array.from(Ain as ArrayLike<number>);
  const V = wantVectors ? new Float64Array(n * n) : null;
  if (V) for (let i = 0; i < n; i++) V[i * n + i] = 1;
  let total = 0;
  for (let i = 0; i < n * n; i++) total += A[i]! * A[i]!;
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0;
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) off += A[i * n + j]! * A[i * n + j]!;
    if (off <= 1e-28 * total || off === 0) break;
    for (let p = 0; p < n; p++)
      for (let q = p + 1; q < n; q++) {
        const apq = A[p * n + q]!;
        if (apq === 0) continue;
        const app = A[p * n + p]!,
          aqq = A[q * n + q]!;
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1),
          s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = A[k * n + p]!,
            akq = A[k * n + q]!;
          A[k * n + p] = c * akp - s * akq;
          A[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = A[p * n + k]!,
            aqk = A[q * n + k]!;
          A[p * n + k] = c * apk - s * aqk;
          A[q * n + k] = s * apk + c * aqk;
        }
        if (V)
          for (let k = 0; k < n; k++) {
            const vkp = V[k * n + p]!,
              vkq = V[k * n + q]!;
            V[k * n + p] = c * vkp - s * vkq;
            V[k * n + q] = s * vkp + c * vkq;
          }
      }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => A[a * n + a]! - A[b * n + b]!);
  const values = Float64Array.from(order, (i) => A[i * n + i]!);
  let vectors: Float64Array | null = null;
  if (V) {
    vectors = new Float64Array(n * n);
    for (let k = 0; k < n; k++) for (let r = 0; r < n; r++) vectors[r * n + k] = V[r * n + order[k]!]!;
  }
  return { values, vectors };
}

/**
 * Eigenvalues (ascending) and optionally eigenvectors (columns, row-major n x n) of a symmetric matrix:
 * Householder reduction to tridiagonal form, then the implicit QL algorithm (the classic tred2/tql2
 * pair, O(n^3) with a small constant). The production path; symmetricEigen (Jacobi) is the slow reference.
 */
export function symmetricEigenQL(Ain: ArrayLike<number>, n: number, wantVectors = true): { values: Float64Array; vectors: Float64Array | null } {
  const V: Float64Array[] = [];
  for (let i = 0; i < n; i++) V.push(Float64Array.from({ length: n }, (_, j) => Ain[i * n + j]!));
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  // tred2: Householder tridiagonalisation, accumulating the transformations in V.
  for (let j = 0; j < n; j++) d[j] = V[n - 1]![j]!;
  for (let i = n - 1; i > 0; i--) {
    let scale = 0;
    let h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]!);
    if (scale === 0) {
      e[i] = d[i - 1]!;
      for (let j = 0; j < i; j++) {
        d[j] = V[i - 1]![j]!;
        V[i]![j] = 0;
        V[j]![i] = 0;
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k] = d[k]! / scale;
        h += d[k]! * d[k]!;
      }
      let f = d[i - 1]!;
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      for (let j = 0; j < i; j++) {
        f = d[j]!;
        V[j]![i] = f;
        g = e[j]! + V[j]![j]! * f;
        for (let k = j + 1; k <= i - 1; k++) {
          g += V[k]![j]! * d[k]!;
          e[k] = e[k]! + V[k]![j]! * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j] = e[j]! / h;
        f += e[j]! * d[j]!;
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j] = e[j]! - hh * d[j]!;
      for (let j = 0; j < i; j++) {
        f = d[j]!;
        g = e[j]!;
        for (let k = j; k <= i - 1; k++) V[k]![j] = V[k]![j]! - (f * e[k]! + g * d[k]!);
        d[j] = V[i - 1]![j]!;
        V[i]![j] = 0;
      }
    }
    d[i] = h;
  }
  for (let i = 0; i < n - 1; i++) {
    V[n - 1]![i] = V[i]![i]!;
    V[i]![i] = 1;
    const h = d[i + 1]!;
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = V[k]![i + 1]! / h;
      for (let j = 0; j <= i; j++) {
        let g = 0;
        for (let k = 0; k <= i; k++) g += V[k]![i + 1]! * V[k]![j]!;
        for (let k = 0; k <= i; k++) V[k]![j] = V[k]![j]! - g * d[k]!;
      }
    }
    for (let k = 0; k <= i; k++) V[k]![i + 1] = 0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = V[n - 1]![j]!;
    V[n - 1]![j] = 0;
  }
  if (n > 0) V[n - 1]![n - 1] = 1;
  e[0] = 0;
  // tql2: implicit QL on the tridiagonal (d, e).
  for (let i = 1; i < n; i++) e[i - 1] = e[i]!;
  if (n > 0) e[n - 1] = 0;
  let f = 0;
  let tst1 = 0;
  const eps = 2 ** -52;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]!) + Math.abs(e[l]!));
    let m = l;
    while (m < n) {
      if (Math.abs(e[m]!) <= eps * tst1) break;
      m++;
    }
    if (m > l) {
      let iter = 0;
      do {
        if (++iter > 200) throw new GrokinfoError('INTERNAL', 'symmetricEigenQL: no convergence');
        let g = d[l]!;
        let p = (d[l + 1]! - g) / (2 * e[l]!);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l]! / (p + r);
        d[l + 1] = e[l]! * (p + r);
        const dl1 = d[l + 1]!;
        let h = g - d[l]!;
        for (let i = l + 2; i < n; i++) d[i] = d[i]! - h;
        f += h;
        p = d[m]!;
        let c = 1,
          c2 = c,
          c3 = c;
        const el1 = e[l + 1]!;
        let s = 0,
          s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i]!;
          h = c * p;
          r = Math.hypot(p, e[i]!);
          e[i + 1] = s * r;
          s = e[i]! / r;
          c = p / r;
          p = c * d[i]! - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]!);
          if (wantVectors)
            for (let k = 0; k < n; k++) {
              h = V[k]![i + 1]!;
              V[k]![i + 1] = s * V[k]![i]! + c * h;
              V[k]![i] = c * V[k]![i]! - s * h;
            }
        }
        p = (-s * s2 * c3 * el1 * e[l]!) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]!) > eps * tst1);
    }
    d[l] = d[l]! + f;
    e[l] = 0;
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => d[a]! - d[b]!);
  const values = Float64Array.from(order, (i) => d[i]!);
  let vectors: Float64Array | null = null;
  if (wantVectors) {
    vectors = new Float64Array(n * n);
    for (let k = 0; k < n; k++) for (let r = 0; r < n; r++) vectors[r * n + k] = V[r]![order[k]!]!;
  }
  return { values, vectors };
}

/** A^T A (cols x cols) of a row-major rows x cols matrix, in float64. */
export function gramOfColumns(A: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const G = new Float64Array(cols * cols);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let i = 0; i < cols; i++) {
      const a = A[o + i]!;
      if (a === 0) continue;
      for (let j = i; j < cols; j++) G[i * cols + j] += a * A[o + j]!;
    }
  }
  for (let i = 0; i < cols; i++) for (let j = 0; j < i; j++) G[i * cols + j] = G[j * cols + i]!;
  return G;
}

/** Squared singular values of a rows x cols matrix (the eigenvalues of the smaller Gram matrix), ascending. */
export function squaredSingularValues(W: ArrayLike<number>, rows: number, cols: number): Float64Array {
  if (cols <= rows) return symmetricEigenQL(gramOfColumns(W, rows, cols), cols, false).values;
  const T = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) T[c * rows + r] = W[r * cols + c]!;
  return symmetricEigenQL(gramOfColumns(T, cols, rows), rows, false).values;
}
