/**
 * Messages that naive mail readers get wrong, seeded into every mailbox (see mailbox.ts):
 * each is a MIME tree (mime.ts) that the emulator serves as format=raw and format=full.
 * Tests find them by name: `emulator.mailbox().find((m) => m.hardCase === 'latin1')`.
 */
import type { MimeLeaf, MimeMultipart, MimeNode } from './mime.js';

export const HARD_CASES = [
  'alternative',
  'stub-plain',
  'html-only',
  'nested-attachments',
  'quoted-printable',
  'latin1',
  'shift-jis',
  'encoded-subject',
  'large-body',
  'inline-image',
  'unknown-charset',
  'small-attachments',
  'deep-html',
] as const;
export type HardCaseName = (typeof HARD_CASES)[number];

export interface HardCase {
  from: string;
  to: string;
  cc?: string;
  bcc?: string;
  replyTo?: string;
  /** Decoded, as Gmail shows it. */
  subject: string;
  /** As written in the message, when not the default encoding of `subject`. */
  rawSubject?: string;
  body: MimeNode;
  /** What the snippet is made of: the readable text. */
  text: string;
  /** Every link a reader must be able to follow, for the tests. */
  links: string[];
}

const utf8 = (text: string): Buffer => Buffer.from(text, 'utf8');

function leaf(type: string, content: Buffer | string, options: Partial<MimeLeaf> = {}): MimeLeaf {
  const isText = type.startsWith('text/');
  return {
    kind: 'leaf',
    type,
    encoding: 'quoted-printable',
    ...(isText ? { params: { charset: 'UTF-8' } } : {}),
    ...options,
    content: typeof content === 'string' ? utf8(content) : content,
  };
}

function multipart(subtype: MimeMultipart['subtype'], boundary: string, parts: MimeNode[]): MimeMultipart {
  return { kind: 'multipart', subtype, boundary, parts };
}

const crlf = (text: string): string => text.replace(/\r?\n/g, '\r\n');

/** A 1×1 transparent PNG. */
const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8ffff3f0005fe02fea7d6a4b40000000049454e44ae426082', 'hex');
/** "日本語のメールです。明日の会議は十時からです。" in Shift_JIS. */
const SHIFT_JIS_TEXT = '日本語のメールです。明日の会議は十時からです。';
const SHIFT_JIS_BYTES = Buffer.from('93fa967b8cea82cc8381815b838b82c582b7814296be93fa82cc89ef8b6382cd8f5c8e9e82a982e782c582b78142', 'hex');
const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n', 'latin1');

/** A meeting invitation, as calendars attach one (often without a file name). */
const INVITE = crlf('BEGIN:VCALENDAR\nVERSION:2.0\nMETHOD:REQUEST\nBEGIN:VEVENT\nSUMMARY:Budget review\nDTSTART:20261210T100000Z\nEND:VEVENT\nEND:VCALENDAR\n');

const LARGE_END = 'END OF THE LARGE BODY: nothing was cut.';

/** ~1.2 MB of numbered lines: a reader that truncates loses the last line. */
function largeText(): string {
  const lines: string[] = [];
  for (let n = 1; n <= 16_000; n++) lines.push(`Line ${String(n).padStart(5, '0')}: the quarterly log goes on, and every line of it matters.`);
  lines.push(LARGE_END);
  return `${lines.join('\r\n')}\r\n`;
}

let large: string | undefined;

