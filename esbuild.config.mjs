// Builds dist/ from src/: one bundle for the entry and the command line, lazy chunks for what
// only some commands need (the table writer, the token stores…), and dist/google-libraries.js, the
// parts of Google's client libraries that gmailctl runs, as one script loaded with a V8 code
// cache (build/google-bundle.mjs, src/code-cache.ts). Loading one file instead of hundreds
// from node_modules halves the start-up cost of a command that calls Google; the code cache
// and the narrowed libraries take most of the rest (measured in test/bench/). Type checking
// is tsc's job (npm run build runs both).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { GOOGLE_BUNDLE, googleBundleOptions } from './build/google-bundle.mjs';

const { version } = JSON.parse(readFileSync('package.json', 'utf8'));

// src/lazy.ts finds dist/google-libraries.js relative to the chunk it is built into (checked below).
const LAZY_CHUNK_DIR = 'dist/chunks';

const main = await build({
  entryPoints: ['src/cli.ts'],
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // A native addon, and a package that ships a shell script it runs from its own folder.
  external: ['@napi-rs/keyring', 'open'],
  // Bundled CommonJS (commander, Google's libraries, write-file-atomic) expects require()
  // for Node's built-ins, and __filename / __dirname.
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
  define: {
    GMAILCTL_VERSION: JSON.stringify(version),
    GMAILCTL_GOOGLE_BUNDLE: JSON.stringify(path.relative(LAZY_CHUNK_DIR, GOOGLE_BUNDLE.output)),
  },
  metafile: true,
  chunkNames: 'chunks/[name]-[hash]',
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
});

const lazyOutput = Object.entries(main.metafile.outputs).find(([, output]) => 'src/lazy.ts' in output.inputs)?.[0];
if (lazyOutput && path.dirname(lazyOutput) !== LAZY_CHUNK_DIR) {
  throw new Error(`src/lazy.ts was built into ${lazyOutput}, not ${LAZY_CHUNK_DIR}/: GMAILCTL_GOOGLE_BUNDLE would point elsewhere`);
}

await build(googleBundleOptions());
