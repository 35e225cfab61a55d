#!/usr/bin/env node
// The paper's protocol for one run, measured: 4000 steps, O-information every 5 steps (801
// checkpoints incl. step 0), weight decay 2, on this machine. Prints the median over N runs of the
// wall time and its split between training and measuring (measuring overlaps training, so the two
// need not add up to the wall time). Usage: node bench/measured-run.mjs [N=3] [--backend cpu|cuda]
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';

const n = Number(process.argv[2] ?? 3);
const backend = process.argv.includes('--backend') ? process.argv[process.argv.indexOf('--backend') + 1] : 'cpu';
const cli = join(import.meta.dirname, '..', 'dist', 'cli.js');
const rows = [];
for (let i = 0; i < n; i++) {
  const out = join(mkdtempSync(join(tmpdir(), 'grokinfo-bench-')), 'run');
  const r = spawnSync(process.execPath, [cli, 'train', '--weight-decay', '2', '--measure', 'oinfo', '--every', '5', '--out', out, '--json', '--quiet', '--backend', backend], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  const s = JSON.parse(r.stdout);
  rows.push(s);
  console.log(`run ${i + 1}/${n}: wall ${s.wallSeconds.toFixed(1)} s, training ${s.trainSeconds.toFixed(1)} s, measuring ${s.measureSeconds.toFixed(1)} s, grok step ${s.grokStep}`);
}
const med = (k) => rows.map((r) => r[k]).sort((a, b) => a - b)[Math.floor(rows.length / 2)];
console.log(`\nmachine: ${cpus()[0].model} x ${cpus().length}; backend ${backend}; ${n} runs`);
console.log('| protocol | median wall s | training s | measuring s | target s | ratio to target |');
console.log('|---|---:|---:|---:|---:|---:|');
console.log(`| 4000 steps, 801 checkpoints | ${med('wallSeconds').toFixed(1)} | ${med('trainSeconds').toFixed(1)} | ${med('measureSeconds').toFixed(1)} | 180 | ${(med('wallSeconds') / 180).toFixed(2)} |`);
