import { describe, expect, it } from 'vitest';
import { batchKey, paperDefaults, resolveRunConfig, runId } from '../src/config/config.js';
import { GrokinfoError } from '../src/core/errors.js';
import { batchesOf, parseShard, planSweep, shardRuns } from '../src/experiments/sweep.js';
import { runFlagsToConfig } from '../src/commands/runflags.js';

function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return e instanceof GrokinfoError ? e.code : 'not-coded';
  }
  return undefined;
}

describe('run configuration', () => {
  it('paper defaults are METHOD.md §1', () => {
    const c = paperDefaults();
    expect(c.task).toEqual({ op: 'add', p: 97, trainFraction: 0.4, splitSeed: 420 });
    expect(c.model.hidden).toEqual([250]);
    expect(c.model.biasFirst && !c.model.biasOut).toBe(true);
    expect(c.optim).toMatchObject({ optimizer: 'adamw', lr: 0.03, beta1: 0.9, beta2: 0.98, eps: 1e-8 });
    expect(c.steps).toBe(4000);
    expect(c.evalEvery).toBe(5);
    expect(c.grokThreshold).toBe(0.98);
  });
  it('rejects bad values with coded errors naming the flag', () => {
    expect(code(() => resolveRunConfig({ task: { p: 1 } }))).toBe('INVALID_ARGUMENT');
    expect(code(() => resolveRunConfig({ task: { op: 'div', p: 21 } }))).toBe('INVALID_ARGUMENT');
    expect(code(() => resolveRunConfig({ task: { op: 'pow' as never } }))).toBe('INVALID_ARGUMENT');
    expect(code(() => resolveRunConfig({ task: { trainFraction: 1 } }))).toBe('INVALID_ARGUMENT');
    expect(code(() => resolveRunConfig({ optim: { lr: -1 } }))).toBe('INVALID_ARGUMENT');
    expect(code(() => resolveRunConfig({ optim: { lr: NaN } }))).toBe('INVALID_ARGUMENT');
    expect(code(() => resolveRunConfig({ model: { hidden: [0] } }))).toBe('INVALID_ARGUMENT');
    expect(code(() => resolveRunConfig({ optim: { beta2: 1 } }))).toBe('INVALID_ARGUMENT');
    expect(code(() => resolveRunConfig({ task: { op: 'div', p: 23 } }))).toBeUndefined();
    try {
      resolveRunConfig({ optim: { lr: 0 } });
    } catch (e) {
      expect((e as Error).message).toContain('--lr');
    }
  });
  it('run ids are stable and distinguish configurations', () => {
    const a = resolveRunConfig({ optim: { weightDecay: 0.1 } });
    const b = resolveRunConfig({ optim: { weightDecay: 0.1 } });
    const c = resolveRunConfig({ optim: { weightDecay: 2 } });
    expect(runId(a)).toBe(runId(b));
    expect(runId(a)).not.toBe(runId(c));
    expect(batchKey(a)).toBe(batchKey(c));
    expect(batchKey(a)).not.toBe(batchKey(resolveRunConfig({ task: { p: 23 } })));
  });
});

describe('sweep plans', () => {
  it('expands list x grid x seeds, deduplicating identical runs', () => {
    const plan = planSweep({
      base: { steps: 100, task: { p: 23 } },
      list: [{ optim: { weightDecay: 1 } }, { init: { alpha: 8, zeroOutput: true, constantNorm: true }, optim: { weightDecay: 0 } }],
      grid: { 'optim.lr': [0.01, 0.03] },
      seeds: [0, 1, 2],
    });
    expect(plan.runs.length).toBe(2 * 2 * 3);
    expect(new Set(plan.runs.map((r) => r.id)).size).toBe(12);
    expect(plan.runs.every((r) => r.config.steps === 100 && r.config.task.p === 23)).toBe(true);
    const dup = planSweep({ base: { steps: 10 }, seeds: [0, 0] });
    expect(dup.runs.length).toBe(1);
  });
  it('rejects an invalid definition with a coded error', () => {
    expect(code(() => planSweep({ grid: { 'optim.lr': [] } } as never))).toBe('INVALID_ARGUMENT');
    expect(code(() => planSweep({ grid: { 'optim.nope': [1] } }))).toBe('INVALID_ARGUMENT');
    expect(code(() => planSweep({ extra: 1 } as never))).toBe('INVALID_ARGUMENT');
    expect(code(() => planSweep({ base: { optim: { lr: -1 } } }))).toBe('INVALID_ARGUMENT');
  });
  it('shards are disjoint, deterministic and cover the plan', () => {
    const plan = planSweep({ base: { steps: 10 }, grid: { 'optim.weightDecay': [0.1, 1, 2, 10, 50] }, seeds: [0, 1, 2] });
    const seen = new Map<string, number>();
    for (let i = 0; i < 4; i++) for (const r of shardRuns(plan, { index: i, count: 4 })) seen.set(r.id, (seen.get(r.id) ?? 0) + 1);
    expect(seen.size).toBe(plan.runs.length);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    expect(shardRuns(plan, parseShard('1/4')).map((r) => r.id)).toEqual(shardRuns(planSweep(plan.definition), parseShard('1/4')).map((r) => r.id));
    expect(code(() => parseShard('4/4'))).toBe('INVALID_ARGUMENT');
    expect(code(() => parseShard('x'))).toBe('INVALID_ARGUMENT');
  });
  it('batches group runs of one shape, at most maxBatch each', () => {
    const plan = planSweep({ base: { steps: 10 }, list: [{ task: { p: 23 } }, { task: { p: 29 } }], seeds: [0, 1, 2, 3, 4] });
    const b = batchesOf(plan.runs, 3);
    expect(b.map((x) => x.length).sort()).toEqual([2, 2, 3, 3]);
    for (const batch of b) expect(new Set(batch.map((r) => batchKey(r.config))).size).toBe(1);
  });
});

