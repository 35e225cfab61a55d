/**
 * The CPU engines keep one persistent workspace: once warm, measuring checkpoints (the bins pipeline:
 * dead columns, Ward, copula, lattice), the `oinfo --bins` pipeline on float64 data, the multiplet
 * lattice, training steps (with evaluations; pair inputs in full batch, dense inputs in minibatches
 * with MSE and a test set evaluated in chunks) and the snapshot of measured training (a pooled batch)
 * allocate nothing and fault no pages. The probe
 * (test/native/alloc_probe.cpp, built next to the addon by the GROKINFO_ALLOC_PROBE CMake option)
 * counts every heap allocation of its process and the page faults over three calls after two warm-up
 * calls; its control case (a temporary engine per call) must allocate, so the counter is live.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const probe = [join(root, 'build', 'Release', 'grokinfo_alloc_probe'), join(root, 'build', 'Debug', 'grokinfo_alloc_probe')].find(existsSync);

describe('persistent workspaces of the CPU engines', () => {
  it('steady state: no allocation and no page fault per call', () => {
    expect(probe, 'build/Release/grokinfo_alloc_probe (npm run build, GROKINFO_ALLOC_PROBE=ON) is missing').toBeDefined();
    const out = execFileSync(probe!, { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '2' } });
    const r = JSON.parse(out) as Record<string, { allocs: number; faults: number }>;
    for (const name of ['measure', 'measure_bins_f64', 'multiplets', 'train_step', 'train_evaluate_step', 'dense_minibatch_step', 'dense_evaluate_step', 'train_snapshot_measure']) {
      expect(r[name], name).toBeDefined();
      expect(r[name].allocs, `${name}: allocations`).toBe(0);
      expect(r[name].faults, `${name}: page faults`).toBe(0);
    }
    expect(r.control.allocs).toBeGreaterThan(0);
  });
});
