import type { Command } from 'commander';
import { existsSync, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { GrokinfoError, invalidArgument } from '../core/errors.js';
import { writeJsonAtomic } from '../core/fsutil.js';
import { versioned } from '../core/version.js';
import type { BackendName } from '../addon/native.js';
import type { InputArray, Layout } from '../onnx/activations.js';
import { collectActivations } from '../onnx/activations.js';
import { readBytes } from '../onnx/export.js';
import { decodeModel, elemTypeName, listTensors, modelInputs } from '../onnx/graph.js';
import { measureCheckpointDir, measureModel, parseBins, parseGroups, type MeasureMode } from '../onnx/measure.js';
import { readNpy, writeNpy } from '../core/npy.js';
import { jsonOutput } from './output.js';
import { consoleProgress, progressMeter } from '../core/progress.js';
import { onnxWeightMeasures } from '../measures/onnx.js';

function intFlag(name: string, v: unknown, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw invalidArgument(name, `an integer in ${min}..${max}`, v);
  return n;
}

function oneOf<T extends string>(name: string, v: unknown, allowed: readonly T[]): T | undefined {
  if (v === undefined) return undefined;
  if (!allowed.includes(v as T)) throw invalidArgument(name, `one of ${allowed.map((a) => `'${a}'`).join(', ')}`, v);
  return v as T;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function register(program: Command): void {
  program
    .command('measure-model')
    .description(
      'O-information of a hidden layer of any ONNX model (run with onnxruntime), or of every checkpoint in a directory ' +
        '(step-<N>.onnx or grokinfo step-<N>.safetensors, exported on the fly)',
    )
    .argument('<model>', 'a .onnx file, or a directory of checkpoints (or a run directory with checkpoints/)')
    .option('--inputs <file>', 'samples for the model input (.npy, first dimension = samples); a model with inputs a, b also takes one [N, 2] array')
    .option('--inputs-b <file>', 'samples for the second model input (e.g. b of a grokinfo export)')
    .option('--input <name=file>', 'samples for a named model input (repeatable)', collect)
    .option('--tensor <name>', "the tensor to measure: a node output, graph input or output (default hidden.0, or the run's measured layer)")
    .option('--bins <ward:K>', "the paper's measurement: Ward-cluster the units into K bins, Omega over unions of bins (default ward:10)")
    .option('--groups <spec>', 'groups of columns, each one vector variable: "0-3;4,5;6-9" or JSON [[0,1],[2,3]]')
    .option('--variables', 'every column is one variable (multiplets of --min-size..--max-size columns)')
    .option('--min-size <n>', 'smallest multiplet (units) in variables/groups mode (default 2)')
    .option('--max-size <n>', 'largest multiplet (units) in variables/groups mode (default 3)')
    .option('--units <u>', "'bits' (default) or 'nats'")
    .option('--ties <t>', "rank ties: 'average' (default), 'random', 'ordinal'")
    .option('--seed <n>', 'seed for --ties random')
    .option('--bias-correct', 'Ince et al. (2017) bias correction')
    .option('--top <k>', 'also keep the k most synergistic and redundant multiplets')
    .option('--layout <l>', "how a tensor becomes samples x features: 'auto' (default: [b,s,d] -> [b*s, d]), 'tokens', 'rows'")
    .option('--batch-size <n>', 'samples per onnxruntime run (default 2048)')
    .option('--save-activations <file>', 'also write the samples x features activations (.npy; one model only)')
    .option('--list', 'list the model inputs and tensors and exit')
    .option('--weight-measures', 'print the weight progress measures (weight-norm, weight-entropy, htsr; docs/measures.md) of every 2-D weight matrix as JSON and exit')
    .option('--out <dir>', 'write the results here (model: measure.json; directory: oinfo.jsonl, timeline.json, phases.json)')
    .option('--backend <b>', "'auto' (default), 'cpu' or 'cuda' for the O-information engine", 'auto')
    .option('--json', 'print the result as JSON')
    .option('--quiet', 'no progress output')
    .action(async (target: string, o: Record<string, unknown>) => {
      if (!existsSync(target)) throw new GrokinfoError('IO', `${target} does not exist`);
      const isDir = (await fs.stat(target)).isDirectory();

      if (o.list) {
        if (isDir) throw invalidArgument('--list', 'a single .onnx model', target);
        const model = decodeModel(await readBytes(target), target);
        const lines = modelInputs(model).map((i) => `input  ${i.name}  ${elemTypeName(i.elemType)} [${(i.dims ?? ['?']).join(', ')}]`);
        for (const t of listTensors(model))
          if (t.origin !== 'initializer' && t.origin !== 'input')
            lines.push(`${t.origin.padEnd(6)} ${t.name}  ${t.opType ?? ''} ${elemTypeName(t.elemType)}${t.dims ? ` [${t.dims.join(', ')}]` : ''}`);
        process.stdout.write(lines.join('\n') + '\n');
        return;
      }

      if (o.weightMeasures) {
        if (isDir) throw invalidArgument('--weight-measures', 'a single .onnx model (for a run directory use `grokinfo measure`)', target);
        const res = onnxWeightMeasures(decodeModel(await readBytes(target), target));
        process.stdout.write(JSON.stringify(res, null, 2) + '\n');
        return;
      }

      const modes = ['bins', 'groups', 'variables'].filter((k) => o[k] !== undefined);
      if (modes.length > 1) throw invalidArgument('--bins/--groups/--variables', 'at most one of them', modes);
      const mode: MeasureMode = o.groups !== undefined
        ? { kind: 'groups', groups: parseGroups(String(o.groups)) }
        : o.variables
          ? { kind: 'variables' }
          : { kind: 'bins', bins: parseBins(String(o.bins ?? 'ward:10')) };

      const inputs = await readInputs(o);
      if (!inputs && !isDir)
        throw invalidArgument('--inputs', 'a .npy file of samples for the model input (see --list for the inputs the model takes)');
      const common = {
        tensor: o.tensor as string | undefined,
        inputs,
        mode,
        minSize: intFlag('--min-size', o.minSize, 1, 64),
        maxSize: intFlag('--max-size', o.maxSize, 1, 64),
        topK: intFlag('--top', o.top, 0, 100000),
        seed: intFlag('--seed', o.seed, 0, Number.MAX_SAFE_INTEGER),
        units: oneOf('--units', o.units, ['bits', 'nats'] as const),
        ties: oneOf('--ties', o.ties, ['average', 'random', 'ordinal'] as const),
        biasCorrect: o.biasCorrect ? true : undefined,
        layout: oneOf<Layout>('--layout', o.layout, ['auto', 'tokens', 'rows']),
        batchSize: intFlag('--batch-size', o.batchSize, 1, 1 << 24),
        backend: oneOf<BackendName>('--backend', o.backend, ['auto', 'cpu', 'cuda']),
      };
      if (mode.kind === 'bins' && (common.minSize !== undefined || common.maxSize !== undefined))
        throw invalidArgument('--min-size/--max-size', 'only with --variables or --groups (bins mode takes every union of 2..K bins)');

      if (isDir) {
        if (o.saveActivations) throw invalidArgument('--save-activations', 'a single .onnx model', target);
        const dir = existsSync(join(target, 'checkpoints')) ? join(target, 'checkpoints') : target;
        const progress = consoleProgress({ quiet: !!o.quiet });
        const meter = progressMeter(progress, 'measure-model', 'checkpoints');
        const res = await measureCheckpointDir(dir, {
          ...common,
          out: o.out as string | undefined,
          onCheckpoint: (done, total) => meter(done, total),
        });
        progress.done();
        if (res.skipped) process.stderr.write(`grokinfo: ${res.skipped}\n`);
        if (o.json) process.stdout.write(jsonOutput({ records: mode.kind === 'bins' ? res.records : res.reports, phases: res.phases, files: res.files }, 2));
        else if (mode.kind === 'bins') {
          for (const r of res.records)
            process.stdout.write(`step ${r.step}: synergy ${r.synergy.toFixed(4)} ${r.units}, redundancy ${r.redundancy.toFixed(4)}, sub-network ${r.synergySize} neurons, dead ${r.dead}\n`);
          if (res.phases) for (const p of res.phases.phases) process.stdout.write(`phase ${p.name}: steps ${p.start}..${p.end}\n`);
        } else process.stdout.write(`${res.reports.length} checkpoints measured\n`);
        if (res.files.length) process.stdout.write(res.files.join('\n') + '\n');
        return;
      }

      const res = await measureModel(target, { ...common, tensor: common.tensor ?? 'hidden.0', inputs: inputs! });
      if (o.saveActivations) {
        const act = await collectActivations(target, { ...common, tensor: common.tensor ?? 'hidden.0', inputs: inputs! });
        await writeNpy(String(o.saveActivations), act.data, [act.rows, act.cols]);
      }
      if (o.out) await writeJsonAtomic(join(String(o.out), 'measure.json'), versioned(res));
      if (o.json) process.stdout.write(jsonOutput(res, 2));
      else {
        process.stdout.write(`tensor ${res.tensor} [${res.tensorShape.join(', ')}] -> ${res.rows} samples x ${res.cols} features (layout ${res.layout})\n`);
        if (res.record) {
          const r = res.record;
          process.stdout.write(
            `synergy ${r.synergy.toFixed(6)} ${r.units} (${r.synergySize} units: ${r.synergyNeurons.join(',')})\n` +
              `redundancy ${r.redundancy.toFixed(6)} ${r.units} (${r.redundancySize} units)\n` +
              `dead ${r.dead}, bins ${r.binSizes.join('/')}, ${r.multiplets} multiplets\n`,
          );
        } else process.stdout.write(jsonOutput(res.report, 2));
      }
    });
}

async function readInputs(o: Record<string, unknown>): Promise<InputArray[] | Record<string, InputArray> | undefined> {
  const named = (o.input as string[] | undefined) ?? [];
  if (named.length) {
    if (o.inputs || o.inputsB) throw invalidArgument('--input', 'either --input name=file (repeatable) or --inputs/--inputs-b, not both');
    const out: Record<string, InputArray> = {};
    for (const spec of named) {
      const m = /^([^=]+)=(.+)$/.exec(spec);
      if (!m) throw invalidArgument('--input', 'name=file.npy', spec);
      out[m[1]] = await readNpy(m[2]);
    }
    return out;
  }
  if (!o.inputs) return undefined;
  const arrays = [await readNpy(String(o.inputs))];
  if (o.inputsB) arrays.push(await readNpy(String(o.inputsB)));
  return arrays;
}
