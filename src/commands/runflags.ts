/**
 * Flags shared by `train`, `sweep`, `ablate` and `reproduce`: every RunConfig field has one. In a
 * sweep a flag may list several comma-separated values, which become a grid axis.
 */
import { resolve as resolvePath } from 'node:path';
import type { Command } from 'commander';
import { invalidArgument, GrokinfoError } from '../errors.js';
import type { PartialRunConfig } from '../config.js';
import { MEASURE_NAMES, parseMeasureList } from '../measures/registry.js';

interface FlagDef {
  flag: string; // commander flag spec
  key: string; // commander option key
  path: string; // RunConfig path
  kind: 'number' | 'int' | 'string' | 'bool' | 'widths' | 'path';
  help: string;
}

export const RUN_FLAGS: FlagDef[] = [
  { flag: '--op <op>', key: 'op', path: 'task.op', kind: 'string', help: 'add | sub | mul | div | x2xyy2 (default add)' },
  { flag: '--p <p>', key: 'p', path: 'task.p', kind: 'int', help: 'modulus (default 97; prime for div)' },
  { flag: '--train-fraction <f>', key: 'trainFraction', path: 'task.trainFraction', kind: 'number', help: 'training fraction (default 0.4)' },
  { flag: '--split-seed <n>', key: 'splitSeed', path: 'task.splitSeed', kind: 'int', help: 'seed of the train/test split, shared by all model seeds (default 420)' },
  { flag: '--split <kind>', key: 'split', path: 'task.split', kind: 'string', help: "train/test split: auto | authors | seeded (default auto: the authors' PyTorch split for p 97 with split seed 420, else grokinfo's seeded shuffle)" },
  { flag: '--split-from <file>', key: 'splitFrom', path: 'task.splitFrom', kind: 'path', help: 'training pair indices a*p+b (JSON array or 1-D integer .npy); the test set is every other pair' },
  { flag: '--hidden <widths>', key: 'hidden', path: 'model.hidden', kind: 'widths', help: 'hidden layer widths, e.g. 250 or 128x128 (default 250)' },
  { flag: '--bias-first <bool>', key: 'biasFirst', path: 'model.biasFirst', kind: 'bool', help: 'first-layer bias (default true)' },
  { flag: '--bias-hidden <bool>', key: 'biasHidden', path: 'model.biasHidden', kind: 'bool', help: 'hidden-to-hidden biases (default true)' },
  { flag: '--bias-out <bool>', key: 'biasOut', path: 'model.biasOut', kind: 'bool', help: 'output bias (default false)' },
  { flag: '--optimizer <name>', key: 'optimizer', path: 'optim.optimizer', kind: 'string', help: 'adamw | adam | sgd (default adamw)' },
  { flag: '--lr <lr>', key: 'lr', path: 'optim.lr', kind: 'number', help: 'learning rate (default 0.03)' },
  { flag: '--weight-decay <wd>', key: 'weightDecay', path: 'optim.weightDecay', kind: 'number', help: 'weight decay (default 2.0)' },
  { flag: '--beta1 <b>', key: 'beta1', path: 'optim.beta1', kind: 'number', help: 'Adam beta1 (default 0.9)' },
  { flag: '--beta2 <b>', key: 'beta2', path: 'optim.beta2', kind: 'number', help: 'Adam beta2 (default 0.98)' },
  { flag: '--eps <eps>', key: 'eps', path: 'optim.eps', kind: 'number', help: 'Adam eps (default 1e-8)' },
  { flag: '--seed <n>', key: 'seed', path: 'init.seed', kind: 'int', help: 'model (initialisation) seed (default 0)' },
  { flag: '--alpha <a>', key: 'alpha', path: 'init.alpha', kind: 'number', help: 'init scale of the weight matrices (default 1)' },
  { flag: '--zero-output <bool>', key: 'zeroOutput', path: 'init.zeroOutput', kind: 'bool', help: 'zero the output layer at init' },
  { flag: '--constant-norm <bool>', key: 'constantNorm', path: 'init.constantNorm', kind: 'bool', help: 'rescale weights to the initial norm after every step' },
  { flag: '--omnigrok-biases <bool>', key: 'omnigrokBiases', path: 'init.omnigrokBiases', kind: 'bool', help: "Omnigrok's variant: biases scaled and renormalised too" },
  { flag: '--init-from <file>', key: 'initFrom', path: 'init.from', kind: 'path', help: 'initial weights from a safetensors file (layers.0.weight, layers.0.bias, layers.1.weight, ...; e.g. a PyTorch state_dict)' },
  { flag: '--steps <n>', key: 'steps', path: 'steps', kind: 'int', help: 'optimiser steps (default 4000)' },
  { flag: '--eval-every <n>', key: 'evalEvery', path: 'evalEvery', kind: 'int', help: 'evaluate every n steps (default 5)' },
  { flag: '--grok-threshold <acc>', key: 'grokThreshold', path: 'grokThreshold', kind: 'number', help: 'test accuracy that counts as grokked (default 0.98)' },
];

