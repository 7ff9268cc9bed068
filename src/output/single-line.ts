/**
 * Making header values safe for line-oriented output. A subject may hold tabs, newlines or
 * terminal escape sequences (mail is written by strangers): in a TSV field they would break
 * the columns, on a terminal they could move the cursor or retitle the window.
 */

// C0 controls (tab, newline, ESC…), DEL and C1 controls; each becomes one space.
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/g;

export function toSingleLine(text: string): string {
  return text.replace(CONTROL_CHARACTERS, ' ');
}
