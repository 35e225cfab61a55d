#!/usr/bin/env node
// CPU milliseconds (process.cpuUsage, all threads) of each named measure on one model at the paper settings
// (p = 97, 250 hidden, after 50 steps), median of 9 calls, each including the harness (getParams + the model
// view, ~the cost of the "loss" line, which does no work of its own); and the CPU time of 100 training steps.
// Usage: node bench/measures-cost.mjs loss weight-norm weight-entropy sparsity fourier [more names]
import { Trainer, paramLayout } from '../dist/training/trainer.js';
import { makeTask } from '../dist/tasks/modular.js';
import { archOf } from '../dist/training/run.js';
import { resolveRunConfig } from '../dist/config/config.js';
import { computeMeasure } from '../dist/measures/compute.js';
import { modelFromParams } from '../dist/measures/model.js';
const c = resolveRunConfig({});
const task = makeTask(c.task);
const arch = archOf(c);
const t = await Trainer.create({ backend: 'cpu', arch, task, models: [{ seed: 0 }] });
await t.step(50);
const layout = paramLayout({ ...arch, out: 97 });
const names = process.argv.slice(2);
for (const n of names) {
  const times = [];
  for (let r = 0; r < 9; r++) {
    const c0 = process.cpuUsage();
    const model = modelFromParams({ ...arch, out: 97 }, layout, t.getParams(0));
    await computeMeasure(n, { model, op: 'add', p: 97, train: { a: task.trainA, b: task.trainB, y: task.trainY }, test: { a: task.testA, b: task.testB, y: task.testY }, hidden: (l) => t.hidden(0, l), eval: { trainLoss: 1, trainAcc: 1, testLoss: 1, testAcc: 1 }, units: 'bits', seed: 0 });
    const cu = process.cpuUsage(c0); times.push((cu.user + cu.system) / 1000);
  }
  times.sort((a, b) => a - b);
  console.log(n, 'median ms', times[4].toFixed(2));
}
const c1 = process.cpuUsage(); await t.step(100); const cu1 = process.cpuUsage(c1); console.log('100 steps cpu ms', ((cu1.user + cu1.system) / 1000).toFixed(0));
