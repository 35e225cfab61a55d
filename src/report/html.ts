/**
 * The self-contained HTML report: one file that opens from disk with no network and no scripts.
 * Figures are inlined as SVG (their ids prefixed per figure so clip paths and gradients of different
 * charts cannot collide), or as PNG data URIs when only PNG was rendered.
 */

export interface ClaimRow {
  id: string;
  claim: string;
  measured: string | number;
  verdict: string;
}

export interface HtmlFigure {
  id: string;
  title: string;
  caption: string;
  svg?: string;
  png?: Uint8Array;
}

export interface HtmlConfig {
  label: string;
  runs: string[];
  config: unknown;
}

export interface TimingRow {
  run: string;
  config: string;
  seed: number;
  backend: string;
  steps: number | null;
  wallSeconds: number | null;
  trainSeconds: number | null;
  measureSeconds: number | null;
  grokStep: number | null;
  finalTestAcc: number | null;
  failed: string | null;
}

export interface HtmlInput {
  title: string;
  source: string;
  kind: 'run' | 'sweep';
  generated: string;
  notes: string[];
  figures: HtmlFigure[];
  skipped: { id: string; reason: string }[];
  /** null: no claims table was given (the section says so). */
  claims: ClaimRow[] | null;
  configs: HtmlConfig[];
  timings: TimingRow[];
}

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** Prefixes every id in an SVG (and the references to it) so several SVGs can share one page. */
export function prefixSvgIds(svg: string, prefix: string): string {
  const ids = new Set<string>();
  for (const m of svg.matchAll(/\sid="([^"]+)"/g)) ids.add(m[1]);
  if (ids.size === 0) return svg;
  let out = svg.replace(/\sid="([^"]+)"/g, (_m, id: string) => ` id="${prefix}${id}"`);
  out = out.replace(/url\(#([^)]+)\)/g, (m, id: string) => (ids.has(id) ? `url(#${prefix}${id})` : m));
  out = out.replace(/(xlink:href|href)="#([^"]+)"/g, (m, attr: string, id: string) => (ids.has(id) ? `${attr}="#${prefix}${id}"` : m));
  return out;
}

function fmt(x: number | null, digits = 1): string {
  return x === null || !Number.isFinite(x) ? '–' : x.toFixed(digits);
}

function figureHtml(f: HtmlFigure): string {
  let body: string;
  if (f.svg) {
    const svg = prefixSvgIds(f.svg.replace(/^<\?xml[^>]*>\s*/, ''), `${f.id}-`);
    body = `<div class="chart">${svg}</div>`;
  } else if (f.png) {
    body = `<div class="chart"><img alt="${escapeHtml(f.title)}" src="data:image/png;base64,${Buffer.from(f.png).toString('base64')}"></div>`;
  } else {
    body = '<p class="note">not rendered</p>';
  }
  return `<figure class="grokinfo-figure" id="${escapeHtml(f.id)}">
<h3>${escapeHtml(f.title)}</h3>
${body}
<figcaption>${escapeHtml(f.caption)}</figcaption>
</figure>`;
}

function claimsHtml(claims: ClaimRow[] | null): string {
  if (!claims) return '<p class="note">No claims table was computed for this report (the analysis layer gives it for a reproduction sweep).</p>';
  if (claims.length === 0) return '<p class="note">The claims table is empty.</p>';
  const rows = claims
    .map((c) => {
      const v = c.verdict.toLowerCase();
      const cls = /^not (measured|applicable)/.test(v) ? 'none' : /^(yes|pass|reproduced|holds|confirmed)/.test(v) ? 'ok' : /^(no|fail|not|does not)/.test(v) ? 'bad' : 'mixed';
      return `<tr><td>${escapeHtml(c.id)}</td><td>${escapeHtml(c.claim)}</td><td>${escapeHtml(String(c.measured))}</td><td class="verdict ${cls}">${escapeHtml(c.verdict)}</td></tr>`;
    })
    .join('\n');
  return `<table id="claims-table" class="claims"><thead><tr><th>id</th><th>claim</th><th>measured</th><th>verdict</th></tr></thead><tbody>
${rows}
</tbody></table>`;
}

