/**
 * The paper's figures as Vega-Lite specs. Each builder takes the loaded records and returns a Figure:
 * the spec and, separately, the exact rows it plots (spec.datasets refers to the same arrays), so tests
 * can hold every plotted number to the records it came from. A builder returns null when the records it
 * needs are absent (e.g. no oinfo.jsonl), with the reason in `skipped`.
 *
 * Conventions: step axes are logarithmic, so step 0 is left out of them (METHOD.md §2.6); seeds of a
 * configuration are aggregated as mean and standard error per step (stats.ts); bands are mean ± stderr.
 */
import { GrokinfoError } from '../core/errors.js';
import { measureFigures } from './measures.js';
import type { MetricsRecord } from '../config/types.js';
import { ablationRole, baseKey, type ConfigGroup, type LoadedReport, type LoadedRun } from './load.js';
import { aggregateByStep, logSpacedSubset, type Aggregate } from './stats.js';
import { aggregateSeeds, normalizeRun, measuredRecords, paretoFront, paretoPoints, toBits } from '../analysis/index.js';

export type VlSpec = Record<string, unknown>;
export type Row = Record<string, string | number | null>;

export interface Figure {
  /** File stem and HTML element id, e.g. "fig1-accuracy". */
  id: string;
  title: string;
  caption: string;
  spec: VlSpec;
  /** The plotted rows by dataset name (the same arrays as spec.datasets). */
  data: Record<string, Row[]>;
}

export interface FigureSet {
  figures: Figure[];
  /** Figures left out, and why. */
  skipped: { id: string; reason: string }[];
}

export const FONT = 'DejaVu Sans, Liberation Sans, Arial, Helvetica, sans-serif';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

function baseConfig(): VlSpec {
  return {
    font: FONT,
    view: { stroke: '#ccc' },
    axis: { labelFontSize: 12, titleFontSize: 13, labelFont: FONT, titleFont: FONT, grid: true, gridColor: '#eee' },
    legend: { labelFontSize: 12, titleFontSize: 12, labelFont: FONT, titleFont: FONT, labelLimit: 260 },
    header: { labelFontSize: 13, titleFontSize: 13, labelFont: FONT, titleFont: FONT },
    title: { fontSize: 15, font: FONT, anchor: 'start' },
    text: { font: FONT },
  };
}

function topLevel(title: string, datasets: Record<string, Row[]>, body: VlSpec): VlSpec {
  return { $schema: SCHEMA, title, background: 'white', padding: 8, datasets, config: baseConfig(), ...body };
}

const STEP_X = (title = 'step (log scale)') => ({
  field: 'step',
  type: 'quantitative',
  scale: { type: 'log', nice: false },
  axis: { title, format: '~s', tickCount: 6 },
});

function bandRows(agg: Aggregate, extra: Row, positiveOnly = true): Row[] {
  const rows: Row[] = [];
  for (let i = 0; i < agg.steps.length; i++) {
    if (positiveOnly && agg.steps[i] <= 0) continue;
    const m = agg.mean[i];
    const e = agg.stderr[i];
    rows.push({ ...extra, step: agg.steps[i], mean: m, stderr: e, lo: m - e, hi: m + e, n: agg.n[i] });
  }
  return rows;
}

function metricSeries(runs: readonly LoadedRun[], key: keyof MetricsRecord) {
  return runs.map((r) => ({ steps: r.metrics.map((m) => m.step), values: r.metrics.map((m) => m[key]) }));
}

