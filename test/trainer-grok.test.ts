import { describe, expect, it } from 'vitest';
import { makeTask } from '../src/tasks/modular.js';
import { Trainer } from '../src/training/trainer.js';

describe('small-scale grokking on the CPU', () => {
  it('weight decay 1 generalises (test acc > 0.9); weight decay with lr*wd = 0.8-0.9 collapses and does not', async () => {
    // p = 23, 80% of the pairs for training, one hidden layer of 128, full-batch AdamW
    const task = makeTask({ op: 'add', p: 23, trainFraction: 0.8, splitSeed: 1 });
    const models = [
      { seed: 1, lr: 0.01, weightDecay: 1 },
      { seed: 2, lr: 0.03, weightDecay: 1 },
      { seed: 1, lr: 0.01, weightDecay: 80 },
      { seed: 2, lr: 0.03, weightDecay: 30 },
    ];
    const t = await Trainer.create({ backend: 'cpu', arch: { vocab: 23, hidden: [128], out: 23 }, task, models });
    await t.step(2500);
    const ev = await t.evaluate();
    for (const m of [0, 1]) {
      expect(ev[m].trainAcc).toBe(1);
      expect(ev[m].testAcc).toBeGreaterThan(0.9);
    }
    for (const m of [2, 3]) {
      expect(ev[m].failed).toBe(false);
      expect(ev[m].testAcc).toBeLessThan(0.35);
      expect(ev[m].trainAcc).toBeLessThan(0.5);
      expect(ev[m].weightNorm).toBeLessThan(0.1 * ev[0].weightNorm);
    }
  });
});
