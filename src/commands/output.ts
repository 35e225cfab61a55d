/** JSON on stdout, the same for every command: the package version is written into every JSON output. */
import { versioned } from '../core/version.js';

/** `value` as JSON (objects gain "grokinfoVersion"; arrays are wrapped as {grokinfoVersion, items}). */
export function jsonOutput(value: unknown, indent?: number): string {
  const body = Array.isArray(value) || value === null || typeof value !== 'object' ? versioned({ items: value }) : versioned(value as object);
  return JSON.stringify(body, null, indent) + '\n';
}