/** A line (mean) with its band (mean ± stderr), both named so tests can count them in the SVG. */
function bandAndLine(colorField: string, yTitle: string, yScale: VlSpec = {}, colorScale: VlSpec = {}, name = 'series'): VlSpec[] {
  const color = {
    field: colorField,
    type: 'nominal',
    title: null,
    scale: colorScale,
    legend: { symbolType: 'stroke', symbolStrokeWidth: 3, symbolOpacity: 1, symbolSize: 300, labelLimit: 320 },
  };
  return [
    {
      name: `${name}_band`,
      mark: { type: 'area', opacity: 0.22 },
      encoding: { x: STEP_X(), y: { field: 'lo', type: 'quantitative', title: yTitle, scale: yScale }, y2: { field: 'hi' }, color },
    },
    {
      name: `${name}_line`,
      mark: { type: 'line', strokeWidth: 2 },
      encoding: {
        x: STEP_X(),
        y: { field: 'mean', type: 'quantitative', title: yTitle, scale: yScale },
        color,
        tooltip: [{ field: colorField }, { field: 'step' }, { field: 'mean', format: '.4f' }, { field: 'stderr', format: '.4f' }, { field: 'n' }],
      },
    },
  ];
}

function facetOrSingle(name: string, rows: Row[], facetField: string, labels: string[], layer: VlSpec[], width = 320, height = 210): VlSpec {
  if (labels.length <= 1) return { data: { name }, width, height, layer };
  return {
    data: { name },
    facet: { field: facetField, type: 'nominal', sort: labels, title: null },
    columns: Math.min(3, labels.length),
    spec: { width, height, layer },
    resolve: { axis: { x: 'independent', y: 'independent' } },
  };
}

function originals(groups: readonly ConfigGroup[]): ConfigGroup[] {
  return groups.filter((g) => ablationRole(g.runs[0].config) === 'original');
}

// (1) accuracy curves -------------------------------------------------------------------------------

export function accuracyFigure(rep: LoadedReport): Figure | null {
  const rows: Row[] = [];
  const labels: string[] = [];
  for (const g of rep.groups) {
    const runs = g.runs.filter((r) => r.metrics.length > 0);
    if (runs.length === 0) continue;
    labels.push(g.label);
    rows.push(...bandRows(aggregateByStep(metricSeries(runs, 'trainAcc')), { config: g.label, split: 'train' }));
    rows.push(...bandRows(aggregateByStep(metricSeries(runs, 'testAcc')), { config: g.label, split: 'test' }));
  }
  if (rows.length === 0) return null;
  const data = { accuracy: rows };
  const layer = bandAndLine('split', 'accuracy', { domain: [0, 1] }, { domain: ['train', 'test'], range: ['#1f77b4', '#d62728'] }, 'acc');
  return {
    id: 'fig1-accuracy',
    title: 'Train and test accuracy',
    caption: 'Accuracy against step (log scale) per configuration; lines are the mean over seeds, bands ± one standard error.',
    spec: topLevel('Train and test accuracy', data, facetOrSingle('accuracy', rows, 'config', labels, layer)),
    data,
  };
}

// (2) the main figure: normalised O-information measures with losses, phases shaded ------------------

export const MEASURE_NAMES = { synergy: 'synergy', redundancy: 'redundancy', size: 'sub-network size' } as const;

