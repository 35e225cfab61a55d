/**
 * The `measures` part of a RunConfig: resolution ('all', defaults) and the rules beyond the schema
 * (src/config/schema.ts holds the fields, their types, ranges and defaults), from the registry.
 */
import { invalidArgument } from '../core/errors.js';
import { sectionDefaults } from '../config/schema.js';
import type { MeasuresConfig, Op, RunConfig } from '../config/types.js';
import { checkMeasuresForTask, parseMeasureList } from './registry.js';
import { taskTag } from '../tasks/index.js';

/** Fills defaults and expands 'all' for the task's op (Fourier measures only where they apply); drops 'oinfo'. */
export function resolveMeasuresConfig(partial: { names?: unknown; expensiveEvery?: unknown }, op: Op | 'mnist'): MeasuresConfig {
  const raw = partial.names;
  if (!Array.isArray(raw) && typeof raw !== 'string') throw invalidArgument('measures.names (--measure)', 'a list of measure names', raw);
  const names = parseMeasureList(raw as string | string[], op).filter((n) => n !== 'oinfo');
  const d = sectionDefaults('measures') as unknown as MeasuresConfig;
  return { names, expensiveEvery: (partial.expensiveEvery ?? d.expensiveEvery) as number };
}

/** The rules that relate measures to the rest of the configuration (types and ranges: the schema). */
export function validateMeasuresConfig(m: MeasuresConfig, c: RunConfig): void {
  if (!Array.isArray(m.names)) throw invalidArgument('measures.names (--measure)', 'a list of measure names', m.names);
  const names = parseMeasureList(m.names, taskTag(c.task));
  if (names.includes('oinfo')) throw invalidArgument('measures.names', "registry names other than 'oinfo' (that one is config.measure)", m.names);
  checkMeasuresForTask(names, taskTag(c.task));
}
