/**
 * Loads Google's libraries (src/google-libraries.ts) on first use. In the bundle they are
 * dist/google-libraries.js, compiled with a V8 code cache (src/code-cache.ts); unbundled (tests run
 * the sources), Node's own loader imports the module.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { codeCacheDir } from './cache-dir.js';
import { packageVersion } from './version.js';

type GoogleLibraries = typeof import('./google-libraries.js');

/** The bundle's file name for src/google-libraries.ts, next to the entry (esbuild.config.mjs); unbundled: undefined. */
declare const GMAILCTL_GOOGLE_BUNDLE: string | undefined;

/** Where the code cache lives: set by the process entry from its environment (none: no cache). */
let cacheDir: string | undefined;

export function useCodeCache(env: NodeJS.ProcessEnv): void {
  cacheDir = codeCacheDir(env);
}

let loading: Promise<GoogleLibraries> | undefined;
let codeCache: Promise<typeof import('./code-cache.js')> | undefined;

export function loadGoogleLibraries(): Promise<GoogleLibraries> {
  loading ??= typeof GMAILCTL_GOOGLE_BUNDLE === 'string' ? loadBundled(GMAILCTL_GOOGLE_BUNDLE) : import('./google-libraries.js');
  return loading;
}

async function loadBundled(bundle: string): Promise<GoogleLibraries> {
  codeCache ??= import('./code-cache.js');
  const { requireCached } = await codeCache;
  const file = path.join(path.dirname(fileURLToPath(import.meta.url)), bundle);
  return (await requireCached(file, { dir: cacheDir, version: packageVersion() })).exports as GoogleLibraries;
}

/** Writes the code caches this process could not use (see code-cache.ts); never fails. */
export async function saveCodeCaches(): Promise<void> {
  if (codeCache) await (await codeCache).saveCodeCaches();
}

export const loadAuthLibrary = loadGoogleLibraries;
export const loadGmailLibrary = loadGoogleLibraries;

/**
 * Starts loading the libraries now, so that compiling them overlaps with reading the
 * config and the token store instead of following it. Failures surface where they are used.
 */
export function preloadGoogleLibraries(): void {
  loadGoogleLibraries().catch(() => undefined);
}
