/**
 * The one progress display of the CLI (every command uses it): on a TTY one live status line
 * (rewritten in place, at most every 200 ms); otherwise (CI, pipes) the permanent lines (one per
 * finished run) and a plain status line every 15 s. Silent when quiet. Counted work (multiplets,
 * checkpoints, steps) goes through `progressMeter`, which adds the percentage, rate and ETA.
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
  // Not a TTY: the first plain status line after 15 s (short work prints none), then every 15 s.
  let last = tty ? 0 : Date.now();
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

/**
 * A counter for `sink`: call it with (done, total) as work advances; it writes
 * "label  37.5%  1,234/3,291 multiplets  812/s  ETA 2.5s" as the status line.
 */
export function progressMeter(sink: ProgressSink, label: string, unit: string, now: () => number = Date.now): (done: number, total: number) => void {
  const start = now();
  return (done: number, total: number) => sink.status(formatProgress(label, unit, done, total, (now() - start) / 1000));
}

/** The meter's line (exported for tests): percentage, count, rate and ETA from the elapsed seconds. */
export function formatProgress(label: string, unit: string, done: number, total: number, elapsed: number): string {
  const pct = total > 0 ? (100 * done) / total : 0;
  const rate = elapsed > 0 ? done / elapsed : NaN;
  const eta = done > 0 && done < total && Number.isFinite(rate) && rate > 0 ? formatDuration((total - done) / rate) : done >= total ? 'done' : '?';
  const n = (x: number) => Math.round(x).toLocaleString('en-US');
  const r = Number.isFinite(rate) ? (rate >= 100 ? n(rate) : rate.toPrecision(3)) : '?';
  return `${label}  ${pct.toFixed(1)}%  ${n(done)}/${n(total)} ${unit}  ${r}/s  ETA ${eta}`;
}