describe('run flags', () => {
  it('map to config paths; lists become grid axes only in sweeps', () => {
    const { base, grid } = runFlagsToConfig({ weightDecay: '0.1,2', p: '23', hidden: '16x8', measure: 'oinfo', every: '10' }, true);
    expect(grid['optim.weightDecay']).toEqual([0.1, 2]);
    expect(base.task?.p).toBe(23);
    expect(base.model?.hidden).toEqual([16, 8]);
    expect(base.measure).toMatchObject({ kind: 'oinfo', every: 10 });
    expect(code(() => runFlagsToConfig({ weightDecay: '0.1,2' }, false))).toBe('INVALID_ARGUMENT');
    expect(code(() => runFlagsToConfig({ lr: 'abc' }, false))).toBe('INVALID_ARGUMENT');
    expect(code(() => runFlagsToConfig({ bins: '10' }, false))).toBe('INVALID_ARGUMENT');
    const alpha = runFlagsToConfig({ alphaInit: true, alpha: '8' }, false).base;
    expect(alpha).toMatchObject({ optim: { weightDecay: 0 }, init: { alpha: 8, zeroOutput: true, constantNorm: true } });
  });
});

describe('the paper experiment set', () => {
  it('paperRunConfigs gives the reproduce sweep: same 35 configurations and ids, every configuration x seed', async () => {
    const { reproducePlan } = await import('../src/experiments/reproduce.js');
    const { paperRunConfigs, PAPER_SEEDS } = await import('../src/config/paper.js');
    const plan = reproducePlan({});
    const mine = paperRunConfigs({ steps: 4000, evalEvery: 5, measure: { kind: 'oinfo', every: 5, bins: 10 } });
    expect(mine.map((r) => r.id)).toEqual(plan.runs.map((r) => r.id));
    expect(mine.map((r) => r.config)).toEqual(plan.runs.map((r) => r.config));
    expect(mine.length).toBe(35);
    // Independent check of the grid: each (weight decay, alpha, seed) once, alpha runs with wd 0, zeroed output, constant norm.
    const keys = new Set(mine.map(({ config: c }) => `${c.optim.weightDecay}/${c.init.alpha}/${c.init.seed}`));
    for (const s of PAPER_SEEDS) {
      for (const wd of [0.1, 2, 10, 50]) expect(keys.has(`${wd}/1/${s}`)).toBe(true);
      for (const a of [1, 8, 50]) expect(keys.has(`0/${a}/${s}`)).toBe(true);
    }
    for (const { config: c } of mine) expect(c.init.constantNorm).toBe(c.name!.startsWith('alpha'));
    expect(mine.filter(({ config: c }) => c.init.zeroOutput).length).toBe(15);
  });

  it('reproduce passes its flags on: --measure adds progress measures (O-information always kept), --bins and --expensive-every apply', async () => {
    const { Command } = await import('commander');
    const { register, reproduceOverrides } = await import('../src/commands/reproduce.js');
    const { reproducePlan } = await import('../src/experiments/reproduce.js');
    const program = new Command();
    program.exitOverride();
    register(program);
    const cmd = program.commands.find((c) => c.name() === 'reproduce')!;
    cmd.parseOptions(['--measure', 'loss,weight-norm', '--bins', '8', '--expensive-every', '100']);
    const plan = reproducePlan({ overrides: reproduceOverrides(cmd.opts()) });
    expect(plan.runs.length).toBe(35);
    for (const { config: c } of plan.runs) {
      expect(c.measure.kind).toBe('oinfo');
      expect(c.measure.bins).toBe(8);
      expect(c.measures?.names).toEqual(['loss', 'weight-norm']);
      expect(c.measures?.expensiveEvery).toBe(100);
    }
    // without --measure: the O-information alone, as the paper
    const plain = reproducePlan({ overrides: reproduceOverrides({}) });
    expect(plain.runs.every(({ config: c }) => c.measure.kind === 'oinfo' && !c.measures?.names?.length)).toBe(true);
  });
});

