/**
 * Scale-out on a real scheduler (issue 13, item 6): a single-node SLURM cluster (Debian's slurmctld,
 * slurmd and munge, configured here in a temporary directory on free ports), a small sweep emitted
 * with `grokinfo sweep --emit slurm` and submitted as a 3-task array; one task is killed mid-run
 * (after it saved a training state), `merge` then lists the missing runs and fails, the task is
 * resubmitted (it resumes inside its batch), and the merged sweep must equal the same sweep run in
 * one process, timing fields aside. Skipped, with the reason, where the packages are absent and
 * cannot be installed (test/deps.sh lists and installs them) or where this process is not root.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJsonl } from '../src/core/fsutil.js';
import { STATE_FILE } from '../src/training/run.js';

const root = join(import.meta.dirname, '..');
const cli = join(root, 'dist', 'cli.js');
const BINARIES = ['munged', 'slurmctld', 'slurmd', 'sbatch', 'squeue', 'scancel', 'sinfo'];

function have(bin: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${bin} || test -x /usr/sbin/${bin}`], { encoding: 'utf8' }).status === 0;
}

/** Why SLURM cannot be used here, or null (test/deps.sh installs the missing Debian packages when root). */
function unavailable(): string | null {
  if (process.platform !== 'linux') return 'SLURM test needs Linux';
  if (process.getuid?.() !== 0) return 'SLURM test needs root (it starts munged, slurmctld and slurmd)';
  if (BINARIES.every(have)) return null;
  const r = spawnSync('sh', [join(root, 'test', 'deps.sh')], { encoding: 'utf8', timeout: 300_000 });
  if (BINARIES.every(have)) return null;
  return `SLURM packages (munge slurmctld slurmd slurm-client, listed in test/deps.sh) are absent and could not be installed: ${(r.stderr || r.stdout || String(r.error)).trim().split('\n').pop()}`;
}
const why = unavailable();

const dir = mkdtempSync(join(tmpdir(), 'slurm-'));
const daemons: ChildProcess[] = [];
let env: NodeJS.ProcessEnv = process.env;

function sh(cmd: string, timeout = 120_000) {
  return spawnSync('bash', ['-c', cmd], { encoding: 'utf8', env, timeout });
}

