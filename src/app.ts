/**
 * Everything but `--version`, which the entry (src/cli.ts) answers alone: built into one
 * file, dist/app.js (esbuild.config.mjs), that the entry imports for every other command.
 */
export { main } from './program.js';
export { IO } from './io.js';
export { saveCodeCaches, useCodeCache } from './lazy.js';
