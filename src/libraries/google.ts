/**
 * What gmailctl runs of Google's client libraries, and nothing else: the OAuth2Client (not
 * google-auth-library's index, whose GoogleAuth pulls in the metadata server, JWT, gtoken and
 * the external-account clients), the generated Gmail v1 client (not @googleapis/gmail's
 * index, which builds a GoogleAuth when it loads), and the fetch they send requests with:
 * node-fetch, gaxios's own fetch on Node, built on node:http and node:https (not Node's global
 * fetch, whose first use loads undici: see src/gmail/timed-fetch.ts). The bundle builds this module
 * into dist/google-libraries.js, loaded with a V8 code cache (src/entry/code-cache.ts); see esbuild.config.mjs.
 */
export { OAuth2Client } from 'google-auth-library/build/src/auth/oauth2client.js';
export { gmail_v1 } from '@googleapis/gmail/build/v1.js';
export { default as fetch, Response } from 'node-fetch';
