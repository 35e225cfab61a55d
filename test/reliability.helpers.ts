/** Helpers shared by the reliability and SLURM tests. */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readJsonl } from '../src/core/fsutil.js';

/** Files of a run directory, timing fields aside. */
export function runFiles(dir: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const strip = (o: Record<string, unknown>) => {
    const { seconds: _s, wallSeconds: _w, trainSeconds: _t, measureSeconds: _m, ...rest } = o;
    return rest;
  };
  for (const f of ['metrics.jsonl', 'oinfo.jsonl', 'measures.jsonl']) if (existsSync(join(dir, f))) out[f] = readJsonl<Record<string, unknown>>(join(dir, f)).map(strip);
  out['summary.json'] = (() => {
    const { records: _r, ...s } = strip(JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')));
    return s;
  })();
  if (existsSync(join(dir, 'checkpoints')))
    for (const c of readdirSync(join(dir, 'checkpoints')).sort()) out[`checkpoints/${c}`] = readFileSync(join(dir, 'checkpoints', c)).toString('base64');
  return out;
}

