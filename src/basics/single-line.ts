/**
 * The one cleaner for text that came from outside (mail headers, Google's answers, request
 * headers, files) on its way to a terminal or a line-oriented format. A subject may hold
 * tabs, newlines or escape sequences (mail is written by strangers): in a TSV field they
 * would break the columns, on a terminal they could move the cursor or retitle the window.
 * Bidi overrides and isolates could make "invoice‮gpj.exe" read as "invoiceexe.jpg", and the
 * Unicode line separators start a new line in some terminals.
 */

// C0 controls (tab, newline, ESC…), DEL, C1 controls (incl. the 8-bit CSI 0x9B), the bidi
// embeddings/overrides U+202A–202E and isolates U+2066–2069, and U+2028/U+2029.
const UNSAFE_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u2028\u2029]/g;

/** Each unsafe character becomes one space, so the text keeps its length and its columns. */
export function toSingleLine(text: string): string {
  return text.replace(UNSAFE_CHARACTERS, ' ');
}

/**
 * The first character of `text` that has no place in a name shown on a line (an account
 * address): a control character (C0, DEL, C1: a line break, an escape), a bidi control
 * (overrides, isolates, the marks U+200E/200F/061C) or a line or paragraph separator, as
 * `U+XXXX`; undefined when there is none.
 */
export function unsafeCharacterIn(text: string): string | undefined {
  const found = /[\p{Cc}\p{Bidi_Control}\u2028\u2029]/u.exec(text)?.[0];
  return found === undefined ? undefined : `U+${found.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Our own multi-line messages (a warning and its hint): each line cleaned, the line breaks kept. */
export function toSafeLines(text: string): string {
  return text.split('\n').map(toSingleLine).join('\n');
}

/**
 * The characters JSON.stringify leaves raw that a terminal acts on or reorders: DEL, the C1
 * controls (the 8-bit CSI 0x9B), bidi overrides and isolates, the line separators. They can
 * only sit inside JSON strings, where `\uXXXX` says the same: the data is unchanged, and
 * JSON shown on a terminal (or in a pager) cannot drive it.
 */
const RAW_IN_JSON = /[\u007f-\u009f\u202a-\u202e\u2066-\u2069\u2028\u2029]/g;

/** JSON.stringify, with the characters above escaped. */
export function toJson(value: unknown, space?: number): string {
  return JSON.stringify(value, null, space).replace(RAW_IN_JSON, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * Bytes from outside (a raw message) for a person at a terminal: each line's controls, C1,
 * bidi and separator characters as spaces (a CR at a line's end dropped), line breaks kept.
 */
export function toSafeTerminalText(bytes: Uint8Array): string {
  return toSafeLines(Buffer.from(bytes).toString('utf8').replace(/\r\n/g, '\n'));
}
