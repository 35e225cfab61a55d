/**
 * The CPU-vs-CUDA checks of bench/gpu-check.mjs (Part 1: O-information, checkpoint measurement, training
 * with pair inputs, CUDA graphs, training with dense inputs: xent and MSE, full batch and minibatches, depth 1
 * and 3, a 9000-row test set evaluated in chunks) as a vitest test. It runs where the addon was built with CUDA and a device is present, and
 * is reported as skipped, with the reason in its name, everywhere else. Also: a cancel stops a long CUDA
 * O-information computation within one second (issue 13; the CPU case is in reliability.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { loadNative } from '../src/addon/native.js';
import { oinfo } from '../src/measures/oinfo.js';
import { normals } from './oinfo.ref.js';

const info = loadNative().backendInfo() as { cuda: boolean; [k: string]: unknown };
const reason = info.cuda ? '' : `skipped: no CUDA device or no CUDA build here (backendInfo ${JSON.stringify(info)})`;

describe.skipIf(!info.cuda)(`CPU vs CUDA: the checks of bench/gpu-check.mjs${reason ? ` (${reason})` : ''}`, () => {
  it('every check passes (quick sizes)', async () => {
    // @ts-expect-error: a plain ES module without types
    const { runGpuChecks } = await import('../bench/gpu-check.mjs');
    const lines: string[] = [];
    const r = (await runGpuChecks({ addon: loadNative(), quick: true, log: (...a: unknown[]) => lines.push(a.join(' ')) })) as {
      failures: number;
      results: { name: string; ok: boolean; detail: string }[];
    };
    expect(r.results.filter((x) => !x.ok), lines.join('\n')).toEqual([]);
    expect(r.failures).toBe(0);
    // the oinfo, measure and training parts all ran (each reports several checks)
    for (const part of [/oinfo|multiplets/i, /measure/i, /^train/, /^train dense .* batch 200 depth 3/, /^train dense mse/]) expect(r.results.some((x) => part.test(x.name)), String(part)).toBe(true);
  }, 600_000);

  it('an AbortSignal stops a long CUDA computation within one second (bounded launches, checked between them)', async () => {
    // 60 variables, sizes 2..32 (the variables kernel's largest): ~1e18 multiplets, hours of GPU work
    const z = normals(2);
    const data = new Float64Array(200 * 60);
    for (let i = 0; i < data.length; i++) data[i] = z();
    const ac = new AbortController();
    let abortedAt = 0;
    setTimeout(() => {
      abortedAt = performance.now();
      ac.abort();
    }, 1500);
    const p = oinfo({ data, rows: 200, cols: 60 }, { maxSize: 32, maxMultiplets: Infinity, signal: ac.signal, backend: 'cuda' });
    await expect(p).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(abortedAt).toBeGreaterThan(0);
    expect(performance.now() - abortedAt).toBeLessThan(1000);
  }, 60_000);
});
