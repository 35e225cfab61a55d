#!/usr/bin/env node
// The package's install step. Nothing is compiled when a prebuilt binary fits this machine (the
// loader in dist/addon/native.js decides, exactly as it will at run time). A source build with cmake-js
// happens only when none fits, or when asked (npm install --build-from-source, or
// GROKINFO_BUILD_FROM_SOURCE=1); it needs cmake-js and node-addon-api (optional peer dependencies),
// cmake >= 3.18, a C++20 compiler and OpenMP. In a source checkout (src/ present) it runs
// `npm run build` (TypeScript and the addons, from the dev dependencies).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
if (existsSync(join(root, 'src', 'addon', 'native.ts'))) {
  const npm = process.env.npm_execpath ? [process.execPath, [process.env.npm_execpath]] : ['npm', []];
  const b = spawnSync(npm[0], [...npm[1], 'run', 'build'], { cwd: root, stdio: 'inherit' });
  process.exit(b.status ?? 1);
}

const truthy = (v) => v !== undefined && v !== '' && v !== '0' && v !== 'false';
const fromSource = truthy(process.env.npm_config_build_from_source) || truthy(process.env.GROKINFO_BUILD_FROM_SOURCE);

const { loadNative, nativeInfo } = await import(join(root, 'dist', 'addon', 'native.js'));
if (!fromSource) {
  try {
    loadNative();
    const info = nativeInfo();
    if (process.env.GROKINFO_DEBUG) console.error(`grokinfo: using ${info.label} (${info.path})`);
    process.exit(0);
  } catch (e) {
    console.error(`grokinfo: ${e.message}\ngrokinfo: trying a source build (cmake-js)`);
  }
}

const require = createRequire(join(root, 'package.json'));
let cmakeJs;
try {
  cmakeJs = require.resolve('cmake-js/bin/cmake-js');
  require.resolve('node-addon-api');
} catch {
  console.error(
    'grokinfo: a source build needs the packages cmake-js and node-addon-api, which are not installed.\n' +
      'grokinfo: install them next to grokinfo and rebuild: npm install cmake-js node-addon-api && npm rebuild grokinfo --build-from-source',
  );
  process.exit(1);
}
const args = [cmakeJs, 'compile', '--directory', root, '--out', join(root, 'build')];
if (process.env.GROKINFO_CUDA) args.push(`--CDGROKINFO_CUDA=${process.env.GROKINFO_CUDA}`);
const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
if (r.status !== 0) {
  console.error('grokinfo: the source build failed (see above). It needs cmake >= 3.18, a C++20 compiler and OpenMP; CUDA is optional (GROKINFO_CUDA=OFF skips it).');
  process.exit(1);
}
