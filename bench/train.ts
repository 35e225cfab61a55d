/**
 * Training-engine benchmark at the paper's size: p = 97 (add), hidden 250, 3763 training and 5646
 * test rows, full-batch AdamW, evaluation (train + test loss/accuracy) every 5 steps, as a run does.
 * Prints model-steps/s for 1, 8, 64 and 256 models trained together (median of several runs) and the
 * ratio to the anchors: the CPU target (150 model-steps/s on this 2-core machine) and PyTorch on
 * 16 cores (216 model-steps/s for one model).
 *
 *   npx cmake-js compile --directory . --out build --CDGROKINFO_CUDA=OFF
 *   npx tsc -p bench/tsconfig.json && node build-bench/dist/bench/train.js [--models 1,8,64,256] [--repeats 5] [--backend cpu]
 */
import { cpus } from 'node:os';
import { makeTask } from '../src/tasks/modular.js';
import { Trainer } from '../src/training/trainer.js';
import type { BackendName } from '../src/addon/native.js';

const TARGET = 150;
const PYTORCH_16 = 216;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main() {
  const counts = arg('models', '1,8,64,256').split(',').map(Number);
  const repeats = Number(arg('repeats', '5'));
  const backend = arg('backend', 'cpu') as BackendName;
  const task = makeTask({ op: 'add', p: 97, trainFraction: 0.4, splitSeed: 420 });
  const arch = { vocab: 97, hidden: [250], out: 97 };
  const N = task.trainA.length,
    T = task.testA.length;
  // one step: forward, dW1 and dH GEMMs (3 x 2*N*250*97) + evaluation amortised over 5 steps
  const flopsPerStep = 3 * 2 * N * 250 * 97 + (2 * (N + T) * 250 * 97) / 5;
  console.log(`machine: ${cpus()[0]?.model ?? '?'}, ${cpus().length} logical cores, node ${process.version}, backend ${backend}`);
  console.log(`task: p=97 add, hidden 250, ${N} train / ${T} test rows, AdamW, evaluate every 5 steps; median of ${repeats} runs`);
  console.log('| models | timed steps | median model-steps/s | min..max | GFLOP/s | vs target 150 | vs PyTorch 16-core 216 |');
  console.log('|---:|---:|---:|---:|---:|---:|---:|');
  for (const M of counts) {
    const steps = M <= 1 ? 200 : M <= 8 ? 50 : M <= 64 ? 10 : 5;
    const models = Array.from({ length: M }, (_, i) => ({ seed: i, lr: 0.03, weightDecay: 1, beta2: 0.98 }));
    const rates: number[] = [];
    for (let r = 0; r < repeats; r++) {
      const t = await Trainer.create({ backend, arch, task, models });
      await t.step(5); // warm-up: buffers, page faults, thread pool
      await t.evaluate();
      const t0 = performance.now();
      for (let s = 0; s < steps; s += 5) {
        await t.step(5);
        await t.evaluate();
      }
      rates.push((M * steps) / ((performance.now() - t0) / 1000));
    }
    const med = median(rates);
    console.log(
      `| ${M} | ${steps} | ${med.toFixed(1)} | ${Math.min(...rates).toFixed(1)}..${Math.max(...rates).toFixed(1)} | ${((med * flopsPerStep) / 1e9).toFixed(1)} | ${(med / TARGET).toFixed(2)} | ${(med / PYTORCH_16).toFixed(2)} |`,
    );
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