export function addRunFlags(cmd: Command, opts: { lists?: boolean } = {}): Command {
  for (const f of RUN_FLAGS) cmd.option(f.flag, opts.lists ? `${f.help}; comma-separated values make a grid axis` : f.help);
  cmd.option('--alpha-init', 'the alpha experiments (§4): weight decay 0, output zeroed, constant weight norm');
  cmd.option('--checkpoints <steps>', 'save safetensors checkpoints at these steps, e.g. 0,1000,4000');
  cmd.option('--measure <names>', `progress measures during training, comma-separated, or 'all': ${MEASURE_NAMES.join(', ')} (docs/measures.md)`);
  cmd.option('--every <n>', 'O-information every n steps (default 5)');
  cmd.option('--expensive-every <n>', 'expensive progress measures every n steps (default 50; cheap ones run at every evaluation)');
  cmd.option('--bins <k>', 'Ward bins of the hidden neurons (default 10)');
  cmd.option('--ties <policy>', 'rank ties: average | random | ordinal (default average)');
  cmd.option('--units <u>', 'bits | nats (default bits)');
  cmd.option('--bias-correct', 'apply the Ince et al. bias correction');
  cmd.option('--layer <l>', 'hidden layer to measure (default 0)');
  cmd.option('--backend <b>', 'auto | cpu | cuda', 'auto');
  return cmd;
}

export function parseNumber(flag: string, text: string, integer = false): number {
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v) || (integer && !Number.isInteger(v)))
    throw invalidArgument(flag, integer ? 'an integer' : 'a finite number', text);
  return v;
}

export function parseBool(flag: string, text: string | boolean): boolean {
  if (typeof text === 'boolean') return text;
  if (/^(true|1|yes|on)$/i.test(text)) return true;
  if (/^(false|0|no|off)$/i.test(text)) return false;
  throw invalidArgument(flag, 'true or false', text);
}

function parseValue(f: FlagDef, text: string): unknown {
  const flag = f.flag.split(' ')[0];
  switch (f.kind) {
    case 'number':
      return parseNumber(flag, text);
    case 'int':
      return parseNumber(flag, text, true);
    case 'bool':
      return parseBool(flag, text);
    case 'widths':
      return text.split('x').map((w) => parseNumber(flag, w, true));
    case 'path':
      if (text === '') throw invalidArgument(flag, 'a file path', text);
      return resolvePath(text);
    default:
      return text;
  }
}

function setPath(obj: Record<string, unknown>, path: string, value: unknown) {
  const keys = path.split('.');
  let o = obj;
  for (const k of keys.slice(0, -1)) o = (o[k] ??= {}) as Record<string, unknown>;
  o[keys[keys.length - 1]] = value;
}

/**
 * Reads the run flags. Returns the single-valued settings as a partial config, and (when lists are
 * allowed) the multi-valued ones as grid axes keyed by config path.
 */
export function runFlagsToConfig(
  o: Record<string, unknown>,
  allowLists: boolean,
): { base: PartialRunConfig; grid: Record<string, unknown[]> } {
  const base: Record<string, unknown> = {};
  const grid: Record<string, unknown[]> = {};
  if (o.alphaInit) {
    setPath(base, 'optim.weightDecay', 0);
    setPath(base, 'init.zeroOutput', true);
    setPath(base, 'init.constantNorm', true);
  }
  for (const f of RUN_FLAGS) {
    const raw = o[f.key];
    if (raw === undefined) continue;
    const parts = f.kind === 'path' ? [String(raw)] : String(raw).split(',');
    if (parts.length > 1 && !allowLists)
      throw invalidArgument(f.flag.split(' ')[0], 'a single value here (lists are for `grokinfo sweep`)', raw);
    const values = parts.map((p) => parseValue(f, p.trim()));
    if (values.length === 1) setPath(base, f.path, values[0]);
    else grid[f.path] = values;
  }
  if (o.checkpoints !== undefined)
    setPath(base, 'checkpoints', String(o.checkpoints).split(',').map((s) => parseNumber('--checkpoints', s.trim(), true)));
  const measureFlags = ['every', 'bins', 'ties', 'units', 'biasCorrect', 'layer'];
  const names = o.measure !== undefined ? parseMeasureList(String(o.measure)) : [];
  const wantsOinfo = names.includes('oinfo');
  if (measureFlags.some((k) => o[k] !== undefined) && !wantsOinfo)
    throw invalidArgument('--measure', "a list including 'oinfo' when --every/--bins/--ties/--units/--layer are given", o.measure);
  if (wantsOinfo) {
    const m: Record<string, unknown> = { kind: 'oinfo' };
    if (o.every !== undefined) m.every = parseNumber('--every', String(o.every), true);
    if (o.bins !== undefined) m.bins = parseNumber('--bins', String(o.bins), true);
    if (o.ties !== undefined) m.ties = o.ties;
    if (o.units !== undefined) m.units = o.units;
    if (o.biasCorrect) m.biasCorrect = true;
    if (o.layer !== undefined) m.layer = parseNumber('--layer', String(o.layer), true);
    base.measure = m;
  }
  const others = String(o.measure ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s && s !== 'oinfo');
  if (others.length) {
    // 'all' stays literal until the task is known (resolveRunConfig drops Fourier measures where they do not apply)
    const m: Record<string, unknown> = { names: others };
    if (o.expensiveEvery !== undefined) m.expensiveEvery = parseNumber('--expensive-every', String(o.expensiveEvery), true);
    base.measures = m;
  } else if (o.expensiveEvery !== undefined) throw invalidArgument('--expensive-every', 'only with --measure naming a measure other than oinfo', o.expensiveEvery);
  return { base: base as PartialRunConfig, grid };
}

/** An AbortController wired to SIGINT/SIGTERM: the first signal cancels cleanly, a second one exits. */
export function interruptController(onCancel?: () => void): { signal: AbortSignal; dispose(): void } {
  const ac = new AbortController();
  let count = 0;
  const handler = () => {
    count++;
    if (count === 1) {
      onCancel?.();
      ac.abort(new GrokinfoError('CANCELLED', 'interrupted'));
    } else process.exit(130);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: ac.signal,
    dispose() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
