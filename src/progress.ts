/**
 * Progress display for long work: on a TTY one live status line (rewritten in place, at most every
 * 200 ms); otherwise (CI, pipes) the permanent lines (one per finished run) and a status line every
 * 15 s. Silent when quiet.
 */
export interface ProgressSink {
  /** Replace the live status line. */
  status(text: string): void;
  /** Print a permanent line (e.g. "run x done"). */
  line(text: string): void;
  done(): void;
}

export function consoleProgress(opts: { quiet?: boolean; stream?: NodeJS.WriteStream } = {}): ProgressSink {
  const stream = opts.stream ?? process.stderr;
  const tty = !!stream.isTTY;
  let last = 0;
  let shown = '';
  const clear = () => {
    if (tty && shown) stream.write('\r\x1b[K');
    shown = '';
  };
  if (opts.quiet) return { status() {}, line() {}, done() {} };
  return {
    status(text: string) {
      const now = Date.now();
      if (!tty) {
        // Logs and CI: a status line at most every 15 s, so long work is visibly alive.
        if (now - last < 15_000) return;
        last = now;
        stream.write(text + '\n');
        return;
      }
      if (now - last < 200) return;
      last = now;
      const cols = stream.columns ?? 100;
      clear();
      shown = text.length > cols - 1 ? text.slice(0, cols - 1) : text;
      stream.write(shown);
    },
    line(text: string) {
      clear();
      stream.write(text + '\n');
    },
    done() {
      clear();
    },
  };
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds % 60);
  if (m < 60) return `${m}m${String(s).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
