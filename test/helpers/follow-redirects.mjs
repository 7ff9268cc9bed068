#!/usr/bin/env node
// A stand-in browser for tests: opens the page it is given (gmailctl's local forwarding
// page), GETs the consent URL it forwards to and follows redirects, as a browser does after
// an auto-approved consent. Used as GMAILCTL_BROWSER.
import { consentUrlFrom } from './forwarding-page.mjs';

const url = consentUrlFrom(process.argv.at(-1));
const response = await fetch(url, { redirect: 'follow' });
await response.text();
process.exit(response.ok ? 0 : 1);
