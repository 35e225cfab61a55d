/**
 * Reads a run directory or a sweep directory (src/types.ts describes both) into memory for the report.
 * A run needs config.json; metrics.jsonl, oinfo.jsonl, summary.json and phases.json are optional and a
 * missing one becomes a note (the figures that need it are left out, and the report says so).
 * Runs are grouped into configurations: runs whose configs are equal apart from the seed (init.seed)
 * and the name. Ablation runs (config.mask) form their own configurations.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { GrokinfoError, invalidArgument } from '../errors.js';
import { readJson, readJsonl } from '../fsutil.js';
import { checkSummary } from '../run.js';
import type { MetricsRecord, OInfoRecord, PhasesFile, RunConfig, RunSummary } from '../types.js';

export interface LoadedRun {
  id: string;
  dir: string;
  config: RunConfig;
  metrics: MetricsRecord[];
  /** null when the run has no oinfo.jsonl (not measured). */
  oinfo: OInfoRecord[] | null;
  summary: RunSummary | null;
  phases: PhasesFile | null;
}

export interface ConfigGroup {
  /** Stable key: the canonical JSON of the config without seed and name. */
  key: string;
  /** Short human label made of the fields that differ between the configurations ("wd=0.1"). */
  label: string;
  /** Runs of this configuration, sorted by seed. */
  runs: LoadedRun[];
}

