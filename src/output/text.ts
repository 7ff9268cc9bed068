/** Fitting header values to terminal columns, for the table. */
import stringWidth from 'string-width';

export { toSingleLine } from '../basics/single-line.js';

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
  // A quoted name (RFC 5322 quoted-string: backslash escapes any character), or a bare one.
  const match = /^\s*(?:"((?:[^"\\]|\\.)*)"|([^"<]*?))\s*<([^>]*)>\s*$/.exec(from);
  if (!match) return from.trim();
  const name = (match[1] !== undefined ? match[1].replace(/\\(.)/g, '$1') : (match[2] ?? '')).trim();
  return name !== '' ? name : (match[3]?.trim() ?? '');
}
