// Builds dist/ from src/ in a few files, each loaded only when needed:
//   dist/cli.js               the entry: answers --version alone, then loads dist/app.js with
//                             the V8 code cache (src/entry/code-cache.ts);
//   dist/app.js               everything else (the command line, every command, the token
//                             stores, the writers) in one CommonJS script: compiled from the code
//                             cache, not parsed and compiled by Node's ESM loader on every run;
//                             its modules still initialised only when a command imports them;
//   dist/google-libraries.js  what gmailctl runs of Google's client libraries, one script
//                             compiled from the code cache too (build/google-bundle.mjs);
//   dist/secret-service-unlock.js  the D-Bus library that unlocks a locked Secret Service,
//                             a script loaded like the Google bundle, only when the keychain is
//                             found locked;
//   dist/mcp-libraries.js     the MCP SDK, zod and the printed objects' schemas, a script loaded
//                             like the Google bundle, only by `gmailctl mcp` and `gmailctl schema`.
// Loading bundles instead of hundreds of files from node_modules halves the start-up cost of
// a command that calls Google; the code cache and the narrowed libraries take most of the rest
// (measured in test/bench/). Type checking is tsc's job (npm run build runs both).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Module } from 'node:module';
import path from 'node:path';
import { build } from 'esbuild';
import { GOOGLE_BUNDLE, googleBundleOptions } from './build/google-bundle.mjs';

const { version } = JSON.parse(readFileSync('package.json', 'utf8'));

const APP = 'dist/app.js';

const shared = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  // --version costs no file read: the version is part of the code.
  define: { GMAILCTL_VERSION: JSON.stringify(version) },
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
};

// In one file, every static import of a Node built-in would be hoisted to the top and load
// with the file, whatever the command (node:readline for login's paste, node:http for its
// listener, node:crypto for the code cache…). As a require() inside the module that uses it,
// a built-in loads with that module. `everywhere`: for libraries' imports too, not only src/'s;
// but never for the entry's own imports, which load with it anyway.
const builtinsWithTheirUser = (everywhere = false) => ({
  name: 'builtins-with-their-user',
  setup(build) {
    const entries = new Set(build.initialOptions.entryPoints.map((entry) => path.resolve(entry)));
    build.onResolve({ filter: /^node:/ }, (args) =>
      args.namespace !== 'builtin-on-use' && !entries.has(args.importer) && (everywhere || args.importer.includes(`${path.sep}src${path.sep}`))
        ? { path: args.path, namespace: 'builtin-on-use' }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'builtin-on-use' }, (args) => ({ contents: `module.exports = require(${JSON.stringify(args.path)});`, loader: 'js' }));
  },
});

// The entry loads the app by its path in dist/, not as a module to bundle.
const appIsSeparate = {
  name: 'app-is-separate',
  setup(build) {
    build.onResolve({ filter: /^\.\/app\.js$/ }, () => ({ path: `./${path.basename(APP)}`, external: true }));
  },
};

// Loaded by src/libraries/load.ts through the entry's code cache, as the Google bundle is: the app never holds it.
const UNLOCK = 'dist/secret-service-unlock.js';

await build({ ...shared, entryPoints: ['src/libraries/secret-service-unlock.ts'], outfile: UNLOCK, format: 'cjs' });

// The SDK's JSON Schema validator is for elicitation answers only, which gmailctl never asks for:
// build/no-ajv-provider.mjs takes its place, and Ajv is not in the bundle.
const withoutAjv = {
  name: 'without-ajv',
  setup(build) {
    build.onResolve({ filter: /\/validation\/ajv-provider\.js$/ }, (args) =>
      args.importer.includes('@modelcontextprotocol/sdk') ? { path: path.resolve('build/no-ajv-provider.mjs') } : undefined,
    );
  },
};

// The MCP SDK, zod and the objects' schemas (src/libraries/mcp.ts): loaded by src/libraries/load.ts
// through the entry's code cache for `gmailctl mcp` and `gmailctl schema` only.
const MCP = 'dist/mcp-libraries.js';

await build({
  ...shared,
  entryPoints: ['src/libraries/mcp.ts'],
  outfile: MCP,
  format: 'cjs',
  inject: ['build/import-meta-cjs.mjs'],
  plugins: [builtinsWithTheirUser(true), withoutAjv],
  define: { ...shared.define, 'import.meta.url': 'importMetaUrl', 'import.meta.resolve': 'importMetaResolve' },
});

await build({
  ...shared,
  entryPoints: ['src/entry/cli.ts'],
  outfile: 'dist/cli.js',
  format: 'esm',
  // The entry is an ES module (bin/gmailctl.js imports it); bundled CommonJS and the
  // built-ins loaded on use need require().
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  plugins: [appIsSeparate, builtinsWithTheirUser(true)],
  define: { ...shared.define, GMAILCTL_APP_BUNDLE: JSON.stringify(path.basename(APP)) },
});

await build({
  ...shared,
  entryPoints: ['src/entry/app.ts'],
  outfile: APP,
  // Run by src/entry/code-cache.ts with vm.Script: CommonJS, in Node's own wrapper (require,
  // __filename, __dirname), with no loader for import(): every import() becomes a require()
  // (the external packages below are CommonJS), and import.meta is this file's.
  format: 'cjs',
  supported: { 'dynamic-import': false },
  banner: { js: '// Not an ES module: a CommonJS script that src/entry/code-cache.ts runs with vm.Script.' },
  inject: ['build/import-meta-cjs.mjs'],
  // A native addon, and a package that ships a shell script it runs from its own folder.
  external: ['@napi-rs/keyring', 'better-sqlite3', 'open'],
  plugins: [builtinsWithTheirUser()],
  define: {
    ...shared.define,
    'import.meta.url': 'importMetaUrl',
    'import.meta.resolve': 'importMetaResolve',
    // src/libraries/load.ts finds the Google bundle next to the app.
    GMAILCTL_GOOGLE_BUNDLE: JSON.stringify(path.relative(path.dirname(APP), GOOGLE_BUNDLE.output)),
    GMAILCTL_UNLOCK_BUNDLE: JSON.stringify(path.relative(path.dirname(APP), UNLOCK)),
    GMAILCTL_MCP_BUNDLE: JSON.stringify(path.relative(path.dirname(APP), MCP)),
  },
});

await build(googleBundleOptions());

// The published JSON Schemas (`gmailctl schema NAME` prints the same), shipped in the package:
// generated from the bundle just built, so the files and the command cannot differ.
// (The bundle is a CommonJS script in a package of type module: compiled as src/entry/code-cache.ts runs it.)
const { schemas } = runCommonJs(MCP);
mkdirSync('dist/schemas', { recursive: true });
for (const name of Object.keys(schemas.OBJECT_SCHEMAS)) {
  writeFileSync(`dist/schemas/${name}.schema.json`, `${JSON.stringify(schemas.jsonSchemaOf(name), null, 2)}\n`);
}

function runCommonJs(file) {
  const filename = path.resolve(file);
  const script = new Module(filename);
  script.filename = filename;
  script.paths = Module._nodeModulePaths(path.dirname(filename));
  script._compile(readFileSync(filename, 'utf8'), filename);
  return script.exports;
}
