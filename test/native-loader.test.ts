// The native loader's choice among its candidates, with the machine and the binaries faked:
// which binary is chosen, what happens when binaries are missing or fail to load, and the CUDA
// build on a GPU it cannot run on (falls back to the CPU with the reason).
import { describe, expect, it } from 'vitest';
import { GrokinfoError } from '../src/core/errors.js';
import { nativeCandidates, selectNative, type HostInfo } from '../src/addon/native.js';
import { CPU_LEVEL_FLAGS, cpuLevelFromFlags } from '../src/addon/prebuilds.js';

const ROOT = '/pkg';
const P = (name: string) => `${ROOT}/prebuilds/linux-x64/${name}/grokinfo.node`;
const host = (over: Partial<HostInfo> = {}): HostInfo => ({ platform: 'linux', arch: 'x64', cpuLevel: 'x86-64-v4', nvidiaDriver: false, ...over });

/** A fake addon whose backendInfo says whether CUDA works. */
const addon = (name: string, cuda?: { ok: boolean; reason: string }) => ({
  name,
  backendInfo: () => ({ cudaBuilt: !!cuda, cuda: cuda?.ok ?? false, cudaReason: cuda?.reason ?? 'built without CUDA' }),
});

function pick(h: HostInfo, present: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) {
  const loads: string[] = [];
  const sel = selectNative(
    nativeCandidates(h, ROOT, env),
    (p) => {
      loads.push(p);
      const a = present[p];
      if (a instanceof Error) throw a;
      return a;
    },
    (p) => p in present,
    h,
  );
  return { sel, loads, name: (sel.addon as { name: string }).name };
}

const ALL_CPU = { [P('cpu-x86-64-v4')]: addon('v4'), [P('cpu-x86-64-v3')]: addon('v3'), [P('cpu-x86-64')]: addon('base') };

describe('native loader: candidate order', () => {
  it('env override, source builds, then prebuilt CUDA, AVX-512, AVX2, baseline', () => {
    const c = nativeCandidates(host({ nvidiaDriver: true }), ROOT, { GROKINFO_ADDON: '/x/my.node' });
    expect(c.map((x) => x.path)).toEqual([
      '/x/my.node',
      `${ROOT}/build/Release/grokinfo.node`,
      `${ROOT}/build/Debug/grokinfo.node`,
      P('cuda'),
      P('cpu-x86-64-v4'),
      P('cpu-x86-64-v3'),
      P('cpu-x86-64'),
    ]);
    expect(c.every((x) => !x.skip)).toBe(true);
  });

  it('skips what the machine cannot run: the CUDA build without a driver, AVX-512 on an AVX2 CPU', () => {
    const c = nativeCandidates(host({ cpuLevel: 'x86-64-v3' }), ROOT, {});
    const skip = Object.fromEntries(c.map((x) => [x.label, x.skip]));
    expect(skip['prebuilt cuda']).toMatch(/no NVIDIA driver/);
    expect(skip['prebuilt cpu-x86-64-v4']).toMatch(/needs a x86-64-v4 CPU, this one is x86-64-v3/);
    expect(skip['prebuilt cpu-x86-64-v3']).toBeUndefined();
    expect(skip['prebuilt cpu-x86-64']).toBeUndefined();
    // a CUDA build has AVX2 CPU code: a baseline CPU never gets it, even with a GPU
    const b = nativeCandidates(host({ cpuLevel: 'x86-64-v2', nvidiaDriver: true }), ROOT, {});
    expect(b.find((x) => x.label === 'prebuilt cuda')!.skip).toMatch(/x86-64-v3/);
  });

  it('a CUDA build skipped for want of a driver is the reason the CPU build is used', () => {
    const r = pick(host(), { [P('cuda')]: addon('cuda', { ok: true, reason: 'H100' }), ...ALL_CPU });
    expect(r.name).toBe('v4');
    expect(r.sel.tried).toEqual(['prebuilt cuda: skipped, no NVIDIA driver on this machine']);
    expect(r.sel.cudaFallback).toBe('the CUDA build is not used: no NVIDIA driver on this machine');
    // without a CUDA binary in the package there is nothing to explain
    expect(pick(host(), ALL_CPU).sel.cudaFallback).toBeUndefined();
  });

  it('no prebuilt candidates on a platform without prebuilds (source build only)', () => {
    const c = nativeCandidates(host({ platform: 'darwin', arch: 'arm64', cpuLevel: null }), ROOT, {});
    expect(c.map((x) => x.kind)).toEqual(['source', 'source']);
  });
});

