/** File helpers: every result file is written to a temporary name and renamed into place. */
import { promises as fs, writeFileSync, renameSync, mkdirSync, existsSync, readFileSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';
import { GrokinfoError, invalidArgument } from './errors.js';

function tmpName(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
}

/** Writes `data` to `path` atomically (temporary file in the same folder, then rename). */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await mkdirIO(dirname(path), path);
  const tmp = tmpName(path);
  try {
    await fs.writeFile(tmp, data);
    await fs.rename(tmp, path);
  } catch (e) {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw ioError(path, e);
  }
}

/** An fs error as an IO GrokinfoError naming the user's path (never a temporary name). */
export function ioError(path: string, e: unknown, verb = 'write'): GrokinfoError {
  if (e instanceof GrokinfoError) return e;
  const err = e as NodeJS.ErrnoException;
  const why =
    err?.code === 'ENOSPC' ? 'no space left on the device'
    : err?.code === 'EDQUOT' ? 'disk quota exceeded'
    : err?.code === 'EACCES' || err?.code === 'EPERM' ? 'permission denied'
    : err?.code === 'EROFS' ? 'read-only file system'
    : err?.code === 'ENOTDIR' ? 'a parent of it is a file, not a directory'
    : err?.code === 'EISDIR' ? 'it is a directory'
    : String(err?.message ?? e);
  return new GrokinfoError('IO', `could not ${verb} ${path}: ${why}`, { path, ...(err?.code ? { errno: err.code } : {}) });
}

/**
 * Checks and creates an output directory given by the user (`flag` names the option): an empty path,
 * an existing file, or a path under a file is INVALID_ARGUMENT (exit 2); a failing mkdir (read-only,
 * permissions, disk) is IO naming the path (exit 4).
 */
export async function prepareOutDir(dir: unknown, flag: string): Promise<string> {
  if (typeof dir !== 'string' || dir.trim() === '') throw invalidArgument(flag, 'a directory path', dir);
  try {
    const st = await fs.stat(dir);
    if (!st.isDirectory()) throw invalidArgument(flag, 'a directory (this is an existing file)', dir);
    return dir;
  } catch (e) {
    if (e instanceof GrokinfoError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR') throw invalidArgument(flag, 'a directory path (a parent of it is a file)', dir);
    if (code !== 'ENOENT') throw ioError(dir, e, 'access');
  }
  try {
    await fs.mkdir(dir, { recursive: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR' || code === 'EEXIST') throw invalidArgument(flag, 'a directory path (a parent of it is a file)', dir);
    throw ioError(dir, e, 'create');
  }
  return dir;
}

/** mkdir -p whose failure is an IO error naming `forPath` (the file the caller wanted to write). */
export async function mkdirIO(dir: string, forPath = dir): Promise<void> {
  try {
    await fs.mkdir(dir, { recursive: true });
  } catch (e) {
    throw ioError(forPath, e);
  }
}

export function writeFileAtomicSync(path: string, data: string | Uint8Array): void {
  try {
    mkdirSync(dirname(path), { recursive: true });
  } catch (e) {
    throw ioError(path, e);
  }
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
    throw ioError(path, e);
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

/** What a finished run's summary.json records of one record file, so a cut or torn copy is detected. */
export interface RecordFileInfo {
  records: number;
  bytes: number;
}

/** The counts a sibling summary.json declares for `path` (its `records` field), if any. */
function declaredRecords(path: string): RecordFileInfo | undefined {
  const sPath = join(dirname(path), 'summary.json');
  if (!existsSync(sPath)) return undefined;
  let s: unknown;
  try {
    s = JSON.parse(readFileSync(sPath, 'utf8'));
  } catch {
    return undefined; // the summary's own reader reports it
  }
  const r = (s as { records?: Record<string, unknown> } | null)?.records?.[basename(path)] as RecordFileInfo | undefined;
  if (!r || typeof r !== 'object' || !Number.isInteger(r.records) || !Number.isInteger(r.bytes)) return undefined;
  return r;
}

/**
 * Reads a JSON Lines file. Every line must be valid JSON and the file must end with a newline; only
 * an unfinished run's `*.partial` file may end with a torn line (an interrupted append), which is
 * dropped. When the run's summary.json records this file's record count and size (runs written by
 * this version), a file with another count (cut at a line end, or appended to) is INVALID_DATA naming it.
 */
export function readJsonl<T>(path: string): T[] {
  const declared = declaredRecords(path);
  if (!existsSync(path)) {
    if (declared && declared.records > 0)
      throw new GrokinfoError('INVALID_DATA', `${path} is missing; summary.json records ${declared.records} records in it (the run's records are incomplete: train it again)`, { path });
    return [];
  }
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    throw new GrokinfoError('IO', `could not read ${path}: ${(e as Error).message}`, { path });
  }
  const partial = path.endsWith('.partial');
  const lines = buf.toString('utf8').split('\n');
  const out: T[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    const last = i === lines.length - 1; // no newline after it
    try {
      out.push(JSON.parse(line) as T);
      if (last && !partial) throw new Error('no newline at the end');
    } catch (e) {
      if (partial && last) break;
      const why = last ? 'a torn last line (the file was cut)' : `not valid JSON: ${(e as Error).message}`;
      throw new GrokinfoError('INVALID_DATA', `${path}:${i + 1}: ${why}`, { path, line: i + 1 });
    }
  }
  // The count decides (records may be edited in place, e.g. by a tool); the sizes are shown.
  if (declared && declared.records !== out.length)
    throw new GrokinfoError(
      'INVALID_DATA',
      `${path} is truncated: ${out.length} records in ${buf.byteLength} bytes, but summary.json records ${declared.records} records in ${declared.bytes} bytes (train the run again)`,
      { path, records: out.length, bytes: buf.byteLength, expected: declared },
    );
  return out;
}
