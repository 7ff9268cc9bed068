// How dist/google-libraries.js is built: the parts of Google's client libraries that gmailctl runs
// (src/libraries/google.ts), as one CommonJS script that src/entry/code-cache.ts compiles with a
// V8 code cache. Two of the libraries' own imports are narrowed here, because loading them
// costs start-up time and gmailctl never runs them (test/unit/google-bundle.test.ts checks
// both claims against the installed libraries):
//   - the generated Gmail client (@googleapis/gmail/build/v1.js) uses nothing of
//     googleapis-common but createAPIRequest, so it gets apirequest.js instead of the index,
//     which loads all of google-auth-library (GoogleAuth, JWT, metadata server, external
//     accounts…) and the discovery client;
//   - apirequest.js calls its HTTP/2 module only for the `http2: true` option, which gmailctl
//     never sets; that module (and node:http2, node:zlib) now loads on first use instead of
//     when the client loads.
// And the libraries' fetch API globals (Headers, Response…), which would load undici, are
// bound to node-fetch's (build/fetch-api-globals.mjs).
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

export const GOOGLE_BUNDLE = {
  entry: 'src/libraries/google.ts',
  output: 'dist/google-libraries.js',
};

/** The names the bundle takes from node-fetch where the libraries use a global of the fetch API. */
export const FETCH_API_GLOBALS = fileURLToPath(new URL('./fetch-api-globals.mjs', import.meta.url));

/** The file each narrowed import comes from, and what it resolves to instead. */
export const NARROWED = {
  gmailClient: require.resolve('@googleapis/gmail/build/v1.js'),
  apiRequest: require.resolve('googleapis-common/build/src/apirequest.js'),
};

const LAZY = 'gmailctl-on-first-use';

export const narrowGoogleLibraries = {
  name: 'narrow-google-libraries',
  setup(build) {
    build.onResolve({ filter: /^googleapis-common$/ }, (args) =>
      args.importer === NARROWED.gmailClient ? { path: NARROWED.apiRequest } : undefined,
    );
    build.onResolve({ filter: /^\.\/http2$/ }, (args) =>
      args.importer === NARROWED.apiRequest
        ? { path: 'googleapis-common/http2', namespace: LAZY, pluginData: { resolveDir: path.dirname(args.importer) } }
        : undefined,
    );
    // A stand-in with the module's one export, requiring the real module when it is called.
    build.onLoad({ filter: /.*/, namespace: LAZY }, (args) => ({
      contents: "exports.request = (...args) => require('./http2.js').request(...args);",
      resolveDir: args.pluginData.resolveDir,
      loader: 'js',
    }));
  },
};

/** esbuild options for dist/google-libraries.js. */
export function googleBundleOptions() {
  return {
    entryPoints: [GOOGLE_BUNDLE.entry],
    outfile: GOOGLE_BUNDLE.output,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    // The script runs under vm.Script, which has no loader for import(): every import() of
    // the libraries (node-fetch, https-proxy-agent, node:crypto) becomes a require().
    supported: { 'dynamic-import': false },
    plugins: [narrowGoogleLibraries],
    inject: [FETCH_API_GLOBALS],
    // Less text to read, hash and hand to V8; names are kept, so errors read the same.
    minifyWhitespace: true,
    // Named .js for npm's file list (package.json "files"), but not a module: nothing imports it.
    banner: { js: '// Not an ES module: a CommonJS script that src/entry/code-cache.ts runs with vm.Script.' },
    sourcemap: false,
    legalComments: 'none',
    logLevel: 'warning',
  };
}
