/**
 * --init-from and --split-from: initial weights from a safetensors file and the training set from a list of
 * pair indices, in the API and the CLI, with coded errors for what a user can get wrong.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatNpy } from '../src/core/npy.js';
import { readInitialParams, saveCheckpoint, writeSafetensors } from '../src/training/safetensors.js';
import { makeTask } from '../src/tasks/modular.js';
import { Trainer, paramLayout, validateArch } from '../src/training/trainer.js';

const root = join(import.meta.dirname, '..');
const cli = join(root, 'dist', 'cli.js');
const tmp = () => mkdtempSync(join(tmpdir(), 'grokinfo-init-'));
const bits = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe('initial weights from a file', () => {
  const arch = validateArch({ vocab: 11, hidden: [16], out: 11 });
  const task = makeTask({ op: 'add', p: 11, trainFraction: 0.5, splitSeed: 2 });

  it("a file holding a seed's draw trains bitwise like that seed, with alpha, zero output and constant norm applied alike", async () => {
    // the raw draw of seed 7 (alpha 1, nothing zeroed) saved under grokinfo's names
    const raw = await Trainer.create({ backend: 'cpu', arch, task, models: [{ seed: 7 }] });
    const path = join(tmp(), 'init.safetensors');
    await saveCheckpoint(path, arch, raw.getParams(0));
    const initial = await readInitialParams(path, arch);
    const variants = [{}, { alpha: 3, zeroOutput: true, constantNorm: true }, { weightDecay: 0.5, alpha: 0.5 }];
    for (const v of variants) {
      const t = await Trainer.create({ backend: 'cpu', arch, task, models: [{ seed: 7, ...v }, { seed: 1234, ...v, initial }] });
      expect(bits(t.getParams(1)).equals(bits(t.getParams(0))), `initial state ${JSON.stringify(v)}`).toBe(true);
      await t.step(25);
      expect(bits(t.getParams(1)).equals(bits(t.getParams(0))), `after 25 steps ${JSON.stringify(v)}`).toBe(true);
    }
  });

  it('refuses a missing tensor, a wrong shape and a wrong parameter count with coded errors naming them', async () => {
    const dir = tmp();
    const layout = paramLayout(arch);
    const tensors = Object.fromEntries(layout.map((t) => [t.name, { shape: t.shape, data: new Float32Array(t.size) }]));
    const missing = { ...tensors };
    delete missing['layers.0.bias'];
    await writeSafetensors(join(dir, 'missing.safetensors'), missing);
    await expect(readInitialParams(join(dir, 'missing.safetensors'), arch)).rejects.toMatchObject({ code: 'INVALID_DATA', message: expect.stringMatching(/layers\.0\.bias \[16\] is missing/) });
    const wrong = { ...tensors, 'layers.1.weight': { shape: [16, 11], data: new Float32Array(176) } };
    await writeSafetensors(join(dir, 'wrong.safetensors'), wrong);
    await expect(readInitialParams(join(dir, 'wrong.safetensors'), arch)).rejects.toMatchObject({ code: 'INVALID_DATA', message: expect.stringMatching(/layers\.1\.weight has shape \[16,11\], this model needs \[11,16\]/) });
    await expect(readInitialParams(join(dir, 'absent.safetensors'), arch)).rejects.toMatchObject({ code: 'IO' });
    await expect(Trainer.create({ backend: 'cpu', arch, task, models: [{ seed: 0, initial: new Float32Array(5) }] })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/initial/) });
  });
});

describe('training set from a file', () => {
  it('JSON and .npy index lists give the same split: the listed pairs train, every other pair tests', () => {
    const dir = tmp();
    const idx = [5, 17, 0, 120, 33, 64];
    writeFileSync(join(dir, 'split.json'), JSON.stringify(idx));
    writeFileSync(join(dir, 'split.npy'), formatNpy(Int32Array.from(idx), [idx.length]));
    for (const f of ['split.json', 'split.npy']) {
      const t = makeTask({ op: 'add', p: 11, trainFraction: 0.5, splitSeed: 0, splitFrom: join(dir, f) });
      expect(Array.from(t.trainA, (a, i) => a * 11 + t.trainB[i])).toEqual(idx);
      expect(t.testA.length).toBe(121 - idx.length);
      const test = Array.from(t.testA, (a, i) => a * 11 + t.testB[i]);
      expect(test).toEqual([...Array(121).keys()].filter((v) => !idx.includes(v)));
      for (let i = 0; i < t.trainA.length; i++) expect(t.trainY[i]).toBe((t.trainA[i] + t.trainB[i]) % 11);
    }
  });
  it('refuses an index out of range, a repeat, b = 0 for div and a split without a test set', () => {
    const dir = tmp();
    const cases: [unknown, RegExp, string?][] = [
      [[1, 2, 121], /entry 2 is 121; indices are integers a \* p \+ b in \[0, 121\)/],
      [[1, 2, 2], /index 2 appears twice/],
      [[1, 2.5], /entry 1 is 2\.5/],
      [[12, 22], /b = 0, which op div excludes/, 'div'],
      [[...Array(121).keys()], /a test set must remain/],
      [{ nope: 1 }, /expected a JSON array/],
    ];
    for (const [content, msg, op] of cases) {
      writeFileSync(join(dir, 's.json'), JSON.stringify(content));
      expect(() => makeTask({ op: (op ?? 'add') as 'add', p: 11, trainFraction: 0.5, splitSeed: 0, splitFrom: join(dir, 's.json') })).toThrow(msg);
    }
  });
});

describe('the CLI', () => {
  const grokinfo = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8' });
  it('train --init-from --split-from runs from the files; bad files exit 2 with one line and no stack trace', async () => {
    const dir = tmp();
    const arch = validateArch({ vocab: 11, hidden: [8], out: 11 });
    const t = await Trainer.create({ backend: 'cpu', arch, task: makeTask({ op: 'add', p: 11, trainFraction: 0.5, splitSeed: 0 }), models: [{ seed: 3 }] });
    await saveCheckpoint(join(dir, 'init.safetensors'), arch, t.getParams(0));
    writeFileSync(join(dir, 'split.json'), JSON.stringify([3, 1, 4, 15, 9, 26, 53, 58, 97]));
    const ok = grokinfo(['train', '--p', '11', '--hidden', '8', '--steps', '10', '--init-from', join(dir, 'init.safetensors'), '--split-from', join(dir, 'split.json'), '--out', join(dir, 'run'), '--backend', 'cpu']);
    expect(ok.status, ok.stderr).toBe(0);
    const cfg = JSON.parse(readFileSync(join(dir, 'run', 'config.json'), 'utf8'));
    expect(cfg.init.from).toBe(join(dir, 'init.safetensors'));
    expect(cfg.task.splitFrom).toBe(join(dir, 'split.json'));
    const first = JSON.parse(readFileSync(join(dir, 'run', 'metrics.jsonl'), 'utf8').split('\n')[0]);
    // step 0 of the run from the file equals the seed-3 draw's loss on that split, computed directly
    const direct = await Trainer.create({ backend: 'cpu', arch, task: makeTask({ op: 'add', p: 11, trainFraction: 0.5, splitSeed: 0, splitFrom: join(dir, 'split.json') }), models: [{ seed: 3 }] });
    expect(first.trainLoss).toBe((await direct.evaluate())[0].trainLoss);

    const bad = grokinfo(['train', '--p', '13', '--hidden', '8', '--steps', '10', '--init-from', join(dir, 'init.safetensors'), '--out', join(dir, 'run2'), '--backend', 'cpu']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/layers\.0\.weight has shape \[8,22\], this model needs \[8,26\]/);
    expect(bad.stderr).not.toMatch(/at .*\.js:\d+/);
    writeFileSync(join(dir, 'bad.json'), '[0, 500]');
    const bad2 = grokinfo(['train', '--p', '11', '--hidden', '8', '--steps', '10', '--split-from', join(dir, 'bad.json'), '--out', join(dir, 'run3'), '--backend', 'cpu']);
    expect(bad2.status).toBe(2);
    expect(bad2.stderr).toMatch(/entry 1 is 500/);
    expect(bad2.stderr.trim().split('\n').length).toBe(1);
  });
});
