// Loaded with `node --import`: prints on stderr every module the process loads, one
// "import: <URL or built-in>" line each, so a test can check that --help and --version load
// nothing of Google's or the keychain's: what ES modules resolve (a loader hook), what
// CommonJS require() resolves (the bundled app requires its packages and Node's built-ins),
// and the scripts gmailctl compiles itself with vm.Script (dist/app.js and
// dist/google-libraries.js, run from the V8 code cache by src/entry/code-cache.ts). Written with
// writeSync: the resolve hook runs on the loader's own thread, whose process.stderr reaches
// the main thread asynchronously, and `--version` exits before it would arrive.
import { writeSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { pathToFileURL } from 'node:url';
import vm from 'node:vm';

const report = (what) => writeSync(2, `import: ${what}\n`);

register(
  'data:text/javascript,' +
    encodeURIComponent(`
import { writeSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  writeSync(2, 'import: ' + result.url + '\\n');
  return result;
}`),
);

const Module = createRequire(import.meta.url)('node:module');
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (...args) {
  const resolved = resolveFilename.apply(this, args);
  report(resolved.startsWith('/') ? pathToFileURL(resolved).href : resolved);
  return resolved;
};

const Script = vm.Script;
vm.Script = class extends Script {
  constructor(code, options) {
    super(code, options);
    const filename = typeof options === 'string' ? options : options?.filename;
    if (filename) report(filename.startsWith('/') ? pathToFileURL(filename).href : filename);
  }
};
