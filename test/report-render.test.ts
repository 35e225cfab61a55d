/**
 * Rendering and output: SVG well-formed with the expected number of drawn series, PNG valid and at the
 * expected size with readable text, the HTML report self-contained with every figure and the claims
 * table, and the `grokinfo report` command (progress lines, formats, coded errors).
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { register } from '../src/commands/report.js';
import { GrokinfoError } from '../src/core/errors.js';
import { buildReport, chooseFont, loadReportDir, paretoFigure, prefixSvgIds, rasterize, type ClaimRow, type LoadedReport, type ReportResult } from '../src/report/index.js';
import { ALPHA_SEEDS, MEASURE_EVERY, STEPS, SWEEP_SEEDS, SWEEP_WDS, tempRoot, writeRun, writeSweep } from './report-fixture.js';

/** A strict-enough XML well-formedness check: balanced, properly nested tags, quoted attributes, escaped text. */
export function checkWellFormed(xml: string): void {
  const stack: string[] = [];
  const re = /<([^>]*)>|([^<]+)/g;
  let m: RegExpExecArray | null;
  let roots = 0;
  while ((m = re.exec(xml))) {
    if (m[2] !== undefined) {
      if (/&(?!(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.test(m[2])) throw new Error(`unescaped & in text near ${m.index}`);
      continue;
    }
    const tag = m[1];
    if (tag.startsWith('?') || tag.startsWith('!')) continue;
    if (tag.startsWith('/')) {
      const name = tag.slice(1).trim();
      const open = stack.pop();
      if (open !== name) throw new Error(`</${name}> closes <${open}> at ${m.index}`);
      continue;
    }
    const name = /^([A-Za-z_][\w:.-]*)/.exec(tag)?.[1];
    if (!name) throw new Error(`bad tag <${tag.slice(0, 40)}> at ${m.index}`);
    const attrs = tag.slice(name.length).replace(/\/$/, '');
    const attrRe = /\s+([\w:.-]+)="[^"<]*"/y;
    let pos = 0;
    while (pos < attrs.trimEnd().length) {
      attrRe.lastIndex = pos;
      const a = attrRe.exec(attrs);
      if (!a) throw new Error(`bad attribute in <${name}> near "${attrs.slice(pos, pos + 40)}"`);
      pos = attrRe.lastIndex;
    }
    if (stack.length === 0) roots++;
    if (!tag.endsWith('/')) stack.push(name);
  }
  if (stack.length) throw new Error(`unclosed <${stack.join('><')}>`);
  if (roots !== 1) throw new Error(`${roots} root elements`);
}

/** Number of mark groups of a named Vega-Lite mark (one per drawn series for lines and areas). */
function groups(svg: string, name: string): number {
  return (svg.match(new RegExp(`class="mark-[a-z]+ role-mark ${name}_marks"`, 'g')) ?? []).length;
}
/** Number of drawn items (paths) inside the mark groups of a named mark. */
function items(svg: string, name: string): number {
  let n = 0;
  const re = new RegExp(`<g class="mark-[a-z]+ role-mark ${name}_marks"[^>]*>(.*?)</g>`, 'gs');
  for (const m of svg.matchAll(re)) n += (m[1].match(/<path /g) ?? []).length;
  return n;
}

function pngInfo(buf: Buffer): { width: number; height: number } {
  expect([...buf.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  expect(buf.toString('latin1', 12, 16)).toBe('IHDR');
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
}

function svgSize(svg: string): { width: number; height: number } {
  const m = /^<svg[^>]*\swidth="(\d+(?:\.\d+)?)"[^>]*\sheight="(\d+(?:\.\d+)?)"/.exec(svg)!;
  return { width: Number(m[1]), height: Number(m[2]) };
}

const CLAIMS: ClaimRow[] = [
  { id: 'C1', claim: 'an early synergy peak precedes grokking', measured: 'peak at step 60 < grok 195', verdict: 'reproduced' },
  { id: 'C2', claim: 'weight decay 10 does not grok & shows low synergy', measured: 0.31, verdict: 'not reproduced' },
];

let root: string;
let sweepDir: string;
let out: string;
let res: ReportResult;
let loaded: LoadedReport;
const lines: string[] = [];

beforeAll(async () => {
  root = tempRoot();
  sweepDir = writeSweep(root);
  out = join(root, 'out');
  loaded = await loadReportDir(sweepDir);
  res = await buildReport(sweepDir, { out, claims: CLAIMS, progress: { line: (s) => lines.push(s), status() {}, done() {} } });
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('SVG', () => {
  it('every figure is a well-formed SVG file', () => {
    expect(res.figures.map((f) => f.id)).toEqual([
      'fig1-accuracy',
      'fig2-main-1',
      'fig2-main-2',
      'fig2-main-3',
      'fig2-main-4',
      'fig3-pareto',
      'fig4-synergy-sweeps',
      'fig5-ablation',
      'fig6-grids',
    ]);
    for (const f of res.figures) {
      const svg = readFileSync(join(out, 'figures', `${f.id}.svg`), 'utf8');
      expect(svg.startsWith('<svg')).toBe(true);
      checkWellFormed(svg);
    }
    expect(() => checkWellFormed('<svg><g></svg>')).toThrow();
    expect(() => checkWellFormed('<svg a=1></svg>')).toThrow();
  });

  it('draws the expected number of series and marks', () => {
    const svg = (id: string) => readFileSync(join(out, 'figures', `${id}.svg`), 'utf8');
    const configs = 6; // 3 weight decays, alpha 8, and the two ablations
    expect(groups(svg('fig1-accuracy'), 'acc_line')).toBe(configs * 2);
    expect(groups(svg('fig1-accuracy'), 'acc_band')).toBe(configs * 2);
    for (let i = 1; i <= 4; i++) {
      expect(groups(svg(`fig2-main-${i}`), 'measure_line')).toBe(3);
      expect(groups(svg(`fig2-main-${i}`), 'measure_band')).toBe(3);
      expect(groups(svg(`fig2-main-${i}`), 'loss_line')).toBe(2);
    }
    expect(items(svg('fig2-main-2'), 'phase_rect')).toBe(3); // wd=2 has phases.json
    expect(groups(svg('fig2-main-1'), 'phase_rect')).toBe(0);
    const measured = SWEEP_WDS.length + 1;
    expect(items(svg('fig3-pareto'), 'pareto_point')).toBe(measured * (STEPS / MEASURE_EVERY));
    // one line per front of two or more points (up to 6 log-spaced fronts per configuration)
    const fronts = paretoFigure(loaded)!.data.fronts;
    const multi = new Set(fronts.map((r) => `${r.config}@${r.at}`)).size;
    expect(multi).toBeGreaterThanOrEqual(measured * 2);
    expect(multi).toBeLessThanOrEqual(measured * 6);
    expect(groups(svg('fig3-pareto'), 'pareto_front')).toBe(multi);
    expect(groups(svg('fig4-synergy-sweeps'), 'syn_line')).toBe(measured);
    expect(groups(svg('fig5-ablation'), 'abl_line')).toBe(3);
    const runs = SWEEP_WDS.length * SWEEP_SEEDS.length + ALPHA_SEEDS.length + 2 * SWEEP_SEEDS.length;
    expect(items(svg('fig6-grids'), 'acc_cell')).toBe(runs);
    expect(items(svg('fig6-grids'), 'grok_cell')).toBe(runs);
  });
});

describe('PNG', () => {
  it('valid PNG at twice the SVG size', () => {
    for (const f of res.figures) {
      const png = readFileSync(join(out, 'figures', `${f.id}.png`));
      const svg = readFileSync(join(out, 'figures', `${f.id}.svg`), 'utf8');
      const { width, height } = pngInfo(png);
      const s = svgSize(svg);
      expect(Math.abs(width - 2 * s.width)).toBeLessThanOrEqual(1);
      expect(Math.abs(height - 2 * s.height)).toBeLessThanOrEqual(1);
      expect(width).toBeGreaterThan(400);
      expect(png.length).toBeGreaterThan(10_000);
    }
  });

  it('text is drawn: a font is found and renders glyphs', () => {
    const font = chooseFont();
    expect(font.file, 'no TrueType/OpenType font on this machine: install fonts-dejavu-core (or set GROKINFO_FONT)').not.toBeNull();
    const dark = (svg: string) => {
      const { pixels } = rasterize(svg, 1);
      let n = 0;
      for (let i = 0; i < pixels.length; i += 4) if (pixels[i] < 128) n++;
      return n;
    };
    const text = '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="40"><text x="5" y="30" font-family="DejaVu Sans, Liberation Sans, Arial, sans-serif" font-size="24">Synergy</text></svg>';
    const blank = '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="40"></svg>';
    expect(dark(blank)).toBe(0);
    expect(dark(text)).toBeGreaterThan(150);
  });
});

describe('HTML report', () => {
  it('is self-contained and holds every figure, the claims table, configs and timings', () => {
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    for (const f of res.figures) {
      expect(html).toContain(`<figure class="grokinfo-figure" id="${f.id}">`);
    }
    expect((html.match(/<svg /g) ?? []).length).toBe(res.figures.length);
    expect(html).toContain('id="claims-table"');
    expect(html).toContain('an early synergy peak precedes grokking');
    expect(html).toContain('weight decay 10 does not grok &amp; shows low synergy');
    expect(html).toContain('<td>0.31</td>');
    expect((html.match(/<details class="config">/g) ?? []).length).toBe(6);
    expect(html).toContain('id="timings-table"');
    // nothing fetched from anywhere: no scripts, stylesheets, or remote sources
    expect(html).not.toMatch(/<script|<link|src="https?:|href="https?:|@import|url\(https?:/i);
    // ids unique across the inlined SVGs
    const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('prefixing SVG ids rewrites their references', () => {
    const svg = '<svg><defs><clipPath id="clip1"><rect/></clipPath></defs><g clip-path="url(#clip1)"><use href="#clip1"/></g></svg>';
    expect(prefixSvgIds(svg, 'f-')).toBe('<svg><defs><clipPath id="f-clip1"><rect/></clipPath></defs><g clip-path="url(#f-clip1)"><use href="#f-clip1"/></g></svg>');
  });

  it('a run without oinfo.jsonl: the figures that need it are left out and the report says so', async () => {
    const dir = join(root, 'unmeasured');
    writeRun(dir, { wd: 2, seed: 0, oinfo: false });
    const r = await buildReport(dir, { formats: ['html'] });
    expect(r.out).toBe(join(dir, 'report'));
    expect(r.files).toEqual([join(dir, 'report', 'report.html')]);
    const html = readFileSync(join(dir, 'report', 'report.html'), 'utf8');
    expect(html).toContain('no oinfo.jsonl');
    expect(html).toContain('fig3-pareto left out');
    expect(html).toContain('id="fig1-accuracy"');
    expect(html).toContain('No claims table was computed');
    expect(existsSync(join(dir, 'report', 'figures'))).toBe(false);
  });
});

describe('grokinfo report', () => {
  async function cli(args: string[]): Promise<string> {
    const program = new Command('grokinfo').exitOverride();
    register(program);
    let err = '';
    vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
      err += String(s);
      return true;
    });
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    await program.parseAsync(['node', 'grokinfo', 'report', ...args]);
    return err;
  }

  it('writes the requested formats with one progress line per figure', async () => {
    const o = join(root, 'cli-out');
    const err = await cli([sweepDir, '--out', o, '--format', 'svg']);
    const figs = readdirSync(join(o, 'figures')).sort();
    expect(figs.length).toBe(res.figures.length);
    expect(figs.every((f) => f.endsWith('.svg'))).toBe(true);
    expect(existsSync(join(o, 'report.html'))).toBe(false);
    expect((err.match(/^figure \d+\/9 /gm) ?? []).length).toBe(9);
  });

  it('reads claims.json from the directory', async () => {
    const dir = join(root, 'claims-run');
    writeRun(dir, { wd: 0.1, seed: 0 });
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(dir, 'claims.json'), JSON.stringify({ rows: CLAIMS }));
    await cli([dir, '--format', 'html', '--quiet']);
    expect(readFileSync(join(dir, 'report', 'report.html'), 'utf8')).toContain('an early synergy peak precedes grokking');
  });

  it('computes the claims table of a sweep with the analysis layer, unless --no-claims', async () => {
    const o = join(root, 'cli-claims');
    await cli([sweepDir, '--out', o, '--format', 'html', '--quiet']);
    const html = readFileSync(join(o, 'report.html'), 'utf8');
    const ids = [...html.matchAll(/<tr><td>(c\d+)<\/td>/g)].map((m) => m[1]);
    expect(ids.length).toBeGreaterThanOrEqual(5);
    expect(ids[0]).toBe('c1');
    // the fixture's weight decays 0.1 and 2 grok and 10 does not, but there are no runs at weight decay 50
    expect(html).toMatch(/<td>c1<\/td><td>[^<]*<\/td><td>[^<]*no runs for[^<]*50[^<]*<\/td><td class="verdict none">not measured<\/td>/);
    await cli([sweepDir, '--out', o, '--format', 'html', '--quiet', '--no-claims']);
    expect(readFileSync(join(o, 'report.html'), 'utf8')).toContain('No claims table was computed');
  });

  it('coded errors for a missing directory and a bad --format', async () => {
    const code = async (args: string[]) => {
      try {
        await cli(args);
      } catch (e) {
        expect(e).toBeInstanceOf(GrokinfoError);
        return (e as GrokinfoError).code;
      }
      return 'no error';
    };
    expect(await code([join(root, 'nope')])).toBe('INVALID_ARGUMENT');
    expect(await code([sweepDir, '--format', 'svg,pdf'])).toBe('INVALID_ARGUMENT');
    expect(await code([sweepDir, '--claims', join(root, 'no-claims.json')])).toBe('INVALID_ARGUMENT');
  });
});
