// CPU engines against their references, in one run on one machine (issue 15):
//   - P1 (3763 x 250 ReLU-like float32, Ward 10 bins, 1013 unions): the measurement path
//     (measureCheckpoints: measure-model and measured training) and the `oinfo --bins ward:10` path
//     (measureBins, float32 and float64 input), 2 threads and 1 thread; the one-factorisation-per-
//     multiplet baseline (bench/native/baseline_oinfo.cpp) in the same process; numpy/scipy float64
//     (bench/numpy_oinfo.py) when python3 with numpy and scipy is installed, else skipped with a note;
//     optionally the previous build (--before path/to/grokinfo.node) in a child process.
//   - training at the paper's size (p = 97, hidden 250, evaluation every 5 steps): model-steps/s for
//     1 and 64 models, per wall second and per CPU second of the process (all threads: the figure to
//     compare on a loaded machine); PyTorch (float32, same cores; $PYTHON, default python3, e.g.
//     PYTHON=/usr/bin/python3) when torch is installed, else skipped with a note.
// Prints the CPU model and its ISA (AVX-512 / AVX2) with every table. Medians of --repeats runs.
//
//   npm run build && node bench/cpu-compare.mjs [--repeats 7] [--before /path/to/old/grokinfo.node]
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
};
const repeats = Number(arg('repeats', '7'));
const before = arg('before', '');
const only = arg('only', 'oinfo,train').split(',');
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function isa() {
  let flags = '';
  try {
    flags = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('flags')) ?? '';
  } catch {
    return 'unknown ISA';
  }
  const has = (f) => new RegExp(`\\b${f}\\b`).test(flags);
  return has('avx512f') ? 'AVX-512 (avx512f/dq/bw/vl) + AVX2 + FMA' : has('avx2') ? 'AVX2 + FMA (no AVX-512)' : 'no AVX2';
}

const { loadNative, loadBenchAddon } = await import(join(root, 'dist', 'addon', 'native.js'));
const { reluCase } = await import(join(root, 'dist', 'commands', 'bench.js'));
const { measureNativeOptions } = await import(join(root, 'dist', 'measures', 'oinfo.js'));
const native = loadNative();
console.log(`machine: ${cpus()[0]?.model ?? '?'}, ${cpus().length} logical cores, ${isa()}; node ${process.version}`);
if (native.cpuKernels) console.log(`engine kernels: ${native.cpuKernels().active} (GROKINFO_CPU_KERNELS=portable|avx2|avx512 forces one)`);

async function timeIt(f, n = repeats) {
  await f(); // warm-up: thread pool, the engine's workspace
  const ts = [];
  for (let r = 0; r < n; r++) {
    const t = performance.now();
    await f();
    ts.push(performance.now() - t);
  }
  return ts;
}

