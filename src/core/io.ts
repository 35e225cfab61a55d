/**
 * Matrix files: CSV (header optional, auto-detected) and NumPy .npy (2-D float32/float64, C order).
 * A Matrix is row-major samples x variables.
 */
import { readFileSync } from 'node:fs';
import { formatNpy as formatNpyArray, parseNpy as parseNpyArray } from './npy.js';
import { GrokinfoError } from './errors.js';
import { writeFileAtomic } from './fsutil.js';

export interface Matrix {
  data: Float32Array | Float64Array;
  rows: number;
  cols: number;
}

export interface NamedMatrix extends Matrix {
  /** Column names from a CSV header (absent when the file has none). */
  columnNames?: string[];
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const SPECIAL = new Map<string, number>([
  ['nan', NaN],
  ['+nan', NaN],
  ['-nan', NaN],
  ['inf', Infinity],
  ['+inf', Infinity],
  ['-inf', -Infinity],
  ['infinity', Infinity],
  ['+infinity', Infinity],
  ['-infinity', -Infinity],
]);

/** Spellings of a missing value: never a column name, always an error in data. */
const MISSING = new Set(['', 'na', 'n/a', 'nan?', 'null', 'none', 'nil', '?', '-', '.']);
function isMissing(s: string): boolean {
  return MISSING.has(s.trim().toLowerCase());
}

/** Parses one CSV field as a number; undefined when it is not one (NaN/Inf spellings are numbers). */
function parseField(s: string): number | undefined {
  const t = s.trim();
  if (NUMBER.test(t)) return Number(t);
  const sp = SPECIAL.get(t.toLowerCase());
  return sp;
}

function splitLine(line: string, sep: string): string[] {
  if (!line.includes('"')) return line.split(sep);
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === sep) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

/**
 * Parses CSV text into a float64 matrix. The separator is ',' (or tab / ';' when the first line has
 * those and no comma). The first line is a header when any of its fields is neither a number nor a
 * missing-value spelling (NA, null, empty, ...), so a header-less file whose first row holds NA is
 * data (and the NA an error), not a header. Ragged rows, missing values and non-numeric fields are
 * INVALID_DATA naming the line and column; blank lines are skipped.
 */
export function parseCsv(text: string, source = 'CSV'): NamedMatrix {
  const lines = text.split(/\r?\n/);
  let first = lines.findIndex((l) => l.trim() !== '');
  if (first < 0) throw new GrokinfoError('INVALID_DATA', `${source}: no data`);
  const l0 = lines[first];
  const sep = l0.includes(',') ? ',' : l0.includes('\t') ? '\t' : l0.includes(';') ? ';' : ',';
  const head = splitLine(l0, sep);
  let columnNames: string[] | undefined;
  if (head.some((f) => parseField(f) === undefined && !isMissing(f))) {
    columnNames = head.map((f) => f.trim());
    first++;
  }
  const cols = head.length;
  const values: number[] = [];
  let rows = 0;
  for (let i = first; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === '') continue;
    const fields = splitLine(line, sep);
    if (fields.length !== cols)
      throw new GrokinfoError(
        'INVALID_DATA',
        `${source}: line ${i + 1} (data row ${rows}) has ${fields.length} fields, expected ${cols} (ragged CSV)`,
        { line: i + 1, row: rows },
      );
    for (let c = 0; c < cols; c++) {
      const v = parseField(fields[c]);
      if (v === undefined) {
        const name = columnNames ? ` (${columnNames[c]})` : '';
        const what = isMissing(fields[c]) ? 'is a missing value (grokinfo needs complete data: drop or impute the row)' : 'is not a number';
        throw new GrokinfoError(
          'INVALID_DATA',
          `${source}: line ${i + 1} (data row ${rows}), column ${c}${name}: ${JSON.stringify(fields[c])} ${what}`,
          { line: i + 1, row: rows, column: c },
        );
      }
      values.push(v);
    }
    rows++;
  }
  if (rows === 0) throw new GrokinfoError('INVALID_DATA', `${source}: a header but no data rows`);
  return { data: Float64Array.from(values), rows, cols, ...(columnNames ? { columnNames } : {}) };
}

/** Formats a matrix as CSV (with a header when names are given); numbers in shortest round-trip form. */
export function formatCsv(m: Matrix, columnNames?: string[]): string {
  const out: string[] = [];
  if (columnNames) out.push(columnNames.join(','));
  for (let r = 0; r < m.rows; r++) {
    const row: string[] = [];
    for (let c = 0; c < m.cols; c++) row.push(String(m.data[r * m.cols + c]));
    out.push(row.join(','));
  }
  return out.join('\n') + '\n';
}

/** Parses a NumPy .npy buffer as a matrix: 2-D float32 or float64 (the general codec is src/core/npy.ts). */
export function parseNpy(buf: Uint8Array, source = '.npy'): Matrix {
  const arr = parseNpyArray(buf, source);
  if (arr.shape.length !== 2)
    throw new GrokinfoError('INVALID_DATA', `${source}: expected a 2-D array, got shape (${arr.shape.join(', ')})`);
  if (!(arr.data instanceof Float32Array) && !(arr.data instanceof Float64Array))
    throw new GrokinfoError('INVALID_DATA', `${source}: dtype ${arr.dtype} is not supported (float32 or float64)`);
  return { data: arr.data, rows: arr.shape[0], cols: arr.shape[1] };
}

/** Serialises a matrix as .npy (float32 or float64 following the array type, C order). */
export function formatNpy(m: Matrix): Uint8Array {
  return formatNpyArray(m.data, [m.rows, m.cols]);
}

/** Reads a .npy or CSV file (by extension: .npy is NumPy, anything else CSV). */
export function readMatrixFile(path: string): NamedMatrix {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // a wrong path is the user's mistake (exit 2); a failing read of an existing file is I/O (exit 4)
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new GrokinfoError('INVALID_ARGUMENT', `input file ${path} does not exist`, { path });
    if (code === 'EISDIR') throw new GrokinfoError('INVALID_ARGUMENT', `input file ${path} is a directory, not a CSV or .npy file`, { path });
    throw new GrokinfoError('IO', `could not read ${path}: ${(e as Error).message}`, { path });
  }
  if (path.toLowerCase().endsWith('.npy')) return parseNpy(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), path);
  return parseCsv(buf.toString('utf8'), path);
}

/** Writes a matrix atomically as .npy or CSV (by extension). */
export async function writeMatrixFile(path: string, m: Matrix, columnNames?: string[]): Promise<void> {
  if (path.toLowerCase().endsWith('.npy')) await writeFileAtomic(path, formatNpy(m));
  else await writeFileAtomic(path, formatCsv(m, columnNames));
}
