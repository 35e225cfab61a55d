/**
 * Issue 13: sweeps that survive. Every case of the issue's table as a test: disk full (on a small
 * tmpfs when this process may mount one), concurrent sweeps (lock), `train --out` on an existing
 * run, cut record files, bad input, the oinfo size guard and in-chunk cancellation, --max-batch,
 * and resume inside a batch (bitwise equal to an uninterrupted run, interrupted at a random step).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveRunConfig, runId } from '../src/config/config.js';
import { GrokinfoError } from '../src/core/errors.js';
import { readJsonl } from '../src/core/fsutil.js';
import { formatNpy, parseCsv } from '../src/core/io.js';
import { LOCK_FILE, lockDir } from '../src/core/lock.js';
import { oinfo } from '../src/measures/oinfo.js';
import { STATE_FILE, trainBatch, type RunJob } from '../src/training/run.js';
import { normals } from './oinfo.ref.js';
import { runFiles } from './reliability.helpers.js';

const root = join(import.meta.dirname, '..');
const cli = join(root, 'dist', 'cli.js');
const tmp = mkdtempSync(join(tmpdir(), 'rel-'));

function run(args: string[], opts: { cwd?: string } = {}) {
  return spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', cwd: opts.cwd ?? tmp, env: { ...process.env, GROKINFO_DEBUG: '' } });
}

/** One line on stderr, no stack trace. */
function oneLine(stderr: string) {
  expect(stderr).not.toMatch(/\n\s+at /);
  expect(stderr).not.toMatch(/internal error/);
  expect(stderr.trim().split('\n').length).toBe(1);
}

function randomMatrix(rows: number, cols: number, seed: number) {
  const z = normals(seed);
  const data = new Float64Array(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = z();
  return { data, rows, cols };
}

// A small tmpfs (root in CI can mount one); undefined with the reason when it cannot.
const mounts: string[] = [];
function smallTmpfs(sizeKiB: number, ro = false): { dir?: string; why?: string } {
  const dir = mkdtempSync(join(tmp, 'mnt-'));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKiB}k${ro ? ',ro' : ''}`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) return { why: `cannot mount a tmpfs here (${(r.stderr || String(r.error)).trim().split('\n')[0]}); needs root` };
  mounts.push(dir);
  return { dir };
}
const probe = smallTmpfs(64);
const noTmpfs = probe.why;

beforeAll(() => {
  // dist/ must hold this source (the CLI cases run the built CLI)
  const r = spawnSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tsc failed: ${r.stdout}${r.stderr}`);
}, 180_000);

afterAll(() => {
  for (const m of mounts.reverse()) spawnSync('umount', [m]);
  rmSync(tmp, { recursive: true, force: true });
});

const wide30 = join(tmp, 'wide30.npy');
const wide60 = join(tmp, 'wide60.npy');
writeFileSync(wide30, formatNpy(randomMatrix(200, 30, 1)));
writeFileSync(wide60, formatNpy(randomMatrix(200, 60, 2)));

