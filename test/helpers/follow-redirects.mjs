#!/usr/bin/env node
// A stand-in browser for tests: GETs the URL it is given and follows redirects, as a
// browser does after an auto-approved consent. Used as GMAILCTL_BROWSER.
const url = process.argv.at(-1);
const response = await fetch(url, { redirect: 'follow' });
await response.text();
process.exit(response.ok ? 0 : 1);