describe('one run-configuration schema', () => {
  const message = (f: () => unknown): string => {
    try {
      f();
    } catch (e) {
      return e instanceof GrokinfoError ? `${e.code}: ${e.message}` : `not-coded: ${String(e)}`;
    }
    return 'no error';
  };

  it('defaults: the paper run (METHOD.md §1: AdamW lr 0.03, weight decay 2.0), the trainer spec and the measure in bits', async () => {
    const { DEFAULT_MODEL, modelSpecOf } = await import('../src/training/trainer.js');
    const { defaultMeasure } = await import('../src/config/config.js');
    const c = paperDefaults();
    expect(c.optim.weightDecay).toBe(2);
    expect(DEFAULT_MODEL).toEqual({
      seed: 0, optimizer: 'adamw', lr: 0.03, weightDecay: 2, beta1: 0.9, beta2: 0.98, eps: 1e-8,
      alpha: 1, zeroOutput: false, constantNorm: false, omnigrokBiases: false, batchSeed: 0,
    });
    expect(modelSpecOf(c)).toEqual(DEFAULT_MODEL);
    expect(defaultMeasure()).toEqual({ kind: 'oinfo', every: 5, bins: 10, ties: 'average', units: 'bits', biasCorrect: false, layer: 0 });
  });

  it('every field with a flag is a CLI option whose help names its default; lists only for grid fields', async () => {
    const { Command } = await import('commander');
    const { RUN_FIELDS } = await import('../src/config/schema.js');
    const { addRunFlags } = await import('../src/commands/runflags.js');
    const cmd = addRunFlags(new Command('train'));
    const help = cmd.helpInformation();
    for (const f of RUN_FIELDS.filter((x) => x.flag)) {
      const line = help.split('\n').find((l) => l.trimStart().startsWith(`--${f.flag}`));
      expect(line, f.path).toBeDefined();
    }
    expect(help).toMatch(/--weight-decay <wd>\s+weight decay \(default 2\)/);
    expect(help).toMatch(/--hidden <widths>[\s\S]*?\(default 250\)/);
    expect(help).toMatch(/--units <u>\s+bits \| nats: information units \(default bits\)/);
    const { base } = runFlagsToConfig({ checkpoints: '0,10', measure: 'oinfo', biasCorrect: true }, false);
    expect(base).toMatchObject({ checkpoints: [0, 10], measure: { kind: 'oinfo', biasCorrect: true } });
    expect(message(() => runFlagsToConfig({ measure: 'oinfo', bins: '10,20' }, true))).toMatch(/INVALID_ARGUMENT: --bins: a single value \(it cannot be a grid axis\)/);
  });

  it('a misspelt key anywhere in a sweep file or configuration is refused, naming it and the allowed keys', () => {
    const m1 = message(() => planSweep({ base: { optim: { weight_decay: 1 } } } as never));
    expect(m1).toMatch(/^INVALID_ARGUMENT: .*unknown key "base\.optim\.weight_decay"/);
    expect(m1).toContain('optimizer, lr, weightDecay, beta1, beta2, eps');
    const m2 = message(() => planSweep({ list: [{ init: { alpha: 8 } }, { init: { Alpha: 8 } }] } as never));
    expect(m2).toMatch(/unknown key "list\.1\.init\.Alpha".*seed, alpha, zeroOutput, constantNorm, omnigrokBiases/);
    const m3 = message(() => planSweep({ grid: { 'optim.weight_decay': [1, 2] } }));
    expect(m3).toMatch(/unknown key "grid\.optim\.weight_decay".*optim\.weightDecay/);
    const m4 = message(() => planSweep({ base: { optimizer: 'sgd' } } as never));
    expect(m4).toMatch(/unknown key "base\.optimizer".*task, model, optim, init/);
    const m5 = message(() => resolveRunConfig({ optim: { weight_decay: 1 } } as never));
    expect(m5).toMatch(/^INVALID_ARGUMENT: run configuration: unknown key "optim\.weight_decay": allowed here: optimizer, lr, weightDecay/);
    // values are checked against the field's range too, grid values included
    expect(message(() => planSweep({ grid: { 'optim.lr': [0.01, -1] } }))).toMatch(/^INVALID_ARGUMENT/);
    expect(message(() => planSweep({ grid: { 'measure.bins': [5, 10] } }))).toMatch(/unknown key "grid\.measure\.bins"/);
  });

  it('hidden layers: one limit (16) for the configuration and the trainer', async () => {
    const { MAX_LAYERS } = await import('../src/training/trainer.js');
    expect(MAX_LAYERS).toBe(16);
    expect(resolveRunConfig({ model: { hidden: Array(16).fill(4) } }).model.hidden.length).toBe(16);
    expect(message(() => resolveRunConfig({ model: { hidden: Array(17).fill(4) } }))).toMatch(/INVALID_ARGUMENT: model\.hidden \(--hidden\): 1 to 16 layer widths/);
  });
});
