// GPU self-check and timings in one run (no node_modules needed): loads only the addon.
//   node bench/gpu-check.mjs [--quick] [--no-time]
// Addon path: $GROKINFO_ADDON or build/Release/grokinfo.node.
// Part 1: CUDA vs CPU on fresh random inputs (oinfoMultiplets variables / bins / grouped, incl. fewer
//         chunks than k and global-memory panels; measureCheckpoints incl. checkpoints with different
//         alive counts (< 2 alive: nothing measured) and one 3763 x 250 checkpoint; singular inputs ->
//         INVALID_DATA; Trainer with 8 models, a p=97 gradient/10-step check (8 split-K slices), CUDA
//         graphs vs GROKINFO_CUDA_GRAPHS=0 (set per trainer from this script, bitwise); dense inputs
//         (784 features, 9000 test rows), xent and MSE, full batch and minibatches, depth 1 and 3).
//         Values: |a - b| <= 1e-9 max(1e-6, |a|, |b|); values below 1e-11 on both backends (Omega of
//         2 variables / 2 groups is identically 0: rounding noise) are not ranked (members not compared).
// Part 2: timings of the benchmark cases (host wall clock around awaited calls, after warm-up, median;
//         a slow case gets fewer repetitions: about 15 s of timed calls per row at most).
// Expected run time on an H100/H200 host (16 cores): checks ~20-40 s (mostly the CPU reference and JS
// input generation; device work is well under 1 s), timings ~1 min (~15 s of it generating the P1 input
// in JS); worst case with every timed case 10x slower than its target still < 4 min. --quick: ~1 min.
// Exit code 1 when any check fails.
// As a module: runGpuChecks({addon, quick, backend, log, seed}) runs Part 1 and returns every check's
// result (test/gpu.test.ts runs it under vitest when a GPU is present).
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import os from 'node:os';

// Set by runGpuChecks for the checks below.
let addon;
let quick = false;
let CUDA = 'cuda';
let log = (...a) => console.log(...a);
let failures = 0;
const results = [];
function check(name, ok, detail = '') {
  results.push({ name, ok: !!ok, detail });
  log(`${ok ? 'PASS' : 'FAIL'}  ${name}${detail ? '  ' + detail : ''}`);
  if (!ok) failures++;
}

// ---------------------------------------------------------------------------------------------
// deterministic random numbers (fresh per run unless a seed is given)
let seed = 0n;
function rnd() {
  seed = (seed * 6364136223846793005n + 1442695040888963407n) & 0xffffffffffffffffn;
  return Number(seed >> 11n) / 2 ** 53;
}
function gauss() {
  const u = Math.max(rnd(), 1e-300), v = rnd();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}
// covariance of N samples of D correlated variables (a random mixing matrix), float64
function randomCov(N, D, k = 4) {
  const mix = Array.from({ length: D * k }, gauss);
  const X = new Float64Array(N * D);
  for (let n = 0; n < N; n++) {
    const z = Array.from({ length: k }, gauss);
    for (let d = 0; d < D; d++) {
      let s = gauss();
      for (let q = 0; q < k; q++) s += mix[d * k + q] * z[q];
      X[n * D + d] = s;
    }
  }
  const mean = new Float64Array(D);
  for (let n = 0; n < N; n++) for (let d = 0; d < D; d++) mean[d] += X[n * D + d] / N;
  const C = new Float64Array(D * D);
  for (let n = 0; n < N; n++)
    for (let i = 0; i < D; i++) {
      const xi = X[n * D + i] - mean[i];
      for (let j = 0; j < D; j++) C[i * D + j] += (xi * (X[n * D + j] - mean[j])) / (N - 1);
    }
  return C;
}
function unitsOf(sizes, D) {
  const perm = Array.from({ length: D }, (_, i) => i);
  for (let i = D - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [perm[i], perm[j]] = [perm[j], perm[i]];
  }
  const offsets = new Int32Array(sizes.length + 1);
  for (let u = 0; u < sizes.length; u++) offsets[u + 1] = offsets[u] + sizes[u];
  const members = new Int32Array(perm.slice(0, offsets[sizes.length]));
  for (let u = 0; u < sizes.length; u++) members.subarray(offsets[u], offsets[u + 1]).sort();
  return { offsets, members };
}
const singles = (D) => unitsOf(Array(D).fill(1), D);

const sameMembers = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
// Omega of 2 variables (and of 2 groups) is identically 0 by the formula: both backends return rounding
// noise (~1e-16) there, so values are compared with an absolute floor and such values are not ranked.
const ZERO = 1e-11;   // |value| below this on both backends: an identically-zero Omega (noise)
const FLOOR = 1e-6;   // relative error denominator floor: |a - b| <= tol * max(FLOOR, |a|, |b|)
const err = (a, b) => (a === b ? 0 : Math.abs(a - b) / Math.max(FLOOR, Math.abs(a), Math.abs(b)));

