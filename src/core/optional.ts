/**
 * Optional peer dependencies (package.json peerDependenciesMeta), loaded on first use only, so the
 * core never pays for them: onnxruntime-node (grokinfo/onnx activations) and the plotting stack
 * vega, vega-lite, @resvg/resvg-js (grokinfo/report); and the dependency mnist (the MNIST task's
 * 20 MB of digits, loaded only when that task is used). A missing one is a MISSING_DEPENDENCY error
 * that names the package, the version range to install (read from package.json), and the feature.
 */
import { createRequire } from 'node:module';
import { GrokinfoError } from './errors.js';

const require = createRequire(import.meta.url);

function missing(pkg: string, feature: string, e: unknown): GrokinfoError {
  let range = '';
  try {
    // src/core/optional.ts is compiled to dist/core/optional.js: the package root is two levels up
    const meta = require('../../package.json') as { peerDependencies?: Record<string, string>; dependencies?: Record<string, string> };
    const r = meta.peerDependencies?.[pkg] ?? meta.dependencies?.[pkg];
    if (r) range = `@"${r}"`;
  } catch {
    // no range known
  }
  return new GrokinfoError(
    'MISSING_DEPENDENCY',
    `${feature} needs the package ${pkg}, which is not installed (or failed to load: ${String((e as Error)?.message ?? e).split('\n')[0]}); ` +
      `install it next to grokinfo: npm install ${pkg}${range}`,
    { package: pkg },
  );
}

function notFound(e: unknown, pkg: string): boolean {
  const code = (e as NodeJS.ErrnoException)?.code;
  return (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') && String((e as Error).message).includes(pkg);
}

/**
 * A CommonJS optional package, synchronously. `req` (default: Node's require from this module) lets a
 * test stand in a resolver that fails as an absent package does.
 */
export function requireOptional<T>(pkg: string, feature: string, req: (id: string) => unknown = require): T {
  try {
    return req(pkg) as T;
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
