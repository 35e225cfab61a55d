// The npm package as a user gets it: `npm pack` (prepack builds the prebuilt binary this machine's
// CPU takes, GROKINFO_PREBUILDS=host, so CI stays fast), install the tarball into an empty project
// offline (the tarball + the npm cache), then import the core (ESM and require), use the engine
// from the shipped prebuilt binary (no compiler runs), and run the CLI. Runs after every other test
// file (vitest.config.ts: project 'package', groupOrder 1): it rebuilds dist/ and prebuilds/.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oinfo, type OInfoReport } from '../src/measures/oinfo.js';
import { gauss, rng } from './rng.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(execFileSync('node', ['-p', 'JSON.stringify(require("./package.json"))'], { cwd: root }).toString()) as { name: string; version: string };
const work = mkdtempSync(join(tmpdir(), 'grokinfo-pack-'));
const proj = join(work, 'app');
let tarball = '';
let files: string[] = [];

function sh(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(cmd, args, { cwd, env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}${r.error ? ` (${r.error.message})` : ''}:\n${r.stdout}\n${r.stderr}`);
  return r;
}

// A small matrix with planted structure (x2 ~ x0 + x1: synergy; x3 ~ x0: redundancy).
const N = 400;
const D = 5;
const data = new Float64Array(N * D);
{
  const u = rng(7);
  const g = () => gauss(u);
  for (let t = 0; t < N; t++) {
    const a = g(), b = g();
    data.set([a, b, a + b + 0.3 * g(), a + 0.5 * g(), g()], t * D);
  }
}

beforeAll(() => {
  sh('npm', ['pack', '--pack-destination', work, '--loglevel', 'error'], root, { GROKINFO_PREBUILDS: process.env.GROKINFO_PREBUILDS ?? 'host' });
  tarball = join(work, readdirSync(work).find((f) => f.endsWith('.tgz'))!);
  files = execFileSync('tar', ['tzf', tarball]).toString().trim().split('\n');
  mkdirSync(proj);
  // Offline: the npm cache holds the dependencies' tarballs (by integrity) but not necessarily their
  // registry metadata, so the app gets a lockfile: grokinfo from the tarball, its dependency closure
  // with the versions and integrities of this repository's package-lock.json; then `npm ci --offline`.
  const tgz = `file:../${tarball.split('/').pop()}`;
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dependencies?: Record<string, string> }> };
  const packed = JSON.parse(execFileSync('tar', ['xzOf', tarball, 'package/package.json']).toString()) as { dependencies: Record<string, string>; bin: Record<string, string> };
  const deps = packed.dependencies;
  const packages: Record<string, unknown> = {
    '': { name: 'app', version: '1.0.0', dependencies: { grokinfo: tgz } },
    'node_modules/grokinfo': { version: pkg.version, resolved: tgz, integrity: `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`, dependencies: deps, bin: packed.bin, hasInstallScript: true },
  };
  const todo = Object.keys(deps);
  while (todo.length) {
    const name = todo.pop()!;
    const key = `node_modules/${name}`;
    if (packages[key]) continue;
    const entry = lock.packages[key];
    if (!entry) throw new Error(`package-lock.json has no ${key}`);
    packages[key] = { ...entry, dev: undefined, devOptional: undefined, peer: undefined };
    todo.push(...Object.keys(entry.dependencies ?? {}));
  }
  writeFileSync(join(proj, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true, type: 'commonjs', dependencies: { grokinfo: tgz } }));
  writeFileSync(join(proj, 'package-lock.json'), JSON.stringify({ name: 'app', version: '1.0.0', lockfileVersion: 3, requires: true, packages }));
  sh('npm', ['ci', '--offline', '--no-audit', '--no-fund', '--loglevel', 'error'], proj);
  writeFileSync(join(proj, 'data.csv'), Array.from({ length: N }, (_, t) => Array.from(data.subarray(t * D, (t + 1) * D)).join(',')).join('\n') + '\n');
}, 900_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('npm package: pack, install offline into an empty project, use', () => {
  it('the tarball ships the library, a prebuilt binary and the sources for a source build; no tests, benchmarks or maps', () => {
    const mb = statSync(tarball).size / 1e6;
    console.log(`tarball ${tarball.split('/').pop()}: ${mb.toFixed(2)} MB, ${files.length} files`);
    expect(files).toContain('package/dist/index.js');
    expect(files).toContain('package/dist/cli.js');
    expect(files).toContain('package/bindings/install.mjs');
    expect(files).toContain('package/CMakeLists.txt');
    expect(files.some((f) => /^package\/prebuilds\/linux-x64\/[^/]+\/grokinfo\.node$/.test(f))).toBe(true);
    for (const f of files) expect(f).not.toMatch(/^package\/(test|bench|src|build|build-[^/]*|\.ci)\/|\.map$|grokinfo_bench/);
    expect(mb).toBeLessThan(20); // one CPU binary + JS (the full set with CUDA: see README)
  });

  it('nothing was compiled at install: the engine comes from the shipped prebuilt binary', () => {
    expect(existsSync(join(proj, 'node_modules', 'grokinfo', 'build'))).toBe(false);
    const r = sh('node', ['--input-type=module', '-e', `import { nativeInfo } from 'grokinfo'; process.stdout.write(JSON.stringify(nativeInfo()))`], proj);
    const info = JSON.parse(r.stdout);
    expect(info.kind).toBe('prebuilt');
    expect(info.path).toContain(join('node_modules', 'grokinfo', 'prebuilds', 'linux-x64'));
  });

  it('import (ESM) computes the same O-information as the source tree; require works; optional packages load on use', async () => {
    const script = `
      import { readFileSync } from 'node:fs';
      import { oinfo, version } from 'grokinfo';
      const rows = readFileSync('data.csv', 'utf8').trim().split('\\n').map((l) => l.split(',').map(Number));
      const r = await oinfo({ data: Float64Array.from(rows.flat()), rows: rows.length, cols: rows[0].length }, { maxSize: 4, backend: 'cpu' });
      let onnxErr = null;
      const onnx = await import('grokinfo/onnx');
      await onnx.createSession(new Uint8Array(4)).catch((e) => { onnxErr = { code: e.code, message: e.message }; });
      const report = await import('grokinfo/report');
      const analysis = await import('grokinfo/analysis');
      process.stdout.write(JSON.stringify({ version, units: r.units, syn: r.synergy, red: r.redundancy, onnxErr,
        report: typeof report.buildReport, analysis: typeof analysis.analyzeSweep }));`;
    const got = JSON.parse(sh('node', ['--input-type=module', '-e', script], proj).stdout);
    const want = (await oinfo({ data, rows: N, cols: D }, { maxSize: 4, backend: 'cpu' })) as OInfoReport;
    expect(got.version).toBe(pkg.version);
    expect(got.units).toBe('bits');
    expect(got.syn.members).toEqual(want.synergy.members);
    expect(Math.abs(got.syn.value - want.synergy.value)).toBeLessThan(1e-9);
    expect(Math.abs(got.red.value - want.redundancy.value)).toBeLessThan(1e-9);
    expect(got.report).toBe('function');
    expect(got.analysis).toBe('function');
    // onnxruntime-node is an optional peer dependency, not installed here: a coded error naming it
    expect(got.onnxErr.code).toBe('MISSING_DEPENDENCY');
    expect(got.onnxErr.message).toContain('npm install onnxruntime-node');

    const cjs = sh('node', ['-e', `const g = require('grokinfo'); process.stdout.write(typeof g.oinfo + ' ' + typeof g.Trainer + ' ' + g.version)`], proj);
    expect(cjs.stdout).toBe(`function function ${pkg.version}`);
  });

  it('the CLI: --version from package.json; oinfo --json carries the version and bits', () => {
    const bin = join(proj, 'node_modules', '.bin', 'grokinfo');
    expect(sh(bin, ['--version'], proj).stdout.trim()).toBe(pkg.version);
    const r = sh(bin, ['oinfo', 'data.csv', '--max-size', '3', '--json', '--quiet'], proj);
    const s = JSON.parse(r.stdout);
    expect(s.grokinfoVersion).toBe(pkg.version);
    expect(s.units).toBe('bits');
    expect(s.multiplets).toBe(20); // C(5,2) + C(5,3)
    expect(r.stderr).toBe('');
  });
});