// compares two oinfo results (per-size extremes, overall, top-k): max error (err above) and member
// agreement. Members may differ only (1) when both values are below ZERO, or (2) at a near-tie: the
// CUDA multiplet is also in the CPU's result for that item (any list) with a value within tol of
// the CUDA value, i.e. the CPU confirms that multiplet's value (two multiplets within tol swapped).
function compareCore(A, B, tol) {
  let worst = 0, memberMismatch = 0, countMismatch = 0, zeros = 0, ties = 0;
  if (A.length !== B.length) countMismatch++;
  for (let b = 0; b < Math.min(A.length, B.length); b++) {
    const a = A[b], c = B[b];
    // every multiplet the CPU reported for this item: members -> value
    const cpuVal = new Map();
    const note = (m) => { if (m && m.members && m.members.length) cpuVal.set(m.members.join(','), m.value); };
    note(a.synergy); note(a.redundancy);
    for (const s of a.bySize) { note(s.synergy); note(s.redundancy); }
    for (const m of a.topSynergy) note(m);
    for (const m of a.topRedundancy) note(m);
    const cmpM = (x, y) => {
      if (Number.isNaN(x.value) && Number.isNaN(y.value)) { if (!sameMembers(x.members, y.members)) memberMismatch++; return; }
      if (Math.abs(x.value) < ZERO && Math.abs(y.value) < ZERO) { zeros++; return; }
      const e = Number.isNaN(x.value) || Number.isNaN(y.value) ? Infinity : err(x.value, y.value);
      worst = Math.max(worst, e);
      if (!sameMembers(x.members, y.members)) {
        const v = cpuVal.get(y.members.join(','));
        if (v !== undefined && e <= tol && err(v, y.value) <= tol) ties++;
        else memberMismatch++;
      }
    };
    if (a.count !== c.count) countMismatch++;
    cmpM(a.synergy, c.synergy);
    cmpM(a.redundancy, c.redundancy);
    if (a.bySize.length !== c.bySize.length) countMismatch++;
    for (let s = 0; s < Math.min(a.bySize.length, c.bySize.length); s++) {
      if (a.bySize[s].count !== c.bySize[s].count || a.bySize[s].size !== c.bySize[s].size) countMismatch++;
      cmpM(a.bySize[s].synergy, c.bySize[s].synergy);
      cmpM(a.bySize[s].redundancy, c.bySize[s].redundancy);
    }
    for (const key of ['topSynergy', 'topRedundancy']) {
      if (a[key].length !== c[key].length) countMismatch++;
      for (let i = 0; i < Math.min(a[key].length, c[key].length); i++) cmpM(a[key][i], c[key][i]);
    }
  }
  return {
    ok: worst <= tol && memberMismatch === 0 && countMismatch === 0,
    detail: `max err ${worst.toExponential(2)} (tol ${tol}, floor ${FLOOR}), member mismatches ${memberMismatch}, ` +
      `count mismatches ${countMismatch} (identically-zero values ${zeros}, near-tie swaps ${ties})`,
  };
}
function compareResults(name, A, B, tol) {
  const r = compareCore(A, B, tol);
  check(name, r.ok, r.detail);
}
// The comparator must be able to fail: a perturbed value, swapped members and a dropped top-k entry
// of a real result are rejected; the unchanged result is accepted.
function checkComparator(R) {
  const copy = () => structuredClone(R);
  const results = [];
  results.push(['identical', compareCore(R, copy(), 1e-9).ok === true]);
  const v = copy(); v[0].topSynergy[0].value *= 1 + 1e-7; results.push(['value +1e-7 rel', compareCore(R, v, 1e-9).ok === false]);
  const m = copy(); [m[0].synergy.members, m[0].redundancy.members] = [m[0].redundancy.members, m[0].synergy.members];
  results.push(['members swapped', compareCore(R, m, 1e-9).ok === false]);
  const d = copy(); d[0].topRedundancy.pop(); results.push(['top-k entry dropped', compareCore(R, d, 1e-9).ok === false]);
  const z = copy(); z[0].bySize[0].synergy.members = z[0].bySize[0].redundancy.members;
  results.push(['size-2 (identically 0) members differ: accepted', compareCore(R, z, 1e-9).ok === true]);
  check('comparator rejects perturbed results', results.every((x) => x[1]),
    results.map((x) => `${x[0]}: ${x[1] ? 'ok' : 'WRONG'}`).join(', '));
}


async function both(fn) {
  let cpu, cuda, err;
  const codes = ['OK', 'OK'];
  try { cpu = await fn('cpu'); } catch (e) { err = `cpu: ${e.code} ${e.message}`; codes[0] = e.code ?? String(e); }
  try { cuda = await fn(CUDA); } catch (e) { err = (err ? err + '; ' : '') + `cuda: ${e.code} ${e.message}`; codes[1] = e.code ?? String(e); }
  return { cpu, cuda, err, codes };
}

