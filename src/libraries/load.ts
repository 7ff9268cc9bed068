/**
 * Loads Google's libraries (src/libraries/google.ts) on first use, the MCP SDK and the
 * printed objects' schemas (src/libraries/mcp.ts) for `mcp` and `schema`, and the Secret Service
 * unlock (src/libraries/secret-service-unlock.ts) when the keychain is found locked. In the bundle they are
 * dist/google-libraries.js, a CommonJS script that the process entry (src/entry/cli.ts) compiles with
 * a V8 code cache (src/entry/code-cache.ts); unbundled (tests run the sources), Node's own loader
 * imports the module.
 */

type GoogleLibraries = typeof import('./google.js');

/** The bundle's file name for src/libraries/google.ts, in dist/ (esbuild.config.mjs); unbundled: undefined. */
declare const GMAILCTL_GOOGLE_BUNDLE: string | undefined;

/** Runs a CommonJS script of dist/ by its file name and answers its exports (src/entry/cli.ts). */
type BundleLoader = (name: string) => Promise<unknown>;

let loadBundle: BundleLoader | undefined;

/** Set by the process entry, which owns the code cache. */
export function useBundleLoader(loader: BundleLoader): void {
  loadBundle = loader;
}

/**
 * Loads a library once, on first call. Each `load` below picks the bundle when the build
 * named one (esbuild replaces the GMAILCTL_*_BUNDLE constant, so the branch that imports the
 * sources is dropped from dist/ and the library is not bundled into the app twice).
 */
function loadOnce<T>(load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | undefined;
  return () => (loading ??= load());
}

export const loadGoogleLibraries = loadOnce<GoogleLibraries>(() =>
  typeof GMAILCTL_GOOGLE_BUNDLE === 'string' ? loadBundled(GMAILCTL_GOOGLE_BUNDLE) : import('./google.js'),
);

async function loadBundled<T>(bundle: string): Promise<T> {
  if (!loadBundle) throw new Error(`gmailctl's entry did not say how to load ${bundle}`);
  return (await loadBundle(bundle)) as T;
}

type SecretServiceUnlock = typeof import('./secret-service-unlock.js');

/** The bundle's file name for src/libraries/secret-service-unlock.ts, in dist/; unbundled: undefined. */
declare const GMAILCTL_UNLOCK_BUNDLE: string | undefined;

/** The D-Bus library that unlocks a locked Secret Service: loaded only when one is found locked. */
export const loadSecretServiceUnlock = loadOnce<SecretServiceUnlock>(() =>
  typeof GMAILCTL_UNLOCK_BUNDLE === 'string' ? loadBundled(GMAILCTL_UNLOCK_BUNDLE) : import('./secret-service-unlock.js'),
);

type McpLibraries = typeof import('./mcp.js');

/** The bundle's file name for src/libraries/mcp.ts, in dist/; unbundled: undefined. */
declare const GMAILCTL_MCP_BUNDLE: string | undefined;

/** The MCP SDK, zod and the printed objects' schemas: loaded only by `gmailctl mcp` and `gmailctl schema`. */
export const loadMcpLibraries = loadOnce<McpLibraries>(() =>
  typeof GMAILCTL_MCP_BUNDLE === 'string' ? loadBundled(GMAILCTL_MCP_BUNDLE) : import('./mcp.js'),
);

/**
 * Starts loading the libraries now, so that compiling them overlaps with reading the
 * config and the token store instead of following it. Failures surface where they are used.
 */
export function preloadGoogleLibraries(): void {
  loadGoogleLibraries().catch(() => undefined);
}
