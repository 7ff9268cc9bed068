// What a browser does with the page gmailctl hands it: a path or file:// URL of a local page
// whose <meta http-equiv="refresh"> forwards to the consent URL. Returns that URL (or the
// argument itself when it already is an http(s) URL).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export function consentUrlFrom(argument) {
  if (/^https?:\/\//.test(argument)) return argument;
  const file = argument.startsWith('file://') ? fileURLToPath(argument) : argument;
  const html = readFileSync(file, 'utf8');
  const match = /<meta http-equiv="refresh" content="0; url=([^"]*)">/.exec(html);
  if (!match) throw new Error(`no forwarding <meta> in ${file}`);
  return match[1].replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}
