/**
 * The CPU-vs-CUDA checks of bench/gpu-check.mjs (Part 1: O-information, checkpoint measurement, training,
 * CUDA graphs) as a vitest test. It runs where the addon was built with CUDA and a device is present, and
 * is reported as skipped, with the reason in its name, everywhere else.
 */
import { describe, expect, it } from 'vitest';
import { loadNative } from '../src/addon/native.js';

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
    for (const part of [/oinfo|multiplets/i, /measure/i, /^train/]) expect(r.results.some((x) => part.test(x.name)), String(part)).toBe(true);
  }, 600_000);
});
