import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: process.env.GROKINFO_JSON_REPORT ? ['default', ['json', { outputFile: process.env.GROKINFO_JSON_REPORT }]] : ['default'],
    // The package test packs the repository (rebuilding dist/ and prebuilds/), so it runs alone,
    // after every other test file.
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: ['test/package.test.ts'], sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'package', include: ['test/package.test.ts'], sequence: { groupOrder: 1 } } },
    ],
  },
});