// ---------------------------------------------------------------------------------------------
// Part 1a: oinfoMultiplets
async function checkOinfo() {
  const cases = [
    { name: 'variables D=30 sizes 2..4 top 25', D: 30, units: () => singles(30), opt: { minSize: 2, maxSize: 4, topK: 25 }, batch: 2 },
    { name: 'variables D=14 sizes 2..14 (all) top 10 bits+bias', D: 14, units: () => singles(14), opt: { minSize: 2, maxSize: 14, topK: 10, scale: 1 / Math.LN2, biasSamples: 500 }, batch: 1 },
    { name: 'variables D=12 sizes 9..11 (generic kernel K>8)', D: 12, units: () => singles(12), opt: { minSize: 9, maxSize: 11, topK: 5 }, batch: 1 },
    { name: 'bins 8 units of 1..40 vars sizes 2..8 top 20', D: 150, units: () => unitsOf([1, 3, 40, 7, 25, 33, 9, 12], 150), opt: { minSize: 2, maxSize: 8, topK: 20 }, batch: 3 },
    { name: 'bins 10 units sizes 3..6 bias', D: 120, units: () => unitsOf([12, 12, 12, 12, 12, 12, 12, 12, 12, 12], 120), opt: { minSize: 3, maxSize: 6, biasSamples: 2000 }, batch: 2 },
    { name: 'grouped 9 units of 1..6 vars sizes 2..5 top 10', D: 40, units: () => unitsOf([1, 2, 3, 4, 5, 6, 2, 3, 4], 40), opt: { minSize: 2, maxSize: 5, topK: 10, grouped: true }, batch: 2 },
    { name: 'grouped singletons = individual, D=20 sizes 2..3', D: 20, units: () => singles(20), opt: { minSize: 2, maxSize: 3, grouped: true, topK: 5 }, batch: 1 },
    // C(8,3) = 56 multiplets, >= 8 per chunk -> 7 chunks < k = 20: the collect-everything path of the top-k pass
    { name: 'variables D=8 size 3 top 20 (7 chunks < k)', D: 8, units: () => singles(8), opt: { minSize: 3, maxSize: 3, topK: 20 }, batch: 1 },
    // union of 450 > 416 variables: the panels do not fit 227 KB of shared memory -> global-memory panels
    { name: 'bins units [200, 150, 100] sizes 2..3 (global-memory panels)', D: 450, units: () => unitsOf([200, 150, 100], 450), opt: { minSize: 2, maxSize: 3, topK: 3 }, batch: 1 },
  ];
  let first = true;
  for (const c of cases) {
    const D = c.D;
    const cov = new Float64Array(c.batch * D * D);
    for (let b = 0; b < c.batch; b++) cov.set(randomCov(Math.max(3 * D, 200), D), b * D * D);
    const units = c.units();
    const r = await both((be) => addon.oinfoMultiplets(cov, c.batch, D, units, c.opt, be));
    if (r.err) { check(`oinfo ${c.name}`, false, r.err); continue; }
    if (first) { checkComparator(r.cpu); first = false; }
    compareResults(`oinfo ${c.name}`, r.cpu, r.cuda, 1e-9);
  }
  // singular covariance: both backends must report INVALID_DATA
  {
    const D = 10;
    const cov = randomCov(100, D);
    for (let j = 0; j < D; j++) { cov[9 * D + j] = cov[8 * D + j]; cov[j * D + 9] = cov[j * D + 8]; }
    cov[9 * D + 9] = cov[8 * D + 8];
    const codes = [];
    for (const be of ['cpu', CUDA])
      try { await addon.oinfoMultiplets(cov, 1, D, singles(D), { minSize: 2, maxSize: 3 }, be); codes.push('OK'); }
      catch (e) { codes.push(e.code); }
    check('oinfo singular covariance -> INVALID_DATA on both', codes[0] === 'INVALID_DATA' && codes[1] === 'INVALID_DATA', codes.join(' / '));
    // bins mode: variable 9 = variable 8, in different units: every union of units 2 and 3 is singular
    // (the multiplet named may differ between the backends: only the code is compared)
    const D2 = 12;
    const c2 = randomCov(200, D2);
    for (let j = 0; j < D2; j++) { c2[9 * D2 + j] = c2[8 * D2 + j]; c2[j * D2 + 9] = c2[j * D2 + 8]; }
    c2[9 * D2 + 9] = c2[8 * D2 + 8];
    const bins = { offsets: Int32Array.from([0, 3, 6, 9, 12]), members: Int32Array.from({ length: 12 }, (_, i) => i) };
    const codes2 = await codesOf((be) => addon.oinfoMultiplets(c2, 1, D2, bins, { minSize: 2, maxSize: 4 }, be));
    check('oinfo bins singular union -> INVALID_DATA on both', codes2[0] === 'INVALID_DATA' && codes2[1] === 'INVALID_DATA', codes2.join(' / '));
  }
  // cancellation inside long work (issue 13): the lattice runs in bounded launches and the cancel flag is
  // checked between them, so a cancel set 1 s into hours of work must end the call within 1 s
  {
    const D = 60;
    const cov = randomCov(200, D);
    const control = new Float64Array(4);
    let at = 0;
    let code = 'OK';
    const timer = setTimeout(() => { at = performance.now(); control[0] = 1; }, 1000);
    try { await addon.oinfoMultiplets(cov, 1, D, singles(D), { minSize: 2, maxSize: 32 }, CUDA, control); } catch (e) { code = e.code ?? String(e); }
    clearTimeout(timer);
    const ms = at > 0 ? performance.now() - at : NaN;
    check('oinfo cancel within 1 s (D=60 sizes 2..32)', code === 'CANCELLED' && ms < 1000,
      `${code} ${ms.toFixed(0)} ms after the cancel, progress ${control[1]} of ${control[2]} multiplets`);
  }
}
// error code of fn(backend) on both backends ('OK' when it resolves)
async function codesOf(fn) {
  const codes = [];
  for (const be of ['cpu', CUDA])
    try { await fn(be); codes.push('OK'); } catch (e) { codes.push(e.code ?? String(e)); }
  return codes;
}

