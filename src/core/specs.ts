/**
 * The one syntax for bins and groups, shared by every command that takes them (oinfo,
 * measure-model) and by the library's parsers:
 *   groups: "0-3;4,5;6-9"  groups separated by ';', column indices or inclusive ranges a-b
 *           separated by ','; or a JSON array of arrays, e.g. [[0,1,2,3],[4,5]]
 *   bins:   "ward:K" or "K"  (Ward clusters of the columns into K bins), or an explicit partition
 *           of the columns in the groups syntax
 */
import { invalidArgument } from './errors.js';

export const GROUPS_SYNTAX = 'groups like "0-3;4,5;6-9" (column indices or inclusive ranges; groups separated by ";") or JSON [[0,1],[2,3]]';
export const BINS_SYNTAX = `"ward:K" or "K" (Ward clusters into K bins), or an explicit partition: ${GROUPS_SYNTAX}`;

export function parseGroupsSpec(flag: string, v: string): number[][] {
  const text = String(v).trim();
  let groups: unknown;
  if (text.startsWith('[')) {
    try {
      groups = JSON.parse(text);
    } catch {
      throw invalidArgument(flag, GROUPS_SYNTAX, v);
    }
  } else {
    groups = text.split(';').map((g) =>
      g.split(',').flatMap((part) => {
        const r = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
        if (!r) throw invalidArgument(flag, GROUPS_SYNTAX, v);
        const a = Number(r[1]);
        const b = r[2] === undefined ? a : Number(r[2]);
        if (b < a) throw invalidArgument(flag, 'ranges a-b with a <= b', part);
        return Array.from({ length: b - a + 1 }, (_, i) => a + i);
      }),
    );
  }
  if (!Array.isArray(groups) || groups.length < 1 || !groups.every((g) => Array.isArray(g) && g.length > 0 && g.every((x) => Number.isInteger(x) && x >= 0)))
    throw invalidArgument(flag, `non-empty groups of non-negative column indices: ${GROUPS_SYNTAX}`, v);
  return groups as number[][];
}

export function parseBinsSpec(flag: string, v: string): { ward: number } | number[][] {
  const m = /^\s*(?:ward\s*:\s*)?(\d+)\s*$/i.exec(String(v));
  if (m) return { ward: Number(m[1]) };
  if (/^\s*[a-z]+\s*:/i.test(String(v))) throw invalidArgument(flag, BINS_SYNTAX, v);
  return parseGroupsSpec(flag, v);
}
