// import.meta for dist/app.js, which is a CommonJS script (esbuild.config.mjs: `inject`, with
// import.meta.url and import.meta.resolve defined as these names): its own file's URL, and
// a module resolved from its own folder, as an ES module's import.meta would answer them.
export const importMetaUrl = require('node:url').pathToFileURL(__filename).href;
export const importMetaResolve = (specifier) => require('node:url').pathToFileURL(require.resolve(specifier)).href;
