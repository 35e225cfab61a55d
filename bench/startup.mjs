#!/usr/bin/env node
// Start-up cost of the package (issue 12 targets: core import < 100 ms, `grokinfo --version` < 200 ms).
// Each figure is the median of N fresh processes (default 15): import times are measured inside the
// process (performance.now() and process.cpuUsage() around a dynamic import of the built dist/; the
// CPU time is what a loaded machine inflates least), whole-process times from spawn to exit (wall)
// and the child's user+system CPU time. Usage: node bench/startup.mjs [N]   (after npm run build)
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// STARTUP_ROOT=<another checkout> measures that build instead (e.g. the baseline before a change).
const root = process.env.STARTUP_ROOT ?? join(dirname(fileURLToPath(import.meta.url)), '..');
const N = Number(process.argv[2] ?? 15);
const dist = (p) => JSON.stringify(join(root, 'dist', p));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function inProcess(code) {
  const wall = [], cpu = [];
  for (let i = 0; i < N; i++) {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' });
    if (r.status !== 0) return /code: '(\w+)'/.exec(r.stderr)?.[1] ?? 'fails';
    const [w, c] = r.stdout.trim().split(' ').map(Number);
    wall.push(w);
    cpu.push(c);
  }
  return [median(wall), median(cpu)];
}
function wholeProcess(args) {
  const wall = [], cpu = [];
  for (let i = 0; i < N; i++) {
    const t = process.hrtime.bigint();
    const r = spawnSync('/usr/bin/env', ['bash', '-c', 'TIMEFORMAT="%U %S"; time "$@" >/dev/null', 'x', process.execPath, ...args], { encoding: 'utf8' });
    wall.push(Number(process.hrtime.bigint() - t) / 1e6);
    if (r.status !== 0) throw new Error(r.stderr);
    const [u, s] = r.stderr.trim().split('\n').pop().split(' ').map(Number);
    cpu.push((u + s) * 1000);
  }
  return [median(wall), median(cpu)];
}
const around = (load) => `const c0 = process.cpuUsage(); const t = performance.now(); ${load}; const c = process.cpuUsage(c0); process.stdout.write((performance.now() - t) + ' ' + (c.user + c.system) / 1000);`;
const timedImport = (p) => around(`await import(${dist(p)})`);
const timedRequire = (p) => `import { createRequire } from 'node:module'; const require = createRequire(import.meta.url); ${around(`require(${dist(p)})`)}`;

const rows = [
  ['import grokinfo (core), in-process', inProcess(timedImport('index.js')), 100],
  ['require(grokinfo) (core), in-process', inProcess(timedRequire('index.js')), 100],
  ['import grokinfo/analysis, in-process', inProcess(timedImport('analysis/index.js'))],
  ['import grokinfo/report, in-process (plotting loads on first figure)', inProcess(timedImport('report/index.js'))],
  ['import grokinfo/onnx, in-process (onnxruntime loads on first session)', inProcess(timedImport('onnx/index.js'))],
  ['node -e "" (Node start-up, for reference)', wholeProcess(['-e', ''])],
  ['grokinfo --version, whole process', wholeProcess([join(root, 'dist', 'cli.js'), '--version']), 200],
  ['grokinfo --help, whole process (loads every command)', wholeProcess([join(root, 'dist', 'cli.js'), '--help'])],
];
console.log(`${root}\nmachine: ${cpus()[0]?.model ?? '?'}, ${cpus().length} logical cores, node ${process.version}; median of ${N} processes\n`);
console.log('| what | median wall ms | median CPU ms | target ms |\n|---|---:|---:|---:|');
for (const [what, res, target] of rows) {
  const [wall, cpu] = typeof res === 'string' ? [res, ''] : res.map((x) => x.toFixed(1));
  console.log(`| ${what} | ${wall} | ${cpu} | ${target ?? ''} |`);
}
