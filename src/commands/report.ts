import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { GrokinfoError } from '../core/errors.js';
import { readJson } from '../core/fsutil.js';
import { consoleProgress } from '../core/progress.js';
import { claimsFor, loadReportDir, parseFormats, writeReport, type ClaimRow } from '../report/index.js';
import { jsonOutput } from './output.js';

/** Claims rows from a JSON file: an array of {id, claim, measured, verdict}, or {rows: [...]} / {claims: [...]}. */
export async function readClaims(path: string): Promise<ClaimRow[]> {
  const v = await readJson<unknown>(path);
  const rows = Array.isArray(v) ? v : ((v as { rows?: unknown; claims?: unknown })?.rows ?? (v as { claims?: unknown })?.claims);
  if (!Array.isArray(rows)) throw new GrokinfoError('INVALID_DATA', `${path}: expected an array of {id, claim, measured, verdict} (or {rows: [...]})`);
  return rows.map((r, i) => {
    const o = r as Record<string, unknown>;
    for (const k of ['id', 'claim', 'verdict']) {
      if (o?.[k] === undefined) throw new GrokinfoError('INVALID_DATA', `${path}: row ${i} has no ${k}`, { row: i, field: k });
    }
    return { id: String(o.id), claim: String(o.claim), measured: typeof o.measured === 'number' ? o.measured : String(o.measured ?? ''), verdict: String(o.verdict) };
  });
}

export function register(program: Command): void {
  program
    .command('report')
    .description('figures (SVG, PNG) and a self-contained HTML report of a run or a sweep directory')
    .argument('<dir>', 'a run directory (config.json) or a sweep directory (sweep.json)')
    .option('--out <dir>', 'output folder (default: <dir>/report)')
    .option('--format <list>', 'comma-separated: svg, png, html', 'svg,png,html')
    .option('--claims <file>', 'claims table rows as JSON (default: <dir>/claims.json when present, else computed for a sweep)')
    .option('--no-claims', 'leave the claims table out')
    .option('--json', 'print the result as JSON')
    .option('--quiet', 'no progress output')
    .action(async (dir: string, o: Record<string, unknown>) => {
      const formats = parseFormats(String(o.format));
      const progress = consoleProgress({ quiet: !!o.quiet });
      const rep = await loadReportDir(dir);
      let claims: ClaimRow[] | null = null;
      if (typeof o.claims === 'string') {
        if (!existsSync(o.claims)) throw new GrokinfoError('INVALID_ARGUMENT', `--claims: an existing JSON file (got ${JSON.stringify(o.claims)})`);
        claims = await readClaims(o.claims);
      } else if (o.claims !== false) {
        const own = join(dir, 'claims.json');
        if (existsSync(own)) claims = await readClaims(own);
        else if (rep.kind === 'sweep') claims = claimsFor(rep);
      }
      const res = await writeReport(rep, { out: o.out !== undefined ? String(o.out) : undefined, formats, claims, progress });
      progress.done();
      if (o.json) process.stdout.write(jsonOutput(res, 2));
      else process.stdout.write(`${res.figures.length} figures, ${res.files.length} files in ${res.out}\n`);
    });
}
