/** Runs one CLI command in-process (commander + the command's register), capturing stdout. */
import { Command } from 'commander';
import { vi } from 'vitest';
import { GrokinfoError } from '../src/core/errors.js';

export async function runCommand(
  register: (p: Command) => void,
  args: string[],
): Promise<{ stdout: string; error?: GrokinfoError }> {
  const program = new Command('grokinfo').exitOverride();
  register(program);
  let stdout = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    return true;
  });
  const errSpy = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    await program.parseAsync(['node', 'grokinfo', ...args]);
    return { stdout };
  } catch (e) {
    if (e instanceof GrokinfoError) return { stdout, error: e };
    throw e;
  } finally {
    spy.mockRestore();
    errSpy.mockRestore();
  }
}
