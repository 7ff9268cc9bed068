#!/usr/bin/env node
// A stand-in browser that records every process between itself and gmailctl — its own argv,
// then each ancestor's command line and the names in its environment (from /proc) — and
// then follows the page it was given as follow-redirects.mjs does.
//   process-chain-recorder.mjs RECORD_FILE [ARGS…] TARGET
import { readFileSync, writeFileSync } from 'node:fs';
import { consentUrlFrom } from './forwarding-page.mjs';

const record = process.argv[2];

function facts(pid) {
  const split = (file) => readFileSync(`/proc/${pid}/${file}`, 'utf8').split('\0').filter(Boolean);
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  return { pid, ppid, cmdline: split('cmdline'), environ: split('environ') };
}

const chain = [];
for (let pid = process.pid; pid > 1 && chain.length < 12; ) {
  const process_ = facts(pid);
  chain.push(process_);
  if (process_.cmdline.some((arg) => arg.endsWith('gmailctl.js'))) break;
  pid = process_.ppid;
}
writeFileSync(record, JSON.stringify({ argv: process.argv.slice(2), chain }));
const response = await fetch(consentUrlFrom(process.argv.at(-1)), { redirect: 'follow' });
await response.text();
process.exit(response.ok ? 0 : 1);