export function mainFigure(group: ConfigGroup, index: number): Figure | null {
  const measured = group.runs.filter((r) => r.oinfo && r.oinfo.some((o) => o.step > 0));
  if (measured.length === 0) return null;
  const seedAgg = aggregateSeeds(measured.map((r) => normalizeRun(r.oinfo!)));
  const measures: Row[] = [];
  for (const key of ['synergy', 'redundancy', 'size'] as const) {
    const agg: Aggregate = { steps: seedAgg.steps, mean: seedAgg.mean[key], stderr: seedAgg.stderr[key], n: seedAgg.steps.map(() => seedAgg.n) };
    measures.push(...bandRows(agg, { measure: MEASURE_NAMES[key] }));
  }
  const losses: Row[] = [];
  const withMetrics = group.runs.filter((r) => r.metrics.length > 0);
  for (const [key, name] of [
    ['trainLoss', 'train loss'],
    ['testLoss', 'test loss'],
  ] as const) {
    losses.push(...bandRows(aggregateByStep(metricSeries(withMetrics, key)), { loss: name }).filter((r) => (r.mean as number) > 0));
  }
  const phaseRun = group.runs.find((r) => r.phases && r.phases.phases.length > 0);
  const minStep = Math.min(...measures.map((r) => r.step as number), ...losses.map((r) => r.step as number));
  const phases: Row[] = (phaseRun?.phases?.phases ?? []).map((p) => ({
    phase: p.name,
    start: Math.max(p.start, minStep),
    end: Math.max(p.end, minStep),
  }));
  const data: Record<string, Row[]> = { measures, losses, phases };
  const measureColors = { domain: Object.values(MEASURE_NAMES), range: ['#d62728', '#1f77b4', '#2ca02c'] };
  const layers: VlSpec[] = [];
  if (phases.length > 0) {
    layers.push({
      name: 'phase_rect',
      data: { name: 'phases' },
      mark: { type: 'rect', opacity: 0.13 },
      encoding: {
        x: { field: 'start', type: 'quantitative', scale: { type: 'log', nice: false }, axis: { title: 'step (log scale)', format: '~s' } },
        x2: { field: 'end' },
        fill: {
          field: 'phase',
          type: 'nominal',
          title: 'phase',
          scale: {
            domain: ['feature-learning', 'emergence', 'divergence', 'delayed-emergence', 'decoupling'],
            range: ['#8c564b', '#ff7f0e', '#7f7f7f', '#bcbd22', '#17becf'],
          },
        },
      },
    });
  }
  layers.push({
    data: { name: 'measures' },
    layer: bandAndLine('measure', 'normalised measure', { domain: [0, 1] }, measureColors, 'measure'),
  });
  if (losses.length > 0) {
    layers.push({
      data: { name: 'losses' },
      layer: [
        {
          name: 'loss_line',
          mark: { type: 'line', strokeWidth: 1.5, strokeDash: [5, 3] },
          encoding: {
            x: STEP_X(),
            y: { field: 'mean', type: 'quantitative', title: 'loss (log scale)', scale: { type: 'log' }, axis: { orient: 'right', grid: false } },
            stroke: {
              field: 'loss',
              type: 'nominal',
              title: null,
              scale: { domain: ['train loss', 'test loss'], range: ['#555555', '#000000'] },
              legend: { symbolType: 'stroke', symbolStrokeWidth: 2, symbolDash: [5, 3], symbolSize: 300 },
            },
          },
        },
      ],
    });
  }
  const title = `Synergy, redundancy and sub-network size: ${group.label}`;
  const seeds = measured.map((r) => r.config.init.seed).join(', ');
  const phaseNote = phaseRun ? ` Phases shaded from ${phaseRun.id} (seed ${phaseRun.config.init.seed}).` : ' No phases.json: phases not shaded.';
  return {
    id: `fig2-main-${index + 1}`,
    title,
    caption:
      `Normalised synergy (−min Ω), redundancy (max Ω) and synergistic sub-network size (METHOD §2.6), mean ± stderr over seeds ${seeds}, ` +
      `with train and test loss (dashed, right axis) on a log step axis.${phaseNote}`,
    spec: topLevel(title, data, { width: 560, height: 300, layer: layers, resolve: { scale: { y: 'independent' } } }),
    data,
  };
}

// (3) Pareto fronts of synergy and redundancy over time ----------------------------------------------

