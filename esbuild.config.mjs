// Builds dist/ from src/ in three files, each loaded only when needed:
//   dist/cli.js               the entry: answers --version alone, then imports dist/app.js;
//   dist/app.js               everything else (the command line, every command, the token
//                             stores, the writers) in one file: one module for Node's ESM
//                             loader to resolve, read and link instead of twenty chunks, its
//                             modules still initialised only when a command imports them;
//   dist/google-libraries.js  what gmailctl runs of Google's client libraries, one script
//                             compiled from a V8 code cache (build/google-bundle.mjs,
//                             src/code-cache.ts).
// Loading bundles instead of hundreds of files from node_modules halves the start-up cost of
// a command that calls Google; one app file, the code cache and the narrowed libraries take
// most of the rest (measured in test/bench/). Type checking is tsc's job (npm run build runs both).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { GOOGLE_BUNDLE, googleBundleOptions } from './build/google-bundle.mjs';

const { version } = JSON.parse(readFileSync('package.json', 'utf8'));

const APP = 'dist/app.js';

const shared = {
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Bundled CommonJS (commander, write-file-atomic…) expects require() for Node's built-ins,
  // and __filename / __dirname.
  banner: {
    js: [
      "import { createRequire as __createRequire } from 'node:module';",
      "import { fileURLToPath as __fileURLToPath } from 'node:url';",
      'const require = __createRequire(import.meta.url);',
      'const __filename = __fileURLToPath(import.meta.url);',
      "const __dirname = __fileURLToPath(new URL('.', import.meta.url));",
    ].join(' '),
  },
  // --version costs no file read: the version is part of the code.
  define: { GMAILCTL_VERSION: JSON.stringify(version) },
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
};

// In one file, every static import of a Node built-in would be hoisted to the top and load
// with the app, whatever the command (node:readline for login's paste, node:http for its
// listener…). As a require() inside the module that uses it, a built-in loads with that module.
const builtinsWithTheirUser = {
  name: 'builtins-with-their-user',
  setup(build) {
    build.onResolve({ filter: /^node:/ }, (args) =>
      args.importer.includes(`${path.sep}src${path.sep}`) ? { path: args.path, namespace: 'builtin-on-use' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'builtin-on-use' }, (args) => ({ contents: `module.exports = require(${JSON.stringify(args.path)});`, loader: 'js' }));
  },
};

// The entry imports the app by its path in dist/, not as a module to bundle.
const appIsSeparate = {
  name: 'app-is-separate',
  setup(build) {
    build.onResolve({ filter: /^\.\/app\.js$/ }, () => ({ path: `./${path.basename(APP)}`, external: true }));
  },
};

await build({ ...shared, entryPoints: ['src/cli.ts'], outfile: 'dist/cli.js', plugins: [appIsSeparate] });

await build({
  ...shared,
  entryPoints: ['src/app.ts'],
  outfile: APP,
  // A native addon, and a package that ships a shell script it runs from its own folder.
  external: ['@napi-rs/keyring', 'better-sqlite3', 'open'],
  plugins: [builtinsWithTheirUser],
  // src/lazy.ts finds the Google bundle next to the app.
  define: { ...shared.define, GMAILCTL_GOOGLE_BUNDLE: JSON.stringify(path.relative(path.dirname(APP), GOOGLE_BUNDLE.output)) },
});

await build(googleBundleOptions());
