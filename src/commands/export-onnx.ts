import type { Command } from 'commander';
import { existsSync, promises as fs } from 'node:fs';
import { basename, join } from 'node:path';
import { GrokinfoError, invalidArgument } from '../core/errors.js';
import { exportCheckpoint, writeOnnx, type ExportOptions } from '../onnx/export.js';
import { checkpointFiles } from '../onnx/measure.js';

export function register(program: Command): void {
  program
    .command('export-onnx')
    .description(
      'export grokinfo checkpoints (safetensors) to ONNX: inputs a, b (int64 [batch]) or x (--dense), outputs logits and hidden.{l}',
    )
    .argument('<checkpoint>', 'a checkpoint file (step-<N>.safetensors), or a run / checkpoints directory (every checkpoint is exported)')
    .option('--out <path>', 'output .onnx file (one checkpoint) or directory (default: next to each checkpoint)')
    .option('--dense', 'dense input x [batch, 2p] (one_hot(a) ++ one_hot(b)) instead of token inputs a, b')
    .option('--no-hidden', 'do not expose the hidden layers as extra outputs')
    .option('--opset <n>', 'ONNX opset version (default 17)')
    .action(async (target: string, o: Record<string, unknown>) => {
      const opts: ExportOptions = { input: o.dense ? 'dense' : 'tokens', hiddenOutputs: o.hidden !== false };
      if (o.opset !== undefined) {
        const v = Number(o.opset);
        if (!Number.isInteger(v) || v < 13 || v > 21) throw invalidArgument('--opset', 'an integer in 13..21', o.opset);
        opts.opset = v;
      }
      if (!existsSync(target)) throw new GrokinfoError('IO', `${target} does not exist`);
      const stat = await fs.stat(target);
      const written: string[] = [];
      if (stat.isDirectory()) {
        const dir = existsSync(join(target, 'checkpoints')) ? join(target, 'checkpoints') : target;
        const files = (await checkpointFiles(dir)).filter((f) => f.kind === 'safetensors');
        if (files.length === 0) throw new GrokinfoError('INVALID_ARGUMENT', `${dir}: no grokinfo checkpoints (step-<N>.safetensors) found`);
        const outDir = (o.out as string | undefined) ?? dir;
        for (const f of files) {
          const path = join(outDir, basename(f.path).replace(/\.safetensors$/, '.onnx'));
          await writeOnnx(path, await exportCheckpoint(f.path, { ...opts, metadata: { step: String(f.step) } }));
          written.push(path);
        }
      } else {
        const out = (o.out as string | undefined) ?? target.replace(/\.safetensors$/, '') + '.onnx';
        const step = /step[-_]?(\d+)/.exec(basename(target))?.[1];
        await writeOnnx(out, await exportCheckpoint(target, { ...opts, metadata: step ? { step } : {} }));
        written.push(out);
      }
      process.stdout.write(written.join('\n') + '\n');
    });
}