export function paretoFigure(rep: LoadedReport, maxFronts = 6): Figure | null {
  const points: Row[] = [];
  const fronts: Row[] = [];
  const labels: string[] = [];
  for (const g of originals(rep.groups)) {
    const run = g.runs.find((r) => r.oinfo && r.oinfo.some((o) => o.step > 0));
    if (!run) continue;
    const label = `${g.label} (${run.id})`;
    labels.push(label);
    const pts = paretoPoints(run.oinfo!);
    for (const p of pts) points.push({ config: label, step: p.step, synergy: p.synergy, redundancy: p.redundancy });
    const all = paretoFront(pts);
    const chosen = new Set(logSpacedSubset(all.map((f) => f.step), maxFronts));
    for (const f of all) {
      // a front of one point is drawn by that point itself (a one-vertex line has no extent)
      if (!chosen.has(f.step) || f.front.length < 2) continue;
      f.front.forEach((p, k) => fronts.push({ config: label, at: f.step, order: k, step: p.step, synergy: p.synergy, redundancy: p.redundancy }));
    }
  }
  if (points.length === 0) return null;
  const data = { points, fronts };
  const colorScale = { type: 'log', scheme: 'viridis' };
  const layer: VlSpec[] = [
    {
      name: 'pareto_point',
      data: { name: 'points' },
      mark: { type: 'circle', size: 18, opacity: 0.55, aria: false }, // thousands of points: no per-point aria-label
      encoding: {
        x: { field: 'synergy', type: 'quantitative', title: 'synergy −min Ω (bits)', scale: { zero: false } },
        y: { field: 'redundancy', type: 'quantitative', title: 'redundancy max Ω (bits)', scale: { zero: false } },
        color: { field: 'step', type: 'quantitative', title: 'step', scale: colorScale, legend: { format: '~s', type: 'gradient', gradientLength: 200 } },
        tooltip: [{ field: 'step' }, { field: 'synergy', format: '.4f' }, { field: 'redundancy', format: '.4f' }],
      },
    },
    {
      name: 'pareto_front',
      data: { name: 'fronts' },
      mark: { type: 'line', strokeWidth: 2, interpolate: 'step-after' },
      encoding: {
        x: { field: 'synergy', type: 'quantitative' },
        y: { field: 'redundancy', type: 'quantitative' },
        color: { field: 'at', type: 'quantitative', scale: colorScale, legend: null },
        detail: { field: 'at', type: 'quantitative' },
        order: { field: 'order', type: 'quantitative' },
      },
    },
  ];
  const one = labels.length <= 1;
  const body: VlSpec = one
    ? { width: 420, height: 300, layer, resolve: { legend: { color: 'independent' } } }
    : {
        // Facet over a layer whose layers have their own data: facet the union of the two datasets.
        data: { name: 'points' },
        facet: { field: 'config', type: 'nominal', sort: labels, title: null },
        columns: Math.min(3, labels.length),
        spec: {
          width: 320,
          height: 240,
          layer: layer.map(({ data: _d, ...l }, i) => ({ ...l, transform: [{ filter: i === 0 ? 'datum.at == null' : 'datum.at != null' }] })),
          // one gradient legend (the points' fill); the fronts share the colour scale but add no legend
          resolve: { legend: { color: 'independent' } },
        },
        resolve: { axis: { x: 'independent', y: 'independent' } },
      };
  if (!one) {
    // A facet needs one dataset: points (no `at`) and front vertices (with `at`) side by side.
    (data as Record<string, Row[]>).facet = [...points.map((p) => ({ ...p, at: null })), ...fronts];
    body.data = { name: 'facet' };
  }
  return {
    id: 'fig3-pareto',
    title: 'Synergy–redundancy Pareto fronts over training',
    caption:
      'Each point is one measured step (synergy −min Ω, redundancy max Ω, bits), colour = step (log). Lines: the cumulative Pareto front ' +
      `(both maximised) of all steps up to ${maxFronts > 1 ? 'each of a few log-spaced steps' : 'the last step'}, coloured by that step. One seed per configuration (named).`,
    spec: topLevel('Synergy–redundancy Pareto fronts over training', data, body),
    data,
  };
}

// (4) raw synergy across weight decays and across alphas ---------------------------------------------

/** The alpha sweep is the constant-norm family (METHOD.md §1), as in src/analysis/claims.ts. */
export function isAlphaConfig(g: ConfigGroup): boolean {
  return g.runs[0].config.init.constantNorm;
}

