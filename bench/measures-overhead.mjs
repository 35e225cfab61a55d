#!/usr/bin/env node
// What the progress measures (src/measures/) add to the paper's protocol for one run (weight decay 2,
// p = 97, 250 hidden, O-information every 5 steps, evaluation every 5 steps), on the CPU:
//   base      --measure oinfo                                  (the paper protocol)
//   cheap     --measure oinfo,<every cheap measure>            (cheap ones at every evaluation)
//   expensive --measure oinfo,<every expensive measure>        (at the default --expensive-every)
// Variants are interleaved (base, cheap, expensive, base, ...) so they share the machine's load; each line
// reports wall seconds and the process's CPU seconds (all threads), and the median per variant. The CPU time
// is the figure to read on a shared machine. Also prints each measure's own seconds from measures.jsonl.
// Usage: node bench/measures-overhead.mjs [N=3] [STEPS=4000]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const { MEASURES, DEFAULT_EXPENSIVE_EVERY } = await import(join(root, 'dist', 'measures', 'registry.js'));
const n = Number(process.argv[2] ?? 3);
const steps = Number(process.argv[3] ?? 4000);
const cli = join(root, 'dist', 'cli.js');
const cheap = MEASURES.filter((m) => m.cost === 'cheap').map((m) => m.name);
const expensive = MEASURES.filter((m) => m.cost === 'expensive' && m.name !== 'oinfo').map((m) => m.name);
const variants = { base: ['oinfo'], cheap: ['oinfo', ...cheap], expensive: ['oinfo', ...expensive] };
const rows = { base: [], cheap: [], expensive: [] };
const perMeasure = {};
for (let i = 0; i < n; i++)
  for (const [name, list] of Object.entries(variants)) {
    const out = join(mkdtempSync(join(tmpdir(), 'grokinfo-bench-')), 'run');
    const t0 = performance.now();
    const r = spawnSync(
      'bash',
      ['-c', `TIMEFORMAT='%U %S'; time node ${cli} train --weight-decay 2 --steps ${steps} --measure ${list.join(',')} --every 5 --out ${out} --json --quiet --backend cpu`],
      { encoding: 'utf8' },
    );
    const wall = (performance.now() - t0) / 1000;
    if (r.status !== 0) throw new Error(r.stderr);
    const [u, s] = r.stderr.trim().split('\n').pop().split(' ').map(Number);
    rows[name].push({ wall, cpu: u + s });
    if (name !== 'base')
      for (const line of readFileSync(join(out, 'measures.jsonl'), 'utf8').trim().split('\n')) {
        const rec = JSON.parse(line);
        for (const [k, v] of Object.entries(rec.seconds)) (perMeasure[k] ??= new Array(n).fill(0))[i] += v;
      }
    console.log(`${name} ${i + 1}/${n}: wall ${wall.toFixed(1)} s, cpu ${(u + s).toFixed(1)} s, load ${loadavg()[0].toFixed(1)}`);
  }
const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`\nmachine: ${cpus()[0].model} x ${cpus().length}; ${steps} steps; ${n} runs per variant; expensive every ${DEFAULT_EXPENSIVE_EVERY} steps`);
console.log('| variant | median wall s | ratio to base | median CPU s | ratio to base |');
console.log('|---|---:|---:|---:|---:|');
for (const k of Object.keys(variants)) {
  const w = med(rows[k].map((r) => r.wall)),
    c = med(rows[k].map((r) => r.cpu));
  console.log(`| ${k} (${variants[k].join(', ')}) | ${w.toFixed(1)} | ${(w / med(rows.base.map((r) => r.wall))).toFixed(2)} | ${c.toFixed(1)} | ${(c / med(rows.base.map((r) => r.cpu))).toFixed(2)} |`);
}
console.log('\n| measure | median seconds per run (own time, main thread) |');
console.log('|---|---:|');
for (const [k, v] of Object.entries(perMeasure)) console.log(`| ${k} | ${med(v).toFixed(2)} |`);
