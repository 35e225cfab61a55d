/**
 * The prebuilt native binaries the package ships, in one place: bindings/prebuild.mjs builds exactly
 * these, and the loader (src/addon/native.ts) picks among them. Files live at
 * prebuilds/<platform>-<arch>/<name>/grokinfo.node inside the package.
 */

/** x86-64 micro-architecture levels (the psABI names, also gcc's -march values). */
export type CpuLevel = 'x86-64' | 'x86-64-v2' | 'x86-64-v3' | 'x86-64-v4';
export const CPU_LEVELS: readonly CpuLevel[] = ['x86-64', 'x86-64-v2', 'x86-64-v3', 'x86-64-v4'];

/**
 * /proc/cpuinfo flags each level needs on top of the previous one (what gcc's -march=<level> may use).
 * LZCNT (v3) is not checked: some kernels under KVM do not list its flag ('abm') although CPUID has
 * it, and every CPU with AVX2 + BMI1/2 has it.
 */
export const CPU_LEVEL_FLAGS: Readonly<Record<CpuLevel, readonly string[]>> = {
  'x86-64': [],
  'x86-64-v2': ['cx16', 'lahf_lm', 'popcnt', 'sse4_1', 'sse4_2', 'ssse3'],
  'x86-64-v3': ['avx', 'avx2', 'bmi1', 'bmi2', 'f16c', 'fma', 'movbe', 'xsave'],
  'x86-64-v4': ['avx512f', 'avx512bw', 'avx512cd', 'avx512dq', 'avx512vl'],
};

export interface PrebuildVariant {
  /** Directory name under prebuilds/<platform>-<arch>/. */
  name: string;
  platform: NodeJS.Platform;
  arch: string;
  /** gcc -march of the CPU code; the loader skips the variant on a CPU below this level. */
  march: CpuLevel;
  /** CUDA architectures (CMAKE_CUDA_ARCHITECTURES) when the variant includes the CUDA backend. */
  cudaArchs?: string;
  /** What the variant is for, in words (shown by the loader and the prebuild script). */
  what: string;
}

/** sm_80 (A100), sm_86 (RTX 30xx), sm_89 (RTX 40xx, L4), sm_90 (H100/H200) machine code, plus PTX for newer GPUs. */
export const CUDA_ARCHS = '80-real;86-real;89-real;90-real;90-virtual';

/** In the loader's order of preference (a CUDA build first, then the fastest CPU build the CPU can run). */
export const PREBUILD_VARIANTS: readonly PrebuildVariant[] = [
  { name: 'cuda', platform: 'linux', arch: 'x64', march: 'x86-64-v3', cudaArchs: CUDA_ARCHS, what: 'CUDA (sm_80..sm_90 + PTX) with AVX2 CPU code' },
  { name: 'cpu-x86-64-v4', platform: 'linux', arch: 'x64', march: 'x86-64-v4', what: 'CPU, AVX-512 (x86-64-v4)' },
  { name: 'cpu-x86-64-v3', platform: 'linux', arch: 'x64', march: 'x86-64-v3', what: 'CPU, AVX2 + FMA (x86-64-v3)' },
  { name: 'cpu-x86-64', platform: 'linux', arch: 'x64', march: 'x86-64', what: 'CPU, baseline x86-64 (SSE2)' },
];

export function prebuildDir(v: Pick<PrebuildVariant, 'platform' | 'arch' | 'name'>): string {
  return `prebuilds/${v.platform}-${v.arch}/${v.name}`;
}

/** The highest level whose flags (and all lower levels' flags) are all present. */
export function cpuLevelFromFlags(flags: ReadonlySet<string>): CpuLevel {
  let level: CpuLevel = 'x86-64';
  for (const l of CPU_LEVELS) {
    if (CPU_LEVEL_FLAGS[l].every((f) => flags.has(f))) level = l;
    else break;
  }
  return level;
}

export function cpuLevelAtLeast(have: CpuLevel, need: CpuLevel): boolean {
  return CPU_LEVELS.indexOf(have) >= CPU_LEVELS.indexOf(need);
}
