/**
 * The paper's claims table (METHOD.md §3): every verdict is computed from the runs given, never written.
 * A claim without the data it needs is 'not measured'. Rules and thresholds: src/analysis/README.md.
 */
import { inAlphaFamily, inWeightDecayFamily } from '../config/paper.js';
import { configKey, configurationLabels } from '../config/config.js';
import { GrokinfoError, invalidArgument } from '../core/errors.js';
import { setPath } from '../config/schema.js';
import type { MetricsRecord, OInfoRecord, PhasesFile, RunConfig, RunSummary } from '../config/types.js';
import { detectPhases, firstSignificantPeak, type PhaseOptions } from './phases.js';
import { lsSlope } from './predict.js';
import { measuredRecords, medianOf, normalizeRun, toBits } from './timeline.js';

export type Verdict = 'holds' | 'does not hold' | 'not measured' | 'not applicable';

export interface ClaimRow {
  id: string;
  claim: string;
  /** A short statement of the numbers the verdict rests on. */
  measured: string;
  verdict: Verdict;
}

export interface ClaimRun {
  config: RunConfig;
  summary: RunSummary;
  metrics?: MetricsRecord[];
  oinfo?: OInfoRecord[];
  /** Phases from detectPhases; computed from metrics and oinfo when absent. */
  phases?: PhasesFile;
}

/** Final test accuracies of the §7 ablation (one entry per seed). */
export interface AblationResult {
  original: number;
  synergy: number;
  inverse: number;
  /** Final test accuracy of a random sub-network of the synergistic one's size (the control of c8), when trained. */
  randomSynergy?: number;
}

export interface ClaimsInput {
  runs: ClaimRun[];
  ablation?: AblationResult | AblationResult[];
  /** Ablations left out because a sub-network was not trained (e.g. an empty inverse); named in c7. */
  ablationSkipped?: number;
}

export interface ClaimsOptions {
  /** Fraction of runs in which a per-run statement must hold (c3, c5, c6). Default 0.8. */
  fraction?: number;
  /** Zigzag hysteresis for the "early synergy peak" (c3), normalised units. Default 0.1. */
  minSwing?: number;
  /** Options passed to detectPhases when phases are computed here (c5). */
  phaseOptions?: PhaseOptions;
}

export const WEIGHT_DECAY_GROK = [0.1, 2];
export const WEIGHT_DECAY_NO_GROK = [10, 50];
export const ALPHA_GROK = [8];
export const ALPHA_NO_GROK = [1, 50];

const near = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));
const inWdFamily = inWeightDecayFamily;
const grokked = (r: ClaimRun) => r.summary.grokStep !== null;
const fmt = (v: number, d = 3) => (Number.isInteger(v) ? String(v) : v.toFixed(d));
const median = medianOf;

function hasOInfo(r: ClaimRun): r is ClaimRun & { oinfo: OInfoRecord[] } {
  return Array.isArray(r.oinfo) && r.oinfo.filter((o) => o.step !== 0).length >= 3;
}

/** c1/c2: each listed value's runs grok by majority of seeds (or do not). */
function sweepClaim(
  id: string,
  claim: string,
  runs: ClaimRun[],
  axis: string,
  value: (c: RunConfig) => number,
  yes: number[],
  no: number[],
): ClaimRow {
  const parts: string[] = [];
  const missing: number[] = [];
  let ok = true;
  for (const v of [...yes, ...no]) {
    const rs = runs.filter((r) => near(value(r.config), v));
    if (rs.length === 0) {
      missing.push(v);
      continue;
    }
    const g = rs.filter(grokked).length;
    parts.push(`${axis} ${v}: ${g}/${rs.length} grok`);
    const groksByMajority = g > rs.length / 2;
    const notByMajority = g < rs.length / 2;
    if (yes.includes(v) ? !groksByMajority : !notByMajority) ok = false;
  }
  if (missing.length > 0) {
    return { id, claim, measured: `no runs for ${axis} ${missing.join(', ')}${parts.length ? `; ${parts.join('; ')}` : ''}`, verdict: 'not measured' };
  }
  return { id, claim, measured: parts.join('; '), verdict: ok ? 'holds' : 'does not hold' };
}

/** The configuration of a run with one field (the claim's axis) left out. */
function withoutAxis(c: RunConfig, axis: string): RunConfig {
  const copy = structuredClone(c) as unknown as Record<string, unknown>;
  setPath(copy, axis, null);
  return copy as unknown as RunConfig;
}

/**
 * A claim about one axis (weight decay, alpha) compares configurations that differ only on that axis:
 * the runs are split into slices that agree on every other field (configKey), and the claim is
 * evaluated in each. One slice: its row. Several: each slice's numbers under its label (the fields
 * that vary between slices); the claim holds when it holds in every slice where it is measured.
 */
