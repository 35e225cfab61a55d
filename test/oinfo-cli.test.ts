import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatNpy } from '../src/core/io.js';
import { oinfo, type OInfoReport } from '../src/measures/oinfo.js';
import { normals } from './oinfo.ref.js';

const root = join(import.meta.dirname, '..');
const cli = join(root, 'dist', 'cli.js');

function run(args: string[]) {
  return spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: process.env, cwd: root });
}

describe('grokinfo oinfo (built CLI, end to end)', () => {
  beforeAll(() => {
    // Build dist/ when it is missing or older than the sources this test exercises.
    const srcs = ['src/cli.ts', 'src/measures/oinfo.ts', 'src/core/io.ts', 'src/commands/oinfo.ts'].map((p) => statSync(join(root, p)).mtimeMs);
    const built = ['dist/cli.js', 'dist/measures/oinfo.js', 'dist/core/io.js', 'dist/commands/oinfo.js'].map((p) =>
      existsSync(join(root, p)) ? statSync(join(root, p)).mtimeMs : 0,
    );
    if (built.some((b, i) => b < srcs[i])) spawnSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: root, stdio: 'ignore' });
  }, 120_000);

  const z = normals(12);
  const N = 150;
  const D = 5;
  const data = new Float64Array(N * D);
  for (let t = 0; t < N; t++) {
    const s = z();
    for (let j = 0; j < D; j++) data[t * D + j] = s + z();
  }
  const dir = mkdtempSync(join(tmpdir(), 'cli-'));
  const csv = join(dir, 'x.csv');
  const lines = ['v0,v1,v2,v3,v4'];
  for (let t = 0; t < N; t++) lines.push(Array.from(data.subarray(t * D, (t + 1) * D)).join(','));
  writeFileSync(csv, lines.join('\n') + '\n');

  it('--json summary equals the library result; --out writes one line per multiplet', async () => {
    const out = join(dir, 'all.jsonl');
    const r = run(['oinfo', csv, '--max-size', '5', '--units', 'bits', '--top', '3', '--json', '--out', out, '--backend', 'cpu']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const s = JSON.parse(r.stdout);
    const lib = (await oinfo({ data, rows: N, cols: D }, { maxSize: 5, units: 'bits', topK: 3 })) as OInfoReport;
    expect(s.multiplets).toBe(26);
    expect(s.units).toBe('bits');
    expect(s.samples).toBe(N);
    expect(s.columnNames).toEqual(['v0', 'v1', 'v2', 'v3', 'v4']);
    expect(s.redundancy.members).toEqual(lib.redundancy.members);
    expect(Math.abs(s.redundancy.value - lib.redundancy.value)).toBeLessThan(1e-12);
    expect(s.bySize).toHaveLength(4);
    expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(26);
    // .npy input, human table
    const npy = join(dir, 'x.npy');
    writeFileSync(npy, formatNpy({ data, rows: N, cols: D }));
    const h = run(['oinfo', npy, '--bins', '0,1;2,3;4']);
    expect(h.status).toBe(0);
    expect(h.stdout).toMatch(/mode bins \(3 units\), 4 multiplets/);
  });

  it('bad input exits with code 2, one line on stderr, and leaves no output file', () => {
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'a,b,c\n1,2,3\n4,5\n');
    const out = join(dir, 'bad-out.jsonl');
    const dup = join(dir, 'dup.csv');
    writeFileSync(dup, 'a,b,c\n' + Array.from({ length: 20 }, (_, i) => `${i},${(i * 7) % 5},${2 * i}`).join('\n') + '\n');
    const before = readdirSync(dir).length;
    const r = run(['oinfo', bad, '--out', out]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^grokinfo: INVALID_DATA: .*line 3/);
    expect(existsSync(out)).toBe(false);
    const r2 = run(['oinfo', csv, '--max-size', '9', '--out', out]);
    expect(r2.status).toBe(2);
    expect(r2.stderr).toMatch(/INVALID_ARGUMENT: maxSize/);
    const r3 = run(['oinfo', dup, '--out', out]);
    expect(r3.status).toBe(2);
    expect(r3.stderr).toMatch(/singular covariance: column 2 \(c\)/);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).length).toBe(before);
  });
});
