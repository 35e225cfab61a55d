/**
 * Headless rendering: Vega-Lite spec -> Vega -> SVG (vega's 'none' renderer, no canvas), and
 * SVG -> PNG with resvg. Fonts: resvg draws text only with a font it can load. We look for a sans-serif
 * TrueType/OpenType file (GROKINFO_FONT, then well-known Debian/Ubuntu/Fedora/macOS paths, then any
 * .ttf/.otf under the system font folders) and hand it to resvg as the default family; when none is
 * found the PNG is still written (shapes complete) and `fontWarning()` says that its text is missing.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Resvg } from '@resvg/resvg-js';
import type * as Vega from 'vega';
import type * as VegaLite from 'vega-lite';
import { GrokinfoError } from '../core/errors.js';
import { importOptional, requireOptional } from '../core/optional.js';
import type { VlSpec } from './figures.js';

const KNOWN_FONTS = [
  '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
  '/usr/share/fonts/TTF/DejaVuSans.ttf',
  '/usr/share/fonts/dejavu/DejaVuSans.ttf',
  '/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf',
  '/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf',
  '/usr/share/fonts/liberation-sans/LiberationSans-Regular.ttf',
  '/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf',
  '/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf',
  '/usr/share/fonts/opentype/noto/NotoSans-Regular.ttf',
  '/usr/share/fonts/truetype/freefont/FreeSans.ttf',
  '/System/Library/Fonts/Supplemental/Arial.ttf',
  '/Library/Fonts/Arial.ttf',
  'C:\\Windows\\Fonts\\arial.ttf',
];
const FONT_DIRS = ['/usr/share/fonts', '/usr/local/share/fonts', join(process.env.HOME ?? '/nonexistent', '.fonts')];

export interface FontChoice {
  /** The font file handed to resvg, or null when none was found. */
  file: string | null;
  /** Where it came from, in words, for the report. */
  source: string;
}

let fontCache: FontChoice | undefined;
let familyCache: string | undefined;

function findAnyFont(dir: string, depth = 0): string | null {
  if (depth > 4) return null;
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return null;
  }
  const fonts = names.filter((n) => /\.(ttf|otf)$/i.test(n));
  const regular = fonts.find((n) => /sans/i.test(n) && !/(bold|italic|oblique|mono|light|condensed)/i.test(n)) ?? fonts.find((n) => !/(bold|italic|oblique)/i.test(n)) ?? fonts[0];
  if (regular) return join(dir, regular);
  for (const n of names) {
    const p = join(dir, n);
    try {
      if (statSync(p).isDirectory()) {
        const f = findAnyFont(p, depth + 1);
        if (f) return f;
      }
    } catch {
      /* unreadable: skip */
    }
  }
  return null;
}

/** The font resvg uses for PNG text (cached). */
export function chooseFont(): FontChoice {
  if (fontCache) return fontCache;
  const env = process.env.GROKINFO_FONT;
  if (env && existsSync(env)) return (fontCache = { file: env, source: `GROKINFO_FONT=${env}` });
  for (const f of KNOWN_FONTS) if (existsSync(f)) return (fontCache = { file: f, source: f });
  for (const d of FONT_DIRS) {
    const f = findAnyFont(d);
    if (f) return (fontCache = { file: f, source: `${f} (first font found under ${d})` });
  }
  return (fontCache = { file: null, source: 'none found' });
}

/** A sentence for the report and the progress output when PNG text cannot be drawn, else null. */
export function fontWarning(): string | null {
  if (chooseFont().file) return null;
  return 'no TrueType/OpenType font was found on this machine, so PNG figures have no text (SVG and HTML are unaffected); install one (Debian: apt-get install fonts-dejavu-core) or set GROKINFO_FONT to a .ttf file';
}

/** Vega-Lite -> Vega -> SVG string, headless. */
export async function renderSvg(spec: VlSpec): Promise<string> {
  const vega = await importOptional<typeof Vega>('vega', 'rendering figures (grokinfo/report)');
  const { compile } = await importOptional<typeof VegaLite>('vega-lite', 'rendering figures (grokinfo/report)');
  let view: Vega.View | undefined;
  try {
    const vg = compile(spec as never).spec;
    view = new vega.View(vega.parse(vg), { renderer: 'none' });
    return await view.toSVG();
  } catch (e) {
    throw new GrokinfoError('INTERNAL', `could not render a figure: ${(e as Error).message}`);
  } finally {
    view?.finalize();
  }
}

function resvgFor(svg: string, scale: number): Resvg {
  const font = chooseFont();
  const family = font.file ? (familyCache ??= familyName(font.file)) : undefined;
  const { Resvg: ResvgClass } = requireOptional<typeof import('@resvg/resvg-js')>('@resvg/resvg-js', 'PNG figures (grokinfo/report)');
  return new ResvgClass(svg, {
    background: 'white',
    fitTo: { mode: 'zoom', value: scale },
    font: font.file ? { fontFiles: [font.file], loadSystemFonts: false, defaultFontFamily: family, sansSerifFamily: family } : { loadSystemFonts: true },
  });
}

/** SVG -> PNG at `scale` times the SVG's pixel size (2 = crisp on paper and high-DPI screens). */
export function renderPng(svg: string, scale = 2): Buffer {
  return resvgFor(svg, scale).render().asPng();
}

/** SVG -> RGBA pixels (row-major, 4 bytes a pixel), as renderPng would draw them. */
export function rasterize(svg: string, scale = 1): { width: number; height: number; pixels: Buffer } {
  const img = resvgFor(svg, scale).render();
  return { width: img.width, height: img.height, pixels: img.pixels };
}

/**
 * resvg matches families by name: the file we load becomes the default and sans-serif family, under its
 * real family name read from the font's `name` table (nameID 1), falling back to the file name.
 */
export function familyName(file: string): string {
  try {
    const b = readFileSync(file);
    const numTables = b.readUInt16BE(4);
    for (let t = 0; t < numTables; t++) {
      const rec = 12 + 16 * t;
      if (b.toString('latin1', rec, rec + 4) !== 'name') continue;
      const off = b.readUInt32BE(rec + 8);
      const count = b.readUInt16BE(off + 2);
      const strings = off + b.readUInt16BE(off + 4);
      let fallback: string | null = null;
      for (let i = 0; i < count; i++) {
        const r = off + 6 + 12 * i;
        const platform = b.readUInt16BE(r);
        const nameId = b.readUInt16BE(r + 6);
        if (nameId !== 1) continue;
        const len = b.readUInt16BE(r + 8);
        const start = strings + b.readUInt16BE(r + 10);
        const raw = b.subarray(start, start + len);
        if (platform === 3 || platform === 0) {
          const chars: string[] = [];
          for (let k = 0; k + 1 < raw.length; k += 2) chars.push(String.fromCharCode(raw.readUInt16BE(k)));
          return chars.join('');
        }
        fallback ??= raw.toString('latin1');
      }
      if (fallback) return fallback;
    }
  } catch {
    /* not a readable sfnt: fall back to the file name */
  }
  const base = file.split(/[\\/]/).pop() ?? '';
  return base.replace(/[-_ ]?(Regular|Book)?\.(ttf|otf)$/i, '');
}
