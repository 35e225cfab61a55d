/**
 * The package version (src/core/version.ts, read once from package.json) is written into every JSON file
 * the library writes - summary.json, sweep.json, analysis outputs - but never into config.json, whose
 * content defines the run id: a new version must not rename existing runs (issue 12).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveRunConfig, runId } from '../src/config/config.js';
import { versioned } from '../src/core/version.js';
import { trainBatch } from '../src/training/run.js';

const root = join(import.meta.dirname, '..');
// the reference: package.json read here, not through src/
const pkgVersion = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
const tmp = mkdtempSync(join(tmpdir(), 'grokinfo-version-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const readJson = (p: string) => JSON.parse(readFileSync(p, 'utf8')) as Record<string, unknown>;

describe('the version in written files', () => {
  it('versioned() puts the current version first and replaces an older one', () => {
    const v = versioned({ a: 1, grokinfoVersion: '0.0.0-old' });
    expect(v).toEqual({ grokinfoVersion: pkgVersion, a: 1 });
    expect(Object.keys(v)[0]).toBe('grokinfoVersion');
  });

  it('summary.json carries the version; config.json does not, and the run id stays the hash of the config', async () => {
    const config = resolveRunConfig({ task: { p: 7 }, model: { hidden: [8] }, steps: 10, evalEvery: 5, checkpoints: [] });
    const id = runId(config);
    const dir = join(tmp, id);
    await trainBatch([{ id, config, dir }], { backend: 'cpu', stateEvery: false });
    expect(readJson(join(dir, 'summary.json')).grokinfoVersion).toBe(pkgVersion);
    const onDisk = readJson(join(dir, 'config.json'));
    expect(onDisk).not.toHaveProperty('grokinfoVersion');
    expect(JSON.stringify(onDisk)).not.toContain(pkgVersion);
    expect(runId(resolveRunConfig(onDisk))).toBe(id);
  });

  it('a sweep writes the version into sweep.json and each run summary, and its run ids do not contain it', () => {
    const out = join(tmp, 'sweep');
    const cli = join(root, 'dist', 'cli.js');
    const r = spawnSync(process.execPath, [cli, 'sweep', '--out', out, '--steps', '10', '--p', '7', '--hidden', '8', '--seeds', '0,1', '--quiet'], {
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    const plan = readJson(join(out, 'sweep.json')) as { grokinfoVersion?: string; runs: { id: string }[] };
    expect(plan.grokinfoVersion).toBe(pkgVersion);
    expect(plan.runs.length).toBe(2);
    const ids = readdirSync(join(out, 'runs')).sort();
    expect(ids).toEqual(plan.runs.map((x) => x.id).sort());
    for (const id of ids) {
      expect(id).not.toContain(pkgVersion);
      expect(readJson(join(out, 'runs', id, 'summary.json')).grokinfoVersion).toBe(pkgVersion);
      expect(readJson(join(out, 'runs', id, 'config.json'))).not.toHaveProperty('grokinfoVersion');
    }
  });
});
