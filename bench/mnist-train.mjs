// Training speed of Omnigrok's MNIST model (issue 14): 784 -> 200 -> 200 -> 10, MSE on one-hot
// targets, AdamW lr 1e-3 (weight decay 0.01), minibatches of 200 of 1,000 training samples (random
// data of MNIST's shape: speed does not depend on the pixels), 1 and several models in one trainer,
// against PyTorch (bench/torch_mnist.py, float32, the same cores) when /usr/bin/python3 has torch.
// Model-steps/s, medians of --repeats runs; prints the CPU model and its ISA.
//
//   npm run build && node bench/mnist-train.mjs [--repeats 5] [--steps 100] [--models 1,8] [--threads 2]
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
};
const repeats = Number(arg('repeats', '5'));
const steps = Number(arg('steps', '100'));
const modelCounts = arg('models', '1,8').split(',').map(Number);
const threads = Number(arg('threads', '2'));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
function isa() {
  const flags = (readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('flags')) ?? '');
  const has = (f) => new RegExp(`\\b${f}\\b`).test(flags);
  return has('avx512f') ? 'AVX-512 + AVX2 + FMA' : has('avx2') ? 'AVX2 + FMA (no AVX-512)' : 'no AVX2';
}

const trainerPath = [join(root, 'dist', 'training', 'trainer.js'), join(root, 'dist', 'trainer.js')].find(existsSync);
const { Trainer } = await import(trainerPath);
console.log(`machine: ${cpus()[0]?.model ?? '?'}, ${cpus().length} logical cores, ${isa()}; node ${process.version}; OMP_NUM_THREADS=${process.env.OMP_NUM_THREADS ?? '(unset)'}`);

let seed = 1;
const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
const n = 1000,
  D = 784;
const task = {
  inputDim: D,
  trainX: Float32Array.from({ length: n * D }, rand),
  trainY: Int32Array.from({ length: n }, () => Math.floor(rand() * 10)),
  testX: new Float32Array(0),
  testY: new Int32Array(0),
};
const arch = { input: 'dense', inputDim: D, hidden: [200, 200], out: 10, loss: 'mse', biasFirst: true, biasHidden: true, biasOut: true };

const rows = [];
for (const M of modelCounts) {
  const models = Array.from({ length: M }, (_, i) => ({ seed: i, batchSeed: i, optimizer: 'adamw', lr: 1e-3, weightDecay: 0.01, beta2: 0.999, alpha: 8, omnigrokBiases: true }));
  const t = await Trainer.create({ backend: 'cpu', arch, task, models, batchSize: 200 });
  await t.step(10); // warm-up
  const rates = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    await t.step(steps);
    rates.push((steps * M) / ((performance.now() - t0) / 1000));
  }
  let torch = null;
  const py = spawnSync('/usr/bin/python3', [join(root, 'bench', 'torch_mnist.py'), String(steps), String(threads), String(M)], { encoding: 'utf8' });
  const torchRates = [];
  if (py.status === 0) {
    for (let r = 0; r < repeats; r++) {
      const q = r === 0 ? py : spawnSync('/usr/bin/python3', [join(root, 'bench', 'torch_mnist.py'), String(steps), String(threads), String(M)], { encoding: 'utf8' });
      torchRates.push(JSON.parse(q.stdout.trim().split('\n').pop()).model_steps_per_s);
    }
    torch = median(torchRates);
  } else {
    console.log(`PyTorch skipped: ${(py.stderr || py.error?.message || '').trim().split('\n').pop()}`);
  }
  const ours = median(rates);
  rows.push({ models: M, grokinfo: ours, torch, ratio: torch ? ours / torch : null });
  console.log(`models ${M}: grokinfo ${ours.toFixed(1)} model-steps/s (runs ${rates.map((x) => x.toFixed(1)).join(', ')})` +
    (torch ? `; PyTorch ${torch.toFixed(1)} (runs ${torchRates.map((x) => x.toFixed(1)).join(', ')}); ratio ${(ours / torch).toFixed(2)}` : ''));
}
console.log(JSON.stringify(rows));