// ---------------------------------------------------------------------------------------------
// Part 1b: measureCheckpoints
// dead: number of leading constant (zero) columns, one number or one per checkpoint
function randomActivations(batch, N, H, dead = 2) {
  const Z = new Float32Array(batch * N * H);
  const k = 6;
  for (let b = 0; b < batch; b++) {
    const mix = Array.from({ length: H * k }, gauss);
    const nd = Array.isArray(dead) ? dead[b] : dead;
    for (let n = 0; n < N; n++) {
      const z = Array.from({ length: k }, gauss);
      for (let h = 0; h < H; h++) {
        let s = 0.3 * gauss() + 0.2;
        for (let q = 0; q < k; q++) s += mix[h * k + q] * z[q];
        Z[(b * N + n) * H + h] = h < nd ? 0 : Math.max(0, s);  // ReLU: ties at zero; first columns dead
      }
    }
  }
  return Z;
}
async function checkMeasure() {
  for (const ties of ['average', 'ordinal', 'random']) {
    const batch = 3, N = quick ? 300 : 700, H = 48;
    const Z = randomActivations(batch, N, H);
    const opt = { bins: 6, ties, seed: 7, topK: 5 };
    const r = await both((be) => addon.measureCheckpoints(Z, batch, N, H, opt, be));
    if (r.err) { check(`measure ties=${ties}`, false, r.err); continue; }
    let labelsOk = true, deadOk = true;
    for (let b = 0; b < batch; b++) {
      deadOk &&= r.cpu[b].dead === r.cuda[b].dead;
      labelsOk &&= r.cpu[b].labels.every((x, i) => x === r.cuda[b].labels[i]);
    }
    check(`measure ties=${ties}: dead columns`, deadOk);
    check(`measure ties=${ties}: Ward labels`, labelsOk);
    // the copula covariances differ only by summation order: allow 1e-9 relative on Omega
    compareResults(`measure ties=${ties}: O-information`, r.cpu, r.cuda, 1e-9);
  }
  // one batch whose checkpoints have different alive counts: 22, 9 (bins 6), 4 (bins 4 = alive), 2, 1
  // (fewer than 2 alive: nothing measured, count 0) and 0 alive
  await measureCase('measure dead columns [2, 15, 20, 22, 23, 24] of 24, bins 6', 6, 300, 24, [2, 15, 20, 22, 23, 24], { bins: 6, topK: 3 });
  // paper size: 3763 rows (copula npad 4096, 8 per thread), 250 columns, 10 dead, 10 bins
  await measureCase('measure 3763 x 250, 10 dead, 10 bins, ties=average', 1, 3763, 250, 10, { bins: 10, topK: 5 });
  await measureCase('measure 3763 x 250, 40 dead, 10 bins, ties=random', 1, 3763, 250, 40, { bins: 10, topK: 5, ties: 'random', seed: 11 });
  // singular: checkpoint 1 has a duplicated neuron -> INVALID_DATA on both (messages may differ)
  {
    const N = 200, H = 8;
    const Z = randomActivations(2, N, H, 0);
    for (let n = 0; n < N; n++) Z[(N + n) * H + 5] = Z[(N + n) * H + 4];
    const codes = await codesOf((be) => addon.measureCheckpoints(Z, 2, N, H, { bins: 3 }, be));
    check('measure singular (duplicated neuron) -> INVALID_DATA on both', codes[0] === 'INVALID_DATA' && codes[1] === 'INVALID_DATA', codes.join(' / '));
  }
}
// one measureCheckpoints case: the same coded error on both, or the same dead counts, labels and values
async function measureCase(name, batch, N, H, dead, opt) {
  const Z = randomActivations(batch, N, H, dead);
  const r = await both((be) => addon.measureCheckpoints(Z, batch, N, H, opt, be));
  if (r.err) {  // the same coded error on both is a pass
    check(name, r.codes[0] !== 'OK' && r.codes[0] === r.codes[1], `errors: ${r.codes.join(' / ')} (${r.err})`);
    return;
  }
  let deadOk = true, labelsOk = true;
  for (let b = 0; b < batch; b++) {
    deadOk &&= r.cpu[b].dead === r.cuda[b].dead;
    labelsOk &&= r.cpu[b].labels.length === r.cuda[b].labels.length && r.cpu[b].labels.every((x, i) => x === r.cuda[b].labels[i]);
  }
  const c = compareCore(r.cpu, r.cuda, 1e-9);
  check(name, deadOk && labelsOk && c.ok,
    `dead ${r.cpu.map((x) => x.dead).join(',')} / ${r.cuda.map((x) => x.dead).join(',')}, labels ${labelsOk ? 'equal' : 'DIFFER'}, ` +
    `counts ${r.cpu.map((x) => x.count).join(',')}; ${c.detail}`);
}

