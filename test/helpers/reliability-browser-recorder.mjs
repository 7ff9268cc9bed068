#!/usr/bin/env node
// A stand-in browser that records what gmailctl handed it, then follows the URL as
// follow-redirects.mjs does. Used as GMAILCTL_BROWSER="node reliability-browser-recorder.mjs RECORD_FILE".
// It writes its own argv and environment and, when its parent is the shell that gmailctl
// ran the command through, that shell's command line and environment too (from /proc).
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { consentUrlFrom } from './forwarding-page.mjs';

const record = process.argv[2];
const url = consentUrlFrom(process.argv.at(-1));

function processFacts(pid) {
  try {
    const split = (file) => readFileSync(`/proc/${pid}/${file}`, 'utf8').split('\0').filter(Boolean);
    return { cmdline: split('cmdline'), environ: split('environ') };
  } catch {
    return undefined;
  }
}

const parent = processFacts(process.ppid);
const parentIsShell = parent !== undefined && /(^|\/)(ba|da|z)?sh$/.test(parent.cmdline[0] ?? '');
// The page gmailctl handed over: its modes, and where it forwards to.
const argument = process.argv.at(-1);
const page = /^https?:/.test(argument)
  ? undefined
  : { file: argument, mode: statSync(argument).mode & 0o777, dirMode: statSync(path.dirname(argument)).mode & 0o777, forwardsTo: url };
writeFileSync(record, JSON.stringify({ argv: process.argv.slice(2), env: process.env, shell: parentIsShell ? parent : undefined, page }));
const response = await fetch(url, { redirect: 'follow' });
await response.text();
process.exit(response.ok ? 0 : 1);
