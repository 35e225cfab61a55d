/**
 * Report figures of the progress measures (Vega-Lite specs + the rows they plot, like src/report/figures.ts):
 * the lead-time figure (measure x run: grok step minus the measure's transition) and one timeline per measure.
 */
import type { Figure, Row } from './figures.js';
import type { LoadedReport } from './load.js';
import type { RunSummary } from '../config/types.js';
import { buildLeaderboard, seriesDefs, type Leaderboard, type LeaderboardRun } from '../measures/leaderboard.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const FONT = 'DejaVu Sans, Liberation Sans, Arial, Helvetica, sans-serif';
const config = { font: FONT, view: { stroke: '#ccc' }, axis: { labelFontSize: 11, titleFontSize: 12, grid: true, gridColor: '#eee' }, title: { fontSize: 15, anchor: 'start' } };

/** The report's runs as the leaderboard reads them (runs without summary.json are left out). */
export function leaderboardRuns(rep: LoadedReport): LeaderboardRun[] {
  return rep.runs
    .filter((r) => r.summary !== null && !r.config.mask)
    .map((r) => ({ id: r.id, config: r.config, summary: r.summary as RunSummary, metrics: r.metrics, oinfo: r.oinfo ?? [], measures: r.measures ?? [] }));
}

/** Measure x run heat map of the lead (grok step - transition step); grey where there is no lead (no grokking or no transition). */
export function leadTimeFigure(lb: Leaderboard): Figure | null {
  const rows: Row[] = [];
  for (const r of lb.rows) {
    for (const t of r.transitions)
      rows.push({ measure: r.measure, run: t.run, lead: t.lead, transition: t.transition, grokStep: t.grokStep, label: t.lead === null ? '' : String(t.lead), status: t.lead === null ? (t.grokStep === null ? 'no grok' : 'no transition before grokking') : 'lead' });
    for (const run of lb.notMemorized) rows.push({ measure: r.measure, run, lead: null, transition: null, grokStep: null, label: '', status: 'not memorised' });
  }
  if (rows.length === 0) return null;
  const measures = lb.rows.map((r) => r.measure);
  const data = { lead: rows };
  return {
    id: 'fig7-lead-time',
    title: 'Lead of each progress measure over grokking',
    caption: `Grok step minus the measure's transition step (${lb.rule.split(';')[0]}); positive = the measure moved first. Grey, unlabelled: no grokking, no transition, or a run that never memorised (searched after memorisation only; the reason is in each cell's data). Measures in leaderboard order.`,
    spec: {
      $schema: SCHEMA,
      title: 'Lead over the grok step (steps)',
      background: 'white',
      padding: 8,
      datasets: data,
      config,
      data: { name: 'lead' },
      encoding: {
        y: { field: 'measure', type: 'nominal', sort: measures, title: null },
        x: { field: 'run', type: 'nominal', title: 'run', axis: { labelAngle: -45, labelLimit: 160 } },
      },
      layer: [
        { mark: { type: 'rect', invalid: 'show' }, encoding: { color: { field: 'lead', type: 'quantitative', scale: { scheme: 'redblue', domainMid: 0 }, title: 'lead (steps)' } } },
        { mark: { type: 'text', fontSize: 9 }, encoding: { text: { field: 'label', type: 'nominal' } } },
      ],
    },
    data,
  };
}

/** One figure per measure: its primary field over training, one line per run, a rule at each run's grok step. */
export function measureTimelineFigures(runs: readonly LeaderboardRun[]): Figure[] {
  const out: Figure[] = [];
  for (const def of seriesDefs()) {
    if (def.baseline) continue;
    const rows: Row[] = [];
    const groks: Row[] = [];
    for (const r of runs) {
      const { steps, values } = def.series(r);
      steps.forEach((s, i) => {
        if (s > 0) rows.push({ run: r.id, step: s, value: values[i]! });
      });
      if (steps.length && r.summary.grokStep !== null) groks.push({ run: r.id, step: r.summary.grokStep });
    }
    if (rows.length === 0) continue;
    const data = { series: rows, grok: groks };
    out.push({
      id: `fig8-measure-${def.name}`,
      title: `${def.name} (${def.field}) over training`,
      caption: `The measure's leaderboard field per run (step 0 left out, log step axis); dashed rules: each run's grok step.`,
      spec: {
        $schema: SCHEMA,
        title: `${def.name}: ${def.field}`,
        background: 'white',
        padding: 8,
        datasets: data,
        config,
        width: 420,
        height: 220,
        layer: [
          {
            data: { name: 'series' },
            mark: { type: 'line', strokeWidth: 1.2 },
            encoding: {
              x: { field: 'step', type: 'quantitative', scale: { type: 'log', nice: false }, axis: { title: 'step (log scale)', format: '~s' } },
              y: { field: 'value', type: 'quantitative', title: def.field, scale: { zero: false } },
              color: { field: 'run', type: 'nominal', legend: { title: 'run', labelLimit: 200 } },
            },
          },
          { data: { name: 'grok' }, mark: { type: 'rule', strokeDash: [4, 3] }, encoding: { x: { field: 'step', type: 'quantitative' }, color: { field: 'run', type: 'nominal' } } },
        ],
      },
      data,
    });
  }
  return out;
}

/** The measure figures of a report: empty when no run has measures.jsonl records. */
export function measureFigures(rep: LoadedReport): Figure[] {
  if (!rep.runs.some((r) => (r.measures ?? []).length > 0)) return [];
  const runs = leaderboardRuns(rep);
  const lead = leadTimeFigure(buildLeaderboard(runs));
  return [...(lead ? [lead] : []), ...measureTimelineFigures(runs)];
}
