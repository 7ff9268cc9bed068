// The fetch API of dist/google-libraries.js (esbuild's `inject`, build/google-bundle.mjs): gaxios,
// google-auth-library and googleapis-common name Headers, Request, Response, FormData and fetch
// as globals, and in Node the first touch of any of them loads undici, Node's HTTP client
// behind its global fetch, some 50 ms of a command's start-up. Inside the bundle those names are
// node-fetch's instead: the fetch gaxios itself uses on Node, which gmailctl sends every request
// with (src/gmail/timed-fetch.ts), so the headers and bodies the libraries build are node-fetch's own.
export { default as fetch, FormData, Headers, Request, Response } from 'node-fetch';
