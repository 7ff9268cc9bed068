/**
 * Making header values safe for line-oriented output. A subject may hold tabs, newlines or
 * terminal escape sequences (mail is written by strangers): in a TSV field they would break
 * the columns, on a terminal they could move the cursor or retitle the window.
 */
import stringWidth from 'string-width';

// C0 controls (tab, newline, ESC…), DEL and C1 controls; each becomes one space.
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/g;

export function toSingleLine(text: string): string {
  return text.replace(CONTROL_CHARACTERS, ' ');
}

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * Cuts text to at most `width` terminal columns, ending with "…" when something was cut,
 * and pads it with spaces to exactly `width`. Wide characters (CJK, emoji) count as two
 * columns and are never split in half.
 */
export function fitToWidth(text: string, width: number, pad = true): string {
  if (width <= 0) return '';
  const full = stringWidth(text);
  if (full <= width) return pad ? text + ' '.repeat(width - full) : text;
  let used = 0;
  let out = '';
  for (const { segment } of graphemes.segment(text)) {
    const w = stringWidth(segment);
    if (used + w > width - 1) break;
    out += segment;
    used += w;
  }
  out += '…';
  used += 1;
  return pad ? out + ' '.repeat(width - used) : out;
}

/** "Ada Lovelace <ada@example.com>" → "Ada Lovelace"; a bare address stays as it is. */
export function displayName(from: string): string {
  const match = /^\s*"?([^"<]*?)"?\s*<([^>]*)>\s*$/.exec(from);
  if (!match) return from.trim();
  const name = match[1]?.trim() ?? '';
  return name !== '' ? name : (match[2]?.trim() ?? '');
}
