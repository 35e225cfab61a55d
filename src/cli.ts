#!/usr/bin/env node
/**
 * grokinfo CLI. Each command lives in src/commands/<name>.ts and exports
 * `register(program: Command): void`; only the command being run is loaded (`--version` loads none,
 * help loads all). User mistakes end with one line on stderr and exit code 2 (see exitCodeFor),
 * never a stack trace; GROKINFO_DEBUG=1 shows the stack. Every command takes --quiet.
 */
import { Command, CommanderError } from 'commander';
import { GrokinfoError, exitCodeFor } from './core/errors.js';
import { version } from './core/version.js';

type Register = (program: Command) => void;

export const COMMANDS = [
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
] as const;

/** The command modules argv needs: the named command only; none for a bare --version; all otherwise (help). */
export function commandsFor(argv: string[]): string[] {
  const args = argv.slice(2);
  const first = args.find((a) => !a.startsWith('-'));
  if (first && (COMMANDS as readonly string[]).includes(first)) return [first];
  if (!first && args.some((a) => a === '-V' || a === '--version')) return [];
  return [...COMMANDS];
}

export async function main(argv: string[]): Promise<number> {
  const program = new Command('grokinfo')
    .description('O-information progress measures for grokking (Clauw, Marinazzo & Stramaglia 2024)')
    .version(version)
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(str) });
  try {
    for (const name of commandsFor(argv)) {
      const mod = (await import(`./commands/${name}.js`)) as { register?: Register };
      mod.register?.(program);
    }
    // --quiet on every command (the ones with progress output read it; the rest have none to hide).
    for (const cmd of program.commands)
      if (!cmd.options.some((o) => o.long === '--quiet')) cmd.option('--quiet', 'no progress output');
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