function bySlice(runs: ClaimRun[], axis: string, row: (rs: ClaimRun[]) => ClaimRow): ClaimRow {
  const slices = new Map<string, ClaimRun[]>();
  for (const r of runs) {
    const k = configKey(withoutAxis(r.config, axis));
    slices.set(k, [...(slices.get(k) ?? []), r]);
  }
  if (slices.size <= 1) return row(runs);
  const labels = configurationLabels([...slices.values()].map((rs) => withoutAxis(rs[0]!.config, axis)));
  const rows = [...slices.entries()].map(([k, rs]) => ({ label: labels.get(k)!, row: row(rs) })).sort((a, b) => a.label.localeCompare(b.label));
  const verdicts = rows.map((r) => r.row.verdict);
  const verdict: Verdict = verdicts.includes('does not hold') ? 'does not hold' : verdicts.includes('holds') ? 'holds' : 'not measured';
  return { ...rows[0]!.row, measured: rows.map((r) => `[${r.label}] ${r.row.measured}`).join(' | '), verdict };
}

/** Max over measured steps (step 0 excluded) of -Omega_min in bits. */
export function maxSynergyBits(oinfo: readonly OInfoRecord[]): number {
  const rs = measuredRecords(oinfo);
  if (rs.length === 0) throw new GrokinfoError('INVALID_DATA', 'oinfo: no measured step after step 0');
  return Math.max(...rs.map((r) => -toBits(r.synergy, r.units)));
}

function auc(pos: number[], neg: number[]): number {
  let s = 0;
  for (const p of pos) for (const q of neg) s += p > q ? 1 : p === q ? 0.5 : 0;
  return s / (pos.length * neg.length);
}