function timingsHtml(t: TimingRow[]): string {
  if (t.length === 0) return '<p class="note">No runs.</p>';
  const rows = t
    .map(
      (r) =>
        `<tr><td>${escapeHtml(r.run)}</td><td>${escapeHtml(r.config)}</td><td>${r.seed}</td><td>${escapeHtml(r.backend)}</td><td>${r.steps ?? '–'}</td>` +
        `<td>${fmt(r.wallSeconds)}</td><td>${fmt(r.trainSeconds)}</td><td>${fmt(r.measureSeconds)}</td><td>${r.grokStep ?? 'no grok'}</td>` +
        `<td>${fmt(r.finalTestAcc, 4)}</td><td>${r.failed ? escapeHtml(r.failed) : ''}</td></tr>`,
    )
    .join('\n');
  return `<table id="timings-table"><thead><tr><th>run</th><th>configuration</th><th>seed</th><th>backend</th><th>steps</th><th>wall s</th><th>train s</th><th>measure s</th><th>grok step</th><th>final test acc</th><th>failed</th></tr></thead><tbody>
${rows}
</tbody></table>`;
}

function configsHtml(cs: HtmlConfig[]): string {
  return cs
    .map(
      (c) => `<details class="config"><summary>${escapeHtml(c.label)} <span class="muted">(${c.runs.length} run${c.runs.length === 1 ? '' : 's'}: ${escapeHtml(c.runs.join(', '))})</span></summary>
<pre>${escapeHtml(JSON.stringify(c.config, null, 2))}</pre></details>`,
    )
    .join('\n');
}

const CSS = `
body{font-family:"DejaVu Sans","Liberation Sans",Arial,Helvetica,sans-serif;margin:24px auto;max-width:1280px;padding:0 16px;color:#222;line-height:1.45}
h1{font-size:1.6em;margin-bottom:.2em} h2{border-bottom:1px solid #ddd;padding-bottom:4px;margin-top:1.8em}
h3{font-size:1.05em;margin:.2em 0 .5em}
.muted,.note{color:#666} .notes li{color:#8a5a00}
figure.grokinfo-figure{margin:18px 0 28px;padding:12px;border:1px solid #e4e4e4;border-radius:6px;background:#fff}
.chart{overflow-x:auto} .chart svg,.chart img{max-width:100%;height:auto;display:block}
figcaption{color:#555;font-size:.9em;margin-top:6px}
table{border-collapse:collapse;font-size:.9em;margin:8px 0} th,td{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f5f5f5} td.verdict.ok{color:#0a6b0a;font-weight:bold} td.verdict.bad{color:#a00;font-weight:bold} td.verdict.mixed{color:#8a5a00;font-weight:bold} td.verdict.none{color:#777}
details.config{margin:4px 0} details.config pre{background:#f8f8f8;padding:8px;overflow-x:auto;font-size:.85em}
`;

export function buildHtml(input: HtmlInput): string {
  const figs = input.figures.map(figureHtml).join('\n');
  const notes = [...input.notes, ...input.skipped.map((s) => `${s.id} left out: ${s.reason}`)];
  const notesHtml = notes.length ? `<ul class="notes">${notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>` : '';
  const toc = input.figures.map((f) => `<li><a href="#${escapeHtml(f.id)}">${escapeHtml(f.title)}</a></li>`).join('');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(input.title)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>${escapeHtml(input.title)}</h1>
<p class="muted">${input.kind === 'sweep' ? 'Sweep' : 'Run'} <code>${escapeHtml(input.source)}</code> · ${input.configs.length} configuration${input.configs.length === 1 ? '' : 's'}, ${input.timings.length} run${input.timings.length === 1 ? '' : 's'} · generated ${escapeHtml(input.generated)} by grokinfo report.
O-information progress measures after Clauw, Marinazzo &amp; Stramaglia (2024).</p>
${notesHtml}
<nav><ol>${toc}<li><a href="#claims">Claims</a></li><li><a href="#configs">Configurations</a></li><li><a href="#timings">Timings</a></li></ol></nav>
</header>
<main>
<section id="figures"><h2>Figures</h2>
${figs || '<p class="note">No figures could be drawn from these records.</p>'}
</section>
<section id="claims"><h2>Claims</h2>
${claimsHtml(input.claims)}
</section>
<section id="configs"><h2>Configurations</h2>
${configsHtml(input.configs)}
</section>
<section id="timings"><h2>Timings</h2>
${timingsHtml(input.timings)}
</section>
</main>
</body>
</html>
`;
}
