/** `grokinfo oinfo <file>`: O-information of the multiplets of a CSV or .npy matrix. */
import type { Command } from 'commander';
import { invalidArgument } from '../core/errors.js';
import { readMatrixFile } from '../core/io.js';
import type { BackendName } from '../addon/native.js';
import { DEFAULT_MAX_MULTIPLETS, DEFAULT_MAX_OUT_BYTES, oinfo, type MultipletRecord, type OInfoOptions, type OInfoReport } from '../measures/oinfo.js';
import { DEFAULT_UNITS } from '../config/schema.js';
import { consoleProgress, progressMeter } from '../core/progress.js';
import { BINS_SYNTAX, GROUPS_SYNTAX, parseBinsSpec, parseGroupsSpec } from '../core/specs.js';
import { jsonOutput } from './output.js';
import { interruptController } from './runflags.js';

/** A positive count with an optional k/M/G/T suffix (powers of 1000; bytes: KiB/MiB/GiB/TiB also accepted). */
export function parseSize(flag: string, v: string): number {
  const m = /^\s*(\d+(?:\.\d+)?(?:e\d+)?)\s*(?:([kmgt])(i?)b?)?\s*$/i.exec(v);
  const value = m ? Number(m[1]) * (m[3] ? 1024 : 1000) ** (m[2] ? 'kmgt'.indexOf(m[2].toLowerCase()) + 1 : 0) : NaN;
  if (!(value > 0) || !Number.isFinite(value))
    throw invalidArgument(flag, 'a number > 0, optionally with a k, M, G or T suffix (e.g. 5e9, 20G, 16GiB)', v);
  return value;
}

function intFlag(name: string, v: string | undefined, lo: number, hi = Number.MAX_SAFE_INTEGER): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\s*\d+\s*$/.test(v) || !Number.isInteger(n) || n < lo || n > hi) throw invalidArgument(name, `an integer in [${lo}, ${hi}]`, v);
  return n;
}

/** Bins and groups: the one syntax of src/core/specs.ts. */
export function parseUnitLists(flag: string, v: string): number[][] {
  return parseGroupsSpec(flag, v);
}

export function parseBins(v: string): { ward: number } | number[][] {
  return parseBinsSpec('--bins', v);
}

function fmt(x: number): string {
  return Number.isFinite(x) ? x.toFixed(6) : String(x);
}

function names(m: MultipletRecord, cols?: string[]): string {
  return m.variables.map((v) => (cols ? cols[v] : String(v))).join(',');
}

export function summary(r: OInfoReport): Record<string, unknown> {
  return {
    units: r.units,
    mode: r.mode,
    samples: r.samples,
    variables: r.variables,
    multiplets: r.multiplets,
    unitsList: r.unitsList,
    dead: r.dead,
    bySize: r.bySize,
    synergy: r.synergy,
    redundancy: r.redundancy,
    topSynergy: r.topSynergy,
    topRedundancy: r.topRedundancy,
    biasCorrected: r.biasCorrected,
    ties: r.ties,
    notes: r.notes,
    seconds: r.seconds,
    backend: r.backend,
    ...(r.columnNames ? { columnNames: r.columnNames } : {}),
  };
}

function table(r: OInfoReport): string {
  const cols = r.columnNames;
  const lines: string[] = [];
  lines.push(
    `${r.samples} samples x ${r.variables} variables, mode ${r.mode} (${r.unitsList.length} units), ${r.multiplets} multiplets, ` +
      `units ${r.units}${r.biasCorrected ? ', bias-corrected' : ''}, ties ${r.ties}, ${r.backend}, ${r.seconds.toFixed(3)} s`,
  );
  if (r.dead.length) lines.push(`excluded constant columns: ${r.dead.join(', ')}`);
  for (const n of r.notes) lines.push(`note: ${n}`);
  lines.push('');
  lines.push(['size', 'count', 'synergy (min)', 'members', 'redundancy (max)', 'members'].join('\t'));
  for (const s of r.bySize)
    lines.push([s.size, s.count, fmt(s.synergy.value), names(s.synergy, cols), fmt(s.redundancy.value), names(s.redundancy, cols)].join('\t'));
  lines.push('');
  lines.push(`synergy    ${fmt(r.synergy.value)}  units [${r.synergy.members.join(',')}]  variables ${names(r.synergy, cols)}`);
  lines.push(`redundancy ${fmt(r.redundancy.value)}  units [${r.redundancy.members.join(',')}]  variables ${names(r.redundancy, cols)}`);
  if (r.topSynergy.length) {
    lines.push('', 'top synergy:');
    for (const m of r.topSynergy) lines.push(`  ${fmt(m.value)}  ${names(m, cols)}`);
    lines.push('top redundancy:');
    for (const m of r.topRedundancy) lines.push(`  ${fmt(m.value)}  ${names(m, cols)}`);
  }
  return lines.join('\n') + '\n';
}

