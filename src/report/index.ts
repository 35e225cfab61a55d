/**
 * The reporting layer: figures of a run or a sweep as SVG and PNG files, and one self-contained HTML
 * report. `buildReport(dir, {out, formats, claims})` is what `grokinfo report` calls.
 *
 *   load.ts     run / sweep directory -> records in memory, grouped into configurations
 *   figures.ts  records -> Vega-Lite specs + the rows they plot
 *   render.ts   spec -> SVG (vega, headless) -> PNG (resvg, with a font found on the machine)
 *   html.ts     figures + claims + configs + timings -> report.html
 */
import { mkdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { GrokinfoError, invalidArgument } from '../core/errors.js';
import { ioError, writeFileAtomic } from '../core/fsutil.js';
import type { ProgressSink } from '../core/progress.js';
import { buildFigures, finalTestAcc, grokStep, type Figure } from './figures.js';
import { buildHtml, type ClaimRow, type HtmlFigure, type TimingRow } from './html.js';
import { loadReportDir, type LoadedReport } from './load.js';
import { chooseFont, fontWarning, renderPng, renderSvg } from './render.js';

export * from './claims.js';
export * from './figures.js';
export * from './html.js';
export * from './load.js';
export * from './render.js';
export * from './stats.js';

export type ReportFormat = 'svg' | 'png' | 'html';
export const REPORT_FORMATS: readonly ReportFormat[] = ['svg', 'png', 'html'];

export interface ReportOptions {
  /** Output folder (default: <dir>/report). Figures go to <out>/figures/, the HTML to <out>/report.html. */
  out?: string;
  formats?: readonly ReportFormat[];
  /** Rows of the claims table (from the analysis layer); omitted: the report says none was given. */
  claims?: ClaimRow[] | null;
  progress?: ProgressSink;
  /** PNG scale over the SVG's pixel size (default 2). */
  pngScale?: number;
  title?: string;
}

export interface ReportResult {
  out: string;
  files: string[];
  figures: { id: string; title: string; files: string[] }[];
  skipped: { id: string; reason: string }[];
  notes: string[];
  font: string;
}

export function parseFormats(text: string): ReportFormat[] {
  const parts = text
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  if (parts.length === 0) throw invalidArgument('--format', `a comma-separated list of ${REPORT_FORMATS.join(', ')}`, text);
  for (const p of parts) if (!REPORT_FORMATS.includes(p as ReportFormat)) throw invalidArgument('--format', `a comma-separated list of ${REPORT_FORMATS.join(', ')}`, text);
  return [...new Set(parts)] as ReportFormat[];
}

function timingRows(rep: LoadedReport): TimingRow[] {
  const labelOf = new Map<string, string>();
  for (const g of rep.groups) for (const r of g.runs) labelOf.set(r.id, g.label);
  return rep.runs.map((r) => ({
    run: r.id,
    config: labelOf.get(r.id) ?? '',
    seed: r.config.init.seed,
    backend: r.summary?.backend ?? '–',
    steps: r.summary?.stepsDone ?? (r.metrics.length ? r.metrics[r.metrics.length - 1].step : null),
    wallSeconds: r.summary?.wallSeconds ?? null,
    trainSeconds: r.summary?.trainSeconds ?? null,
    measureSeconds: r.summary?.measureSeconds ?? null,
    grokStep: grokStep(r),
    finalTestAcc: finalTestAcc(r),
    failed: r.summary?.failed ?? null,
  }));
}

/** Renders the figures of a loaded report and writes the requested formats. */
export async function writeReport(rep: LoadedReport, opts: ReportOptions = {}): Promise<ReportResult> {
  const formats = opts.formats ?? REPORT_FORMATS;
  for (const f of formats) if (!REPORT_FORMATS.includes(f)) throw invalidArgument('formats', `a list of ${REPORT_FORMATS.join(', ')}`, formats);
  const out = resolve(opts.out ?? join(rep.dir, 'report'));
  // Everything is rendered into a hidden staging folder and moved into `out` only at the end, so a
  // failure (a full disk, a bad record, a cancel) leaves no half-written report behind.
  const stage = join(dirname(out), `.${basename(out)}.partial-${process.pid}`);
  const staged: [string, string][] = [];
  const figDir = join(stage, 'figures');
  const finalOf = (p: string) => join(out, relative(stage, p));
  const writeStaged = async (p: string, data: string | Uint8Array) => {
    await writeFileAtomic(p, data).catch((e) => {
      throw e instanceof GrokinfoError ? new GrokinfoError(e.code, e.message.replace(p, finalOf(p)), e.details) : e;
    });
    staged.push([p, finalOf(p)]);
    return finalOf(p);
  };
  try {
    return await renderAll();
  } finally {
    await rm(stage, { recursive: true, force: true }).catch(() => undefined);
  }
  async function renderAll(): Promise<ReportResult> {
  const progress = opts.progress;
  const { figures, skipped } = buildFigures(rep);
  const notes = [...rep.notes];
  const warn = formats.includes('png') ? fontWarning() : null;
  if (warn) {
    notes.push(warn);
    progress?.line(`warning: ${warn}`);
  }
  const files: string[] = [];
  const result: ReportResult = { out, files, figures: [], skipped, notes, font: chooseFont().source };
  const htmlFigures: HtmlFigure[] = [];
  const needSvg = formats.includes('svg') || formats.includes('html') || formats.includes('png');
  for (let i = 0; i < figures.length; i++) {
    const f: Figure = figures[i];
    const t0 = Date.now();
    const own: string[] = [];
    const svg = needSvg ? await renderSvg(f.spec) : undefined;
    if (svg && formats.includes('svg')) {
      own.push(await writeStaged(join(figDir, `${f.id}.svg`), svg));
    }
    let png: Buffer | undefined;
    if (svg && formats.includes('png')) {
      png = renderPng(svg, opts.pngScale ?? 2);
      own.push(await writeStaged(join(figDir, `${f.id}.png`), png));
    }
    files.push(...own);
    result.figures.push({ id: f.id, title: f.title, files: own });
    // The HTML inlines the SVG; only a PNG-without-SVG request embeds the PNG (as a data URI) instead.
    const inlineSvg = formats.includes('svg') || !png;
    htmlFigures.push({ id: f.id, title: f.title, caption: f.caption, svg: inlineSvg ? svg : undefined, png: inlineSvg ? undefined : png });
    progress?.line(`figure ${i + 1}/${figures.length} ${f.id}: ${f.title} (${((Date.now() - t0) / 1000).toFixed(1)}s)`);
  }
  for (const s of skipped) progress?.line(`figure ${s.id} left out: ${s.reason}`);
  if (formats.includes('html')) {
    const html = buildHtml({
      title: opts.title ?? `grokinfo report: ${rep.dir.split(/[\\/]/).pop()}`,
      source: rep.dir,
      kind: rep.kind,
      generated: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      notes,
      figures: htmlFigures,
      skipped,
      claims: opts.claims ?? null,
      configs: rep.groups.map((g) => ({ label: g.label, runs: g.runs.map((r) => r.id), config: g.runs[0].config })),
      timings: timingRows(rep),
    });
    const p = await writeStaged(join(stage, 'report.html'), html);
    files.push(p);
    progress?.line(`report ${p}`);
  }
  for (const [from, to] of staged) {
    try {
      await mkdir(dirname(to), { recursive: true });
      await rename(from, to);
    } catch (e) {
      throw ioError(to, e);
    }
  }
  return result;
  }
}

/** Loads a run or sweep directory and writes its figures and report. */
export async function buildReport(dir: string, opts: ReportOptions = {}): Promise<ReportResult> {
  const rep = await loadReportDir(dir);
  return writeReport(rep, opts);
}