export interface LoadedReport {
  kind: 'run' | 'sweep';
  dir: string;
  /** sweep.json as written by the sweep (opaque here), null for a single run. */
  sweep: unknown;
  runs: LoadedRun[];
  groups: ConfigGroup[];
  /** What is missing, in words, for the report's header. */
  notes: string[];
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function readJsonlChecked<T>(path: string): T[] {
  try {
    return readJsonl<T>(path);
  } catch (e) {
    if (e instanceof GrokinfoError) throw e;
    throw new GrokinfoError('IO', `could not read ${path}: ${(e as Error).message}`);
  }
}

function checkConfig(c: unknown, path: string): RunConfig {
  const cfg = c as RunConfig;
  if (!cfg || typeof cfg !== 'object' || !cfg.init || !cfg.optim || !cfg.task || !cfg.model) {
    throw new GrokinfoError('INVALID_DATA', `${path} is not a run configuration (needs task, model, optim, init)`);
  }
  return cfg;
}

/** Reads one run directory. */
export async function loadRunDir(dir: string, notes: string[] = [], runId?: string): Promise<LoadedRun> {
  const abs = resolve(dir);
  if (!isDir(abs)) throw invalidArgument('run directory', 'an existing directory holding config.json', dir);
  const cfgPath = join(abs, 'config.json');
  if (!existsSync(cfgPath)) throw invalidArgument('run directory', 'a directory holding config.json (a run) or sweep.json (a sweep)', dir);
  const config = checkConfig(await readJson<unknown>(cfgPath), cfgPath);
  const id = runId ?? basename(abs);
  const metrics = readJsonlChecked<MetricsRecord>(join(abs, 'metrics.jsonl')).sort((a, b) => a.step - b.step);
  if (metrics.length === 0) notes.push(`run ${id}: no metrics.jsonl records (accuracy and loss curves left out for it)`);
  const oPath = join(abs, 'oinfo.jsonl');
  let oinfo: OInfoRecord[] | null = null;
  if (existsSync(oPath)) {
    oinfo = readJsonlChecked<OInfoRecord>(oPath).sort((a, b) => a.step - b.step);
    if (oinfo.length === 0) {
      oinfo = null;
      notes.push(`run ${id}: oinfo.jsonl is empty (O-information figures left out for it)`);
    }
  } else if (!config.mask) {
    notes.push(`run ${id}: no oinfo.jsonl (not measured): O-information figures left out for it`);
  }
  const sPath = join(abs, 'summary.json');
  const summary = existsSync(sPath) ? checkSummary(await readJson<unknown>(sPath), sPath) : null;
  if (!summary) notes.push(`run ${id}: no summary.json (final numbers taken from metrics.jsonl)`);
  const pPath = join(abs, 'phases.json');
  const phases = existsSync(pPath) ? await readJson<PhasesFile>(pPath) : null;
  return { id, dir: abs, config, metrics, oinfo, summary, phases };
}

/** A run and the ablation runs trained from it (<run>/ablation/<subnet>/, see src/ablate.ts). */
export async function loadRunTree(dir: string, notes: string[] = []): Promise<LoadedRun[]> {
  const run = await loadRunDir(dir, notes);
  const out = [run];
  const abl = join(run.dir, 'ablation');
  if (isDir(abl)) {
    for (const name of readdirSync(abl).sort()) {
      const d = join(abl, name);
      if (!isDir(d) || !existsSync(join(d, 'config.json'))) continue;
      out.push(await loadRunDir(d, notes, `${run.id}/ablation/${name}`));
    }
  }
  return out;
}

/** Reads a run directory (config.json) or a sweep directory (sweep.json and runs/<runId>/). */
export async function loadReportDir(dir: string): Promise<LoadedReport> {
  if (typeof dir !== 'string' || dir === '') throw invalidArgument('directory', 'a run or sweep directory');
  const abs = resolve(dir);
  if (!existsSync(abs)) throw invalidArgument('directory', 'an existing run or sweep directory', dir);
  if (!isDir(abs)) throw invalidArgument('directory', 'a directory (a run or a sweep), not a file', dir);
  const notes: string[] = [];
  const sweepPath = join(abs, 'sweep.json');
  if (existsSync(sweepPath)) {
    const sweep = await readJson<unknown>(sweepPath);
    const runsDir = join(abs, 'runs');
    let names: string[] = [];
    try {
      names = isDir(runsDir) ? readdirSync(runsDir).sort() : [];
    } catch (e) {
      throw new GrokinfoError('IO', `could not list ${runsDir}: ${(e as Error).message}`);
    }
    const runs: LoadedRun[] = [];
    for (const name of names) {
      const rd = join(runsDir, name);
      if (!isDir(rd)) continue;
      if (!existsSync(join(rd, 'config.json'))) {
        notes.push(`runs/${name}: no config.json (not started?): left out`);
        continue;
      }
      runs.push(...(await loadRunTree(rd, notes)));
    }
    if (runs.length === 0) notes.push('the sweep has no finished runs yet');
    return { kind: 'sweep', dir: abs, sweep, runs, groups: groupRuns(runs), notes };
  }
  if (existsSync(join(abs, 'config.json'))) {
    const runs = await loadRunTree(abs, notes);
    return { kind: 'run', dir: abs, sweep: null, runs, groups: groupRuns(runs), notes };
  }
  throw invalidArgument('directory', 'a run directory (config.json) or a sweep directory (sweep.json)', dir);
}

// ---------------------------------------------------------------------------------------------------
// Configurations

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .filter((k) => o[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** The config without what varies between the seeds of one configuration. */
export function configKey(c: RunConfig): string {
  const { name: _name, init, checkpoints: _cp, mask, ...rest } = c;
  const { seed: _seed, ...initRest } = init;
  // The kept neurons differ from seed to seed: an ablation configuration is its role, not its neuron list.
  // Ablation retraining does not measure: the measure settings are not part of its configuration.
  const m = mask ? { role: ablationRole(c), maskBias: mask.maskBias, ...(mask.source?.startsWith('random') ? { n: mask.keep.length } : {}) } : undefined;
  const { measure, ...unmeasured } = rest;
  return canonical({ ...(mask ? unmeasured : { ...unmeasured, measure }), init: initRest, mask: m });
}

/** The configuration an ablation run was derived from: the key without the mask and the measure settings. */
export function baseKey(c: RunConfig): string {
  const { mask: _mask, measure: _measure, name: _n, init, checkpoints: _cp, ...rest } = c;
  const { seed: _seed, ...initRest } = init;
  return canonical({ ...rest, init: initRest });
}

const SHORT: Record<string, string> = {
  'optim.weightDecay': 'wd',
  'init.alpha': 'alpha',
  'optim.lr': 'lr',
  'optim.optimizer': 'opt',
  'task.op': 'op',
  'task.p': 'p',
  'task.trainFraction': 'train',
  'task.splitSeed': 'split',
  'model.hidden': 'hidden',
  'init.constantNorm': 'constNorm',
  'init.zeroOutput': 'zeroOut',
  steps: 'steps',
};

function flatten(v: unknown, prefix: string, out: Map<string, string>): void {
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) flatten(x, prefix ? `${prefix}.${k}` : k, out);
  } else {
    out.set(prefix, Array.isArray(v) ? v.join('x') : String(v));
  }
}

/** Ablation role of a run: the original (no mask), its synergistic sub-network, or the inverse. */
export type AblationRole = 'original' | 'sub-network' | 'inverse' | 'random';

/**
 * Ablation role of a run, from config.mask.source as src/ablate.ts writes it ("synergy of step N",
 * "inverse of step N", "random:K of step N"); without a source, the smaller half is the sub-network.
 */
export function ablationRole(c: RunConfig): AblationRole {
  if (!c.mask) return 'original';
  const src = c.mask.source ?? '';
  if (/^invers|complement/i.test(src)) return 'inverse';
  if (/^random/i.test(src)) return 'random';
  if (/^syn|sub/i.test(src)) return 'sub-network';
  const width = c.model.hidden[0] ?? 0;
  return c.mask.keep.length * 2 <= width ? 'sub-network' : 'inverse';
}

/** Groups runs into configurations and labels each by the fields that differ between them. */
export function groupRuns(runs: LoadedRun[]): ConfigGroup[] {
  const byKey = new Map<string, LoadedRun[]>();
  for (const r of runs) {
    const k = configKey(r.config);
    const list = byKey.get(k) ?? [];
    list.push(r);
    byKey.set(k, list);
  }
  const keys = [...byKey.keys()];
  const flats = keys.map((k) => {
    const c = byKey.get(k)![0].config;
    const { name: _n, mask: _m, checkpoints: _cp, measure: _me, ...rest } = c;
    const { seed: _s, ...init } = c.init;
    const m = new Map<string, string>();
    flatten({ ...rest, init }, '', m);
    return m;
  });
  const fields = new Set<string>();
  for (const f of flats) for (const k of f.keys()) fields.add(k);
  const differing = [...fields].filter((f) => new Set(flats.map((m) => m.get(f))).size > 1);
  const groups = keys.map((k, i) => {
    const rs = byKey.get(k)!.sort((a, b) => a.config.init.seed - b.config.init.seed || a.id.localeCompare(b.id));
    const c = rs[0].config;
    // alpha runs are wd 0, zeroed output, constant norm by construction (config.ts alphaInit): say
    // "alpha=8" rather than every field that comes with it, and "wd=2" rather than "wd=2 alpha=1".
    const alphaRun = c.init.constantNorm || c.init.alpha !== 1;
    const implied = (f: string) =>
      f === 'init.zeroOutput' || f === 'init.constantNorm' ? differing.includes('init.alpha') : f === 'init.alpha' ? !alphaRun : f === 'optim.weightDecay' ? alphaRun && c.optim.weightDecay === 0 : false;
    const parts = differing.filter((f) => !implied(f)).map((f) => `${SHORT[f] ?? f}=${flats[i].get(f)}`);
    if (parts.length === 0) parts.push(`wd=${c.optim.weightDecay}`, `alpha=${c.init.alpha}`);
    const role = ablationRole(c);
    if (role !== 'original') parts.push(role);
    return { key: k, label: parts.join(' '), runs: rs };
  });
  // Stable, readable order: originals before ablations, then by weight decay, alpha, label.
  const roleOrder = { original: 0, 'sub-network': 1, inverse: 2, random: 3 } as const;
  groups.sort((a, b) => {
    const ca = a.runs[0].config;
    const cb = b.runs[0].config;
    return (
      roleOrder[ablationRole(ca)] - roleOrder[ablationRole(cb)] ||
      Number(ca.init.constantNorm) - Number(cb.init.constantNorm) ||
      ca.optim.weightDecay - cb.optim.weightDecay ||
      ca.init.alpha - cb.init.alpha ||
      a.label.localeCompare(b.label)
    );
  });
  // Labels must be unique (they name series): append an index where two collide.
  const seen = new Map<string, number>();
  for (const g of groups) {
    const n = seen.get(g.label) ?? 0;
    seen.set(g.label, n + 1);
    if (n > 0) g.label = `${g.label} #${n + 1}`;
  }
  return groups;
}
