// Preloaded with `node -r` by tests: when the process exits, prints on stderr every Node
// built-in it loaded (process.moduleLoadList), one "builtin: <name>" line each, so that a
// test can check what a command costs to start (undici, behind Node's global fetch, is
// internal/deps/undici/undici).
process.on('exit', () => {
  const names = process.moduleLoadList.filter((entry) => entry.startsWith('NativeModule ')).map((entry) => entry.slice('NativeModule '.length));
  require('node:fs').writeSync(2, names.map((name) => `builtin: ${name}\n`).join(''));
});
