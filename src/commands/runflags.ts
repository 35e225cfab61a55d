/**
 * Flags shared by `train`, `sweep`, `ablate` and `reproduce`, derived from the run-configuration
 * schema (src/config/schema.ts): every field with a flag has one, its help names the default. In a sweep a
 * flag of a grid field may list several comma-separated values, which become a grid axis.
 */
import { resolve as resolvePath } from 'node:path';
import type { Command } from 'commander';
import { invalidArgument, GrokinfoError } from '../core/errors.js';
import { ALPHA_EXPERIMENT, deepMergeConfig, type PartialRunConfig } from '../config/config.js';
import { describeField, RUN_FIELDS, setPath, type FieldDef } from '../config/schema.js';

/** A schema field that has a CLI flag, with commander's option key (camelCase of the flag). */
export interface FlagDef {
  field: FieldDef;
  /** '--weight-decay' */
  flag: string;
  /** commander's option key: 'weightDecay' */
  key: string;
}

const camel = (flag: string) => flag.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());

export const RUN_FLAGS: readonly FlagDef[] = RUN_FIELDS.filter((f) => f.flag !== undefined).map((field) => ({
  field,
  flag: `--${field.flag}`,
  key: camel(field.flag!),
}));

/** --measure: the list of measures ('oinfo' among them selects the O-information, the measure section). */
const MEASURE_LIST = RUN_FLAGS.find((f) => f.field.path === 'measures.names')!;

function showDefault(v: unknown): string {
  if (Array.isArray(v)) return v.length ? v.join(v.every((x) => typeof x === 'number') ? 'x' : ',') : 'none';
  return String(v);
}

function helpOf(f: FieldDef, lists: boolean): string {
  const values = f.kind === 'enum' ? `${f.values!.join(' | ')}: ` : f.kind === 'names' ? `${f.values!.join(', ')}: ` : '';
  const dflt = f.default === undefined || f.kind === 'integers' ? '' : ` (default ${showDefault(f.default)})`;
  return `${values}${f.help}${dflt}${lists && f.grid ? '; comma-separated values make a grid axis' : ''}`;
}

export function addRunFlags(cmd: Command, opts: { lists?: boolean } = {}): Command {
  for (const f of RUN_FLAGS) cmd.option(f.field.arg ? `${f.flag} <${f.field.arg}>` : f.flag, helpOf(f.field, !!opts.lists));
  cmd.option('--alpha-init', 'the alpha experiments (§4): weight decay 0, output zeroed, constant weight norm');
  cmd.option('--backend <b>', 'auto | cpu | cuda', 'auto');
  return cmd;
}

export function parseNumber(flag: string, text: string, integer = false): number {
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v) || (integer && !Number.isInteger(v)))
    throw invalidArgument(flag, integer ? 'an integer' : 'a finite number', text);
  return v;
}

export function parseBool(flag: string, text: string | boolean): boolean {
  if (typeof text === 'boolean') return text;
  if (/^(true|1|yes|on)$/i.test(text)) return true;
  if (/^(false|0|no|off)$/i.test(text)) return false;
  throw invalidArgument(flag, 'true or false', text);
}

function parseValue(f: FlagDef, text: string): unknown {
  switch (f.field.kind) {
    case 'number':
      return parseNumber(f.flag, text);
    case 'integer':
      return parseNumber(f.flag, text, true);
    case 'boolean':
      return parseBool(f.flag, text);
    case 'widths':
      return text.split('x').map((w) => parseNumber(f.flag, w.trim(), true));
    case 'integers':
      return text.split(',').map((w) => parseNumber(f.flag, w.trim(), true));
    case 'names': {
      const names = text.split(',').map((w) => w.trim()).filter((w) => w !== '');
      if (names.length === 0 || names.some((n) => !f.field.values!.includes(n))) throw invalidArgument(f.flag, describeField(f.field), text);
      return names;
    }
    case 'layer':
      return text.trim() === 'all' ? 'all' : parseNumber(f.flag, text, true);
    case 'path':
      if (text === '') throw invalidArgument(f.flag, 'a file path', text);
      return resolvePath(text);
    default:
      return text;
  }
}

/**
 * Reads the run flags. Returns the single-valued settings as a partial config, and (when lists are
 * allowed) the multi-valued ones of grid fields as grid axes keyed by config path. --measure lists
 * the progress measures: 'oinfo' selects the O-information (the measure section, whose settings need
 * it), the others (or 'all', resolved with the task) go to measures.names (--expensive-every needs one).
 */
export function runFlagsToConfig(
  o: Record<string, unknown>,
  allowLists: boolean,
): { base: PartialRunConfig; grid: Record<string, unknown[]> } {
  let base: Record<string, unknown> = {};
  const grid: Record<string, unknown[]> = {};
  if (o.alphaInit) base = deepMergeConfig(ALPHA_EXPERIMENT as PartialRunConfig) as Record<string, unknown>;
  const names = o[MEASURE_LIST.key] !== undefined ? (parseValue(MEASURE_LIST, String(o[MEASURE_LIST.key])) as string[]) : [];
  const wantsOinfo = names.includes('oinfo') || names.includes('all');
  const measureFlags = RUN_FLAGS.filter((f) => f.field.path.startsWith('measure.'));
  if (!wantsOinfo && measureFlags.some((f) => o[f.key] !== undefined))
    throw invalidArgument(MEASURE_LIST.flag, `a list including 'oinfo' when ${measureFlags.map((f) => f.flag).join('/')} are given`, o[MEASURE_LIST.key]);
  const measuresFlags = RUN_FLAGS.filter((f) => f.field.path.startsWith('measures.') && f !== MEASURE_LIST);
  const others = names.filter((n) => n !== 'oinfo');
  for (const f of measuresFlags)
    if (o[f.key] !== undefined && others.length === 0) throw invalidArgument(f.flag, `only with ${MEASURE_LIST.flag} naming a measure other than oinfo`, o[f.key]);
  for (const f of RUN_FLAGS) {
    const raw = o[f.key];
    if (raw === undefined || f === MEASURE_LIST) continue;
    if (f.field.kind === 'boolean' && !f.field.arg) {
      if (raw) setPath(base, f.field.path, true);
      continue;
    }
    const parts = f.field.kind === 'integers' || f.field.kind === 'path' || f.field.kind === 'names' ? [String(raw)] : String(raw).split(',');
    if (parts.length > 1 && !(allowLists && f.field.grid))
      throw invalidArgument(f.flag, f.field.grid ? 'a single value here (lists are for `grokinfo sweep`)' : 'a single value (it cannot be a grid axis)', raw);
    const values = parts.map((p) => parseValue(f, p.trim()));
    if (values.length === 1) setPath(base, f.field.path, values[0]);
    else grid[f.field.path] = values;
  }
  if (wantsOinfo) setPath(base, 'measure.kind', 'oinfo');
  // 'all' stays literal until the task is known (resolveRunConfig drops Fourier measures where they do not apply)
  if (others.length) setPath(base, MEASURE_LIST.field.path, others);
  return { base: base as PartialRunConfig, grid };
}

/** An AbortController wired to SIGINT/SIGTERM: the first signal cancels cleanly, a second one exits. */
export function interruptController(onCancel?: () => void): { signal: AbortSignal; dispose(): void } {
  const ac = new AbortController();
  let count = 0;
  const handler = () => {
    count++;
    if (count === 1) {
      onCancel?.();
      ac.abort(new GrokinfoError('CANCELLED', 'interrupted'));
    } else process.exit(130);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: ac.signal,
    dispose() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