const CASES: Record<HardCaseName, () => HardCase> = {
  alternative: () => ({
    from: 'Jane Doe <jane.doe@example.com>',
    to: 'Alex Smith <alex.smith@example.com>',
    cc: '"Doe, John" <john.doe@example.org>, team@lists.example.org',
    replyTo: '"Jane (replies)" <jane.replies@example.com>',
    subject: 'Agenda for Thursday',
    text: 'Hi Alex, the agenda is at https://docs.example.com/agenda?id=42&view=full — see you Thursday. Jane',
    links: ['https://docs.example.com/agenda?id=42&view=full'],
    body: multipart('alternative', 'alt-boundary-1', [
      // Lines that start with "From " must not start a message in an mbox.
      leaf('text/plain', crlf('Hi Alex,\n\nthe agenda is at https://docs.example.com/agenda?id=42&view=full — see you Thursday.\nFrom now on it lives in the doc.\n>From the old notes: nothing.\n\nJane\n')),
      leaf('text/html', crlf('<div>Hi Alex,<br><br>the <a href="https://docs.example.com/agenda?id=42&amp;view=full">agenda</a> — see you Thursday.<br><br>Jane</div>\n')),
    ]),
  }),
  'stub-plain': () => ({
    from: 'Shop Example <news@shop.example>',
    to: 'alex.smith@example.com',
    subject: 'Our autumn sale starts today',
    text: 'Autumn sale: 30% off every coat. Shop the coats https://shop.example/coats?utm=mail and the boots https://shop.example/boots. Unsubscribe https://shop.example/unsubscribe?u=7',
    links: ['https://shop.example/coats?utm=mail', 'https://shop.example/boots', 'https://shop.example/unsubscribe?u=7'],
    body: multipart('alternative', 'alt-boundary-2', [
      leaf('text/plain', crlf('Your email client cannot display HTML. View this email in your browser.\n')),
      leaf(
        'text/html',
        crlf(
          '<html><head><style>p { color: red }</style><script>track()</script></head><body>' +
            '<h1>Autumn sale</h1><p>30% off every coat.</p>' +
            '<p><a href="https://shop.example/coats?utm=mail">Shop the coats</a> and the <a href="https://shop.example/boots">boots</a>.</p>' +
            '<p><a href="https://shop.example/unsubscribe?u=7">Unsubscribe</a></p></body></html>\n',
        ),
      ),
    ]),
  }),
  'html-only': () => ({
    from: 'GitHub <noreply@github.example>',
    to: 'alex.smith@example.com',
    subject: '[repo] New issue: crash on start',
    text: 'A new issue was opened: crash on start. View it on GitHub https://github.example/repo/issues/7 or mute the thread https://github.example/notifications/mute?t=abc&x=1.',
    links: ['https://github.example/repo/issues/7', 'https://github.example/notifications/mute?t=abc&x=1', 'https://github.example/settings'],
    body: leaf(
      'text/html',
      crlf(
        '<!DOCTYPE html><html><body><p>A new issue was opened: <b>crash on start</b>.</p>' +
          '<table><tr><td>Reporter</td><td>octo &amp; cat</td></tr></table>' +
          '<p><a href="https://github.example/repo/issues/7">View it on GitHub</a> or ' +
          '<a href="https://github.example/notifications/mute?t=abc&amp;x=1">mute the thread</a>.</p>' +
          '<p>Settings: <a href="https://github.example/settings">https://github.example/settings</a></p></body></html>\n',
      ),
    ),
  }),
  'nested-attachments': () => ({
    from: 'Priya Raman <priya@example.in>',
    to: 'alex.smith@example.com',
    bcc: 'archive@example.com',
    subject: 'Q3 numbers and the files',
    text: 'Here are the Q3 numbers, the report and the raw data.',
    links: [],
    body: multipart('mixed', 'mixed-outer', [
      multipart('alternative', 'mixed-alt', [
        leaf('text/plain', crlf('Here are the Q3 numbers, the report and the raw data.\n\nPriya\n')),
        leaf('text/html', crlf('<p>Here are the Q3 numbers, the report and the raw data.</p><p>Priya</p>\n')),
      ]),
      multipart('mixed', 'mixed-inner', [
        leaf('application/pdf', PDF, { encoding: 'base64', disposition: 'attachment', filename: 'Q3 report.pdf' }),
        leaf('text/csv', crlf('month,revenue\nJuly,100\nAugust,120\nSeptember,130\n'), { disposition: 'attachment', filename: 'data.csv' }),
      ]),
      leaf('text/plain', crlf('# résumé\n'), { disposition: 'attachment', filename: 'résumé.txt', rawFilename: "filename*=UTF-8''r%C3%A9sum%C3%A9.txt" }),
      leaf('application/x-sh', crlf('#!/bin/sh\necho pwned\n'), { encoding: 'base64', disposition: 'attachment', filename: '../../evil.sh' }),
      leaf('application/pdf', PDF, { encoding: 'base64', disposition: 'attachment', filename: 'Q3 report.pdf' }),
    ]),
  }),
  'quoted-printable': () => {
    const line = 'Prices in € went up by 5 % = more than expected; the full table is at https://reports.example.com/q3/prices?region=eu&currency=eur&detail=full&format=table and it is long.';
    return {
      from: 'François Lefèvre <francois@example.fr>',
      to: 'alex.smith@example.com',
      subject: 'Prix du trimestre',
      text: line,
      links: ['https://reports.example.com/q3/prices?region=eu&currency=eur&detail=full&format=table'],
      body: leaf('text/plain', crlf(`${line}\n\nÀ bientôt,\nFrançois\n`)),
    };
  },
  latin1: () => ({
    from: 'José Müller <jose.mueller@example.de>',
    to: 'alex.smith@example.com',
    subject: 'Grüße aus Köln',
    text: 'Grüße aus Köln! Café, crème brûlée, 25 °C, ½ Preis.',
    links: [],
    body: leaf('text/plain', Buffer.from(crlf('Grüße aus Köln! Café, crème brûlée, 25 °C, ½ Preis.\n'), 'latin1'), { encoding: '8bit', params: { charset: 'ISO-8859-1' } }),
  }),
  'shift-jis': () => ({
    from: '田中 太郎 <taro.tanaka@example.jp>',
    to: 'alex.smith@example.com',
    subject: '会議のお知らせ',
    text: SHIFT_JIS_TEXT,
    links: [],
    body: leaf('text/plain', Buffer.concat([SHIFT_JIS_BYTES, Buffer.from('\r\n')]), { encoding: 'base64', params: { charset: 'Shift_JIS' } }),
  }),
  'encoded-subject': () => ({
    from: 'Renée Zoë <renee@example.com>',
    to: 'alex.smith@example.com',
    subject: 'Café crème✓ und Grüße',
    rawSubject: '=?ISO-8859-1?Q?Caf=E9_cr=E8me?= =?UTF-8?B?4pyT?= und =?utf-8?q?Gr=C3=BC=C3=9Fe?=',
    text: 'The subject is in three encoded words.',
    links: [],
    body: leaf('text/plain', crlf('The subject is in three encoded words.\n'), { encoding: '7bit', params: { charset: 'us-ascii' } }),
  }),
  'large-body': () => {
    large ??= largeText();
    return {
      from: 'notifications@calendar.example.com',
      to: 'alex.smith@example.com',
      subject: 'The whole log (over 1 MB)',
      text: large.slice(0, 300),
      links: [],
      body: leaf('text/plain', large, { encoding: 'base64' }),
    };
  },
  'inline-image': () => ({
    from: 'Amazon.example <shipment-tracking@amazon.example>',
    to: 'alex.smith@example.com',
    subject: 'Your parcel is on its way',
    text: 'Your parcel is on its way. Track it https://track.example/p/123',
    links: ['https://track.example/p/123'],
    body: multipart('related', 'related-1', [
      leaf('text/html', crlf('<p><img src="cid:logo@amazon.example" alt="Amazon logo"></p><p>Your parcel is on its way. <a href="https://track.example/p/123">Track it</a></p>\n')),
      leaf('image/png', PNG, { encoding: 'base64', disposition: 'inline', filename: 'logo.png', contentId: 'logo@amazon.example' }),
    ]),
  }),
  'unknown-charset': () => ({
    from: 'legacy@old-system.example',
    to: 'alex.smith@example.com',
    subject: 'Report from the old system',
    text: 'Status: ok. Temperature: 21 degrees.',
    links: [],
    body: leaf('text/plain', Buffer.concat([Buffer.from('Status: ok. Temperature: 21 '), Buffer.from([0xb0, 0xfe]), Buffer.from(' degrees.\r\n')]), {
      encoding: '8bit',
      params: { charset: 'x-no-such-charset' },
    }),
  }),
  // Gmail keeps a part apart (attachmentId) when it has a file name and bytes; a part without
  // a name is inlined in body.data however it is disposed, and an empty one has neither.
  'small-attachments': () => ({
    from: 'Office Desk <desk@office.example>',
    to: 'alex.smith@example.com',
    subject: 'Five files, three without an attachment id',
    text: 'The invite, the receipt, an empty log, the floor plan and the notes.',
    links: [],
    body: multipart('mixed', 'mixed-small', [
      leaf('text/plain', crlf('The invite, the receipt, an empty log, the floor plan and the notes.\n')),
      leaf('text/calendar', INVITE, { params: { charset: 'UTF-8', method: 'REQUEST' }, disposition: 'attachment' }),
      leaf('application/pdf', PDF, { encoding: 'base64', disposition: 'attachment', filename: 'receipt.pdf' }),
      leaf('text/plain', Buffer.alloc(0), { encoding: '7bit', disposition: 'attachment', filename: 'empty.log' }),
      leaf('image/png', PNG, { encoding: 'base64', disposition: 'inline', contentId: 'plan@office.example' }),
      leaf('text/plain', crlf('Bring the receipt.\nRoom 4.\n'), { disposition: 'attachment', filename: 'notes.txt' }),
    ]),
  }),
  // A 22 KB HTML mail of 2,000 nested <div>s (issue #23): deeper than a recursive renderer can walk.
  'deep-html': () => ({
    from: 'Nesting <nest@deep.example>',
    to: 'alex.smith@example.com',
    subject: 'Two thousand boxes deep',
    text: 'Before the boxes. Deep inside the boxes: the prize https://deep.example/prize After the boxes.',
    links: ['https://deep.example/prize'],
    body: leaf(
      'text/html',
      `<p>Before the boxes.</p>${'<div>'.repeat(DEEP_HTML_LEVELS)}Deep inside the boxes: <a href="https://deep.example/prize">the prize</a>${'</div>'.repeat(DEEP_HTML_LEVELS)}<p>After the boxes.</p>\r\n`,
    ),
  }),
};

/** How deep the deep-html hard case nests its <div>s. */
export const DEEP_HTML_LEVELS = 2_000;

const built = new Map<HardCaseName, HardCase>();

/** Built once per process: mailboxes of 100,000 messages hold thousands of hard cases. */
export function hardCase(name: HardCaseName): HardCase {
  let found = built.get(name);
  if (!found) built.set(name, (found = CASES[name]()));
  return found;
}

/** The text that ends the large body: a reader that truncates does not show it. */
export const LARGE_BODY_END = LARGE_END;
export { SHIFT_JIS_TEXT };
