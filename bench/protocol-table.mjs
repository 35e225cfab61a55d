#!/usr/bin/env node
/**
 * Tables for README/notes from a `grokinfo reproduce` output directory (or any sweep directory):
 *   node bench/protocol-table.mjs <out>[/sweep]
 * Per configuration: first step with train acc > 0.98, grok step (test acc > threshold) per seed, final test
 * accuracy; the training instabilities (train accuracy falling below 0.9 after memorising, test accuracy falling
 * below 0.9 after grokking); max -Omega_min (bits) and -Omega_min at a few steps for weight decay 0.1.
 * Reads only the record files (config.json, metrics.jsonl, oinfo.jsonl, summary.json).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const arg = process.argv[2];
if (!arg) {
  console.error('usage: node bench/protocol-table.mjs <reproduce-out-or-sweep-dir>');
  process.exit(2);
}
const sweep = existsSync(join(arg, 'sweep', 'runs')) ? join(arg, 'sweep') : arg;
const jsonl = (p) => (existsSync(p) ? readFileSync(p, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : []);
const runs = readdirSync(join(sweep, 'runs')).map((id) => {
  const d = join(sweep, 'runs', id);
  const cfg = JSON.parse(readFileSync(join(d, 'config.json'), 'utf8'));
  const m = jsonl(join(d, 'metrics.jsonl'));
  const o = jsonl(join(d, 'oinfo.jsonl'));
  const s = existsSync(join(d, 'summary.json')) ? JSON.parse(readFileSync(join(d, 'summary.json'), 'utf8')) : null;
  return { id, cfg, m, o, s };
});
const groups = new Map();
for (const r of runs) {
  const k = r.cfg.name ?? r.id;
  if (!groups.has(k)) groups.set(k, []);
  groups.get(k).push(r);
}
const fmt = (x, d = 3) => (x === null || x === undefined ? 'never' : typeof x === 'number' ? (Number.isInteger(x) ? String(x) : x.toFixed(d)) : String(x));
const range = (xs, d = 3) => {
  const v = xs.filter((x) => x !== null && x !== undefined);
  if (!v.length) return 'never';
  const lo = Math.min(...v),
    hi = Math.max(...v);
  return lo === hi ? fmt(lo, d) : `${fmt(lo, d)}-${fmt(hi, d)}`;
};
console.log(`sweep: ${sweep} (${runs.length} runs; split: ${[...new Set(runs.map((r) => r.cfg.task.split ?? 'seeded (pre-split-field)'))].join(', ')})\n`);
console.log('| configuration | train acc > 0.98 at step | grok step, seeds ' + '| final test acc | instabilities (train acc < 0.9 after memorising / test acc < 0.9 after grokking) |');
console.log('|---|---|---|---|---|');
for (const [name, rs] of [...groups].sort()) {
  rs.sort((a, b) => a.cfg.init.seed - b.cfg.init.seed);
  const mem = rs.map((r) => r.m.find((x) => x.trainAcc > 0.98)?.step ?? null);
  const grok = rs.map((r) => r.s?.grokStep ?? r.m.find((x) => x.testAcc > r.cfg.grokThreshold)?.step ?? null);
  const fin = rs.map((r) => r.m.at(-1)?.testAcc ?? null);
  const inst = rs.map((r, i) => {
    const a = mem[i] === null ? 0 : r.m.filter((x) => x.step > mem[i] && x.trainAcc < 0.9).length;
    const b = grok[i] === null ? 0 : r.m.filter((x) => x.step > grok[i] && x.testAcc < 0.9).length;
    return `${a}/${b}`;
  });
  console.log(`| ${name} | ${range(mem)} | ${grok.map((g) => fmt(g)).join(', ')} (seeds ${rs.map((r) => r.cfg.init.seed).join(', ')}) | ${range(fin)} | ${inst.join(', ')} |`);
}
console.log('\nmax -Omega_min (bits) per run, and -Omega_min at steps 1500, 1525, 2000, 2900 (weight decay 0.1):');
for (const [name, rs] of [...groups].sort()) {
  const mx = rs.map((r) => (r.o.length ? Math.max(...r.o.map((x) => -x.synergy)) : null));
  console.log(`  ${name}: max ${mx.map((x) => fmt(x, 1)).join(', ')}`);
  if (name === 'wd0.1')
    for (const r of rs) {
      const at = (s) => r.o.find((x) => x.step === s);
      console.log(`    seed ${r.cfg.init.seed}: ${[1500, 1525, 2000, 2900].map((s) => `${s}: ${fmt(at(s) ? -at(s).synergy : null, 1)}`).join(', ')}`);
    }
}
