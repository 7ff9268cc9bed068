/**
 * Loads Google's libraries (src/google-libraries.ts) on first use. In the bundle they are
 * dist/google-libraries.js, a CommonJS script that the process entry (src/cli.ts) compiles with
 * a V8 code cache (src/code-cache.ts); unbundled (tests run the sources), Node's own loader
 * imports the module.
 */

type GoogleLibraries = typeof import('./google-libraries.js');

/** The bundle's file name for src/google-libraries.ts, in dist/ (esbuild.config.mjs); unbundled: undefined. */
declare const GMAILCTL_GOOGLE_BUNDLE: string | undefined;

/** Runs a CommonJS script of dist/ by its file name and answers its exports (src/cli.ts). */
export type BundleLoader = (name: string) => Promise<unknown>;

let loadBundle: BundleLoader | undefined;

/** Set by the process entry, which owns the code cache. */
export function useBundleLoader(loader: BundleLoader): void {
  loadBundle = loader;
}

let loading: Promise<GoogleLibraries> | undefined;

export function loadGoogleLibraries(): Promise<GoogleLibraries> {
  loading ??= typeof GMAILCTL_GOOGLE_BUNDLE === 'string' ? loadBundled(GMAILCTL_GOOGLE_BUNDLE) : import('./google-libraries.js');
  return loading;
}

async function loadBundled(bundle: string): Promise<GoogleLibraries> {
  if (!loadBundle) throw new Error(`gmailctl's entry did not say how to load ${bundle}`);
  return (await loadBundle(bundle)) as GoogleLibraries;
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
