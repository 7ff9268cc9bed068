/**
 * Loads Google's libraries (CommonJS) on first use. In the bundle (esbuild.config.mjs) a
 * lazily imported CommonJS module arrives as the default export; unbundled (Node's own
 * loader), as named exports too. `module.exports` is the default either way.
 */
async function commonJs<T extends object>(load: Promise<T>): Promise<T> {
  const loaded = await load;
  return (loaded as { default?: T }).default ?? loaded;
}

export const loadAuthLibrary = () => commonJs(import('google-auth-library'));
export const loadGmailLibrary = () => commonJs(import('@googleapis/gmail'));

/**
 * Starts loading both libraries now, so that compiling them overlaps with reading the
 * config and the token store instead of following it. Failures surface where they are used.
 */
export function preloadGoogleLibraries(): void {
  Promise.all([loadAuthLibrary(), loadGmailLibrary()]).catch(() => undefined);
}