if (only.includes('oinfo')) {
  const N = 3763, H = 250;
  const Z = reluCase(N, H, 2408);
  const Zd = Float64Array.from(Z);
  const opts = measureNativeOptions({ bins: 10, units: 'bits' }, N);
  const rows = [];
  let eng;
  for (const threads of [0, 1]) {
    const o = { ...opts, threads };
    const label = threads === 0 ? `${cpus().length} threads` : '1 thread';
    const m = await timeIt(async () => (eng = (await native.measureCheckpoints(Z, 1, N, H, o, 'cpu'))[0]));
    rows.push([`measure path (measure-model, measured training), ${label}`, m]);
    rows.push([`oinfo --bins ward:10 path, float32, ${label}`, await timeIt(() => native.measureBins(Z, N, H, { ...o, checkSamples: true }, 'cpu'))]);
    rows.push([`oinfo --bins ward:10 path, float64, ${label}`, await timeIt(() => native.measureBins(Zd, N, H, { ...o, checkSamples: true }, 'cpu'))]);
  }
  const tb = performance.now();
  const base = (await loadBenchAddon().measureCheckpoints(Z, 1, N, H, opts, 'cpu', undefined, 'baseline'))[0];
  const baseMs = performance.now() - tb;
  const diff = Math.max(...eng.bySize.flatMap((s, i) => [Math.abs(s.synergy.value - base.bySize[i].synergy.value), Math.abs(s.redundancy.value - base.bySize[i].redundancy.value)]));
  let numpy = null;
  const dir = mkdtempSync(join(tmpdir(), 'grokinfo-bench-'));
  try {
    const f = join(dir, 'p1.f32');
    writeFileSync(f, Buffer.from(Z.buffer, Z.byteOffset, Z.byteLength));
    const py = spawnSync(process.env.PYTHON ?? 'python3', [join(root, 'bench', 'numpy_oinfo.py'), f, String(N), String(H), '10'], { encoding: 'utf8' });
    if (py.status === 0) numpy = JSON.parse(py.stdout);
    else console.log(`numpy reference skipped: ${(py.error?.message ?? py.stderr.trim().split('\n').pop()) || 'python3 failed'}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  let beforeMs = null;
  if (before) {
    const code = `const a=require(${JSON.stringify(before)});const {reluCase}=await import(${JSON.stringify(join(root, 'dist', 'commands', 'bench.js'))});` +
      `const Z=reluCase(${N},${H},2408);const o=${JSON.stringify(opts)};const ts=[];for(let r=0;r<${repeats + 1};r++){const t=performance.now();await a.measureCheckpoints(Z,1,${N},${H},o,'cpu');if(r)ts.push(performance.now()-t);}console.log(JSON.stringify(ts));`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', `import {createRequire} from 'node:module';const require=createRequire(import.meta.url);${code}`], { encoding: 'utf8' });
    beforeMs = median(JSON.parse(out));
  }
  const ref = median(rows[0][1]);
  console.log(`\nP1: ${N} x ${H} float32 ReLU-like, Ward 10 bins, ${eng.count} unions; median of ${repeats} runs after a warm-up`);
  console.log('| what | median ms | min..max ms | vs baseline | vs numpy float64 |');
  console.log('|---|---:|---:|---:|---:|');
  for (const [what, ts] of rows) {
    const m = median(ts);
    console.log(`| ${what} | ${m.toFixed(1)} | ${Math.min(...ts).toFixed(1)}..${Math.max(...ts).toFixed(1)} | x${(baseMs / m).toFixed(1)} | ${numpy ? 'x' + ((numpy.seconds.total * 1000) / m).toFixed(1) : '-'} |`);
  }
  if (beforeMs !== null) console.log(`| previous build (${before}), measure path, default threads | ${beforeMs.toFixed(1)} | | x${(baseMs / beforeMs).toFixed(1)} | |`);
  console.log(`| baseline: one Cholesky + inverse per union (same process, same threads) | ${baseMs.toFixed(0)} | | x1 | |`);
  if (numpy) {
    const s = numpy.seconds;
    let nd = 0;
    for (const e of eng.bySize) {
      const [lo, hi] = numpy.extremes[String(e.size)];
      nd = Math.max(nd, Math.abs(lo - e.synergy.value), Math.abs(hi - e.redundancy.value));
    }
    console.log(`| numpy ${numpy.numpy} + scipy float64 (ward ${(s.ward * 1000).toFixed(0)}, copula ${(s.copula * 1000).toFixed(0)}, unions ${(s.lattice * 1000).toFixed(0)} ms) | ${(s.total * 1000).toFixed(0)} | | | x1 |`);
    console.log(`max |engine - numpy| over the per-size extremes: ${nd.toExponential(2)} bits`);
  }
  console.log(`max |engine - baseline| over the per-size extremes: ${diff.toExponential(2)} bits (fastest engine path: x${(baseMs / ref).toFixed(1)})`);
}

if (only.includes('train')) {
  const { makeTask } = await import(join(root, 'dist', 'tasks', 'modular.js'));
  const { Trainer } = await import(join(root, 'dist', 'training', 'trainer.js'));
  const task = makeTask({ op: 'add', p: 97, trainFraction: 0.4, splitSeed: 420 });
  const arch = { vocab: 97, hidden: [250], out: 97 };
  console.log(`\ntraining: p=97 add, hidden 250, ${task.trainA.length} train / ${task.testA.length} test rows, AdamW, evaluation every 5 steps; median of 3 runs`);
  console.log('| models | model-steps/s (wall) | min..max | model-steps per CPU second (all threads) |');
  console.log('|---:|---:|---:|---:|');
  for (const M of [1, 64]) {
    const steps = M === 1 ? 100 : 10;
    const rates = [];
    const cpuRates = [];
    for (let r = 0; r < 3; r++) {
      const models = Array.from({ length: M }, (_, i) => ({ seed: i, lr: 0.03, weightDecay: 1, beta2: 0.98 }));
      const t = await Trainer.create({ backend: 'cpu', arch, task, models });
      await t.step(5);
      await t.evaluate();
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      for (let s = 0; s < steps; s += 5) {
        await t.step(5);
        await t.evaluate();
      }
      const c = process.cpuUsage(c0);
      rates.push((M * steps) / ((performance.now() - t0) / 1000));
      cpuRates.push((M * steps) / ((c.user + c.system) / 1e6));
    }
    console.log(`| ${M} | ${median(rates).toFixed(1)} | ${Math.min(...rates).toFixed(1)}..${Math.max(...rates).toFixed(1)} | ${median(cpuRates).toFixed(1)} |`);
  }
  // PyTorch, one model, same cores (bench/torch_train.py), median of 3 runs.
  const tr = [];
  let why = '';
  for (let r = 0; r < 3 && !why; r++) {
    const py = spawnSync(process.env.PYTHON ?? 'python3', [join(root, 'bench', 'torch_train.py'), '100', String(cpus().length)], { encoding: 'utf8' });
    if (py.status === 0) tr.push(JSON.parse(py.stdout));
    else why = (py.error?.message ?? py.stderr.trim().split('\n').pop()) || 'python3 failed';
  }
  if (why) console.log(`PyTorch: skipped (${why})`);
  else
    console.log(
      `| PyTorch ${tr[0].torch}, 1 model, ${tr[0].threads} threads | ${median(tr.map((x) => x.model_steps_per_s)).toFixed(1)} | ` +
        `${Math.min(...tr.map((x) => x.model_steps_per_s)).toFixed(1)}..${Math.max(...tr.map((x) => x.model_steps_per_s)).toFixed(1)} | ` +
        `${median(tr.map((x) => x.model_steps_per_cpu_s)).toFixed(1)} |`,
    );
}