/** Builds the claims table c1-c7. */
export function buildClaims(input: ClaimsInput, opts: ClaimsOptions = {}): ClaimRow[] {
  if (!input || !Array.isArray(input.runs)) throw invalidArgument('input.runs', 'an array of {config, summary, metrics?, oinfo?, phases?}');
  const fraction = opts.fraction ?? 0.8;
  const minSwing = opts.minSwing ?? 0.1;
  if (!(fraction > 0 && fraction <= 1)) throw invalidArgument('fraction', 'a number in (0, 1]', fraction);
  if (!(minSwing > 0 && minSwing < 1)) throw invalidArgument('minSwing', 'a number in (0, 1)', minSwing);
  input.runs.forEach((r, i) => {
    if (!r || !r.config || !r.summary) throw invalidArgument(`input.runs[${i}]`, 'an object with config and summary');
  });
  const failed = input.runs.filter((r) => r.summary.failed !== null);
  const runs = input.runs.filter((r) => r.summary.failed === null);
  const failNote = failed.length > 0 ? ` (${failed.length} failed run${failed.length > 1 ? 's' : ''} excluded)` : '';
  const rows: ClaimRow[] = [];

  // c1, c2: which configurations grok
  const c1 = bySlice(runs.filter((r) => inWdFamily(r.config)), 'optim.weightDecay', (rs) =>
    sweepClaim('c1', 'Weight decay 0.1 and 2.0 grok; 10 and 50 do not (majority of seeds)', rs, 'wd', (c) => c.optim.weightDecay, WEIGHT_DECAY_GROK, WEIGHT_DECAY_NO_GROK),
  );
  c1.measured += failNote;
  rows.push(c1);
  const c2 = bySlice(runs.filter((r) => inAlphaFamily(r.config)), 'init.alpha', (rs) =>
    sweepClaim('c2', 'alpha 8 groks; alpha 1 and 50 do not (constant weight norm; majority of seeds)', rs, 'alpha', (c) => c.init.alpha, ALPHA_GROK, ALPHA_NO_GROK),
  );
  c2.measured += failNote;
  rows.push(c2);

  // Phases (given, or detected with the summary's grok step), shared by c3 and c5.
  const phasesOf = (r: ClaimRun): PhasesFile | null => {
    if (r.phases) return r.phases;
    if (!r.metrics || !hasOInfo(r)) return null;
    try {
      return detectPhases(r.metrics, r.oinfo!, { grokStep: r.summary.grokStep, ...opts.phaseOptions });
    } catch (e) {
      if (e instanceof GrokinfoError && e.code === 'INVALID_DATA') return null;
      throw e;
    }
  };

  // c3: the emergence peak (end of the first significant rise of the normalised synergy, as the phase
  // detector finds it) comes before the grok step; the same on the paper's smoothed curve is reported beside it.
  {
    const claim = 'An early synergy peak precedes grokking (first peak of the normalised synergy before the grok step)';
    const rs = runs.filter((r) => grokked(r) && hasOInfo(r));
    if (rs.length === 0) rows.push({ id: 'c3', claim, measured: 'no grokking run with O-information', verdict: 'not measured' });
    else {
      let before = 0;
      let noPeak = 0;
      let paperBefore = 0;
      const leads: number[] = [];
      for (const r of rs) {
        const ph = phasesOf(r);
        const em = ph?.phases.find((p) => p.name === 'emergence');
        const peak = em ? Number(em.evidence.peakStep ?? em.end) : null;
        if (peak === null) noPeak++;
        else {
          const lead = r.summary.grokStep! - peak;
          leads.push(lead);
          if (lead > 0) before++;
        }
        const tl = normalizeRun(r.oinfo!);
        const k = firstSignificantPeak(tl.synergy, minSwing);
        if (k !== null && tl.steps[k]! < r.summary.grokStep!) paperBefore++;
      }
      const f = before / rs.length;
      rows.push({
        id: 'c3',
        claim,
        measured:
          `emergence peak before the grok step in ${before}/${rs.length} grokking runs` +
          (leads.length ? `; median lead ${fmt(median(leads), 0)} steps` : '') +
          (noPeak ? `; ${noPeak} without an emergence phase` : '') +
          `; on the paper's EMA-smoothed curve ${paperBefore}/${rs.length}; needs >= ${fraction}`,
        verdict: f >= fraction ? 'holds' : 'does not hold',
      });
    }
  }

  // c4: max raw synergy lower in runs that do not grok, within each sweep
  {
    const claim = 'Runs that do not grok show lower synergy than runs that grok (max of -Omega_min in bits, within each sweep)';
    const parts: string[] = [];
    let measured = 0;
    let ok = true;
    for (const [name, inFam] of [['weight decay', inWdFamily], ['alpha', inAlphaFamily]] as const) {
      const fam = runs.filter((r) => inFam(r.config) && hasOInfo(r));
      const g = fam.filter(grokked).map((r) => maxSynergyBits(r.oinfo!));
      const ng = fam.filter((r) => !grokked(r)).map((r) => maxSynergyBits(r.oinfo!));
      if (g.length === 0 || ng.length === 0) continue;
      measured++;
      const mg = g.reduce((a, b) => a + b, 0) / g.length;
      const mn = ng.reduce((a, b) => a + b, 0) / ng.length;
      if (!(mn < mg)) ok = false;
      parts.push(`${name}: grok ${fmt(mg)} bits (n=${g.length}) vs no grok ${fmt(mn)} bits (n=${ng.length}), AUC ${fmt(auc(g, ng), 2)}`);
    }
    rows.push(
      measured === 0
        ? { id: 'c4', claim, measured: 'no sweep with both grokking and non-grokking runs with O-information', verdict: 'not measured' }
        : { id: 'c4', claim, measured: parts.join('; '), verdict: ok ? 'holds' : 'does not hold' },
    );
  }

  // c5: divergence and delayed emergence in weight decay 0.1, neither in 2.0 (per slice, as c1)
  rows.push(
    bySlice(runs.filter((r) => inWdFamily(r.config)), 'optim.weightDecay', (fam): ClaimRow => {
      const claim = 'Weight decay 0.1 shows divergence and delayed emergence; 2.0 does not';
      const names = (wd: number) =>
        fam
          .filter((r) => near(r.config.optim.weightDecay, wd))
          .map(phasesOf)
          .filter((p): p is PhasesFile => p !== null)
          .map((p) => new Set(p.phases.map((q) => q.name)));
      const low = names(0.1);
      const high = names(2);
      if (low.length === 0 || high.length === 0)
        return { id: 'c5', claim, measured: `runs with phases: wd 0.1: ${low.length}, wd 2: ${high.length}`, verdict: 'not measured' };
      const a = low.filter((x) => x.has('divergence') && x.has('delayed-emergence')).length;
      const b = high.filter((x) => !x.has('divergence') && !x.has('delayed-emergence')).length;
      return {
        id: 'c5',
        claim,
        measured: `wd 0.1: both phases in ${a}/${low.length} runs; wd 2: neither in ${b}/${high.length} runs; needs >= ${fraction}`,
        verdict: a / low.length >= fraction && b / high.length >= fraction ? 'holds' : 'does not hold',
      };
    }),
  );

  // c6: after the grok step normalised synergy falls and redundancy rises (least-squares slopes)
  {
    const claim = 'Decoupling: after the grok step synergy falls while redundancy rises';
    const rs = runs.filter((r) => grokked(r) && hasOInfo(r));
    const sS: number[] = [];
    const sR: number[] = [];
    let ok = 0;
    let n = 0;
    for (const r of rs) {
      const tl = normalizeRun(r.oinfo!);
      const idx = tl.steps.map((s, i) => (s >= r.summary.grokStep! ? i : -1)).filter((i) => i >= 0);
      if (idx.length < 3) continue;
      const x = idx.map((i) => tl.steps[i]! / 1000);
      const a = lsSlope(x, idx.map((i) => tl.synergy[i]!));
      const b = lsSlope(x, idx.map((i) => tl.redundancy[i]!));
      sS.push(a);
      sR.push(b);
      n++;
      if (a < 0 && b > 0) ok++;
    }
    rows.push(
      n === 0
        ? { id: 'c6', claim, measured: 'no grokking run with >= 3 measured steps after its grok step', verdict: 'not measured' }
        : {
            id: 'c6',
            claim,
            measured:
              `synergy falls and redundancy rises after grokking in ${ok}/${n} runs; median slopes per 1000 steps ` +
              `(normalised): synergy ${fmt(median(sS))}, redundancy ${fmt(median(sR))}; needs >= ${fraction}`,
            verdict: ok / n >= fraction ? 'holds' : 'does not hold',
          },
    );
  }

  // c7, c8: ablations
  const ablations = input.ablation === undefined ? [] : Array.isArray(input.ablation) ? input.ablation : [input.ablation];
  // c7: ablation
  {
    const claim = 'Ablation: the synergistic sub-network reaches a higher test accuracy than its inverse';
    const ab = ablations;
    ab.forEach((r, i) => {
      for (const k of ['original', 'synergy', 'inverse'] as const) {
        const v = r?.[k];
        if (typeof v !== 'number' || !(v >= 0 && v <= 1)) {
          throw new GrokinfoError('INVALID_DATA', `ablation[${i}].${k}: a test accuracy in [0, 1] expected (got ${String(v)})`, { index: i, field: k });
        }
      }
    });
    if (ab.length === 0) rows.push({ id: 'c7', claim, measured: 'no ablation results', verdict: 'not measured' });
    else {
      const mean = (k: 'original' | 'synergy' | 'inverse') => ab.reduce((a, r) => a + r[k], 0) / ab.length;
      const [o, s, v] = [mean('original'), mean('synergy'), mean('inverse')];
      const wins = ab.filter((r) => r.synergy > r.inverse).length;
      rows.push({
        id: 'c7',
        claim,
        measured:
          `final test accuracy (mean of ${ab.length}): original ${o.toFixed(3)}, synergistic ${s.toFixed(3)}, inverse ${v.toFixed(3)}; synergistic higher in ${wins}/${ab.length}` +
          (input.ablationSkipped ? `; ${input.ablationSkipped} ablation(s) without an inverse (the synergistic sub-network was the whole layer) left out` : ''),
        verdict: s > v ? 'holds' : 'does not hold',
      });
    }
  }
  // c8 (beyond the paper): the synergistic sub-network against a random one of the same size
  {
    const claim = 'Ablation control: the synergistic sub-network beats a random sub-network of the same size (not in the paper)';
    const ab = ablations.filter((r) => r.randomSynergy !== undefined);
    ab.forEach((r, i) => {
      if (!(typeof r.randomSynergy === 'number' && r.randomSynergy >= 0 && r.randomSynergy <= 1))
        throw new GrokinfoError('INVALID_DATA', `ablation[${i}].randomSynergy: a test accuracy in [0, 1] expected (got ${String(r.randomSynergy)})`, { index: i, field: 'randomSynergy' });
    });
    if (ab.length === 0) rows.push({ id: 'c8', claim, measured: 'no size-matched random ablation (subnet random:synergy)', verdict: 'not measured' });
    else {
      const s = ab.reduce((a, r) => a + r.synergy, 0) / ab.length;
      const z = ab.reduce((a, r) => a + r.randomSynergy!, 0) / ab.length;
      const wins = ab.filter((r) => r.synergy > r.randomSynergy!).length;
      rows.push({
        id: 'c8',
        claim,
        measured: `final test accuracy (mean of ${ab.length}): synergistic ${s.toFixed(3)}, random of the same size ${z.toFixed(3)}; synergistic higher in ${wins}/${ab.length}`,
        verdict: s > z ? 'holds' : 'does not hold',
      });
    }
  }
  return rows;
}

/** The claims table as Markdown. */
export function claimsToMarkdown(rows: readonly ClaimRow[]): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  return [
    '| id | claim | measured | verdict |',
    '|---|---|---|---|',
    ...rows.map((r) => `| ${r.id} | ${esc(r.claim)} | ${esc(r.measured)} | ${r.verdict} |`),
  ].join('\n') + '\n';
}