export function synergySweepFigure(rep: LoadedReport): Figure | null {
  const rows: Row[] = [];
  const families: string[] = [];
  const configs: string[] = [];
  const units = 'bits';
  for (const g of originals(rep.groups)) {
    const measured = g.runs.filter((r) => r.oinfo && r.oinfo.some((o) => o.step > 0));
    if (measured.length === 0) continue;
    const family = isAlphaConfig(g) ? 'across alphas' : 'across weight decays';
    const recs = measured.map((r) => measuredRecords(r.oinfo!)); // validated, step 0 dropped
    const agg = aggregateByStep(recs.map((rs) => ({ steps: rs.map((o) => o.step), values: rs.map((o) => -toBits(o.synergy, o.units)) })));
    rows.push(...bandRows(agg, { family, config: g.label }));
    if (!families.includes(family)) families.push(family);
    configs.push(g.label);
  }
  if (rows.length === 0) return null;
  families.sort((a, b) => (a === 'across weight decays' ? -1 : b === 'across weight decays' ? 1 : 0));
  const data = { synergy: rows };
  const layer = bandAndLine('config', `synergy −min Ω (${units})`, {}, { domain: configs, scheme: 'category10' }, 'syn');
  const body: VlSpec =
    families.length > 1
      ? { data: { name: 'synergy' }, facet: { field: 'family', type: 'nominal', sort: families, title: null }, columns: 2, spec: { width: 360, height: 240, layer }, resolve: { axis: { x: 'independent', y: 'independent' } } }
      : { data: { name: 'synergy' }, width: 420, height: 260, layer };
  return {
    id: 'fig4-synergy-sweeps',
    title: 'Synergy across weight decays and alphas',
    caption: `Raw synergy (−min Ω, ${units}) against step (log scale), one line per configuration (mean ± stderr over seeds).`,
    spec: topLevel('Synergy across weight decays and alphas', data, body),
    data,
  };
}

// (8) O-information of every hidden layer: synergy and redundancy per layer, one panel per configuration ----

/**
 * Raw synergy (−min Ω) and redundancy (max Ω) of each measured hidden layer (--layer all), one panel per
 * configuration, mean ± stderr over seeds; null when no run was measured on more than one layer.
 */
export function oinfoLayersFigure(rep: LoadedReport): Figure | null {
  const rows: Row[] = [];
  const labels: string[] = [];
  const series: string[] = [];
  const units = 'bits';
  for (const g of originals(rep.groups)) {
    const runs = g.runs.filter((r) => r.oinfoByLayer.size > 1);
    if (runs.length === 0) continue;
    const layers = [...new Set(runs.flatMap((r) => [...r.oinfoByLayer.keys()]))].sort((a, b) => a - b);
    for (const l of layers)
      for (const [what, sign, key] of [['synergy', -1, 'synergy'], ['redundancy', 1, 'redundancy']] as const) {
        const recs = runs.map((r) => measuredRecords(r.oinfoByLayer.get(l) ?? [])).filter((x) => x.length > 0);
        if (recs.length === 0) continue;
        const agg = aggregateByStep(recs.map((rs) => ({ steps: rs.map((o) => o.step), values: rs.map((o) => sign * toBits(o[key], o.units)) })));
        const name = `layer ${l} ${what}`;
        rows.push(...bandRows(agg, { config: g.label, series: name }));
        if (!series.includes(name)) series.push(name);
      }
    labels.push(g.label);
  }
  if (rows.length === 0) return null;
  const data = { layers: rows };
  const layer = bandAndLine('series', `information (${units})`, {}, { domain: series, scheme: 'tableau20' }, 'lay');
  return {
    id: 'fig9-oinfo-layers',
    title: 'O-information per hidden layer',
    caption: `Synergy (−min Ω) and redundancy (max Ω), ${units}, of every measured hidden layer against step (log scale), one panel per configuration (mean ± stderr over seeds).`,
    spec: topLevel('O-information per hidden layer', data, facetOrSingle('layers', rows, 'config', labels, layer, 360, 230)),
    data,
  };
}