export function register(program: Command): void {
  program
    .command('oinfo')
    .description('O-information (Omega) of every multiplet of the columns of a CSV or .npy matrix (samples x variables)')
    .argument('<file>', 'CSV (header optional) or .npy (2-D float32/float64, C order)')
    .option('--min-size <n>', 'smallest multiplet, in units (default 2)')
    .option('--max-size <n>', 'largest multiplet, in units (default 3 for variables, all units for bins/groups)')
    .option('--bins <spec>', `bins: ${BINS_SYNTAX}`)
    .option('--groups <spec>', `groups as vector variables (disjoint): ${GROUPS_SYNTAX}`)
    .option('--ties <policy>', 'rank ties: average | random | ordinal', 'average')
    .option('--seed <n>', 'seed of the random tie policy', '0')
    .option('--units <u>', 'bits | nats', DEFAULT_UNITS)
    .option('--bias-correct', 'Ince et al. (2017) bias correction')
    .option('--top <k>', 'also list the k most synergistic and k most redundant multiplets', '0')
    .option('--out <file.jsonl>', 'write every multiplet as a JSON line {"members":[...],"oinfo":x}')
    .option('--backend <b>', 'auto | cpu | cuda', 'auto')
    .option('--threads <n>', 'CPU threads (default: all cores)')
    .option('--max-multiplets <n>', `refuse sizes that make more multiplets than this (default ${DEFAULT_MAX_MULTIPLETS.toExponential()})`)
    .option('--max-out-bytes <n>', `refuse an --out file estimated larger than this (default ${DEFAULT_MAX_OUT_BYTES / 2 ** 30}GiB)`)
    .option('--json', 'machine-readable summary on stdout')
    .option('--quiet', 'no progress output')
    .action(async (file: string, f: Record<string, string | boolean | undefined>) => {
      const m = readMatrixFile(file);
      const opts: OInfoOptions = {
        minSize: intFlag('--min-size', f.minSize as string | undefined, 2),
        maxSize: intFlag('--max-size', f.maxSize as string | undefined, 2),
        ties: f.ties as OInfoOptions['ties'],
        seed: intFlag('--seed', f.seed as string, 0),
        units: f.units as OInfoOptions['units'],
        biasCorrect: !!f.biasCorrect,
        topK: intFlag('--top', f.top as string, 0, 1_000_000),
        backend: f.backend as BackendName,
        threads: intFlag('--threads', f.threads as string | undefined, 0, 4096),
        ...(m.columnNames ? { columnNames: m.columnNames } : {}),
      };
      if (f.bins !== undefined) opts.bins = parseBins(f.bins as string);
      if (f.groups !== undefined) opts.groups = parseUnitLists('--groups', f.groups as string);
      if (f.out !== undefined) opts.out = f.out as string;
      if (f.maxMultiplets !== undefined) opts.maxMultiplets = parseSize('--max-multiplets', String(f.maxMultiplets));
      if (f.maxOutBytes !== undefined) opts.maxOutBytes = parseSize('--max-out-bytes', String(f.maxOutBytes));
      const progress = consoleProgress({ quiet: !!f.quiet });
      // First Ctrl-C (or SIGTERM): cancel (the engine stops within a second); a second one exits at once.
      const intr = interruptController(() => progress.line('cancelling'));
      opts.signal = intr.signal;
      opts.onProgress = progressMeter(progress, 'oinfo', 'multiplets');
      try {
        const r = await oinfo({ data: m.data, rows: m.rows, cols: m.cols }, opts);
        progress.done();
        process.stdout.write(f.json ? jsonOutput(summary(r)) : table(r));
      } finally {
        intr.dispose();
      }
    });
}