describe('native loader: selection with faked binaries', () => {
  it('chooses the fastest CPU build the CPU can run', () => {
    expect(pick(host(), ALL_CPU).name).toBe('v4');
    const v3 = pick(host({ cpuLevel: 'x86-64-v3' }), ALL_CPU);
    expect(v3.name).toBe('v3');
    expect(v3.loads).toEqual([P('cpu-x86-64-v3')]); // the AVX-512 build is never loaded on an AVX2 CPU
    expect(v3.sel.tried.join('\n')).toMatch(/cpu-x86-64-v4: skipped, needs a x86-64-v4 CPU/);
    expect(pick(host({ cpuLevel: 'x86-64' }), ALL_CPU).name).toBe('base');
  });

  it('a source build wins over the prebuilt binaries; $GROKINFO_ADDON over both', () => {
    const present = { ...ALL_CPU, [`${ROOT}/build/Release/grokinfo.node`]: addon('source'), '/x/my.node': addon('env') };
    expect(pick(host(), present, { GROKINFO_ADDON: '/x/my.node' }).name).toBe('env');
    expect(pick(host(), present, {}).name).toBe('source');
  });

  it('a missing binary falls through to the next; one that fails to load too, with its error kept', () => {
    const present = { [P('cpu-x86-64-v4')]: new Error('invalid ELF header\nmore'), [P('cpu-x86-64')]: addon('base') };
    const r = pick(host(), present);
    expect(r.name).toBe('base');
    expect(r.sel.tried).toEqual([
      `prebuilt cpu-x86-64-v4: ${P('cpu-x86-64-v4')} failed to load: invalid ELF header`,
      `prebuilt cpu-x86-64-v3: ${P('cpu-x86-64-v3')} not found`,
    ]);
  });

  it('no binary at all: one BACKEND_UNAVAILABLE error listing every attempt and the fix', () => {
    let err: unknown;
    try {
      pick(host({ cpuLevel: 'x86-64-v3' }), { [P('cpu-x86-64-v3')]: new Error('libgomp.so.1: cannot open shared object file') });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GrokinfoError);
    const e = err as GrokinfoError;
    expect(e.code).toBe('BACKEND_UNAVAILABLE');
    expect(e.message).toContain('linux-x64, CPU x86-64-v3');
    expect(e.message).toContain(`${P('cpu-x86-64-v3')} failed to load: libgomp.so.1: cannot open shared object file`);
    expect(e.message).toContain(`${P('cpu-x86-64')} not found`);
    expect(e.message).toMatch(/npm install grokinfo/);
    expect(e.message).toMatch(/npm rebuild grokinfo --build-from-source/);
    // a platform without prebuilds says so
    expect(() => pick(host({ platform: 'linux', arch: 'arm64', cpuLevel: null }), {})).toThrowError(/No prebuilt binary is shipped for linux-arm64/);
  });

  it('the CUDA build is chosen when the GPU can run it', () => {
    const present = { ...ALL_CPU, [P('cuda')]: addon('cuda', { ok: true, reason: 'NVIDIA H100 (sm_90)' }) };
    const r = pick(host({ nvidiaDriver: true }), present);
    expect(r.name).toBe('cuda');
    expect(r.sel.cudaFallback).toBeUndefined();
  });

  it('wrong GPU architecture: the CUDA build is passed over for the best CPU build, with the reason', () => {
    const why = 'Tesla T4 (sm_75, compute capability 7.5) is not supported by this build (CUDA architectures 80-real 86-real 89-real 90-real 90-virtual): no kernel image is available';
    const present = { ...ALL_CPU, [P('cuda')]: addon('cuda', { ok: false, reason: why }) };
    const r = pick(host({ nvidiaDriver: true }), present);
    expect(r.name).toBe('v4');
    expect(r.loads).toEqual([P('cuda'), P('cpu-x86-64-v4')]);
    expect(r.sel.cudaFallback).toContain('compute capability 7.5');
    expect(r.sel.tried[0]).toMatch(/^prebuilt cuda: the CUDA build cannot run here: Tesla T4 .* falling back to a CPU build$/);
  });
});

describe('CPU level from /proc/cpuinfo flags', () => {
  const upTo = (n: number) => new Set(Object.values(CPU_LEVEL_FLAGS).slice(0, n + 1).flat());
  it('each level needs its flags and every lower level', () => {
    expect(cpuLevelFromFlags(new Set(['sse2']))).toBe('x86-64');
    expect(cpuLevelFromFlags(upTo(1))).toBe('x86-64-v2');
    expect(cpuLevelFromFlags(upTo(2))).toBe('x86-64-v3');
    expect(cpuLevelFromFlags(upTo(3))).toBe('x86-64-v4');
    const noFma = upTo(3);
    noFma.delete('fma');
    expect(cpuLevelFromFlags(noFma)).toBe('x86-64-v2'); // AVX-512 flags without FMA are not v4
  });
});