// (5) ablation: test accuracy of the original, the synergistic sub-network and its inverse -----------

export const ROLES = ['original', 'sub-network', 'inverse', 'random'] as const;

export function ablationFigure(rep: LoadedReport): Figure | null {
  const masked = rep.groups.filter((g) => ablationRole(g.runs[0].config) !== 'original');
  if (masked.length === 0) return null;
  const byBase = new Map<string, ConfigGroup[]>();
  for (const g of rep.groups) {
    const k = baseKey(g.runs[0].config);
    byBase.set(k, [...(byBase.get(k) ?? []), g]);
  }
  const rows: Row[] = [];
  const labels: string[] = [];
  for (const [, gs] of byBase) {
    if (!gs.some((g) => ablationRole(g.runs[0].config) !== 'original')) continue;
    const orig = gs.find((g) => ablationRole(g.runs[0].config) === 'original');
    const label = orig ? orig.label : gs[0].label.replace(/ (sub-network|inverse|random)$/, '');
    labels.push(label);
    for (const g of gs) {
      const role = ablationRole(g.runs[0].config);
      const runs = g.runs.filter((r) => r.metrics.length > 0);
      rows.push(...bandRows(aggregateByStep(metricSeries(runs, 'testAcc')), { config: label, role }));
    }
  }
  if (rows.length === 0) return null;
  const data = { ablation: rows };
  const layer = bandAndLine('role', 'test accuracy', { domain: [0, 1] }, { domain: [...ROLES], range: ['#000000', '#d62728', '#1f77b4', '#9467bd'] }, 'abl');
  return {
    id: 'fig5-ablation',
    title: 'Ablation: synergistic sub-network and its inverse',
    caption: 'Test accuracy of the original network, the synergistic sub-network (other layer-1 rows zeroed every step) and the inverse, mean ± stderr over seeds.',
    spec: topLevel('Ablation: synergistic sub-network and its inverse', data, facetOrSingle('ablation', rows, 'config', labels, layer)),
    data,
  };
}

// (6) appendix grids: final test accuracy and grok step over configuration x seed --------------------

/** Final test accuracy: summary.json, else the last metrics record. */
export function finalTestAcc(r: LoadedRun): number | null {
  if (r.summary && Number.isFinite(r.summary.finalTestAcc)) return r.summary.finalTestAcc;
  return r.metrics.length ? r.metrics[r.metrics.length - 1].testAcc : null;
}

/** Grok step: summary.json, else the first evaluation with test accuracy above the run's threshold. */
export function grokStep(r: LoadedRun): number | null {
  if (r.summary) return r.summary.grokStep;
  const t = r.config.grokThreshold;
  return r.metrics.find((m) => m.testAcc > t)?.step ?? null;
}

