/**
 * Parsers for flag values. Commander turns InvalidArgumentError into a usage error
 * (exit 2) that names the flag, so each message only says what a good value is.
 */
import { InvalidArgumentError } from 'commander';
import { unsafeCharacterIn } from '../basics/single-line.js';

function wholeNumber(value: string): number | undefined {
  return /^\d+$/.test(value.trim()) ? Number(value.trim()) : undefined;
}

/** --max: a positive whole number of messages. */
export function parseMax(value: string): number {
  const n = wholeNumber(value);
  if (n === undefined || n < 1) throw new InvalidArgumentError('Expected a whole number of messages, 1 or more.');
  if (!Number.isSafeInteger(n)) throw new InvalidArgumentError(`Too large: at most ${Number.MAX_SAFE_INTEGER} (leave out --max for every message).`);
  return n;
}

/** --port: 1–65535, or 0 for "any free port". */
export function parsePort(value: string): number {
  const n = wholeNumber(value);
  if (n === undefined || n > 65535) throw new InvalidArgumentError('Expected a port number from 1 to 65535 (or 0 for any free port).');
  return n;
}

/** --timeout: a positive number of seconds (fractions allowed), at most a day. */
export function parseTimeout(value: string): number {
  const n = /^\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!(n > 0) || n > 86_400) throw new InvalidArgumentError('Expected a number of seconds greater than 0 (at most 86400).');
  return n;
}

/** --interval (list --follow): whole seconds, at least 5 (Gmail is asked once per interval), at most a day. */
export function parseInterval(value: string): number {
  const n = wholeNumber(value);
  if (n === undefined || n < 5 || n > 86_400) throw new InvalidArgumentError('Expected a whole number of seconds from 5 to 86400.');
  return n;
}

/** --since-last: a cursor name, as a script would write it. */
export function parseCursorName(value: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(value)) {
    throw new InvalidArgumentError('Expected a name of letters, digits, ".", "_" or "-" (at most 64), like unread-notifier.');
  }
  return value;
}

/** --account / GMAILCTL_ACCOUNT: an email address, checked only for its shape. */
export function parseAccount(value: string): string {
  const trimmed = value.trim();
  // Said first: the shape check below would call such an address merely misspelt.
  const unsafe = unsafeCharacterIn(trimmed);
  if (unsafe) throw new InvalidArgumentError(`The address holds a control or bidi character (${unsafe}); no Gmail address does.`);
  if (!/^[^\s@]+@[^\s@]+$/.test(trimmed)) throw new InvalidArgumentError('Expected an email address, like you@gmail.com.');
  return trimmed;
}

/** --label: a label id or name; an empty one would send `labelIds=` and match nothing. */
export function parseLabel(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('Expected a label id (INBOX, Label_12) or name (Receipts), not an empty string.');
  return value;
}
