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
    testTimeout: 30_000,
    hookTimeout: 30_000,
    reporters: ['default'],
  },
});
