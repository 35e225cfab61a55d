/**
 * Loads the native addon, the way native npm packages do (sharp, better-sqlite3): every candidate is
 * tried in order, every failure is collected, and one BACKEND_UNAVAILABLE error says what was tried
 * and what to do. Candidates, in order:
 *   1. $GROKINFO_ADDON (an explicit path);
 *   2. a source build in build/Release or build/Debug (made by `npm run build`, or by the install
 *      step when no prebuilt binary fits this machine);
 *   3. the prebuilt binaries shipped in prebuilds/<platform>-<arch>/ (src/addon/prebuilds.ts): the CUDA
 *      build when an NVIDIA driver is present, kept only if it can run on the GPU (its compute
 *      capability is covered), else the fastest CPU build this CPU can run (AVX-512, AVX2, baseline).
 * Nothing is loaded at import time: the first call that needs the engine loads it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GrokinfoError, invalidArgument } from '../core/errors.js';
import { PREBUILD_VARIANTS, cpuLevelAtLeast, cpuLevelFromFlags, prebuildDir, type CpuLevel, type PrebuildVariant } from './prebuilds.js';

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));
/** The package root (dist/addon/../.. or src/addon/../..). */
export const packageRoot = join(here, '..', '..');

export type NativeAddon = any;

/** What the loader needs to know about this machine (faked in tests). */
export interface HostInfo {
  platform: string;
  arch: string;
  /** x86-64 level from the CPU flags; null when not x86-64 or unknown. */
  cpuLevel: CpuLevel | null;
  /** An NVIDIA kernel driver is present (/proc/driver/nvidia/version). */
  nvidiaDriver: boolean;
}

export function detectHost(): HostInfo {
  let cpuLevel: CpuLevel | null = null;
  if (process.arch === 'x64') {
    cpuLevel = 'x86-64';
    try {
      const line = /^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
      if (line) cpuLevel = cpuLevelFromFlags(new Set(line[1].trim().split(/\s+/)));
    } catch {
      // not Linux: baseline only
    }
  }
  return { platform: process.platform, arch: process.arch, cpuLevel, nvidiaDriver: existsSync('/proc/driver/nvidia/version') };
}

export interface NativeCandidate {
  path: string;
  /** How the candidate is named in messages, e.g. "prebuilt cpu-x86-64-v4". */
  label: string;
  kind: 'env' | 'source' | 'prebuilt';
  /** A CUDA build: kept only when backendInfo() says CUDA is usable. */
  cuda?: boolean;
  /** Set when the candidate cannot fit this machine; it is reported, not loaded. */
  skip?: string;
}

/** The candidates in the loader's order, with the reason each unfit prebuilt binary is skipped. */
export function nativeCandidates(host: HostInfo = detectHost(), root: string = packageRoot, env: NodeJS.ProcessEnv = process.env): NativeCandidate[] {
  const out: NativeCandidate[] = [];
  if (env.GROKINFO_ADDON) out.push({ path: env.GROKINFO_ADDON, label: '$GROKINFO_ADDON', kind: 'env' });
  for (const type of ['Release', 'Debug'])
    out.push({ path: join(root, 'build', type, 'grokinfo.node'), label: `source build (build/${type})`, kind: 'source' });
  for (const v of PREBUILD_VARIANTS) {
    if (v.platform !== host.platform || v.arch !== host.arch) continue;
    const c: NativeCandidate = { path: join(root, prebuildDir(v), 'grokinfo.node'), label: `prebuilt ${v.name}`, kind: 'prebuilt' };
    if (v.cudaArchs) c.cuda = true;
    const why = unfit(v, host);
    if (why) c.skip = why;
    out.push(c);
  }
  return out;
}

function unfit(v: PrebuildVariant, host: HostInfo): string | undefined {
  if (host.cpuLevel && !cpuLevelAtLeast(host.cpuLevel, v.march)) return `needs a ${v.march} CPU, this one is ${host.cpuLevel}`;
  if (v.cudaArchs && !host.nvidiaDriver) return 'no NVIDIA driver on this machine';
  return undefined;
}

