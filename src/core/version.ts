/** The package version, read once from package.json (the one place it is written). */
import { createRequire } from 'node:module';

export const version: string = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

/** The key under which every JSON document grokinfo writes (files and stdout) records the package version. */
export const VERSION_KEY = 'grokinfoVersion';

/**
 * `value` with the writing package's version first (an older version it carried is replaced). Every JSON
 * file the library writes goes through this, except config.json: its content defines the run id, which
 * must not change with the version.
 */
export function versioned<T extends object>(value: T): { grokinfoVersion: string } & T {
  const { [VERSION_KEY]: _old, ...rest } = value as Record<string, unknown>;
  return { [VERSION_KEY]: version, ...rest } as { grokinfoVersion: string } & T;
}
