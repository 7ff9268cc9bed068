/**
 * Everything but `--version`, which the entry (src/entry/cli.ts) answers alone: built into one
 * CommonJS script, dist/app.js (esbuild.config.mjs), that the entry compiles with the V8 code
 * cache for every other command.
 */
export { main } from './program.js';
export { IO } from '../basics/io.js';
export { useBundleLoader } from '../libraries/load.js';