export interface NativeSelection {
  addon: NativeAddon;
  candidate: NativeCandidate;
  /** One line per candidate tried before the chosen one (absent, skipped, failed to load, CUDA unusable). */
  tried: string[];
  /** Why a CUDA build was passed over (for resolveBackend's reason), if one was. */
  cudaFallback?: string;
}

/**
 * Tries the candidates in order; `exists` and `load` are injectable so the order can be tested with
 * faked candidates. Throws one BACKEND_UNAVAILABLE error listing every attempt and the fix.
 */
export function selectNative(
  candidates: NativeCandidate[],
  load: (path: string) => NativeAddon = (p) => require(p),
  exists: (path: string) => boolean = existsSync,
  host?: HostInfo,
): NativeSelection {
  const tried: string[] = [];
  let cudaFallback: string | undefined;
  for (const c of candidates) {
    if (c.skip) {
      if (exists(c.path)) {
        tried.push(`${c.label}: skipped, ${c.skip}`);
        if (c.cuda) cudaFallback ??= `the CUDA build is not used: ${c.skip}`;
      }
      continue;
    }
    if (!exists(c.path)) {
      if (c.kind !== 'source') tried.push(`${c.label}: ${c.path} not found`);
      continue;
    }
    let addon: NativeAddon;
    try {
      addon = load(c.path);
    } catch (e) {
      tried.push(`${c.label}: ${c.path} failed to load: ${String((e as Error)?.message ?? e).split('\n')[0]}`);
      continue;
    }
    if (c.cuda) {
      const info = addon.backendInfo?.() as { cuda?: boolean; cudaReason?: string } | undefined;
      if (!info?.cuda) {
        cudaFallback = `the CUDA build cannot run here: ${info?.cudaReason ?? 'no backend info'}`;
        tried.push(`${c.label}: ${cudaFallback}; falling back to a CPU build`);
        continue;
      }
    }
    const sel: NativeSelection = { addon, candidate: c, tried };
    if (cudaFallback) sel.cudaFallback = cudaFallback;
    return sel;
  }
  const h = host ?? detectHost();
  const machine = `${h.platform}-${h.arch}${h.cpuLevel ? `, CPU ${h.cpuLevel}` : ''}${h.nvidiaDriver ? ', NVIDIA driver present' : ''}`;
  const hasPrebuilds = PREBUILD_VARIANTS.some((v) => v.platform === h.platform && v.arch === h.arch);
  throw new GrokinfoError(
    'BACKEND_UNAVAILABLE',
    `no grokinfo native addon can be loaded on this machine (${machine}). Tried:\n` +
      (tried.length ? tried.map((t) => `  ${t}`).join('\n') : '  nothing: no build and no prebuilt binary is present') +
      '\n' +
      (hasPrebuilds
        ? 'Reinstall the package so its prebuilt binaries are present (npm install grokinfo), or build from source: '
        : `No prebuilt binary is shipped for ${h.platform}-${h.arch}; build from source: `) +
      'npm install cmake-js node-addon-api && npm rebuild grokinfo --build-from-source ' +
      '(needs cmake >= 3.18, a C++20 compiler and OpenMP; CUDA is optional).',
    { tried },
  );
}

let selection: NativeSelection | undefined;

export function loadNative(): NativeAddon {
  if (selection) return selection.addon;
  const host = detectHost();
  const sel = selectNative(nativeCandidates(host), undefined, undefined, host);
  sel.addon.setErrorClass(GrokinfoError);
  selection = sel;
  return sel.addon;
}

/** Which binary the loader chose and what it passed over (loads the addon if not yet loaded). */
export function nativeInfo(): { path: string; label: string; kind: NativeCandidate['kind']; tried: string[]; cudaFallback?: string } {
  loadNative();
  const s = selection!;
  const out: ReturnType<typeof nativeInfo> = { path: s.candidate.path, label: s.candidate.label, kind: s.candidate.kind, tried: s.tried };
  if (s.cudaFallback) out.cudaFallback = s.cudaFallback;
  return out;
}

let bench: NativeAddon | undefined;

