#!/usr/bin/env node
// CPU milliseconds (process.cpuUsage, all threads) of each progress measure that applies to MNIST, on one
// Omnigrok MNIST model (784 -> 200 -> 200 -> 10, MSE, AdamW 1e-3, batch 200, 1,000 training digits, alpha 8,
// after 200 steps), median of 5 calls each including the harness (getParams + model view + the activations of
// the training set, as during training); the training split is all 1,000 digits, the test split all 9,000
// (local-complexity reads 128 evenly spaced rows of each). Also the CPU time of 200 training steps.
// Usage: node bench/measures-cost-mnist.mjs [names...]   (default: every measure that applies to mnist)
import { Trainer, paramLayout } from '../dist/training/trainer.js';
import { mnistSplit } from '../dist/tasks/mnist.js';
import { archOf, modelOf } from '../dist/training/run.js';
import { resolveRunConfig } from '../dist/config/config.js';
import { computeMeasure } from '../dist/measures/compute.js';
import { modelFromParams } from '../dist/measures/model.js';
import { measuresFor } from '../dist/measures/registry.js';
const c = resolveRunConfig({ task: { kind: 'mnist' }, model: { hidden: [200, 200], loss: 'mse' }, train: { batchSize: 200 }, optim: { lr: 1e-3, weightDecay: 0 }, init: { alpha: 8, omnigrokBiases: true } });
const s = mnistSplit(c.task.trainSize, c.task.splitSeed);
const arch = archOf(c);
const t = await Trainer.create({ backend: 'cpu', arch, task: s, models: [modelOf(c)], batchSize: 200 });
await t.step(200);
const layout = paramLayout(arch);
const train = { x: s.trainX, dim: s.inputDim, y: s.trainY }, test = { x: s.testX, dim: s.inputDim, y: s.testY };
const names = process.argv.length > 2 ? process.argv.slice(2) : measuresFor('mnist').filter((n) => n !== 'oinfo');
let total = 0;
for (const n of names) {
  const times = [];
  for (let r = 0; r < 5; r++) {
    const c0 = process.cpuUsage();
    const model = modelFromParams(arch, layout, t.getParams(0));
    const cache = new Map();
    await computeMeasure(n, { model, op: 'mnist', p: 0, loss: 'mse', train, test, hidden: (l) => (cache.has(l) || cache.set(l, t.hidden(0, l)), cache.get(l)), units: 'bits', seed: 0 });
    const cu = process.cpuUsage(c0); times.push((cu.user + cu.system) / 1000);
  }
  times.sort((a, b) => a - b);
  total += times[2];
  console.log(n.padEnd(20), 'median cpu ms', times[2].toFixed(1));
}
console.log('sum of medians'.padEnd(20), 'cpu ms', total.toFixed(0));
const c1 = process.cpuUsage(); await t.step(200); const cu1 = process.cpuUsage(c1); console.log('200 steps cpu ms', ((cu1.user + cu1.system) / 1000).toFixed(0));