// ---------------------------------------------------------------------------------------------
// Part 1c: training
function taskData(p, frac = 0.4) {
  const pairs = [];
  for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) pairs.push([a, b]);
  for (let i = pairs.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [pairs[i], pairs[j]] = [pairs[j], pairs[i]];
  }
  const nt = Math.round(frac * pairs.length);
  const mk = (list) => ({
    a: Int32Array.from(list.map((x) => x[0])),
    b: Int32Array.from(list.map((x) => x[1])),
    y: Int32Array.from(list.map((x) => (x[0] + x[1]) % p)),
  });
  const tr = mk(pairs.slice(0, nt)), te = mk(pairs.slice(nt));
  return { trainA: tr.a, trainB: tr.b, trainY: tr.y, testA: te.a, testB: te.b, testY: te.y };
}
// Every trainer value is given (the native layer has no defaults): these are the checks' own settings.
const BASE_SPEC = { seed: 0, batchSeed: 0, optimizer: 'adamw', lr: 0.001, weightDecay: 1, beta1: 0.9, beta2: 0.98, eps: 1e-8, alpha: 1, zeroOutput: false, constantNorm: false, omnigrokBiases: false };
const spec = (h) => ({ ...BASE_SPEC, ...h });
const PAIRS = { input: 'pairs', inputDim: 0, loss: 'xent' };
const hyperSet = [
  { optimizer: 'adamw', lr: 0.003, weightDecay: 1.0, beta1: 0.9, beta2: 0.98 },
  { optimizer: 'adamw', lr: 0.001, weightDecay: 0.1, beta1: 0.9, beta2: 0.999 },
  { optimizer: 'adam', lr: 0.002, weightDecay: 0.01 },
  { optimizer: 'sgd', lr: 0.5, weightDecay: 0.001 },
  { optimizer: 'adamw', lr: 0.003, weightDecay: 0, alpha: 4, zeroOutput: true, constantNorm: true },
  { optimizer: 'adamw', lr: 0.003, weightDecay: 0, alpha: 2, constantNorm: true, omnigrokBiases: true },
  { optimizer: 'adamw', lr: 0.002, weightDecay: 2.0, eps: 1e-6 },
  { optimizer: 'sgd', lr: 1e30, weightDecay: 0 },  // diverges: must be marked failed on both
];
async function checkTraining() {
  const p = 23;
  const data = taskData(p);
  const arch = { ...PAIRS, vocab: p, hidden: [64, 48], out: p, biasFirst: true, biasHidden: true, biasOut: true };
  const models = hyperSet.map((h, i) => spec({ seed: 1000 + i, ...h }));
  const steps = quick ? 50 : 300;
  const mk = (be) => new addon.Trainer({ backend: be, arch, data, batchSize: 0, models });
  let cpu, cuda;
  try { cpu = mk('cpu'); cuda = mk(CUDA); } catch (e) { check('trainer create', false, `${e.code} ${e.message}`); return; }
  // masks on one model (the same on both)
  const keep = new Uint8Array(64).map((_, j) => (j % 5 === 0 ? 0 : 1));
  cpu.setMask(1, keep, true); cuda.setMask(1, keep, true);
  // initial gradients
  {
    const g0 = cpu.gradients(0), g1 = cuda.gradients(0);
    let num = 0, den = 0;
    for (let i = 0; i < g0.length; i++) { num += (g0[i] - g1[i]) ** 2; den += g0[i] ** 2; }
    const e = Math.sqrt(num / den);
    check('train: initial gradients CUDA vs CPU', e < 1e-4, `rel L2 err ${e.toExponential(2)}`);
  }
  await cpu.step(steps); await cuda.step(steps);
  const ec = await cpu.evaluate(), eg = await cuda.evaluate();
  for (let m = 0; m < models.length; m++) {
    const a = ec[m], b = eg[m];
    if (a.failed || b.failed) {
      check(`train model ${m} (${models[m].optimizer}) failure agrees`, a.failed === b.failed, `${a.failure} / ${b.failure}`);
      continue;
    }
    const pa = cpu.getParams(m), pb = cuda.getParams(m);
    let num = 0, den = 0;
    for (let i = 0; i < pa.length; i++) { num += (pa[i] - pb[i]) ** 2; den += pa[i] ** 2; }
    const pe = Math.sqrt(num / den);
    const le = Math.abs(a.trainLoss - b.trainLoss) / Math.max(Math.abs(a.trainLoss), 1e-3);
    // fp32 summation orders differ: trajectories drift slowly; 300 steps stay within ~1e-3
    check(`train model ${m} (${models[m].optimizer}${models[m].constantNorm ? ', const-norm' : ''})`,
      pe < 5e-3 && le < 5e-3 && Math.abs(a.trainAcc - b.trainAcc) < 0.02 && Math.abs(a.testAcc - b.testAcc) < 0.02 &&
      Math.abs(a.weightNorm - b.weightNorm) / a.weightNorm < 5e-3,
      `params rel ${pe.toExponential(2)}, loss ${a.trainLoss.toFixed(5)}/${b.trainLoss.toFixed(5)}, ` +
      `acc ${a.trainAcc.toFixed(3)}/${b.trainAcc.toFixed(3)} test ${a.testAcc.toFixed(3)}/${b.testAcc.toFixed(3)}`);
  }
  // masked rows stay zero on the device
  const pm = cuda.getParams(1);
  let maskOk = true;
  for (let j = 0; j < 64; j++) if (!keep[j]) for (let c = 0; c < 2 * p; c++) maskOk &&= pm[j * 2 * p + c] === 0;
  check('train: masked W0 rows are zero after stepping (CUDA)', maskOk);
  // hidden activations and the measurement hook
  const hc = cpu.hidden(2, 0), hg = cuda.hidden(2, 0);
  let he = 0;
  for (let i = 0; i < hc.length; i++) he = Math.max(he, Math.abs(hc[i] - hg[i]) / Math.max(1, Math.abs(hc[i])));
  check('train: hidden(2, 0) CUDA vs CPU', he < 1e-2, `max err ${he.toExponential(2)}`);
  try {
    const mg = await cuda.measure([0, 2, 3], 0, { bins: 5 });
    const Zs = new Float32Array(3 * hg.length);
    for (const [i, m] of [0, 2, 3].entries()) Zs.set(cuda.hidden(m, 0), i * hg.length);
    const mh = await addon.measureCheckpoints(Zs, 3, data.trainA.length, 64, { bins: 5 }, CUDA);
    compareResults('train: measure() on device snapshot == measureCheckpoints on host copy', mh, mg, 1e-12);
  } catch (e) {
    check('train: measure() on device snapshot', false, `${e.code} ${e.message}`);
  }
}

