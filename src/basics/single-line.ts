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

/** Our own multi-line messages (a warning and its hint): each line cleaned, the line breaks kept. */
export function toSafeLines(text: string): string {
  return text.split('\n').map(toSingleLine).join('\n');
}
