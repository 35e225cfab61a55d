/**
 * Coded errors shared by the API, the CLI and the native addon (which creates instances of this
 * class, see bindings/addon.cpp). Catch with `if (e instanceof GrokinfoError && e.code === ...)`.
 */
export type ErrorCode =
  | 'INVALID_ARGUMENT' // a parameter or flag out of range: the message names it and what is allowed
  | 'INVALID_DATA' // input data unusable: NaN/Inf, ragged CSV, singular covariance, ...
  | 'BACKEND_UNAVAILABLE' // 'cuda' asked for where there is none, or the addon cannot load
  | 'CANCELLED' // an AbortSignal fired
  | 'IO' // a file could not be read or written
  | 'MISSING_DEPENDENCY' // an optional peer package (onnxruntime-node, vega, ...) is needed and not installed
  | 'INTERNAL';

export class GrokinfoError extends Error {
  readonly code: ErrorCode;
  readonly details?: Record<string, unknown>;
  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'GrokinfoError';
    this.code = code;
    if (details) this.details = details;
  }
}

/** CLI exit codes: 2 for a user's mistake (argument or data), 3 backend or missing optional package, 130 cancelled, 4 I/O, 1 other. */
export function exitCodeFor(e: unknown): number {
  if (!(e instanceof GrokinfoError)) return 1;
  switch (e.code) {
    case 'INVALID_ARGUMENT':
    case 'INVALID_DATA':
      return 2;
    case 'BACKEND_UNAVAILABLE':
    case 'MISSING_DEPENDENCY':
      return 3;
    case 'IO':
      return 4;
    case 'CANCELLED':
      return 130;
    default:
      return 1;
  }
}

export function invalidArgument(what: string, allowed: string, got?: unknown): GrokinfoError {
  const shown = got === undefined ? '' : ` (got ${JSON.stringify(got)})`;
  return new GrokinfoError('INVALID_ARGUMENT', `${what}: ${allowed}${shown}`, { what, allowed, got });
}
