/**
 * Independent float64 references for the O-information tests, written plainly from the definitions
 * (no closed form for Omega, no code shared with src/ or native/).
 */

import { gauss, rng } from './rng.js';

export { rng };

/** Standard normals from a seed. */
export function normals(seed: number): () => number {
  const r = rng(seed);
  return () => gauss(r);
}

/** Standard normal CDF: a positive series near 0, a continued fraction in the tails. */
export function normCdf(x: number): number {
  const phi = Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
  if (Math.abs(x) < 3) {
    // Phi(x) = 1/2 + phi(x) sum_{n>=0} x^(2n+1) / (2n+1)!!
    let term = x;
    let sum = x;
    for (let n = 1; n < 200; n++) {
      term *= (x * x) / (2 * n + 1);
      sum += term;
      if (Math.abs(term) < 1e-18 * Math.abs(sum)) break;
    }
    return 0.5 + phi * sum;
  }
  // Tail: Q(a) = phi(a) / (a + 1/(a + 2/(a + 3/(a + ...)))) for a = |x|, evaluated backwards.
  const a = Math.abs(x);
  let f = a;
  for (let k = 200; k >= 1; k--) f = a + k / f;
  const q = phi / f;
  return x > 0 ? 1 - q : q;
}

/** Inverse normal CDF by bisection on normCdf (symmetry for u > 1/2). */
export function ndtriRef(u: number): number {
  if (u > 0.5) return -ndtriRef(1 - u);
  let lo = -40;
  let hi = 0;
  for (let i = 0; i < 200; i++) {
    const mid = 0.5 * (lo + hi);
    if (mid === lo || mid === hi) break;
    if (normCdf(mid) < u) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

/** 0-based ranks of a column with a tie policy ('average': mid-ranks; 'ordinal': by index). */
export function ranks(col: number[], ties: 'average' | 'ordinal'): number[] {
  const idx = col.map((_, i) => i).sort((a, b) => col[a] - col[b] || a - b);
  const r = new Array<number>(col.length);
  if (ties === 'ordinal') {
    idx.forEach((i, p) => (r[i] = p));
    return r;
  }
  let a = 0;
  while (a < idx.length) {
    let b = a + 1;
    while (b < idx.length && col[idx[b]] === col[idx[a]]) b++;
    for (let t = a; t < b; t++) r[idx[t]] = (a + b - 1) / 2;
    a = b;
  }
  return r;
}

/** Gaussian copula covariance, plainly: ranks -> u = (r+1)/(N+1) -> ndtriRef -> demean -> G^T G/(N-1). */
export function copulaCovRef(data: ArrayLike<number>, N: number, D: number, ties: 'average' | 'ordinal' = 'average'): number[][] {
  const G: number[][] = [];
  for (let c = 0; c < D; c++) {
    const col = Array.from({ length: N }, (_, i) => data[i * D + c]);
    const g = ranks(col, ties).map((r) => ndtriRef((r + 1) / (N + 1)));
    const mean = g.reduce((s, v) => s + v, 0) / N;
    G.push(g.map((v) => v - mean));
  }
  const C: number[][] = [];
  for (let i = 0; i < D; i++) {
    C.push([]);
    for (let j = 0; j < D; j++) {
      let s = 0;
      for (let t = 0; t < N; t++) s += G[i][t] * G[j][t];
      C[i].push(s / (N - 1));
    }
  }
  return C;
}

/** ln det of a symmetric positive-definite matrix by a plain Cholesky factorisation. */
export function logdet(A: number[][]): number {
  const n = A.length;
  const L = A.map(() => new Array<number>(n).fill(0));
  let ld = 0;
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      let s = A[i][j];
      for (let k = 0; k < j; k++) s -= L[i][k] * L[j][k];
      if (i === j) {
        if (!(s > 0)) throw new Error('not positive definite');
        L[i][i] = Math.sqrt(s);
        ld += Math.log(s);
      } else L[i][j] = s / L[j][j];
    }
  return ld;
}

export function sub(C: number[][], vars: number[]): number[][] {
  return vars.map((i) => vars.map((j) => C[i][j]));
}

/** Gaussian differential entropy (nats) of the variables `vars`. */
export function entropy(C: number[][], vars: number[]): number {
  if (vars.length === 0) return 0;
  return 0.5 * (vars.length * Math.log(2 * Math.PI * Math.E) + logdet(sub(C, vars)));
}

/** Omega from the entropy definition over individual variables: (n-2)H(S) + sum_j [H(z_j) - H(S\z_j)]. */
export function omegaRef(C: number[][], vars: number[]): number {
  const n = vars.length;
  let o = (n - 2) * entropy(C, vars);
  for (const v of vars) o += entropy(C, [v]) - entropy(C, vars.filter((w) => w !== v));
  return o;
}

/** Grouped Omega with vector entropies: (m-2)H(S) + sum_g [H(X_g) - H(S\X_g)]. */
export function omegaGroupedRef(C: number[][], groups: number[][]): number {
  const m = groups.length;
  const all = groups.flat();
  let o = (m - 2) * entropy(C, all);
  for (const g of groups) o += entropy(C, g) - entropy(C, all.filter((v) => !g.includes(v)));
  return o;
}

/** Every subset of {0..U-1} with size in [lo, hi], ascending members, in lexicographic order. */
export function subsets(U: number, lo: number, hi: number): number[][] {
  const out: number[][] = [];
  const rec = (start: number, cur: number[]) => {
    if (cur.length >= lo) out.push([...cur]);
    if (cur.length === hi) return;
    for (let u = start; u < U; u++) {
      cur.push(u);
      rec(u + 1, cur);
      cur.pop();
    }
  };
  rec(0, []);
  return out.filter((s) => s.length >= lo);
}

/** Digamma at n/2 for integer n >= 1, exactly from the closed forms (Euler's gamma, harmonic sums). */
export function digammaHalf(n: number): number {
  const gamma = 0.57721566490153286061;
  if (n % 2 === 0) {
    const m = n / 2; // psi(m) = -gamma + sum_{k=1}^{m-1} 1/k
    let s = -gamma;
    for (let k = 1; k < m; k++) s += 1 / k;
    return s;
  }
  const m = (n - 1) / 2; // psi(m + 1/2) = -gamma - 2 ln 2 + sum_{k=1}^{m} 2/(2k-1)
  let s = -gamma - 2 * Math.LN2;
  for (let k = 1; k <= m; k++) s += 2 / (2 * k - 1);
  return s;
}

/** Ince et al. bias term b(d) = 1/2 [d ln(2/(N-1)) + sum_{i=1..d} psi((N-i)/2)]. */
export function biasB(d: number, N: number): number {
  let s = d * Math.log(2 / (N - 1));
  for (let i = 1; i <= d; i++) s += digammaHalf(N - i);
  return 0.5 * s;
}

/** Naive O(n^3) Ward: repeatedly merge the pair of clusters with the least increase in within-cluster
 * sum of squares (centroids recomputed from the points), until k clusters remain; labels numbered by
 * smallest member. Points are the columns of X (N x D). */
export function naiveWard(X: ArrayLike<number>, N: number, D: number, k: number, cols?: number[]): Map<number, number> {
  const use = cols ?? Array.from({ length: D }, (_, i) => i);
  let clusters: number[][] = use.map((c) => [c]);
  const centroid = (cl: number[]) => {
    const m = new Array<number>(N).fill(0);
    for (const c of cl) for (let t = 0; t < N; t++) m[t] += X[t * D + c];
    return m.map((v) => v / cl.length);
  };
  while (clusters.length > k) {
    const cents = clusters.map(centroid);
    let best = Infinity;
    let bi = 0;
    let bj = 1;
    for (let i = 0; i < clusters.length; i++)
      for (let j = i + 1; j < clusters.length; j++) {
        let d2 = 0;
        for (let t = 0; t < N; t++) d2 += (cents[i][t] - cents[j][t]) ** 2;
        const inc = ((clusters[i].length * clusters[j].length) / (clusters[i].length + clusters[j].length)) * d2;
        if (inc < best) {
          best = inc;
          bi = i;
          bj = j;
        }
      }
    const merged = [...clusters[bi], ...clusters[bj]];
    clusters = clusters.filter((_, i) => i !== bi && i !== bj);
    clusters.push(merged);
  }
  clusters.sort((a, b) => Math.min(...a) - Math.min(...b));
  const labels = new Map<number, number>();
  clusters.forEach((cl, i) => cl.forEach((c) => labels.set(c, i)));
  return labels;
}