/**
 * The bench addon (grokinfo_bench.node: the engine plus the benchmark baselines), built in a source
 * checkout by `npm run build:native`; not part of the published package.
 */
export function loadBenchAddon(): NativeAddon {
  if (bench) return bench;
  const paths = [process.env.GROKINFO_BENCH_ADDON, join(packageRoot, 'build', 'Release', 'grokinfo_bench.node')].filter((p): p is string => !!p);
  const failures: string[] = [];
  for (const p of paths) {
    if (!existsSync(p)) {
      failures.push(`${p} not found`);
      continue;
    }
    try {
      bench = require(p);
      bench.setErrorClass(GrokinfoError);
      return bench;
    } catch (e) {
      failures.push(`${p}: ${String((e as Error).message).split('\n')[0]}`);
    }
  }
  throw new GrokinfoError(
    'BACKEND_UNAVAILABLE',
    `the benchmark addon (grokinfo_bench.node) is not available (${failures.join('; ')}). It is built only in a source ` +
      'checkout of grokinfo: `npm run build:native` there (cmake -DGROKINFO_BENCH=ON), or set GROKINFO_BENCH_ADDON to its path.',
  );
}

export type BackendName = 'auto' | 'cpu' | 'cuda';
export interface BackendChoice {
  backend: 'cpu' | 'cuda';
  /** Why this backend: for 'auto', why CUDA was or was not used. */
  reason: string;
}

/** Resolves 'auto' | 'cpu' | 'cuda' to a backend that exists here; asking for 'cuda' where there is none is a coded error. */
export function resolveBackend(requested: BackendName = 'auto'): BackendChoice {
  if (requested !== 'auto' && requested !== 'cpu' && requested !== 'cuda')
    throw invalidArgument('backend', "one of 'auto', 'cpu', 'cuda'", requested);
  if (requested === 'cpu') return { backend: 'cpu', reason: 'requested' };
  const info = loadNative().backendInfo() as { cudaBuilt: boolean; cuda: boolean; cudaReason: string };
  if (info.cuda) return { backend: 'cuda', reason: `CUDA device: ${info.cudaReason}` };
  const why = selection?.cudaFallback ?? info.cudaReason;
  if (requested === 'cuda')
    throw new GrokinfoError('BACKEND_UNAVAILABLE', `backend 'cuda' is not available: ${why}; use 'cpu' or 'auto'`);
  return { backend: 'cpu', reason: `CUDA not used: ${why}` };
}

/** Control block shared with native code: [cancel, done, total, reserved]. */
export interface NativeJob {
  control: Float64Array;
  /** Stops the progress timer and the abort listener. */
  dispose(): void;
}

/**
 * Wires an AbortSignal and a progress callback to a native control block. Progress is polled from
 * the block every `intervalMs` (the native side only writes numbers; no callbacks cross threads).
 */
export function nativeJob(
  signal?: AbortSignal,
  onProgress?: (done: number, total: number) => void,
  intervalMs = 100,
): NativeJob {
  const control = new Float64Array(4);
  if (signal?.aborted) control[0] = 1;
  const onAbort = () => {
    control[0] = 1;
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  const timer = onProgress
    ? setInterval(() => {
        if (control[2] > 0) onProgress(control[1], control[2]);
      }, intervalMs)
    : undefined;
  return {
    control,
    dispose() {
      if (timer) clearInterval(timer);
      signal?.removeEventListener('abort', onAbort);
      if (onProgress && control[2] > 0) onProgress(control[1], control[2]);
    },
  };
}

/** Runs a native promise with a control block; a native CANCELLED after the signal fired is passed through. */
export async function withNativeJob<T>(
  signal: AbortSignal | undefined,
  onProgress: ((done: number, total: number) => void) | undefined,
  run: (control: Float64Array) => Promise<T>,
): Promise<T> {
  if (signal?.aborted) throw new GrokinfoError('CANCELLED', 'cancelled before it started');
  const job = nativeJob(signal, onProgress);
  try {
    return await run(job.control);
  } finally {
    job.dispose();
  }
}
