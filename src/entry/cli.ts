/**
 * The process entry (bin/gmailctl.js). `gmailctl --version` is answered from here without
 * loading the command line parser or anything else: scripts call it in loops, and it should
 * cost no more than starting Node. Everything else goes to the program (src/entry/program.ts),
 * through src/entry/app.ts: in the build, dist/app.js, a CommonJS script compiled from a V8 code
 * cache like Google's libraries (src/entry/code-cache.ts), so that a command neither parses nor
 * compiles gmailctl's own code again on every run.
 */
import { fileURLToPath } from 'node:url';
import { packageVersion } from '../basics/version.js';
import { describeWriteFailure, isClosedReader } from '../basics/stdout-state.js';

type App = typeof import('./app.js');

/** The app's file name in dist/, beside this entry (esbuild.config.mjs); unbundled: undefined. */
declare const GMAILCTL_APP_BUNDLE: string | undefined;

/** Runs the command line, lets stdout drain, and exits with the command's code. */
export async function run(argv: string[] = process.argv.slice(2)): Promise<never> {
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) return printVersion();
  const { loadApp, saveCodeCaches } = await startLoading();
  const { main, IO, useBundleLoader } = await loadApp();
  const io = new IO();
  useBundleLoader(loadScript);
  const code = await main(argv, io); // main() waits for stdout to drain
  // After a command that loaded a library bundle (Google's, the Secret Service unlock): what
  // V8 compiled for it goes to the code cache for the next run. A command that loaded none
  // (help, a usage error, status without a login) leaves no file, as before the app was cached.
  if (librariesLoaded) await saveCodeCaches();
  // Exit explicitly: keep-alive sockets or a paused stdin must not hold the process open.
  process.exit(code);
}

/** How the app and the bundle's other scripts load: from the code cache when bundled. */
async function startLoading(): Promise<{ loadApp: () => Promise<App>; saveCodeCaches: () => Promise<void> }> {
  if (typeof GMAILCTL_APP_BUNDLE !== 'string') return { loadApp: () => import('./app.js'), saveCodeCaches: async () => undefined };
  const bundle = GMAILCTL_APP_BUNDLE;
  const [{ saveCodeCaches }] = await Promise.all([import('./code-cache.js'), configureCache()]);
  return { loadApp: async () => (await loadScript(bundle)) as App, saveCodeCaches };
}

let cacheOptions: Promise<import('./code-cache.js').CodeCacheOptions> | undefined;

/** The code cache's directory (none when the login comes from the environment) and version. */
function configureCache(): Promise<import('./code-cache.js').CodeCacheOptions> {
  cacheOptions ??= Promise.all([import('../basics/cache-dir.js'), import('../basics/environment.js')]).then(([{ codeCacheDir }, { processEnvironment }]) => ({
    dir: codeCacheDir(processEnvironment()),
    version: packageVersion(),
  }));
  return cacheOptions;
}

/** Whether the command loaded a script of dist/ besides the app. */
let librariesLoaded = false;

/** Runs a CommonJS script of dist/ (the app, Google's libraries) with the code cache; answers its exports. */
async function loadScript(name: string): Promise<unknown> {
  if (name !== GMAILCTL_APP_BUNDLE) librariesLoaded = true;
  const [{ requireCached }, options] = await Promise.all([import('./code-cache.js'), configureCache()]);
  return (await requireCached(fileURLToPath(new URL(name, import.meta.url)), options)).exports;
}

/** `gmailctl --version`: exit 0 once the line is written, 1 with one line if it cannot be. */
function printVersion(): Promise<never> {
  const fail = (error: NodeJS.ErrnoException): never => {
    if (isClosedReader(error)) process.exit(0);
    process.stderr.write(`error: ${describeWriteFailure(error)}\n`);
    process.exit(1);
  };
  process.stdout.on('error', fail);
  process.stdout.write(`${packageVersion()}\n`, (error) => (error ? fail(error) : process.exit(0)));
  return new Promise<never>(() => undefined);
}
