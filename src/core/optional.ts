/**
 * Optional peer dependencies (package.json peerDependenciesMeta), loaded on first use only, so the
 * core never pays for them: onnxruntime-node (grokinfo/onnx activations) and the plotting stack
 * vega, vega-lite, @resvg/resvg-js (grokinfo/report). A missing one is a MISSING_DEPENDENCY error
 * that names the package, the version range to install (read from package.json), and the feature.
 */
import { createRequire } from 'node:module';
import { GrokinfoError } from './errors.js';

const require = createRequire(import.meta.url);

function missing(pkg: string, feature: string, e: unknown): GrokinfoError {
  let range = '';
  try {
    const peers = (require('../package.json') as { peerDependencies?: Record<string, string> }).peerDependencies ?? {};
    if (peers[pkg]) range = `@"${peers[pkg]}"`;
  } catch {
    // no range known
  }
  return new GrokinfoError(
    'MISSING_DEPENDENCY',
    `${feature} needs the optional package ${pkg}, which is not installed (or failed to load: ${String((e as Error)?.message ?? e).split('\n')[0]}); ` +
      `install it next to grokinfo: npm install ${pkg}${range}`,
    { package: pkg },
  );
}

function notFound(e: unknown, pkg: string): boolean {
  const code = (e as NodeJS.ErrnoException)?.code;
  return (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') && String((e as Error).message).includes(pkg);
}

/** A CommonJS optional package, synchronously. */
export function requireOptional<T>(pkg: string, feature: string): T {
  try {
    return require(pkg) as T;
  } catch (e) {
    if (notFound(e, pkg)) throw missing(pkg, feature, e);
    throw e;
  }
}

/** An ES-module optional package. */
export async function importOptional<T>(pkg: string, feature: string): Promise<T> {
  try {
    return (await import(pkg)) as T;
  } catch (e) {
    if (notFound(e, pkg)) throw missing(pkg, feature, e);
    throw e;
  }
}
