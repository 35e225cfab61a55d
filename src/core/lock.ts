/**
 * Directory locks: one process at a time writes a sweep directory (or a run directory). The lock is
 * a file `.grokinfo.lock` holding {pid, host, started, token}, created exclusively and touched every
 * HEARTBEAT_MS while held. A lock is stale, and taken over, when its process is gone (same host and
 * no such pid) or its heartbeat is older than STALE_MS (another host, or a hung or killed machine).
 */
import { hostname } from 'node:os';
import { promises as fs, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { GrokinfoError } from './errors.js';
import { ioError } from './fsutil.js';

export const LOCK_FILE = '.grokinfo.lock';
export const HEARTBEAT_MS = 10_000;
export const STALE_MS = 60_000;

interface LockInfo {
  pid: number;
  host: string;
  started: string;
  token: string;
}

export interface DirLock {
  path: string;
  release(): Promise<void>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readLock(path: string): Promise<{ info: LockInfo | null; mtimeMs: number } | null> {
  try {
    const [text, st] = await Promise.all([fs.readFile(path, 'utf8'), fs.stat(path)]);
    let info: LockInfo | null = null;
    try {
      info = JSON.parse(text) as LockInfo;
    } catch {
      /* a lock torn by a crash while it was written: judged by its age alone */
    }
    return { info, mtimeMs: st.mtimeMs };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw ioError(path, e, 'read');
  }
}

/** Why a lock is stale, or null when its owner may still be writing. */
export function staleReason(info: LockInfo | null, mtimeMs: number, now = Date.now()): string | null {
  if (info && info.host === hostname() && Number.isInteger(info.pid) && !alive(info.pid)) return `process ${info.pid} is gone`;
  if (now - mtimeMs > STALE_MS) return `no heartbeat for ${Math.round((now - mtimeMs) / 1000)} s`;
  return null;
}

/**
 * Locks `dir` (which must exist) for this process, or throws INVALID_ARGUMENT naming the owner when
 * another live process holds it. `what` names the directory in messages ("sweep directory").
 */
export async function lockDir(dir: string, what = 'directory', onTakeover?: (why: string) => void): Promise<DirLock> {
  const path = join(dir, LOCK_FILE);
  const info: LockInfo = { pid: process.pid, host: hostname(), started: new Date().toISOString(), token: Math.random().toString(36).slice(2) };
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      await fs.writeFile(path, JSON.stringify(info) + '\n', { flag: 'wx' });
      return held(path, info);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw ioError(path, e);
    }
    const cur = await readLock(path);
    if (!cur) continue; // released meanwhile
    const why = staleReason(cur.info, cur.mtimeMs);
    if (!why) {
      const o = cur.info;
      throw new GrokinfoError(
        'INVALID_ARGUMENT',
        `${what} ${dir} is being written by another grokinfo process${o ? ` (pid ${o.pid} on ${o.host}, since ${o.started})` : ''}; wait for it to finish or use another --out (a lock without a heartbeat for ${STALE_MS / 1000} s is taken over)`,
        { owner: o },
      );
    }
    // Take the stale lock over: move it aside, and check it is the one judged stale (not a fresh lock
    // another process created meanwhile, which is put back).
    const aside = `${path}.stale-${info.token}`;
    try {
      await fs.rename(path, aside);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw ioError(path, e);
    }
    const moved = await readLock(aside);
    if (moved && cur.info && moved.info && moved.info.token !== cur.info.token) {
      await fs.rename(aside, path).catch(() => undefined);
      continue;
    }
    await fs.rm(aside, { force: true });
    onTakeover?.(why);
  }
  throw new GrokinfoError('IO', `could not lock ${what} ${dir}: the lock file ${path} keeps changing`);
}

function held(path: string, info: LockInfo): DirLock {
  const beat = setInterval(() => {
    const now = new Date();
    fs.utimes(path, now, now).catch(() => undefined);
  }, HEARTBEAT_MS);
  beat.unref();
  // A process that exits without releasing (an uncaught error, process.exit) leaves no lock behind.
  const onExit = () => {
    try {
      if ((JSON.parse(readFileSync(path, 'utf8')) as LockInfo).token === info.token) rmSync(path, { force: true });
    } catch {
      /* gone already */
    }
  };
  process.once('exit', onExit);
  let released = false;
  return {
    path,
    async release() {
      if (released) return;
      released = true;
      clearInterval(beat);
      process.off('exit', onExit);
      onExit();
    },
  };
}
