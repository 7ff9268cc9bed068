import fc from 'fast-check';
import stringWidth from 'string-width';
import { describe, expect, it } from 'vitest';
import { displayName, fitToWidth, toSingleLine } from '../../src/output/text.js';

const graphemes = (text: string): string[] => [...new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(text)].map((s) => s.segment);

describe('toSingleLine', () => {
  it('turns tabs, newlines and carriage returns into single spaces', () => {
    expect(toSingleLine('a\tb\nc\r\nd')).toBe('a b c  d');
  });

  it('defuses terminal escape sequences so they cannot move the cursor or retitle the window', () => {
    const hostile = '\x1b[2J\x1b]0;owned\x07Subject\x1b[31m';
    const safe = toSingleLine(hostile);
    expect(safe).not.toContain('\x1b');
    expect(safe).not.toContain('\x07');
    expect(safe).toBe(' [2J ]0;owned Subject [31m');
  });

  it('replaces DEL and the C1 controls (including the 8-bit CSI) with spaces', () => {
    expect(toSingleLine('a\x7fb\x80c\x9bd\x9fe\x85f')).toBe('a b c d e f');
  });

  it('keeps printable text, accents, CJK and emoji exactly as they are', () => {
    const text = 'Café – 日本語 📦 👨‍👩‍👧 ok ~!';
    expect(toSingleLine(text)).toBe(text);
  });

  it('never leaves a control character and keeps the length, whatever the input', () => {
    const unsafe = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u2028\u2029]/;
    const withBidi = fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.string({ unit: fc.constantFrom('a', ' ', '\u202e', '\u2066', '\u2028', '\x9b'), maxLength: 40 }));
    fc.assert(
      fc.property(withBidi, (text) => {
        const line = toSingleLine(text);
        expect(line).not.toMatch(unsafe);
        expect(line.length).toBe(text.length);
        // Only control characters change, and each becomes a space.
        const lineChars = [...line];
        const changed = [...text].filter((ch, i) => lineChars[i] !== ch);
        expect(changed.every((ch) => unsafe.test(ch))).toBe(true);
      }),
    );
  });
});

describe('fitToWidth', () => {
  it('pads short ASCII text to exactly the width', () => {
    expect(fitToWidth('abc', 6)).toBe('abc   ');
    expect(fitToWidth('abc', 6, false)).toBe('abc');
    expect(fitToWidth('abcdef', 6)).toBe('abcdef');
  });

  it('cuts long ASCII text and marks the cut with an ellipsis', () => {
    expect(fitToWidth('abcdefgh', 6)).toBe('abcde…');
    expect(fitToWidth('abcdefgh', 6, false)).toBe('abcde…');
    expect(fitToWidth('abcdefgh', 1)).toBe('…');
  });

  it('returns nothing for a zero or negative width', () => {
    expect(fitToWidth('abc', 0)).toBe('');
    expect(fitToWidth('abc', -3)).toBe('');
  });

  it('counts CJK characters as two columns and never cuts one in half', () => {
    // 日本語 is 6 columns; in 4 columns only 日 (2) fits before the ellipsis (1), plus 1 pad.
    expect(fitToWidth('日本語', 6)).toBe('日本語');
    expect(fitToWidth('日本語', 4)).toBe('日… ');
    expect(fitToWidth('日本語', 4, false)).toBe('日…');
    expect(fitToWidth('日本語', 5)).toBe('日本…');
    expect(stringWidth(fitToWidth('日本語', 3))).toBe(3);
  });

  it('counts emoji, including a ZWJ family, as two columns and keeps them whole', () => {
    const family = '👨‍👩‍👧‍👦';
    expect(fitToWidth(`📦${family}x`, 5)).toBe(`📦${family}x`);
    const cut = fitToWidth(`📦${family}xyz`, 4);
    expect(cut).toBe('📦… ');
    // The family is either whole or absent: never a lone member of it.
    const tight = fitToWidth(`a${family}bc`, 4, false);
    expect(tight).toBe(`a${family}…`);
    expect(fitToWidth(`${family}${family}`, 3)).toBe(`${family}…`);
    expect(fitToWidth(`${family}${family}`, 2)).toBe('… ');
  });

  const wideText = fc.string({
    unit: fc.constantFrom('a', 'Z', ' ', '日', '本', '語', '한', '📦', '👨‍👩‍👧', '🇯🇵', 'é', 'e\u0301', '…', '-'),
    maxLength: 40,
  });

  it('with padding, is exactly as wide as asked, whatever the mix of narrow and wide characters', () => {
    fc.assert(
      fc.property(wideText, fc.integer({ min: 1, max: 60 }), (text, width) => {
        expect(stringWidth(fitToWidth(text, width))).toBe(width);
      }),
    );
  });

  it('without padding, is never wider than asked, keeps whole graphemes from the start, and says when it cut', () => {
    fc.assert(
      fc.property(wideText, fc.integer({ min: 1, max: 60 }), (text, width) => {
        const fitted = fitToWidth(text, width, false);
        expect(stringWidth(fitted)).toBeLessThanOrEqual(width);
        if (stringWidth(text) <= width) {
          expect(fitted).toBe(text);
          return;
        }
        expect(fitted.endsWith('…')).toBe(true);
        const kept = fitted.slice(0, -1);
        // What is kept is a run of whole graphemes from the start of the text.
        const original = graphemes(text);
        const keptGraphemes = graphemes(kept);
        expect(original.slice(0, keptGraphemes.length)).toEqual(keptGraphemes);
        // And it kept as much as fits: the next grapheme would not have fitted beside the "…".
        const next = original[keptGraphemes.length] ?? '';
        expect(stringWidth(kept) + stringWidth(next) + 1).toBeGreaterThan(width);
      }),
    );
  });
});

describe('displayName', () => {
  it('shows the name part of "Name <address>"', () => {
    expect(displayName('Ada Lovelace <ada@example.com>')).toBe('Ada Lovelace');
  });

  it('drops the quotes around a quoted name', () => {
    expect(displayName('"Lovelace, Ada" <ada@example.com>')).toBe('Lovelace, Ada');
  });

  it('falls back to the address when the name is empty', () => {
    expect(displayName('<ada@example.com>')).toBe('ada@example.com');
    expect(displayName('"" <ada@example.com>')).toBe('ada@example.com');
  });

  it('keeps a bare address, trimmed', () => {
    expect(displayName('  ada@example.com ')).toBe('ada@example.com');
  });

  it('leaves an empty From empty', () => {
    expect(displayName('')).toBe('');
  });

  it('keeps non-ASCII names', () => {
    expect(displayName('山田 太郎 <taro@example.jp>')).toBe('山田 太郎');
  });
});
