#!/usr/bin/env node
/**
 * grokinfo CLI. Each command lives in src/commands/<name>.ts and exports
 * `register(program: Command): void`. User mistakes end with one line on stderr and exit code 2
 * (see exitCodeFor), never a stack trace; GROKINFO_DEBUG=1 shows the stack.
 */
import { Command, CommanderError } from 'commander';
import { GrokinfoError, exitCodeFor } from './errors.js';

type Register = (program: Command) => void;

const COMMANDS = [
  'oinfo',
  'bench',
  'train',
  'sweep',
  'merge',
  'analyze',
  'ablate',
  'reproduce',
  'report',
  'export-onnx',
  'measure-model',
  'measure',
];

export async function main(argv: string[]): Promise<number> {
  const program = new Command('grokinfo')
    .description('O-information progress measures for grokking (Clauw, Marinazzo & Stramaglia 2024)')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(str) });
  for (const name of COMMANDS) {
    const mod = (await import(`./commands/${name}.js`)) as { register: Register };
    mod.register(program);
  }
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      return 2;
    }
    if (e instanceof GrokinfoError) {
      process.stderr.write(`grokinfo: ${e.code}: ${e.message}\n`);
      if (process.env.GROKINFO_DEBUG) process.stderr.write(`${e.stack}\n`);
      return exitCodeFor(e);
    }
    process.stderr.write(`grokinfo: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
    return 1;
  }
}

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`grokinfo: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exitCode = 1;
  },
);
