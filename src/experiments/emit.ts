/**
 * Scale-out on an existing scheduler: `grokinfo sweep ... --out DIR --emit slurm|k8s --shards N`
 * writes, instead of training, the sweep's definition (DIR/definition.json), its plan (DIR/sweep.json)
 * and job files that run `grokinfo sweep --config DIR/definition.json --shard i/N --out DIR/shards/i`
 * as an N-task job array, then `grokinfo merge DIR/shards/* --out DIR/merged`:
 *   slurm: DIR/slurm/array.sbatch (the array), DIR/slurm/merge.sbatch, DIR/slurm/submit.sh (submits
 *          both, the merge after the array); resubmit one task with `sbatch --array=i array.sbatch`.
 *   k8s:   DIR/k8s/array.yaml (an Indexed Job, JOB_COMPLETION_INDEX), DIR/k8s/merge.yaml.
 * Each shard resumes on its own (finished runs skipped, unfinished ones continued from their saved
 * state), so a killed or preempted task is simply run again.
 */
import { chmod } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { invalidArgument } from '../core/errors.js';
import { prepareOutDir, writeFileAtomic, writeJsonAtomic } from '../core/fsutil.js';
import { preparePlan, type SweepDefinition, type SweepPlan } from './sweep.js';

export const SCHEDULERS = ['slurm', 'k8s'] as const;
export const DEFAULT_SHARDS = 4;

export interface EmitOptions {
  scheduler: string;
  shards?: number;
  backend?: string;
  maxBatch?: number;
  /** The command that runs grokinfo on the nodes (default: this node binary and this CLI, absolute paths). */
  command?: string;
}

function shq(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** This process's grokinfo command line (node + dist/cli.js), for job scripts. */
export function selfCommand(): string {
  const cli = fileURLToPath(new URL('../cli.js', import.meta.url));
  return `${shq(process.execPath)} ${shq(cli)}`;
}

export async function emitJobs(outDir: string, def: SweepDefinition, plan: SweepPlan, opts: EmitOptions): Promise<string[]> {
  const scheduler = opts.scheduler;
  if (!(SCHEDULERS as readonly string[]).includes(scheduler)) throw invalidArgument('--emit', SCHEDULERS.join(' or '), scheduler);
  const n = opts.shards ?? Math.min(DEFAULT_SHARDS, plan.runs.length);
  if (!Number.isInteger(n) || n < 1 || n > plan.runs.length)
    throw invalidArgument('--shards', `an integer in [1, ${plan.runs.length}] (the sweep has ${plan.runs.length} runs)`, opts.shards);
  await prepareOutDir(outDir, '--out');
  const dir = resolve(outDir);
  await preparePlan(dir, plan);
  const defPath = join(dir, 'definition.json');
  await writeJsonAtomic(defPath, def);
  const gk = opts.command ?? selfCommand();
  const extra = [
    ...(opts.backend && opts.backend !== 'auto' ? ['--backend', opts.backend] : []),
    ...(opts.maxBatch !== undefined ? ['--max-batch', String(opts.maxBatch)] : []),
  ].join(' ');
  const shardCmd = (index: string) =>
    `$GROKINFO sweep --config ${shq(defPath)} --shard ${index}/${n} --out ${shq(join(dir, 'shards'))}/${index}${extra ? ` ${extra}` : ''}`;
  const mergeCmd = `$GROKINFO merge ${shq(join(dir, 'shards'))}/* --out ${shq(join(dir, 'merged'))}`;
  const files: string[] = [];
  const write = async (path: string, text: string, exec = false) => {
    await writeFileAtomic(path, text);
    if (exec) await chmod(path, 0o755);
    files.push(path);
  };
  const name = (def.name ?? 'grokinfo-sweep').replace(/[^A-Za-z0-9_.-]+/g, '-').toLowerCase();
  if (scheduler === 'slurm') {
    const sd = join(dir, 'slurm');
    await write(
      join(sd, 'array.sbatch'),
      `#!/bin/bash
# ${plan.runs.length} runs in ${n} shards; written by grokinfo sweep --emit slurm.
# Resubmit a failed or killed task i with: sbatch --array=i ${join(sd, 'array.sbatch')}
#SBATCH --job-name=${name}
#SBATCH --array=0-${n - 1}
#SBATCH --output=${join(dir, 'logs')}/shard-%a.log
#SBATCH --open-mode=append
set -euo pipefail
GROKINFO=\${GROKINFO:-${gk}}
exec ${shardCmd('${SLURM_ARRAY_TASK_ID}')}
`,
    );
    await write(
      join(sd, 'merge.sbatch'),
      `#!/bin/bash
# Joins the shards; exits non-zero and lists the missing runs when a shard is unfinished.
#SBATCH --job-name=${name}-merge
#SBATCH --output=${join(dir, 'logs')}/merge.log
set -euo pipefail
GROKINFO=\${GROKINFO:-${gk}}
exec ${mergeCmd}
`,
    );
    await write(
      join(sd, 'submit.sh'),
      `#!/bin/bash
# Submits the ${n}-task array and the merge (which runs after every task has ended).
set -euo pipefail
cd ${shq(sd)}
mkdir -p ${shq(join(dir, 'logs'))}
jid=$(sbatch --parsable array.sbatch)
echo "\${jid%%;*}"   # the array job (tasks are <id>_<i>), then the merge job
sbatch --parsable --dependency=afterany:\${jid%%;*} merge.sbatch
`,
      true,
    );
  } else {
    const kd = join(dir, 'k8s');
    const sh = (cmd: string) => JSON.stringify(`GROKINFO=\${GROKINFO:-grokinfo}; ${cmd}`);
    const pod = (cmd: string) => `    spec:
      restartPolicy: Never
      containers:
        - name: grokinfo
          image: grokinfo:latest        # an image with grokinfo installed (edit)
          command: ["/bin/sh", "-c", ${sh(cmd)}]
          volumeMounts:
            - { name: data, mountPath: ${JSON.stringify(dir)} }
      volumes:
        - name: data
          persistentVolumeClaim: { claimName: grokinfo-data }   # shared storage holding ${dir} (edit)
`;
    await write(
      join(kd, 'array.yaml'),
      `# ${plan.runs.length} runs in ${n} shards; written by grokinfo sweep --emit k8s.
# kubectl apply -f array.yaml; when it completes: kubectl apply -f merge.yaml
apiVersion: batch/v1
kind: Job
metadata:
  name: ${name}
spec:
  completionMode: Indexed
  completions: ${n}
  parallelism: ${n}
  backoffLimitPerIndex: 3
  template:
${pod(shardCmd('${JOB_COMPLETION_INDEX}'))}`,
    );
    await write(
      join(kd, 'merge.yaml'),
      `apiVersion: batch/v1
kind: Job
metadata:
  name: ${name}-merge
spec:
  backoffLimit: 0
  template:
${pod(mergeCmd)}`,
    );
  }
  return files;
}