// Dense inputs (MNIST-shaped: 784 features in [0, 1], mostly zero, 10 classes, labels from a random linear
// teacher), both losses, full batch and minibatches of 200 (the CPU's sampler: the same batches), depth 1
// and 3, a test set larger than the training set (9000 rows: evaluated in chunks on the device).
function denseData(ntr, nte, D, C) {
  const T = Float64Array.from({ length: C * D }, () => rnd() - 0.5);
  const mk = (n) => {
    const x = new Float32Array(n * D), y = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < D; j++) x[i * D + j] = rnd() < 0.8 ? 0 : rnd();
      let best = 0, bv = -Infinity;
      for (let c = 0; c < C; c++) {
        let v = 0;
        for (let j = 0; j < D; j++) v += T[c * D + j] * x[i * D + j];
        if (v > bv) { bv = v; best = c; }
      }
      y[i] = best;
    }
    return { x, y };
  };
  const tr = mk(ntr), te = mk(nte);
  return { trainX: tr.x, trainY: tr.y, testX: te.x, testY: te.y };
}
async function checkTrainingDense() {
  const D = 784, C = 10;
  const data = denseData(1000, 9000, D, C);
  const relL2 = (x, y) => { let n = 0, d = 0; for (let i = 0; i < x.length; i++) { n += (x[i] - y[i]) ** 2; d += x[i] ** 2; } return Math.sqrt(n / d); };
  const hs = [
    { optimizer: 'adamw', lr: 0.001, weightDecay: 0.01, beta2: 0.999 },
    { optimizer: 'adam', lr: 0.001, weightDecay: 0 },
    { optimizer: 'adamw', lr: 0.001, weightDecay: 0, alpha: 8, constantNorm: true, omnigrokBiases: true },
  ];
  const steps = quick ? 25 : 100;  // minibatch: 5 batches per epoch, so several epochs
  for (const loss of ['xent', 'mse']) for (const batchSize of [0, 200]) for (const depth of [1, 3]) {
    const name = `train dense ${loss} ${batchSize ? 'batch 200' : 'full batch'} depth ${depth}`;
    const arch = { input: 'dense', vocab: 0, inputDim: D, loss, hidden: Array(depth).fill(200), out: C, biasFirst: true, biasHidden: true, biasOut: true };
    const models = hs.map((h, i) => spec({ seed: 300 + i, batchSeed: 400 + i, ...h }));
    let cpu, cuda;
    try {
      cpu = new addon.Trainer({ backend: 'cpu', arch, data, batchSize, models });
      cuda = new addon.Trainer({ backend: CUDA, arch, data, batchSize, models });
    } catch (e) { check(`${name}: create`, false, `${e.code} ${e.message}`); continue; }
    const keep = new Uint8Array(200).map((_, j) => (j % 6 === 0 ? 0 : 1));
    cpu.setMask(1, keep, true); cuda.setMask(1, keep, true);
    const ge = relL2(cpu.gradients(0), cuda.gradients(0));
    check(`${name}: initial gradients`, ge < 1e-4, `rel L2 err ${ge.toExponential(2)}`);
    await cpu.step(steps); await cuda.step(steps);
    const ec = await cpu.evaluate(), eg = await cuda.evaluate();
    for (let m = 0; m < models.length; m++) {
      const a = ec[m], b = eg[m];
      const pe = relL2(cpu.getParams(m), cuda.getParams(m));
      const le = Math.abs(a.trainLoss - b.trainLoss) / Math.max(Math.abs(a.trainLoss), 1e-3);
      const te = Math.abs(a.testLoss - b.testLoss) / Math.max(Math.abs(a.testLoss), 1e-3);
      check(`${name}: model ${m} (${models[m].optimizer}${models[m].constantNorm ? ', alpha 8 const-norm' : ''}) after ${steps} steps`,
        !a.failed && !b.failed && pe < 5e-3 && le < 5e-3 && te < 5e-3 && Math.abs(a.trainAcc - b.trainAcc) < 0.02 && Math.abs(a.testAcc - b.testAcc) < 0.02,
        `params rel ${pe.toExponential(2)}, loss ${a.trainLoss.toFixed(5)}/${b.trainLoss.toFixed(5)}, test loss ${a.testLoss.toFixed(5)}/${b.testLoss.toFixed(5)}, ` +
        `acc ${a.trainAcc.toFixed(3)}/${b.trainAcc.toFixed(3)} test ${a.testAcc.toFixed(4)}/${b.testAcc.toFixed(4)}`);
    }
    if (batchSize) {  // control: other batch seeds on the CPU give other parameters, far outside the tolerance
      const other = new addon.Trainer({ backend: 'cpu', arch, data, batchSize, models: models.map((h) => ({ ...h, batchSeed: h.batchSeed + 1 })) });
      await other.step(steps);
      const oe = relL2(other.getParams(0), cuda.getParams(0));
      check(`${name}: control, CPU with other batch seeds differs`, oe > 2e-2, `rel L2 ${oe.toExponential(2)}`);
    }
    const pm = cuda.getParams(1);
    let maskOk = true;
    for (let j = 0; j < 200; j++) if (!keep[j]) for (let c = 0; c < D; c++) maskOk &&= pm[j * D + c] === 0;
    check(`${name}: masked W0 rows zero (CUDA)`, maskOk);
    const hc = cpu.hidden(0, depth - 1), hg = cuda.hidden(0, depth - 1);
    let he = 0;
    for (let i = 0; i < hc.length; i++) he = Math.max(he, Math.abs(hc[i] - hg[i]) / Math.max(1, Math.abs(hc[i])));
    check(`${name}: hidden(0, ${depth - 1})`, he < 1e-2, `max err ${he.toExponential(2)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Part 2: timings
// Median of `reps` timed calls after two warm-ups; a slow case gets fewer repetitions (about 15 s of
// timed calls at most) so that an unexpectedly slow kernel cannot blow the device-time budget.
async function timeit(fn, reps) {
  const w0 = performance.now();
  await fn();
  await fn();
  const each = (performance.now() - w0) / 2;
  reps = Math.max(1, Math.min(reps, Math.floor(15000 / Math.max(each, 1e-3))));
  const t = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  return t[Math.floor(t.length / 2)];
}
const rows = [];
function row(name, ms, flop, bytes, target, note = '') {
  rows.push({ name, ms, flop, bytes, target, note });
}
async function timings() {
  // G2: 2000 x 100 data, covariance given, sizes 2..3
  const D2 = 100;
  const cov2 = randomCov(2000, D2, 8);
  const u2 = singles(D2);
  const n2 = 4950 + 161700;
  row('G2 vars D=100 sizes 2..3', await timeit(() => addon.oinfoMultiplets(cov2, 1, D2, u2, { minSize: 2, maxSize: 3 }, CUDA), 20),
    n2 * 60, D2 * D2 * 8, '<= 3 ms');
  row('G2 (cpu)', await timeit(() => addon.oinfoMultiplets(cov2, 1, D2, u2, { minSize: 2, maxSize: 3 }, 'cpu'), 5), n2 * 60, D2 * D2 * 8, '');
  // G3: sizes 2..5, extremes + top 100 (two passes)
  const n3 = 4950 + 161700 + 3921225 + 75287520;
  row('G3 vars D=100 sizes 2..5 top100', await timeit(() => addon.oinfoMultiplets(cov2, 1, D2, u2, { minSize: 2, maxSize: 5, topK: 100 }, CUDA), quick ? 3 : 7),
    n3 * 2 * 120, D2 * D2 * 8, '<= 0.5 s', 'two passes (top-k)');
  // G4: 24 variables, all sizes
  const cov4 = randomCov(2000, 24, 8);
  const n4 = 2 ** 24 - 1 - 24;
  row('G4 vars D=24 all sizes', await timeit(() => addon.oinfoMultiplets(cov4, 1, 24, singles(24), { minSize: 2, maxSize: 24 }, CUDA), quick ? 3 : 7),
    n4 * 400, 24 * 24 * 8, '<= 0.2 s');
  // P1: 64 checkpoints of 3763 x 250, 10 bins
  const N1 = 3763, H1 = 250, B1 = 64;
  const Z1 = randomActivations(B1, N1, H1, 10);
  // per checkpoint: Gram N*H^2, copula sort N log^2 N per column, cov N*H^2, 1013 extensions ~2 n^2 b
  const fl1 = B1 * (2 * 2 * N1 * H1 * H1 + 1013 * 2 * 125 * 125 * 25 * 2);
  const ms1 = await timeit(() => addon.measureCheckpoints(Z1, B1, N1, H1, { bins: 10 }, CUDA), quick ? 2 : 5);
  row('P1 measure 64 x (3763 x 250), 10 bins', ms1, fl1, B1 * N1 * H1 * 4, '>= 2000 ckpt/s', `${(B1 / (ms1 / 1000)).toFixed(0)} ckpt/s (host Z: includes H2D copy)`);
  // training, paper size
  const p = 97;
  const data = taskData(p);
  const arch = { ...PAIRS, vocab: p, hidden: [250], out: p, biasFirst: true, biasHidden: true, biasOut: false };
  const flopStep = 3 * 2 * data.trainA.length * 250 * p;
  for (const M of [1, 64]) {
    const models = Array.from({ length: M }, (_, i) => spec({ seed: i, lr: 0.001, weightDecay: 1 }));
    const t = new addon.Trainer({ backend: CUDA, arch, data, batchSize: 0, models });
    const steps = M === 1 ? 2000 : 200;
    const ms = await timeit(() => t.step(steps), 3);
    const rate = (steps * M) / (ms / 1000);
    row(`train p=97 h=250 M=${M} (${steps} steps)`, ms, flopStep * steps * M, steps * M * 4 * (2 * 3763 * 250 + 3763 * 97) * 3,
      M === 1 ? '>= 5000 steps/s' : '>= 60000 model-steps/s', `${rate.toFixed(0)} model-steps/s`);
  }
}

// MNIST size (Omnigrok's setting): 1000 x 784 training rows, width 200, depth 3 (784-200-200-10), MSE,
// AdamW, batch 200; evaluation of the 1000 training + 9000 test rows.
async function timingsMnist() {
  const D = 784, C = 10;
  const data = denseData(1000, 9000, D, C);
  const arch = { input: 'dense', vocab: 0, inputDim: D, loss: 'mse', hidden: [200, 200], out: C, biasFirst: true, biasHidden: true, biasOut: true };
  const flopStep = 3 * 2 * 200 * (D * 200 + 200 * 200 + 200 * C);
  for (const M of [1, 16]) {
    const models = Array.from({ length: M }, (_, i) => spec({ seed: i, batchSeed: i, lr: 0.001, weightDecay: 0.01, beta2: 0.999, alpha: 8 }));
    const t = new addon.Trainer({ backend: CUDA, arch, data, batchSize: 200, models });
    const steps = M === 1 ? 2000 : 500;
    const ms = await timeit(() => t.step(steps), 3);
    row(`train MNIST 784-200-200-10 MSE batch 200 M=${M} (${steps} steps)`, ms, flopStep * steps * M, steps * M * 4 * 200 * D, '',
      `${((steps * M) / (ms / 1000)).toFixed(0)} model-steps/s`);
    const me = await timeit(() => t.evaluate(), 3);
    row(`evaluate MNIST 1000 + 9000 rows M=${M}`, me, (flopStep / 3 / 200) * 10000 * M, 10000 * D * 4, '', 'chunks of 4096 rows');
  }
}

// p = 97: 3764 training rows -> 8 split-K slices of 512 in the weight-gradient reductions
async function checkTrainingPaper() {
  const p = 97;
  const data = taskData(p);
  const arch = { ...PAIRS, vocab: p, hidden: [250], out: p, biasFirst: true, biasHidden: true, biasOut: true };
  const models = [spec({ seed: 7, lr: 0.001, weightDecay: 1 }), spec({ seed: 8, optimizer: 'sgd', lr: 0.1, weightDecay: 0.01 })];
  let cpu, cuda;
  try {
    cpu = new addon.Trainer({ backend: 'cpu', arch, data, batchSize: 0, models });
    cuda = new addon.Trainer({ backend: CUDA, arch, data, batchSize: 0, models });
  } catch (e) { check('train p=97 create', false, `${e.code} ${e.message}`); return; }
  const relL2 = (x, y) => { let n = 0, d = 0; for (let i = 0; i < x.length; i++) { n += (x[i] - y[i]) ** 2; d += x[i] ** 2; } return Math.sqrt(n / d); };
  for (const m of [0, 1]) {
    const e = relL2(cpu.gradients(m), cuda.gradients(m));
    check(`train p=97 h=250 (${data.trainA.length} rows, ${Math.ceil(data.trainA.length / 512)} split-K slices): initial gradients model ${m}`, e < 1e-4, `rel L2 err ${e.toExponential(2)}`);
  }
  const steps = 10;
  await cpu.step(steps); await cuda.step(steps);
  for (const m of [0, 1]) {
    const e = relL2(cpu.getParams(m), cuda.getParams(m));
    // fp32 summation orders differ (and the trainer is built with --use_fast_math): indexing errors are O(1)
    check(`train p=97 h=250: params after ${steps} steps model ${m}`, e < 1e-3, `rel L2 err ${e.toExponential(2)}`);
  }
}
// GROKINFO_CUDA_GRAPHS=0 (read when a trainer is created) -> plain launches instead of the replayed graph:
// the same kernels in the same order, so the two CUDA trainers must agree bitwise.
async function checkGraphs() {
  const p = 23;
  const data = taskData(p);
  const arch = { ...PAIRS, vocab: p, hidden: [64, 48], out: p, biasFirst: true, biasHidden: true, biasOut: true };
  const models = hyperSet.slice(0, 6).map((h, i) => spec({ seed: 2000 + i, ...h }));
  const prev = process.env.GROKINFO_CUDA_GRAPHS;
  let g, ng;
  try {
    delete process.env.GROKINFO_CUDA_GRAPHS;
    g = new addon.Trainer({ backend: CUDA, arch, data, batchSize: 0, models });
    process.env.GROKINFO_CUDA_GRAPHS = '0';
    ng = new addon.Trainer({ backend: CUDA, arch, data, batchSize: 0, models });
  } catch (e) { check('train graphs vs GROKINFO_CUDA_GRAPHS=0: create', false, `${e.code} ${e.message}`); return; }
  finally { if (prev === undefined) delete process.env.GROKINFO_CUDA_GRAPHS; else process.env.GROKINFO_CUDA_GRAPHS = prev; }
  const keep = new Uint8Array(64).map((_, j) => (j % 7 === 0 ? 0 : 1));
  g.setMask(2, keep, false); ng.setMask(2, keep, false);
  for (const n of [40, 260, 3]) { await g.step(n); await ng.step(n); }  // 260 > one 256-step optimiser-table chunk
  let diff = 0, total = 0;
  for (let m = 0; m < models.length; m++) {
    const a = g.getParams(m), b = ng.getParams(m);
    total += a.length;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) diff++;
  }
  const eg = await g.evaluate(), en = await ng.evaluate();
  const evalSame = eg.every((x, m) => Object.is(x.trainLoss, en[m].trainLoss) && Object.is(x.testAcc, en[m].testAcc) && x.failed === en[m].failed);
  check('train CUDA graphs vs GROKINFO_CUDA_GRAPHS=0 (303 steps, 6 models): bitwise', diff === 0 && evalSame,
    `${diff} of ${total} params differ, evaluate ${evalSame ? 'equal' : 'DIFFERS'}`);
}

/**
 * Part 1 (CUDA vs CPU) with the given addon; `backend` 'cpu' in place of 'cuda' checks the script itself
 * without a GPU. Returns every check's {name, ok, detail} and the number that failed.
 */
export async function runGpuChecks(opts) {
  addon = opts.addon;
  quick = !!opts.quick;
  CUDA = opts.backend ?? 'cuda';
  if (opts.log) log = opts.log;
  failures = 0;
  results.length = 0;
  seed = BigInt(opts.seed ?? Date.now());
  log(`seed ${seed}`);
  const info = addon.backendInfo();
  log(`backend: ${JSON.stringify(info)}  host: ${os.cpus()[0]?.model} x${os.cpus().length}`);
  if (!info.cuda && CUDA === 'cuda') {
    check('CUDA device and build', false, 'no CUDA device / build: nothing to check');
    return { failures, results: [...results] };
  }
  await checkOinfo();
  await checkMeasure();
  await checkTraining();
  await checkTrainingPaper();
  await checkGraphs();
  await checkTrainingDense();
  return { failures, results: [...results] };
}

async function main() {
  const require = createRequire(import.meta.url);
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  const args = new Set(process.argv.slice(2));
  await runGpuChecks({
    addon: require(process.env.GROKINFO_ADDON || join(root, 'build', 'Release', 'grokinfo.node')),
    quick: args.has('--quick'),
    // GPU_CHECK_SELFTEST=1: run the script with 'cpu' in place of 'cuda' (checks the script itself, no GPU)
    backend: process.env.GPU_CHECK_SELFTEST === '1' ? 'cpu' : 'cuda',
    seed: process.env.SEED,
  });
  if (!args.has('--no-time') && (addon.backendInfo().cuda || CUDA === 'cpu')) {
    try {
      await timings();
      await timingsMnist();
    } catch (e) {
      check('timings', false, `${e.code} ${e.message}`);
    }
    log('\ncase | median ms | GFLOP (est.) | GFLOP/s | MB moved (min) | target | note');
    log('---|---|---|---|---|---|---');
    for (const r of rows)
      log(`${r.name} | ${r.ms.toFixed(3)} | ${(r.flop / 1e9).toFixed(3)} | ${(r.flop / 1e9 / (r.ms / 1000)).toFixed(1)} | ${(r.bytes / 1e6).toFixed(2)} | ${r.target} | ${r.note}`);
  }
  log(`\n${failures === 0 ? 'ALL CHECKS PASSED' : failures + ' CHECK(S) FAILED'}`);
  process.exit(failures === 0 ? 0 : 1);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
