/** analyzeSweep over records on disk (the report fixture): claims computed, incomplete ablations left out. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AblationResult } from '../src/ablate.js';
import { analyzeSweep } from '../src/analyze.js';
import { tempRoot, writeSweep } from './report-fixture.js';

const curve = (subnet: string, finalTestAcc: number) => ({ subnet, neurons: [0], steps: [0, 10], testAcc: [0, finalTestAcc], finalTestAcc, grokStep: null });

describe('analyzeSweep', () => {
  it('an ablation whose inverse was not trained (empty) is left out of c7 and counted, not a NaN error', async () => {
    const dir = writeSweep(tempRoot('grokinfo-analyze-'));
    const full: AblationResult = {
      run: join(dir, 'a'), source: { step: 10, synergy: -1, units: 'bits' }, maskBias: false, skipped: [],
      curves: [curve('original', 0.99), curve('synergy', 0.9), curve('inverse', 0.3)],
    };
    const noInverse: AblationResult = {
      run: join(dir, 'b'), source: { step: 10, synergy: -1, units: 'bits' }, maskBias: false,
      skipped: [{ subnet: 'inverse', reason: 'empty' }],
      curves: [curve('original', 0.99), curve('synergy', 0.2)],
    };
    const a = await analyzeSweep(dir, { ablations: [full, noInverse] });
    const c7 = a.claims.find((c) => c.id === 'c7')!;
    // Only the complete ablation counts: synergistic 0.9 > inverse 0.3 (the other's 0.2 is not averaged in).
    expect(c7.verdict).toBe('holds');
    expect(c7.measured).toMatch(/mean of 1\)/);
    expect(c7.measured).toMatch(/synergistic 0\.900/);
    expect(c7.measured).toMatch(/1 ablation\(s\) without an inverse/);
  });
});
