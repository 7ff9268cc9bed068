/**
 * Splitting a raw message into Gmail's part tree: the cases the emulator's hard cases do not
 * write (LF-only line ends, RFC 2231 file names, a missing closing delimiter, a delimiter
 * look-alike inside a part, a forwarded message), checked on the tree itself.
 */
import { describe, expect, it } from 'vitest';
import { decodeQuotedPrintable, parseStructured, partsFromRaw, type MessagePart } from '../../src/mail/mime-parts.js';

const message = (text: string, eol = '\r\n'): Buffer => Buffer.from(text.replace(/\n/g, eol), 'utf8');
const bytesOf = (part: MessagePart): string => ('bytes' in part.body ? Buffer.from(part.body.bytes).toString('utf8') : '(apart)');
const shape = (part: MessagePart): unknown => [part.partId, part.mimeType, part.filename, ...(part.parts.length > 0 ? [part.parts.map(shape)] : [bytesOf(part)])];

const MIXED = `From: a@example.com
Subject: files
Content-Type: multipart/mixed; boundary="outer"

preamble, not a part
--outer
Content-Type: multipart/alternative; boundary=inner

--inner
Content-Type: text/plain; charset=utf-8

Hello
--outer is not a delimiter here, nor is --inner-x
--inner
Content-Type: text/html

<p>Hello</p>
--inner--
--outer
Content-Type: application/octet-stream
Content-Disposition: attachment;
 filename*0*=UTF-8''r%C3%A9sum;
 filename*1=".txt"
Content-Transfer-Encoding: base64

aGVs
bG8=
--outer
Content-Type: message/rfc822
Content-Disposition: attachment

From: b@example.com
Content-Type: multipart/mixed; boundary=fwd

--fwd
Content-Type: text/plain

inside
--fwd--
--outer--
epilogue
`;

describe('partsFromRaw', () => {
  it.each([
    ['CRLF', '\r\n'],
    ['LF', '\n'],
  ])('numbers the parts as Gmail does, with %s line ends; a forwarded message is one part', (_, eol) => {
    const root = partsFromRaw(message(MIXED, eol));
    const nl = eol;
    expect(shape(root)).toEqual([
      '',
      'multipart/mixed',
      '',
      [
        [
          '0',
          'multipart/alternative',
          '',
          [
            ['0.0', 'text/plain', '', `Hello${nl}--outer is not a delimiter here, nor is --inner-x`],
            ['0.1', 'text/html', '', '<p>Hello</p>'],
          ],
        ],
        ['1', 'application/octet-stream', 'résum.txt', 'hello'],
        ['2', 'message/rfc822', '', `From: b@example.com${nl}Content-Type: multipart/mixed; boundary=fwd${nl}${nl}--fwd${nl}Content-Type: text/plain${nl}${nl}inside${nl}--fwd--`],
      ],
    ]);
    expect(root.headers.find((h) => h.name === 'Subject')?.value).toBe('files');
  });

  it('a multipart without its closing delimiter ends with the message', () => {
    const root = partsFromRaw(message('Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\none\n--b\nContent-Type: text/plain\n\ntwo\n'));
    expect(shape(root)).toEqual(['', 'multipart/mixed', '', [['0', 'text/plain', '', 'one'], ['1', 'text/plain', '', 'two']]]);
  });

  it('a message without a Content-Type is one text/plain part; its last line break is not part of the body', () => {
    expect(shape(partsFromRaw(message('Subject: x\n\nline one\nline two\n')))).toEqual(['', 'text/plain', '', 'line one\r\nline two']);
  });

  it('an encoded-word file name in Content-Type name, when the disposition names none', () => {
    const root = partsFromRaw(message('Content-Type: application/pdf; name="=?UTF-8?B?w6l0w6kucGRm?="\nContent-Transfer-Encoding: base64\n\nJVBERg==\n'));
    expect([root.filename, bytesOf(root)]).toEqual(['été.pdf', '%PDF']);
  });
});

describe('decoding', () => {
  it('quoted-printable keeps hard line breaks as sent and joins soft ones', () => {
    expect(decodeQuotedPrintable('a=3Db=\r\nc\r\nd=C3=A9  =\r\n').toString('utf8')).toBe('a=bc\r\ndé  ');
  });

  it('structured headers: lowercased value and names, quoted values, RFC 2231 charsets', () => {
    expect(parseStructured(`Attachment; FileName="a \\"b\\"; c.txt"; size=3`)).toEqual({ value: 'attachment', params: { filename: 'a "b"; c.txt', size: '3' } });
    expect(parseStructured(`attachment; filename*=iso-8859-1'en'%E9t%E9.txt`).params.filename).toBe('été.txt');
  });
});

describe('format=flowed', () => {
  it('joins soft-broken lines of one quote depth, drops stuffing, keeps the signature separator', async () => {
    const { unflow } = await import('../../src/mail/read-message.js');
    expect(unflow('A long \r\nparagraph.\r\n> quoted \r\n> on\r\n From here\r\n-- \r\nsig', false)).toBe('A long paragraph.\n> quoted on\nFrom here\n-- \nsig');
    expect(unflow('split wo \r\nrd', true)).toBe('split word');
  });
});
