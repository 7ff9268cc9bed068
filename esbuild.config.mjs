// Builds dist/ from src/: one bundle for the entry and the command line, and lazy chunks for
// what only some commands need (Google's libraries, the table writer…). Loading one file
// instead of hundreds from node_modules halves the start-up cost of a command that calls
// Google (measured in test/bench/). Type checking is tsc's job (npm run build runs both).
import { readFileSync } from 'node:fs';
import { build } from 'esbuild';

const { version } = JSON.parse(readFileSync('package.json', 'utf8'));

await build({
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
  define: { GMAILCTL_VERSION: JSON.stringify(version) },
  chunkNames: 'chunks/[name]-[hash]',
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
});
