// Loaded with `node --import`: prints every module URL the process resolves on stderr,
// so a test can check that --help and --version load nothing of Google's or the keychain's.
import { register } from 'node:module';

register(
  'data:text/javascript,' +
    encodeURIComponent(`
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  process.stderr.write('import: ' + result.url + '\\n');
  return result;
}`),
);