describe('oinfo: disk full, size guard, cancellation (cases 1 and 7)', () => {
  it.skipIf(!!noTmpfs)(`disk full during --out: exit 4 naming the user's path, no file left${noTmpfs ? ` (skipped: ${noTmpfs})` : ''}`, () => {
    const { dir } = smallTmpfs(2048);
    const out = join(dir!, 'o.jsonl');
    const r = run(['oinfo', wide30, '--max-size', '5', '--out', out]);
    expect(r.status).toBe(4);
    oneLine(r.stderr);
    expect(r.stderr).toContain(`could not write ${out}`);
    expect(r.stderr).toMatch(/no space|ENOSPC|space/i);
    expect(readdirSync(dir!)).toEqual([]); // neither the result nor the temporary file
  });

  it('refuses, before starting, sizes that make too many multiplets or too large an --out (with flags to raise the limits)', async () => {
    const r = run(['oinfo', wide60, '--max-size', '60']);
    expect(r.status).toBe(2);
    oneLine(r.stderr);
    expect(r.stderr).toMatch(/--max-multiplets/);
    expect(r.stderr).toMatch(/1\.15e\+18/); // 2^60 - 1 - 60 multiplets
    const o = run(['oinfo', wide30, '--max-size', '5', '--out', join(tmp, 'big.jsonl'), '--max-out-bytes', '1M']);
    expect(o.status).toBe(2);
    expect(o.stderr).toMatch(/--max-out-bytes/);
    expect(existsSync(join(tmp, 'big.jsonl'))).toBe(false);
    // the API: the same guard, and raising it lets a bigger job through
    const m = randomMatrix(100, 12, 3);
    await expect(oinfo(m, { maxSize: 12, maxMultiplets: 4000 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    const ok = await oinfo(m, { maxSize: 12, maxMultiplets: 5000 });
    expect(ok.multiplets).toBe(2 ** 12 - 1 - 12);
  });

  it('an AbortSignal stops a huge computation within one second (checked inside chunks)', async () => {
    const m = randomMatrix(200, 60, 2);
    const ac = new AbortController();
    let abortedAt = 0;
    setTimeout(() => {
      abortedAt = performance.now();
      ac.abort();
    }, 700);
    const p = oinfo(m, { maxSize: 60, maxMultiplets: Infinity, signal: ac.signal, backend: 'cpu' });
    await expect(p).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(performance.now() - abortedAt).toBeLessThan(1000);
  });

  it('the first Ctrl-C stops `grokinfo oinfo` within one second (exit 130, one line)', async () => {
    const child = spawn(process.execPath, [cli, 'oinfo', wide60, '--max-size', '60', '--max-multiplets', '1e30'], { cwd: tmp });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    await new Promise((r) => setTimeout(r, 4000)); // loaded (the CLI imports every command) and computing
    const t0 = performance.now();
    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(code).toBe(130);
    expect(stderr).toMatch(/CANCELLED/);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('--out errors name the user path: a directory is refused (exit 2), a missing folder is I/O (exit 4)', () => {
    const a = run(['oinfo', wide30, '--out', tmp]);
    expect(a.status).toBe(2);
    oneLine(a.stderr);
    const p = join(tmp, 'no', 'such', 'o.jsonl');
    const b = run(['oinfo', wide30, '--out', p]);
    expect(b.status).toBe(4);
    oneLine(b.stderr);
    expect(b.stderr).toContain(`could not write ${p}`);
    expect(b.stderr).not.toMatch(/\.tmp/);
  });

  it('a missing input file is a user mistake: exit 2 with one line (README)', () => {
    const r = run(['oinfo', join(tmp, 'nope.csv')]);
    expect(r.status).toBe(2);
    oneLine(r.stderr);
    expect(r.stderr).toContain('nope.csv');
  });
});

describe('bad input files (cases 6 and 9)', () => {
  it('a header-less CSV whose first row holds NA is data, and the NA an error naming line and column', () => {
    expect(() => parseCsv('1,NA,3\n4,5,6\n7,8,9\n')).toThrow(/line 1 .*column 1: "NA" is a missing value/);
    expect(() => parseCsv('1,,3\n4,5,6\n')).toThrow(/line 1 .*column 1/);
    // a real header still is one
    expect(parseCsv('a,b,c\n1,2,3\n').columnNames).toEqual(['a', 'b', 'c']);
    const r = run(['oinfo', (() => {
      const p = join(tmp, 'na.csv');
      writeFileSync(p, '1,NA,3\n4,5,6\n7,8,9\n1,1,2\n');
      return p;
    })()]);
    expect(r.status).toBe(2);
    oneLine(r.stderr);
  });

  it('a sweep config holding null, and a 1e6-run grid: exit 2, one line', () => {
    const cfg = join(tmp, 'null.json');
    writeFileSync(cfg, JSON.stringify({ base: { optim: null, steps: null }, seeds: [0] }));
    const a = run(['sweep', '--out', join(tmp, 'snull'), '--config', cfg, '--plan']);
    expect(a.status).toBe(2);
    oneLine(a.stderr);
    const grid = join(tmp, 'grid.json');
    writeFileSync(grid, JSON.stringify({ grid: { 'optim.lr': Array.from({ length: 1000 }, (_, i) => 0.001 * (i + 1)), 'init.seed': Array.from({ length: 1000 }, (_, i) => i) } }));
    const b = run(['sweep', '--out', join(tmp, 'sbig'), '--config', grid, '--plan']);
    expect(b.status).toBe(2);
    oneLine(b.stderr);
    expect(b.stderr).toMatch(/makes 1,000,000/);
  });

  it('sweep --max-batch 0 or -1: exit 2 at once (no infinite loop)', () => {
    for (const v of ['0', '-1', '1.5']) {
      const r = run(['sweep', '--out', join(tmp, `mb${v}`), '--steps', '50', '--p', '11', '--hidden', '16', '--seeds', '0,1', '--max-batch', v]);
      expect(r.status).toBe(2);
      oneLine(r.stderr);
      expect(r.stderr).toMatch(/max-batch/);
    }
  });

  it('--hidden 1 with --measure oinfo is refused (O-information needs 2 or more neurons)', () => {
    const r = run(['train', '--out', join(tmp, 'h1'), '--p', '11', '--hidden', '1', '--steps', '10', '--measure', 'oinfo']);
    expect(r.status).toBe(2);
    oneLine(r.stderr);
    expect(r.stderr).toMatch(/at least 2 neurons/);
  });
});

const tiny = ['--p', '11', '--hidden', '8', '--steps', '40', '--eval-every', '5'];

describe('train --out: existing runs, bad paths, disk full (cases 3 and 9)', () => {
  it('refuses an existing run unless --overwrite, which replaces it whole', () => {
    const out = join(tmp, 'run-a');
    expect(run(['train', '--out', out, ...tiny, '--measure', 'oinfo', '--every', '10', '--weight-decay', '1']).status).toBe(0);
    expect(existsSync(join(out, 'oinfo.jsonl'))).toBe(true);
    const again = run(['train', '--out', out, ...tiny, '--weight-decay', '2']);
    expect(again.status).toBe(2);
    oneLine(again.stderr);
    expect(again.stderr).toMatch(/--overwrite/);
    const same = run(['train', '--out', out, ...tiny, '--measure', 'oinfo', '--every', '10', '--weight-decay', '1']);
    expect(same.status).toBe(2); // a finished run is not retrained silently either
    const ow = run(['train', '--out', out, ...tiny, '--weight-decay', '2', '--overwrite']);
    expect(ow.status).toBe(0);
    // nothing of the first run is left beside the new one
    expect(existsSync(join(out, 'oinfo.jsonl'))).toBe(false);
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).optim.weightDecay).toBe(2);
    expect(readdirSync(tmp).filter((n) => n.startsWith('.run-a'))).toEqual([]);
  });

  it('--out an existing file, under a file, or empty: exit 2 with one line', () => {
    const f = join(tmp, 'afile');
    writeFileSync(f, 'x');
    for (const out of [f, join(f, 'sub'), '']) {
      const r = run(['train', '--out', out, ...tiny]);
      expect(r.status).toBe(2);
      oneLine(r.stderr);
    }
    const s = run(['sweep', '--out', f, ...tiny, '--seeds', '0']);
    expect(s.status).toBe(2);
    oneLine(s.stderr);
  });

  it.skipIf(!!noTmpfs)(`read-only --out: exit 4 naming the path${noTmpfs ? ` (skipped: ${noTmpfs})` : ''}`, () => {
    const { dir } = smallTmpfs(64, true);
    const out = join(dir!, 'r');
    const r = run(['train', '--out', out, ...tiny]);
    expect(r.status).toBe(4);
    oneLine(r.stderr);
    expect(r.stderr).toContain(out);
  });

  it.skipIf(!!noTmpfs)(`disk full while writing a report: exit 4, nothing half-written left${noTmpfs ? ` (skipped: ${noTmpfs})` : ''}`, () => {
    const src = join(tmp, 'rep-src');
    expect(run(['train', '--out', src, ...tiny, '--measure', 'oinfo', '--every', '10']).status).toBe(0);
    const { dir } = smallTmpfs(24);
    const r = run(['report', src, '--out', join(dir!, 'rep')]);
    expect(r.status).toBe(4);
    expect(r.stderr.trim().split('\n').pop()).toMatch(/^grokinfo: IO: could not write .*rep.*no space/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stderr).not.toMatch(/partial-/);
    expect(readdirSync(dir!)).toEqual([]);
  });

  it.skipIf(!!noTmpfs)(`disk full during training: exit 4 naming the user's path, no summary.json${noTmpfs ? ` (skipped: ${noTmpfs})` : ''}`, () => {
    const { dir } = smallTmpfs(96);
    const out = join(dir!, 'sw');
    const r = run(['sweep', '--out', out, '--p', '23', '--hidden', '64', '--steps', '200', '--checkpoints', '0,50,100,150,200', '--seeds', '0,1,2', '--quiet']);
    expect(r.status).toBe(4);
    oneLine(r.stderr);
    expect(r.stderr).toContain(out);
    expect(r.stderr).toMatch(/no space/);
    const runs = existsSync(join(out, 'runs')) ? readdirSync(join(out, 'runs')) : [];
    for (const id of runs) expect(existsSync(join(out, 'runs', id, 'summary.json'))).toBe(false);
  });
});

describe('record files carry their count; readers refuse cut copies (case 4)', () => {
  const out = join(tmp, 'cut');
  beforeAll(() => {
    const r = run(['train', '--out', out, ...tiny, '--measure', 'oinfo', '--every', '10']);
    expect(r.status).toBe(0);
  }, 120_000);

  it('summary.json records each file; a file cut mid-line or to half its length is INVALID_DATA naming it', () => {
    const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(s.records['metrics.jsonl'].records).toBe(9); // steps 0, 5, ..., 40
    expect(s.records['oinfo.jsonl'].records).toBe(5);
    expect(readJsonl(join(out, 'metrics.jsonl'))).toHaveLength(9);
    const file = join(out, 'oinfo.jsonl');
    const full = readFileSync(file);
    for (const cut of [full.length - 7, full.subarray(0, Math.floor(full.length / 2)).lastIndexOf(10) + 1]) {
      writeFileSync(file, full.subarray(0, cut));
      let err: unknown;
      try {
        readJsonl(file);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(GrokinfoError);
      expect((err as GrokinfoError).code).toBe('INVALID_DATA');
      expect((err as GrokinfoError).message).toContain(file);
      const a = run(['analyze', out]);
      expect(a.status).toBe(2);
      oneLine(a.stderr);
      expect(a.stderr).toContain('oinfo.jsonl');
    }
    writeFileSync(file, full);
    expect(run(['analyze', out]).status).toBe(0);
  });

  it('a torn last line is an error in a finished file (no summary counts needed), dropped only in .partial files', () => {
    const d = join(tmp, 'torn');
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, 'a.jsonl'), '{"x":1}\n{"x":');
    expect(() => readJsonl(join(d, 'a.jsonl'))).toThrow(/torn last line/);
    writeFileSync(join(d, 'a.jsonl.partial'), '{"x":1}\n{"x":');
    expect(readJsonl(join(d, 'a.jsonl.partial'))).toEqual([{ x: 1 }]);
  });

  it('a summary.json with wrong types: exit 2, one line', () => {
    const d = join(tmp, 'badsum');
    const r = run(['train', '--out', d, ...tiny]);
    expect(r.status).toBe(0);
    writeFileSync(join(d, 'summary.json'), JSON.stringify({ grokStep: 'soon', finalTestAcc: [], failed: 3 }));
    for (const cmd of [['analyze', d], ['report', d, '--out', join(tmp, 'rep-bad')]]) {
      const a = run(cmd);
      expect(a.status).toBe(2);
      oneLine(a.stderr);
      expect(a.stderr).toContain('summary.json');
    }
    expect(existsSync(join(tmp, 'rep-bad'))).toBe(false);
  });
});

describe('sweep directory lock (case 2)', () => {
  it('a live lock refuses a second writer; a stale one (dead pid) is taken over', async () => {
    const d = join(tmp, 'locked');
    mkdirSync(d, { recursive: true });
    const l = await lockDir(d, 'sweep directory');
    await expect(lockDir(d, 'sweep directory')).rejects.toThrow(/another grokinfo process \(pid \d+/);
    await l.release();
    expect(existsSync(join(d, LOCK_FILE))).toBe(false);
    // a dead owner on this host
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    writeFileSync(join(d, LOCK_FILE), JSON.stringify({ pid: Number(dead.stdout), host: (await import('node:os')).hostname(), started: 'then', token: 'x' }));
    const why: string[] = [];
    const l2 = await lockDir(d, 'sweep directory', (w) => why.push(w));
    expect(why[0]).toMatch(/gone/);
    await l2.release();
  });

  it('two sweeps into one --out: the second exits 2 with one line, the first finishes every run intact', async () => {
    const out = join(tmp, 'two');
    const args = [cli, 'sweep', '--out', out, '--steps', '10000', '--p', '23', '--hidden', '32', '--weight-decay', '0.1,2', '--seeds', '0,1', '--measure', 'oinfo', '--every', '250', '--max-batch', '2', '--quiet'];
    const first = spawn(process.execPath, args, { cwd: tmp });
    const t0 = Date.now();
    while (!existsSync(join(out, LOCK_FILE)) && Date.now() - t0 < 60_000) await new Promise((r) => setTimeout(r, 50)); // the first holds the lock
    const second = run(args.slice(1));
    expect(second.status).toBe(2);
    oneLine(second.stderr);
    expect(second.stderr).toMatch(/being written by another grokinfo process/);
    expect(await new Promise((r) => first.on('exit', r))).toBe(0);
    const ids = readdirSync(join(out, 'runs'));
    expect(ids).toHaveLength(4);
    for (const id of ids) {
      expect(readJsonl(join(out, 'runs', id, 'oinfo.jsonl'))).toHaveLength(41); // 0, 250, ..., 10000
      expect(readJsonl(join(out, 'runs', id, 'metrics.jsonl'))).toHaveLength(2001);
    }
    expect(existsSync(join(out, LOCK_FILE))).toBe(false);
  });
});

/** A progress sink that aborts the training once its status line reports step `stopAt` or later. */
function abortAtStep(stopAt: number) {
  const ac = new AbortController();
  const progress = {
    status(t: string) {
      const m = /step (\d+)\//.exec(t);
      if (m && Number(m[1]) >= stopAt) ac.abort();
    },
    line() {},
    done() {},
  };
  return { signal: ac.signal, progress };
}

describe('resume inside a batch (case 10)', () => {
  it('a batch interrupted at a random step resumes from its saved state, bitwise equal to an uninterrupted run', async () => {
    // the third model diverges early (lr 1e4): a failed model's state resumes as failed
    const configs = [[0.3, 0.03], [2, 0.03], [1, 1e4]].map(([wd, lr]) =>
      resolveRunConfig({
        task: { p: 23 },
        model: { hidden: [24] },
        optim: { weightDecay: wd, lr },
        steps: 120,
        evalEvery: 5,
        checkpoints: [0, 60, 120],
        measure: { every: 10, bins: 4 },
      }),
    );
    const jobsIn = (d: string): RunJob[] => configs.map((config) => ({ id: runId(config), config, dir: join(d, runId(config)) }));
    const ref = jobsIn(join(tmp, 'ref'));
    await trainBatch(ref, { backend: 'cpu', stateEvery: false });
    const stopAt = 8 + Math.floor(Math.random() * 100); // logged on failure
    const jobs = jobsIn(join(tmp, 'res'));
    const { signal, progress } = abortAtStep(stopAt);
    const every = { steps: 7, seconds: 3600 };
    await expect(trainBatch(jobs, { backend: 'cpu', signal, progress, stateEvery: every, maxPendingMeasures: 1 })).rejects.toMatchObject({
      code: 'CANCELLED',
      message: expect.stringMatching(/cancelled at step \d+ of 120 \(state saved at step \d+: rerun to continue from there\)/),
    });
    for (const j of jobs) {
      expect(existsSync(join(j.dir, 'summary.json'))).toBe(false);
      if (stopAt > 7) expect(existsSync(join(j.dir, STATE_FILE)), `interrupted at step ${stopAt}`).toBe(true);
    }
    const lines: string[] = [];
    await trainBatch(jobs, { backend: 'cpu', resume: true, stateEvery: every, progress: { status() {}, line: (t) => lines.push(t), done() {} } });
    expect(lines.join('\n'), `interrupted at step ${stopAt}`).toMatch(/resuming from the state saved at step (\d+)/);
    const saved = Number(/saved at step (\d+)/.exec(lines.join('\n'))![1]);
    expect(saved).toBeGreaterThan(0);
    expect(saved % 7).toBe(0);
    expect(JSON.parse(readFileSync(join(ref[2].dir, 'summary.json'), 'utf8')).failed).toMatch(/non-finite/);
    for (let i = 0; i < jobs.length; i++) {
      expect(runFiles(jobs[i].dir), `interrupted at step ${stopAt}, resumed from ${saved}`).toEqual(runFiles(ref[i].dir));
      expect(existsSync(join(jobs[i].dir, STATE_FILE))).toBe(false);
    }
  });

  it('runs with progress measures resume too: measures.jsonl continues from the saved step, equal to an uninterrupted run', async () => {
    const configs = [0.3, 2].map((wd) =>
      resolveRunConfig({
        task: { p: 23 },
        model: { hidden: [24] },
        optim: { weightDecay: wd },
        steps: 100,
        evalEvery: 5,
        measure: { every: 10, bins: 4 },
        measures: { names: ['loss', 'weight-norm', 'weight-entropy', 'sparsity', 'fourier', 'htsr', 'info'], expensiveEvery: 20 },
      }),
    );
    const jobsIn = (d: string): RunJob[] => configs.map((config) => ({ id: runId(config), config, dir: join(d, runId(config)) }));
    const ref = jobsIn(join(tmp, 'mref'));
    await trainBatch(ref, { backend: 'cpu', stateEvery: false });
    const stopAt = 10 + Math.floor(Math.random() * 85); // logged on failure
    const jobs = jobsIn(join(tmp, 'mres'));
    const { signal, progress } = abortAtStep(stopAt);
    const every = { steps: 9, seconds: 3600 };
    await expect(trainBatch(jobs, { backend: 'cpu', signal, progress, stateEvery: every })).rejects.toMatchObject({ code: 'CANCELLED' });
    const lines: string[] = [];
    await trainBatch(jobs, { backend: 'cpu', resume: true, stateEvery: every, progress: { status() {}, line: (t) => lines.push(t), done() {} } });
    expect(lines.join('\n'), `interrupted at step ${stopAt}`).toMatch(/resuming from the state saved at step (\d+)/);
    expect(lines.join('\n')).not.toMatch(/starting over/);
    for (let i = 0; i < jobs.length; i++) {
      const steps = readJsonl<{ step: number }>(join(jobs[i].dir, 'measures.jsonl')).map((r) => r.step);
      expect(steps, `interrupted at step ${stopAt}`).toEqual([...Array(21).keys()].map((k) => 5 * k)); // no gap, no duplicate
      expect(runFiles(jobs[i].dir), `interrupted at step ${stopAt}`).toEqual(runFiles(ref[i].dir));
      expect(JSON.parse(readFileSync(join(jobs[i].dir, 'summary.json'), 'utf8')).records['measures.jsonl'].records).toBe(21);
    }
  });

  it('a sweep killed with SIGKILL mid-batch resumes inside the batch (not from step 0)', async () => {
    const out = join(tmp, 'kill');
    const args = [cli, 'sweep', '--out', out, '--steps', '4000', '--p', '23', '--hidden', '16', '--seeds', '0,1', '--quiet'];
    const child = spawn(process.execPath, args, { cwd: tmp, env: { ...process.env } });
    // wait for the first saved state (every 500 steps)
    const t0 = Date.now();
    const states = () => (existsSync(join(out, 'runs')) ? readdirSync(join(out, 'runs')).filter((id) => existsSync(join(out, 'runs', id, STATE_FILE))) : []);
    while (states().length < 2 && Date.now() - t0 < 60_000) await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));
    expect(states().length).toBe(2);
    const r = spawnSync(process.execPath, args.slice(0, -1), { cwd: tmp, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/2 to train \(2 from a saved state\)/);
    expect(r.stderr).toMatch(/resuming from the state saved at step [1-9]\d*/);
    for (const id of readdirSync(join(out, 'runs'))) expect(readJsonl(join(out, 'runs', id, 'metrics.jsonl'))).toHaveLength(801);
  });
});

describe('cancel messages and unfinished runs (minor cases)', () => {
  it('a cancelled train names the step it stopped at and continues on the same command', async () => {
    const out = join(tmp, 'cancel');
    const args = [cli, 'train', '--out', out, '--p', '23', '--hidden', '16', '--steps', '200000'];
    const child = spawn(process.execPath, args, { cwd: tmp });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    await new Promise((r) => setTimeout(r, 5000));
    child.kill('SIGINT');
    expect(await new Promise((r) => child.on('exit', r))).toBe(130);
    const m = /cancelled at step (\d+) of 200000/.exec(stderr);
    expect(m, stderr).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThan(0);
  });
});

describe('scale-out: --emit slurm / k8s and merge (item 6, without a scheduler)', () => {
  it('the emitted array tasks, run by hand with one killed and rerun, merge into the one-process sweep', () => {
    const flags = ['--p', '11', '--hidden', '8', '--steps', '60', '--weight-decay', '0.5,1,2', '--seeds', '0,1', '--measure', 'oinfo', '--every', '20'];
    const one = join(tmp, 'one');
    expect(run(['sweep', '--out', one, ...flags, '--quiet']).status).toBe(0);
    const cl = join(tmp, 'cluster');
    const e = run(['sweep', '--out', cl, ...flags, '--emit', 'slurm', '--shards', '3']);
    expect(e.status).toBe(0);
    const sb = readFileSync(join(cl, 'slurm', 'array.sbatch'), 'utf8');
    expect(sb).toMatch(/#SBATCH --array=0-2/);
    expect(sb).toMatch(/--shard \$\{SLURM_ARRAY_TASK_ID\}\/3/);
    const k = run(['sweep', '--out', join(tmp, 'k8s'), ...flags, '--emit', 'k8s', '--shards', '3']);
    expect(k.status).toBe(0);
    const y = readFileSync(join(tmp, 'k8s', 'k8s', 'array.yaml'), 'utf8');
    expect(y).toMatch(/completionMode: Indexed/);
    expect(y).toMatch(/completions: 3/);
    expect(y).toMatch(/--shard \$\{JOB_COMPLETION_INDEX\}\/3/);
    const env = { ...process.env, GROKINFO: `${process.execPath} ${cli}` };
    for (const i of [0, 2]) expect(spawnSync('bash', [join(cl, 'slurm', 'array.sbatch')], { env: { ...env, SLURM_ARRAY_TASK_ID: String(i) }, encoding: 'utf8' }).status).toBe(0);
    // merge with task 1 missing: lists the missing runs, exits non-zero
    const m1 = spawnSync('bash', [join(cl, 'slurm', 'merge.sbatch')], { env, encoding: 'utf8' });
    expect(m1.status).not.toBe(0);
    expect(m1.stdout + m1.stderr).toMatch(/missing/);
    // analyze says which runs it leaves out
    const an = run(['analyze', join(cl, 'shards', '0')]);
    expect(an.stderr).toMatch(/4 unfinished run\(s\) left out/);
    expect(spawnSync('bash', [join(cl, 'slurm', 'array.sbatch')], { env: { ...env, SLURM_ARRAY_TASK_ID: '1' }, encoding: 'utf8' }).status).toBe(0);
    const m2 = spawnSync('bash', [join(cl, 'slurm', 'merge.sbatch')], { env, encoding: 'utf8' });
    expect(m2.status, m2.stderr).toBe(0);
    const ids = readdirSync(join(one, 'runs')).sort();
    expect(readdirSync(join(cl, 'merged', 'runs')).sort()).toEqual(ids);
    for (const id of ids) expect(runFiles(join(cl, 'merged', 'runs', id))).toEqual(runFiles(join(one, 'runs', id)));
  });
});
