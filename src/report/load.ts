/**
 * Reads a run directory or a sweep directory (src/config/types.ts describes both) into memory for the report,
 * with the run loader and configuration grouping of src/experiments/runs.ts. Ablation runs (config.mask) form
 * their own configurations.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { GrokinfoError, invalidArgument } from '../core/errors.js';
import { readJson } from '../core/fsutil.js';
import { groupRuns, loadRunTree, type ConfigGroup, type LoadedRun } from '../experiments/runs.js';

export { ablationRole, baseKey, configKey, type AblationRole } from '../config/config.js';
export { groupRuns, loadRun, loadRunTree, type ConfigGroup, type LoadedRun } from '../experiments/runs.js';

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

