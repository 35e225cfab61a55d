// Every ```js block of README.md runs as written (against the built package, importing 'grokinfo'
// by name through the package's own exports), so the README's examples cannot rot.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const blocks = [...readme.matchAll(/^```js\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
// Inside the package directory, so `import 'grokinfo'` resolves to this package (self-reference).
const dir = join(root, 'tmp', 'readme');

describe('README code blocks', () => {
  it('there are examples to run', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(2);
    expect(readme.indexOf('npm install grokinfo')).toBeLessThan(readme.indexOf('```js'));
  });

  it.each(blocks.map((code, i) => [i + 1, code]))('block %i runs', (i, code) => {
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `block-${i}.mjs`);
    writeFileSync(file, code as string);
    const r = spawnSync(process.execPath, [file], { cwd: dir, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim().length).toBeGreaterThan(0);
    // The first example plants synergy in (x, y, z) and redundancy with x: the output must say so.
    if (i === 1) expect(r.stdout).toMatch(/most synergistic x, y, z: -\d+\.\d+ bits/);
  });
});
