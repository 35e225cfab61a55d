/** File helpers: every result file is written to a temporary name and renamed into place. */
import { promises as fs, writeFileSync, renameSync, mkdirSync, existsSync, readFileSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';
import { GrokinfoError } from './errors.js';

function tmpName(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
}

/** Writes `data` to `path` atomically (temporary file in the same folder, then rename). */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await fs.mkdir(dirname(path), { recursive: true });
  const tmp = tmpName(path);
  try {
    await fs.writeFile(tmp, data);
    await fs.rename(tmp, path);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw new GrokinfoError('IO', `could not write ${path}: ${(e as Error).message}`);
  }
}

export function writeFileAtomicSync(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tmpName(path);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    try {
      if (existsSync(tmp)) renameSync(tmp, tmp + '.failed');
    } catch {
      /* ignore */
    }
    throw new GrokinfoError('IO', `could not write ${path}: ${(e as Error).message}`);
  }
}

export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n');
}

/** A path for a temporary sibling of `path`, for writers that stream (rename it into place when done). */
export function tempPathFor(path: string): string {
  return tmpName(path);
}

export async function readJson<T>(path: string): Promise<T> {
  let text: string;
  try {
    text = await fs.readFile(path, 'utf8');
  } catch (e) {
    throw new GrokinfoError('IO', `could not read ${path}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new GrokinfoError('INVALID_DATA', `${path} is not valid JSON: ${(e as Error).message}`);
  }
}

/** Reads a JSON Lines file; a torn last line (an interrupted append) is ignored, any other bad line is an error. */
export function readJsonl<T>(path: string): T[] {
  if (!existsSync(path)) return [];
  const lines = readFileSync(path, 'utf8').split('\n');
  const out: T[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    try {
      out.push(JSON.parse(line) as T);
    } catch (e) {
      if (i >= lines.length - 2) break;
      throw new GrokinfoError('INVALID_DATA', `${path}:${i + 1} is not valid JSON: ${(e as Error).message}`);
    }
  }
  return out;
}
