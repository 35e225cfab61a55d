/**
 * `grokinfo reproduce --quick` end to end with a tiny configuration (the built CLI, as a user runs
 * it), its resume, and the CLI's handling of bad flags.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ReproduceResult } from '../src/experiments/reproduce.js';
import type { RunSummary } from '../src/config/types.js';

const root = join(import.meta.dirname, '..');
const cli = join(root, 'dist', 'cli.js');
function grokinfo(args: string[]) {
  return spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', timeout: 300_000 });
}

beforeAll(() => {
  if (!existsSync(cli)) {
    const r = spawnSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: root, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`tsc failed: ${r.stdout}${r.stderr}`);
  }
});

const tiny = ['--p', '11', '--train-fraction', '0.5', '--hidden', '24', '--steps', '60', '--eval-every', '10', '--every', '10', '--seeds', '0', '--backend', 'cpu'];

describe('grokinfo reproduce --quick (tiny)', () => {
  const out = mkdtempSync(join(tmpdir(), 'grokinfo-repro-'));
  it('trains every configuration, ablates, analyses, and writes the report and claims', () => {
    const r = grokinfo(['reproduce', '--quick', '--out', out, '--json', ...tiny]);
    expect(r.status, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout) as ReproduceResult;
    expect(res.settings.quick).toBe(true);
    expect(res.settings.note).toMatch(/quick mode/);
    const runs = readdirSync(join(out, 'sweep', 'runs'));
    expect(runs.length).toBe(7); // weight decay 0.1, 2, 10, 50 and alpha 1, 8, 50, one seed
    for (const id of runs) {
      const s = JSON.parse(readFileSync(join(out, 'sweep', 'runs', id, 'summary.json'), 'utf8')) as RunSummary;
      expect(s.stepsDone).toBe(60);
      expect(existsSync(join(out, 'sweep', 'runs', id, 'oinfo.jsonl'))).toBe(true);
      expect(existsSync(join(out, 'sweep', 'runs', id, 'phases.json'))).toBe(true);
    }
    // The ablations of weight decay 2 and 0.1 (synergy, inverse, the size-matched random control).
    expect(res.ablations.length).toBe(2);
    for (const a of res.ablations) expect(a.curves.map((c) => c.subnet)).toEqual(['original', 'synergy', 'inverse', 'random:synergy']);
    // Claims: every row carries a computed verdict; c1's numbers mention every weight decay.
    expect(res.analysis.claims.length).toBeGreaterThanOrEqual(7);
    for (const c of res.analysis.claims) expect(['holds', 'does not hold', 'not measured']).toContain(c.verdict);
    const md = readFileSync(join(out, 'claims.md'), 'utf8');
    for (const c of res.analysis.claims) expect(md).toContain(`| ${c.id} |`);
    // Grok counts in the analysis agree with the summaries on disk.
    const grokked = runs.filter((id) => JSON.parse(readFileSync(join(out, 'sweep', 'runs', id, 'summary.json'), 'utf8')).grokStep !== null).length;
    expect(res.analysis.configurations.reduce((a, c) => a + c.grokked, 0)).toBe(grokked);
    const html = readFileSync(join(out, 'report', 'report.html'), 'utf8');
    expect(html).toContain('quick mode');
    for (const c of res.analysis.claims) expect(html).toContain(c.id);
    expect(readdirSync(join(out, 'report', 'figures')).filter((f) => f.endsWith('.png')).length).toBeGreaterThanOrEqual(5);
  });
  it('resumes: a second run trains nothing again', () => {
    const before = readFileSync(join(out, 'sweep', 'runs', readdirSync(join(out, 'sweep', 'runs'))[0], 'metrics.jsonl'), 'utf8');
    const r = grokinfo(['reproduce', '--quick', '--out', out, '--no-report', ...tiny]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/7 already finished, 0 to train/);
    expect(readFileSync(join(out, 'sweep', 'runs', readdirSync(join(out, 'sweep', 'runs'))[0], 'metrics.jsonl'), 'utf8')).toBe(before);
  });
});

describe('CLI errors', () => {
  it('a bad flag value exits 2 with one line naming the flag, and writes nothing', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'grokinfo-cli-')), 'run');
    const r = grokinfo(['train', '--lr', 'abc', '--out', out]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n').length).toBe(1);
    expect(r.stderr).toMatch(/--lr/);
    expect(existsSync(out)).toBe(false);
    const d = grokinfo(['train', '--op', 'div', '--p', '21', '--out', out]);
    expect(d.status).toBe(2);
    expect(d.stderr).toMatch(/prime/);
    const s = grokinfo(['sweep', '--out', out, '--shard', '3/2']);
    expect(s.status).toBe(2);
    expect(s.stderr).toMatch(/--shard/);
  });
  it('train writes a complete run directory', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'grokinfo-cli-')), 'run');
    const r = grokinfo(['train', '--p', '11', '--hidden', '16', '--steps', '20', '--eval-every', '5', '--out', out, '--json', '--backend', 'cpu']);
    expect(r.status, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.stepsDone).toBe(20);
    for (const f of ['config.json', 'metrics.jsonl', 'summary.json']) expect(existsSync(join(out, f))).toBe(true);
    expect(readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').length).toBe(5);
  });
  it('Ctrl-C during a measured run exits 130 with one line, leaving no summary.json', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'grokinfo-cli-')), 'run');
    const child = spawn(process.execPath, [cli, 'train', '--measure', 'oinfo', '--every', '5', '--out', out, '--backend', 'cpu'], { cwd: root });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    // interrupt once the run has started (its config.json is written first), however slow the machine
    for (let waited = 0; !existsSync(join(out, 'config.json')) && waited < 60_000; waited += 100) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 300));
    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    expect(code).toBe(130);
    expect(stderr).toMatch(/CANCELLED/);
    expect(stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace
    expect(existsSync(join(out, 'summary.json'))).toBe(false);
    expect(existsSync(join(out, 'metrics.jsonl'))).toBe(false);
  });
});
