/**
 * Runs in memory: the one loader of a run directory (src/config/types.ts describes it) for analysis and the
 * report, and the grouping of runs into configurations by their full configuration key (configKey).
 * A run needs config.json; metrics.jsonl, oinfo.jsonl, measures.jsonl, summary.json and phases.json are optional and
 * a missing one becomes a note (analysis asks for finished runs: summary.json required).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { ablationRole, configKey, configurationLabels, primaryRecords } from '../config/config.js';
import { GrokinfoError, invalidArgument } from '../core/errors.js';
import { readJson, readJsonl } from '../core/fsutil.js';
import type { MeasuresRecord } from '../measures/compute.js';
import { checkSummary } from '../training/run.js';
import { measuredOInfo, type MetricsRecord, type OInfoErrorRecord, type OInfoRecord, type PhasesFile, type RunConfig, type RunSummary } from '../config/types.js';

export interface LoadedRun {
  id: string;
  dir: string;
  config: RunConfig;
  /** Sorted by step. */
  metrics: MetricsRecord[];
  /** Sorted by step; null when the run has no oinfo.jsonl records (not measured). The primary layer's (primaryLayer: the configured one, layer 0 for --layer all). */
  oinfo: OInfoRecord[] | null;
  /** Every measured layer's records by layer (--layer all measures several; one entry otherwise), sorted by step. */
  oinfoByLayer: Map<number, OInfoRecord[]>;
  /** Sorted by step: measures.jsonl (the progress-measure framework, docs/measures.md); empty when not measured. */
  measures: MeasuresRecord[];
  /** null when the run has no summary.json (not finished). */
  summary: RunSummary | null;
  phases: PhasesFile | null;
}

/** A run with its summary.json. */
export type FinishedRun = LoadedRun & { summary: RunSummary };

export interface ConfigGroup {
  /** Stable key: configKey (the canonical JSON of the config without seed, name and checkpoints). */
  key: string;
  /** Short human label made of the fields that differ between the configurations ("wd=0.1"). */
  label: string;
  /** Runs of this configuration, sorted by seed. */
  runs: LoadedRun[];
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
export async function loadRun(dir: string, notes: string[] = [], runId?: string): Promise<LoadedRun> {
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
  const oinfoByLayer = new Map<number, OInfoRecord[]>();
  if (existsSync(oPath)) {
    const lines = readJsonlChecked<OInfoRecord | OInfoErrorRecord>(oPath);
    const all = measuredOInfo<OInfoRecord>(lines).sort((a, b) => a.step - b.step);
    if (all.length < lines.length)
      notes.push(`run ${id}: ${lines.length - all.length} measured step(s) in oinfo.jsonl could not be measured (their error is in the file); left out`);
    for (const r of all) {
      const l = r.layer ?? (typeof config.measure?.layer === 'number' ? config.measure.layer : 0);
      if (!oinfoByLayer.has(l)) oinfoByLayer.set(l, []);
      oinfoByLayer.get(l)!.push(r);
    }
    oinfo = primaryRecords(all, config);
    if (oinfo.length === 0) {
      oinfo = null;
      notes.push(`run ${id}: oinfo.jsonl is empty (O-information figures left out for it)`);
    }
  } else if (!config.mask) {
    notes.push(`run ${id}: no oinfo.jsonl (not measured): O-information figures left out for it`);
  }
  const measures = readJsonlChecked<MeasuresRecord>(join(abs, 'measures.jsonl')).sort((a, b) => a.step - b.step);
  const sPath = join(abs, 'summary.json');
  const summary = existsSync(sPath) ? checkSummary(await readJson<unknown>(sPath), sPath) : null;
  if (!summary) notes.push(`run ${id}: no summary.json (final numbers taken from metrics.jsonl)`);
  const pPath = join(abs, 'phases.json');
  const phases = existsSync(pPath) ? await readJson<PhasesFile>(pPath) : null;
  return { id, dir: abs, config, metrics, oinfo, oinfoByLayer, measures, summary, phases };
}

/** A run and the ablation runs trained from it (<run>/ablation/<subnet>/, see src/experiments/ablate.ts). */
export async function loadRunTree(dir: string, notes: string[] = []): Promise<LoadedRun[]> {
  const run = await loadRun(dir, notes);
  const out = [run];
  const abl = join(run.dir, 'ablation');
  if (isDir(abl)) {
    for (const name of readdirSync(abl).sort()) {
      const d = join(abl, name);
      if (!isDir(d) || !existsSync(join(d, 'config.json'))) continue;
      out.push(await loadRun(d, notes, `${run.id}/ablation/${name}`));
    }
  }
  return out;
}

/** Reads a finished run (summary.json required), e.g. for analysis. */
export async function loadFinishedRun(dir: string, notes: string[] = []): Promise<FinishedRun> {
  if (!existsSync(join(dir, 'summary.json'))) throw new GrokinfoError('INVALID_ARGUMENT', `${dir} is not a finished run (no summary.json)`);
  return (await loadRun(dir, notes)) as FinishedRun;
}

/** Groups runs into configurations (configKey) and labels each by the fields that differ between them. */
export function groupRuns<R extends LoadedRun>(runs: R[]): (Omit<ConfigGroup, 'runs'> & { runs: R[] })[] {
  const byKey = new Map<string, R[]>();
  for (const r of runs) {
    const k = configKey(r.config);
    const list = byKey.get(k) ?? [];
    list.push(r);
    byKey.set(k, list);
  }
  const labels = configurationLabels(runs.map((r) => r.config));
  const groups = [...byKey.entries()].map(([key, rs]) => ({
    key,
    label: labels.get(key)!,
    runs: rs.sort((a, b) => a.config.init.seed - b.config.init.seed || a.id.localeCompare(b.id)),
  }));
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
  return groups;
}
