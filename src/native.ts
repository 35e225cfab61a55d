/**
 * Loads the native addon. Like sharp's loader: every candidate path is tried, every failure is
 * collected, and one BACKEND_UNAVAILABLE error says what went wrong and how to fix it.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GrokinfoError, invalidArgument } from './errors.js';

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type NativeAddon = any;

let cached: NativeAddon | undefined;

export function nativeCandidates(): string[] {
  const fromEnv = process.env.GROKINFO_ADDON ? [process.env.GROKINFO_ADDON] : [];
  return [...fromEnv, join(root, 'build', 'Release', 'grokinfo.node'), join(root, 'build', 'Debug', 'grokinfo.node')];
}

export function loadNative(): NativeAddon {
  if (cached) return cached;
  const failures: string[] = [];
  for (const path of nativeCandidates()) {
    try {
      const addon = require(path);
      addon.setErrorClass(GrokinfoError);
      cached = addon;
      return addon;
    } catch (e) {
      failures.push(`  ${path}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  throw new GrokinfoError(
    'BACKEND_UNAVAILABLE',
    `the grokinfo native addon could not be loaded. Tried:\n${failures.join('\n')}\n` +
      'Build it with `npm run build:native` (needs cmake >= 3.18 and a C++20 compiler; CUDA is optional).',
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
  if (requested === 'cuda')
    throw new GrokinfoError('BACKEND_UNAVAILABLE', `backend 'cuda' is not available: ${info.cudaReason}; use 'cpu' or 'auto'`);
  return { backend: 'cpu', reason: `CUDA not used: ${info.cudaReason}` };
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
