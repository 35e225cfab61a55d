#!/usr/bin/env node
// Builds the prebuilt native binaries the package ships (the list is PREBUILD_VARIANTS in
// src/addon/prebuilds.ts): one cmake-js build per variant in build-prebuild-<name>/ (incremental), the
// stripped addon copied to prebuilds/<platform>-<arch>/<name>/grokinfo.node. Run by `npm pack`
// (prepack) after `tsc`; the binaries are not committed to git.
//
//   node bindings/prebuild.mjs                  every variant for this platform
//   GROKINFO_PREBUILDS=host node bindings/...   only the CPU variant the loader would pick here
//   GROKINFO_PREBUILDS=cuda,cpu-x86-64 ...     the named variants
// A CUDA variant needs nvcc; without it the script stops with an error unless the variant was
// left out (GROKINFO_PREBUILDS), so a package is never packed without the binaries it claims.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { PREBUILD_VARIANTS, prebuildDir, cpuLevelAtLeast } = await import(join(root, 'dist', 'addon', 'prebuilds.js'));
const { detectHost } = await import(join(root, 'dist', 'addon', 'native.js'));

const host = detectHost();
const mine = PREBUILD_VARIANTS.filter((v) => v.platform === process.platform && v.arch === process.arch);
if (mine.length === 0) {
  console.error(`prebuild: no prebuilt variants are defined for ${process.platform}-${process.arch}; nothing to build`);
  process.exit(0);
}
const which = (process.env.GROKINFO_PREBUILDS ?? 'all').trim();
let chosen;
if (which === 'all') chosen = mine;
else if (which === 'host') chosen = [mine.find((v) => !v.cudaArchs && cpuLevelAtLeast(host.cpuLevel ?? 'x86-64', v.march))];
else {
  const names = which.split(',').map((s) => s.trim());
  chosen = names.map((n) => mine.find((v) => v.name === n));
  const bad = names.filter((n, i) => !chosen[i]);
  if (bad.length) {
    console.error(`prebuild: GROKINFO_PREBUILDS: unknown variant(s) ${bad.join(', ')}; allowed: all, host, or a list of ${mine.map((v) => v.name).join(', ')}`);
    process.exit(2);
  }
}

const hasNvcc = spawnSync('nvcc', ['--version'], { stdio: 'ignore' }).status === 0;
const cmakeJs = join(root, 'node_modules', 'cmake-js', 'bin', 'cmake-js');

for (const v of chosen) {
  if (v.cudaArchs && !hasNvcc) {
    console.error(`prebuild: variant ${v.name} needs nvcc (CUDA toolkit), which is not on PATH; install it, or leave the variant out with GROKINFO_PREBUILDS`);
    process.exit(1);
  }
  const out = `build-prebuild-${v.name}`;
  // configure every time (cmake-js compile would keep a stale cache's options), then build incrementally
  const common = ['--directory', root, '--out', join(root, out)];
  const defs = [`--CDGROKINFO_MARCH=${v.march}`, '--CDGROKINFO_BENCH=OFF', `--CDGROKINFO_CUDA=${v.cudaArchs ? 'ON' : 'OFF'}`];
  if (v.cudaArchs) defs.push(`--CDCMAKE_CUDA_ARCHITECTURES=${v.cudaArchs}`);
  console.error(`prebuild: ${v.name} (${v.what}) in ${out}/`);
  const t0 = Date.now();
  const quiet = { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] };
  let r = spawnSync(process.execPath, [cmakeJs, 'configure', ...common, ...defs], quiet);
  if (r.status === 0) r = spawnSync(process.execPath, [cmakeJs, 'build', ...common], quiet);
  if (r.status !== 0) {
    console.error(`prebuild: the ${v.name} build failed (exit ${r.status}); see the output above`);
    process.exit(1);
  }
  const dir = join(root, prebuildDir(v));
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `.grokinfo.node.${process.pid}`);
  copyFileSync(join(root, out, 'Release', 'grokinfo.node'), tmp);
  try {
    execFileSync('strip', ['--strip-unneeded', tmp]);
  } catch {
    console.error('prebuild: strip not found; the binary is shipped unstripped');
  }
  renameSync(tmp, join(dir, 'grokinfo.node'));
  const mb = (statSync(join(dir, 'grokinfo.node')).size / 1e6).toFixed(1);
  console.error(`prebuild: ${prebuildDir(v)}/grokinfo.node ${mb} MB (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
}
// Variants not chosen this time are removed, so a package never ships a stale binary.
for (const v of mine) if (!chosen.includes(v)) rmSync(join(root, prebuildDir(v)), { recursive: true, force: true });