export function gridFigure(rep: LoadedReport): Figure | null {
  const rows: Row[] = [];
  const labels: string[] = [];
  for (const g of rep.groups) {
    labels.push(g.label);
    for (const r of g.runs) {
      const acc = finalTestAcc(r);
      const gs = grokStep(r);
      rows.push({
        config: g.label,
        seed: String(r.config.init.seed),
        run: r.id,
        finalTestAcc: acc,
        accText: acc === null ? '–' : acc.toFixed(3),
        grokStep: gs,
        grokText: gs === null ? 'no grok' : String(gs),
      });
    }
  }
  if (rows.length === 0) return null;
  const data = { grid: rows };
  const cellH = 26;
  const y = { field: 'config', type: 'nominal', sort: labels, title: null, axis: { grid: false, labelLimit: 320 } };
  const x = { field: 'seed', type: 'ordinal', title: 'seed', sort: 'ascending', axis: { grid: false, labelAngle: 0 } };
  const panel = (name: string, field: string, text: string, title: string, legendTitle: string, scale: VlSpec, dark: string) => ({
    width: { step: 56 },
    height: { step: cellH },
    title: { text: title, fontSize: 13 },
    layer: [
      {
        // invalid: 'show' keeps the cells whose value is null ("no grok") and paints them grey
        name: `${name}_cell`,
        mark: { type: 'rect', invalid: 'show' },
        encoding: {
          x,
          y,
          color: { condition: { test: `datum.${field} === null`, value: '#e6e6e6' }, field, type: 'quantitative', title: legendTitle, scale },
          tooltip: [{ field: 'run' }, { field: text }],
        },
      },
      {
        name: `${name}_text`,
        mark: { type: 'text', fontSize: 11 },
        encoding: { x, y, text: { field: text }, color: { condition: { test: dark, value: 'white' }, value: 'black' } },
      },
    ],
  });
  const groks = rows.map((r) => r.grokStep).filter((v): v is number => typeof v === 'number');
  const grokDark = groks.length ? `datum.grokStep !== null && datum.grokStep > ${Math.min(...groks) + 0.6 * (Math.max(...groks) - Math.min(...groks))}` : 'false';
  const body = {
    data: { name: 'grid' },
    hconcat: [
      panel('acc', 'finalTestAcc', 'accText', 'final test accuracy', 'test acc', { domain: [0, 1], scheme: 'blues' }, 'datum.finalTestAcc > 0.6'),
      panel('grok', 'grokStep', 'grokText', 'grok step', 'step', { scheme: 'oranges', zero: false }, grokDark),
    ],
    resolve: { scale: { color: 'independent' } },
  };
  return {
    id: 'fig6-grids',
    title: 'Final test accuracy and grok step per configuration and seed',
    caption: 'Appendix grids: final test accuracy and the first evaluated step with test accuracy above the threshold ("no grok": never), per configuration and seed.',
    spec: topLevel('Final test accuracy and grok step per configuration and seed', data, body),
    data,
  };
}

// ----------------------------------------------------------------------------------------------------

/** Every figure the records allow, in the paper's order, and the ones left out with the reason. */
export function buildFigures(rep: LoadedReport): FigureSet {
  const figures: Figure[] = [];
  const skipped: { id: string; reason: string }[] = [];
  // A figure whose records are unusable (INVALID_DATA from the analysis layer: non-increasing steps,
  // non-finite values) is left out with the reason; the other figures are still drawn.
  const attempt = (id: string, build: () => Figure | null, reason: string) => {
    try {
      const f = build();
      if (f) figures.push(f);
      else skipped.push({ id, reason });
    } catch (e) {
      if (!(e instanceof GrokinfoError)) throw e;
      skipped.push({ id, reason: `${e.code}: ${e.message}` });
    }
  };
  attempt('fig1-accuracy', () => accuracyFigure(rep), 'no metrics.jsonl records');
  const orig = originals(rep.groups);
  orig.forEach((g, i) => attempt(`fig2-main-${i + 1}`, () => mainFigure(g, i), `${g.label}: no oinfo.jsonl (not measured)`));
  if (orig.length === 0) skipped.push({ id: 'fig2-main', reason: 'no unablated runs' });
  attempt('fig3-pareto', () => paretoFigure(rep), 'no oinfo.jsonl records');
  attempt('fig4-synergy-sweeps', () => synergySweepFigure(rep), 'no oinfo.jsonl records');
  attempt('fig5-ablation', () => ablationFigure(rep), 'no ablation runs (config.mask) in this directory');
  attempt('fig6-grids', () => gridFigure(rep), 'no runs');
  attempt('fig9-oinfo-layers', () => oinfoLayersFigure(rep), 'no run measured on more than one hidden layer (--layer all)');
  // progress measures (src/report/measures.ts): only when some run has measures.jsonl records
  try {
    figures.push(...measureFigures(rep));
  } catch (e) {
    if (!(e instanceof GrokinfoError)) throw e;
    skipped.push({ id: 'fig7-lead-time', reason: `${e.code}: ${e.message}` });
  }
  return { figures, skipped };
}