async function until(cond: () => boolean, ms: number, what: string) {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe.skipIf(!!why)(`SLURM job array: kill a task, resubmit, merge${why ? ` (skipped: ${why})` : ''}`, () => {
  beforeAll(async () => {
    const r = spawnSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: root, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`tsc failed: ${r.stdout}${r.stderr}`);
    chmodSync(dir, 0o755); // munged wants its socket directory reachable
    for (const d of ['state', 'spool', 'logs']) mkdirSync(join(dir, d));
    writeFileSync(join(dir, 'munge.key'), randomBytes(1024), { mode: 0o400 });
    const sock = join(dir, 'munge.sock');
    const m = spawnSync('munged', [`--key-file=${join(dir, 'munge.key')}`, `--socket=${sock}`, `--pid-file=${join(dir, 'munged.pid')}`, `--log-file=${join(dir, 'munged.log')}`, `--seed-file=${join(dir, 'munge.seed')}`, '--force'], { encoding: 'utf8' });
    if (m.status !== 0) throw new Error(`munged: ${m.stderr}`);
    const port = 20000 + Math.floor(Math.random() * 20000);
    const host = hostname();
    const conf = join(dir, 'slurm.conf');
    writeFileSync(
      conf,
      [
        'ClusterName=grokinfo-test',
        `SlurmctldHost=${host}(127.0.0.1)`,
        'SlurmUser=root',
        'SlurmdUser=root',
        'AuthType=auth/munge',
        `AuthInfo=socket=${sock}`,
        'CredType=cred/munge',
        `SlurmctldPort=${port}`,
        `SlurmdPort=${port + 1}`,
        `StateSaveLocation=${join(dir, 'state')}`,
        `SlurmdSpoolDir=${join(dir, 'spool')}`,
        `SlurmctldPidFile=${join(dir, 'slurmctld.pid')}`,
        `SlurmdPidFile=${join(dir, 'slurmd.pid')}`,
        `SlurmctldLogFile=${join(dir, 'slurmctld.log')}`,
        `SlurmdLogFile=${join(dir, 'slurmd.log')}`,
        'ProctrackType=proctrack/linuxproc',
        'TaskPlugin=task/none',
        'SelectType=select/cons_tres',
        'SelectTypeParameters=CR_Core',
        'MpiDefault=none',
        'ReturnToService=2',
        'JobAcctGatherType=jobacct_gather/none',
        'AccountingStorageType=accounting_storage/none',
        'JobCompType=jobcomp/none',
        'KillWait=5',
        `NodeName=${host} NodeAddr=127.0.0.1 CPUs=2 State=UNKNOWN`,
        `PartitionName=debug Nodes=${host} Default=YES MaxTime=INFINITE State=UP`,
      ].join('\n') + '\n',
    );
    env = { ...process.env, SLURM_CONF: conf, GROKINFO: `${process.execPath} ${cli}` };
    for (const d of ['slurmctld', 'slurmd']) daemons.push(spawn(d, ['-D', '-f', conf], { env, stdio: 'ignore' }));
    await until(() => /idle|mix|alloc/.test(sh('sinfo -h -o %T').stdout), 60_000, 'the SLURM node to come up');
  }, 400_000);

  afterAll(async () => {
    sh('scancel -u root 2>/dev/null || true');
    for (const d of daemons) d.kill('SIGTERM');
    await Promise.all(daemons.map((d) => (d.exitCode !== null ? undefined : new Promise((r) => { d.on('exit', r); setTimeout(r, 10_000); }))));
    const pid = existsSync(join(dir, 'munged.pid')) ? Number(readFileSync(join(dir, 'munged.pid'), 'utf8')) : 0;
    if (pid > 0) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        /* gone */
      }
    }
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 500 });
    } catch {
      /* a daemon still writing its state: the temporary directory stays */
    }
  }, 60_000);

  it('a 3-task array with one task killed mid-run and resubmitted merges into the one-process sweep', async () => {
    const out = join(dir, 'sweep');
    const flags = ['--p', '23', '--hidden', '32', '--steps', '20000', '--weight-decay', '1,2', '--seeds', '0,1,2', '--measure', 'oinfo', '--every', '1000', '--bins', '4'];
    const e = spawnSync(process.execPath, [cli, 'sweep', '--out', out, ...flags, '--emit', 'slurm', '--shards', '3'], { encoding: 'utf8', env });
    expect(e.status, e.stderr).toBe(0);
    const sub = sh(`bash ${join(out, 'slurm', 'submit.sh')}`);
    expect(sub.status, sub.stderr).toBe(0);
    const arrayJob = sub.stdout.trim().split('\n')[0].split(';')[0];
    // kill task 1 once it has saved a training state (mid-run)
    const shard1 = join(out, 'shards', '1', 'runs');
    const saved = () => existsSync(shard1) && readdirSync(shard1).some((id) => existsSync(join(shard1, id, STATE_FILE)));
    await until(saved, 180_000, 'task 1 to save a training state');
    const kill = sh(`scancel ${arrayJob}_1`); // SIGTERM, then SIGKILL after KillWait
    expect(kill.status, kill.stderr).toBe(0);
    await until(() => sh(`squeue -h -j ${arrayJob}`).stdout.trim() === '', 300_000, 'the array and the merge to end');
    const unfinished = readdirSync(shard1).filter((id) => !existsSync(join(shard1, id, 'summary.json')));
    expect(unfinished.length).toBeGreaterThan(0); // it was killed mid-run
    // the merge job (after the array) failed and listed the missing runs
    await until(() => sh('squeue -h').stdout.trim() === '', 120_000, 'the merge job');
    expect(readFileSync(join(out, 'logs', 'merge.log'), 'utf8')).toMatch(/runs are missing.*/);
    // resubmit the killed task; it continues from its saved state
    const re = sh(`cd ${join(out, 'slurm')} && sbatch --wait --array=1 array.sbatch`, 600_000);
    expect(re.status, re.stderr + readFileSync(join(out, 'logs', 'shard-1.log'), 'utf8')).toBe(0);
    expect(readFileSync(join(out, 'logs', 'shard-1.log'), 'utf8')).toMatch(/resuming from the state saved at step [1-9]/);
    const mg = sh(`cd ${join(out, 'slurm')} && sbatch --wait merge.sbatch`, 300_000);
    expect(mg.status, readFileSync(join(out, 'logs', 'merge.log'), 'utf8')).toBe(0);
    // the same sweep in one process
    const one = join(dir, 'one');
    const o = spawnSync(process.execPath, [cli, 'sweep', '--config', join(out, 'definition.json'), '--out', one, '--quiet'], { encoding: 'utf8', env });
    expect(o.status, o.stderr).toBe(0);
    const { runFiles } = await import('./reliability.helpers.js');
    const ids = readdirSync(join(one, 'runs')).sort();
    expect(ids).toHaveLength(6);
    expect(readdirSync(join(out, 'merged', 'runs')).sort()).toEqual(ids);
    for (const id of ids) {
      expect(readJsonl(join(out, 'merged', 'runs', id, 'oinfo.jsonl'))).toHaveLength(21);
      expect(runFiles(join(out, 'merged', 'runs', id)), id).toEqual(runFiles(join(one, 'runs', id)));
    }
  }, 900_000);
});
