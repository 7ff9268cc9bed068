/**
 * One process's use of the code cache, as the CLI makes it: `node --import tsx
 * test/helpers/load-cached.ts SCRIPT CACHE_DIR VERSION` loads SCRIPT through src/entry/code-cache.ts,
 * saves the cache, and prints what became of it (used, missing, stale, corrupt, rejected).
 * A process of its own, because V8 reuses what it compiled in the same process and would
 * never look at the cache there.
 */
import { requireCached, saveCodeCaches } from '../../src/entry/code-cache.js';

const [file, dir, version] = process.argv.slice(2);
const { exports, cache } = await requireCached(file!, { dir, version: version! });
if (typeof (exports as { OAuth2Client?: unknown }).OAuth2Client !== 'function') throw new Error('the script did not export OAuth2Client');
await saveCodeCaches();
process.stdout.write(`${cache}\n`);
