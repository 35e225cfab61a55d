/**
 * The claims table of a loaded run or sweep, computed by the analysis layer (src/analysis/claims.ts)
 * from the same records the figures plot: every unablated run with a summary, its oinfo and phases,
 * and the §7 ablation (final test accuracy of the original, the sub-network and the inverse per seed).
 */
import { buildClaims, type AblationResult, type ClaimRow, type ClaimRun } from '../analysis/index.js';
import { finalTestAcc } from './figures.js';
import { ablationRole, type LoadedReport } from './load.js';

export function claimsFor(rep: LoadedReport): ClaimRow[] {
  const runs: ClaimRun[] = [];
  for (const r of rep.runs) {
    if (r.config.mask || !r.summary) continue;
    runs.push({
      config: r.config,
      summary: r.summary,
      metrics: r.metrics,
      ...(r.oinfo ? { oinfo: r.oinfo } : {}),
      ...(r.phases ? { phases: r.phases } : {}),
    });
  }
  const ablation: AblationResult[] = [];
  for (const r of rep.runs) {
    if (r.config.mask) continue;
    const subs = rep.runs.filter((s) => s.id.startsWith(`${r.id}/ablation/`));
    const syn = subs.find((s) => ablationRole(s.config) === 'sub-network');
    const inv = subs.find((s) => ablationRole(s.config) === 'inverse');
    const [o, a, b] = [finalTestAcc(r), syn ? finalTestAcc(syn) : null, inv ? finalTestAcc(inv) : null];
    if (o !== null && a !== null && b !== null) ablation.push({ original: o, synergy: a, inverse: b });
  }
  return buildClaims({ runs, ...(ablation.length ? { ablation } : {}) });
}
