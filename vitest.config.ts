import { readFileSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string };

export default defineConfig({
  // As the bundle has it (esbuild.config.mjs), for the sources that tests run in-process.
  define: { GMAILCTL_VERSION: JSON.stringify(version) },
  test: {
    include: ['test/**/*.test.ts'],
    // Two cores: e2e files spawn the CLI and an emulator each; more workers only thrash.
    maxWorkers: 2,
    // A file's modules are not re-imported for each file in a worker: no test mutates globals
    // or mocks modules, and a file's own state (its emulator, its sandboxes) is in its hooks.
    // Measured on test/unit + test/emulator at a load of 9 to 12: imports 31 s → 11 s, wall 89 s → 49 s.
    isolate: false,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    reporters: ['default'],
  },
});
