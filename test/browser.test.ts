/**
 * The HTML report in a real browser: headless Chromium (Debian's package at /usr/bin/chromium, driven by
 * playwright-core) opens report.html from disk and we check that every chart rendered (each figure
 * element present with a non-zero size, its SVG with drawn marks), that the page asked for nothing but
 * local files, and that it logged no console errors and no page errors. Chromium missing is a FAILURE
 * with instructions, not a skip: CI installs it (.ci/run).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReport, type ReportResult } from '../src/report/index.js';
import { tempRoot, writeRun, writeSweep } from './report-fixture.js';

const CHROMIUM = process.env.GROKINFO_CHROMIUM ?? '/usr/bin/chromium';

let browser: Browser | undefined;
let root: string;
let res: ReportResult;

beforeAll(async () => {
  root = tempRoot('grokinfo-browser-');
  res = await buildReport(writeSweep(root), {
    out: join(root, 'out'),
    claims: [{ id: 'C1', claim: 'an early synergy peak precedes grokking', measured: 'step 60 < 195', verdict: 'reproduced' }],
  });
  if (existsSync(CHROMIUM)) browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
}, 90_000);

afterAll(async () => {
  await browser?.close();
});

function requireBrowser(): Browser {
  expect(
    existsSync(CHROMIUM),
    `Chromium not found at ${CHROMIUM}: install it (Debian: apt-get install -y chromium) or set GROKINFO_CHROMIUM to its path`,
  ).toBe(true);
  expect(browser, `Chromium at ${CHROMIUM} did not launch`).toBeDefined();
  return browser!;
}

interface FigureState {
  id: string;
  width: number;
  height: number;
  svgWidth: number;
  svgHeight: number;
  marks: number;
  drawn: number;
}

describe('report.html in headless Chromium', () => {
  it('every chart renders, nothing is fetched from the network, no console or page errors', async () => {
    const b = requireBrowser();
    const page = await b.newPage({ viewport: { width: 1400, height: 1000 } });
    const errors: string[] = [];
    const remote: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    page.on('request', (r) => {
      if (!/^(file|data):/.test(r.url())) remote.push(r.url());
    });
    const url = pathToFileURL(join(res.out, 'report.html')).href;
    await page.goto(url, { waitUntil: 'load' });

    const figs: FigureState[] = await page.$$eval('figure.grokinfo-figure', (els) =>
      els.map((el) => {
        const r = el.getBoundingClientRect();
        const svg = el.querySelector('svg');
        const sr = svg?.getBoundingClientRect();
        const marks = svg ? [...svg.querySelectorAll('g.role-mark > path')] : [];
        // a mark is drawn when it has geometry with a non-empty box
        const drawn = marks.filter((p) => {
          const bb = (p as SVGGraphicsElement).getBBox();
          return (p.getAttribute('d') ?? '').length > 0 && bb.width + bb.height > 0;
        }).length;
        return { id: el.id, width: r.width, height: r.height, svgWidth: sr?.width ?? 0, svgHeight: sr?.height ?? 0, marks: marks.length, drawn };
      }),
    );
    expect(figs.map((f) => f.id)).toEqual(res.figures.map((f) => f.id));
    for (const f of figs) {
      expect(f.width, f.id).toBeGreaterThan(100);
      expect(f.height, f.id).toBeGreaterThan(100);
      expect(f.svgWidth, f.id).toBeGreaterThan(100);
      expect(f.svgHeight, f.id).toBeGreaterThan(100);
      expect(f.marks, f.id).toBeGreaterThan(0);
      expect(f.drawn, f.id).toBe(f.marks);
    }
    // text was laid out with a real font (axis titles have width)
    const titleWidth = await page.$eval('#fig1-accuracy svg .role-axis-title text', (t) => (t as SVGTextElement).getComputedTextLength());
    expect(titleWidth).toBeGreaterThan(20);
    // the claims table and the collapsible configurations
    expect(await page.locator('#claims-table tbody tr').count()).toBe(1);
    expect(await page.locator('details.config').count()).toBe(6);
    await page.locator('details.config summary').first().click();
    expect(await page.locator('details.config pre').first().isVisible()).toBe(true);
    expect(remote).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('the SVG files parse as XML and the PNG files decode in the browser', async () => {
    const b = requireBrowser();
    const page = await b.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(pathToFileURL(join(res.out, 'report.html')).href);
    for (const f of res.figures) {
      const svgText = readFileSync(join(res.out, 'figures', `${f.id}.svg`), 'utf8');
      const parsed = await page.evaluate((text) => {
        const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
        return { error: doc.getElementsByTagName('parsererror').length, root: doc.documentElement.nodeName };
      }, svgText);
      expect(parsed, f.id).toEqual({ error: 0, root: 'svg' });
      const png = pathToFileURL(join(res.out, 'figures', `${f.id}.png`)).href;
      const size = await page.evaluate(async (src) => {
        const img = new Image();
        img.src = src;
        await img.decode();
        return { w: img.naturalWidth, h: img.naturalHeight };
      }, png);
      expect(size.w, f.id).toBeGreaterThan(400);
      expect(size.h, f.id).toBeGreaterThan(150);
    }
    expect(errors).toEqual([]);
    await page.close();
  });

  it('a PNG-only report embeds the figures as data URIs that decode', async () => {
    const b = requireBrowser();
    const dir = join(root, 'png-only');
    writeRun(dir, { wd: 2, seed: 0 });
    const r = await buildReport(dir, { formats: ['png', 'html'] });
    const html = readFileSync(join(r.out, 'report.html'), 'utf8');
    expect(html).not.toContain('<svg ');
    const page = await b.newPage();
    await page.goto(pathToFileURL(join(r.out, 'report.html')).href, { waitUntil: 'load' });
    const imgs = await page.$$eval('figure.grokinfo-figure img', (els) => els.map((e) => ({ w: (e as HTMLImageElement).naturalWidth, src: (e as HTMLImageElement).src.slice(0, 22) })));
    expect(imgs.length).toBe(r.figures.length);
    for (const i of imgs) {
      expect(i.src).toBe('data:image/png;base64,');
      expect(i.w).toBeGreaterThan(400);
    }
    await page.close();
  });
});
