/**
 * The body a person reads: the text/plain alternative when it is a real one, else the HTML
 * turned into text with every link kept as `text <url>`. html-to-text is loaded only when a
 * message needs it.
 */
export interface ReadableBody {
  text: string;
  /** Where the text came from. */
  source: 'text/plain' | 'text/html' | 'none';
}

/** `text`: the text/plain bodies, `html`: the text/html ones; undefined when the message has none. */
export async function readableBody(mail: { text: string | undefined; html: string | undefined }): Promise<ReadableBody> {
  const plain = mail.text === undefined ? undefined : normalizeLines(mail.text);
  if (mail.html === undefined || mail.html.trim() === '') {
    return plain === undefined ? { text: '', source: 'none' } : { text: plain, source: 'text/plain' };
  }
  if (plain !== undefined && !isStub(plain)) return { text: plain, source: 'text/plain' };
  return { text: await htmlToText(mail.html), source: 'text/html' };
}

/** CRLF and lone CR become LF; trailing blank lines go. */
function normalizeLines(text: string): string {
  return text.replace(/\r\n?/g, '\n').replace(/\s+$/, '');
}

// What senders put in the text/plain alternative when they only mean the HTML.
const STUB_PHRASES =
  /(view|read|open|see)\b.{0,40}\b(in|with) (a|your) (web )?browser|(does not|doesn't|cannot|can't|unable to) (display|show|support|render|read) (html|this (e-?mail|message))|html[- ](capable|enabled|compatible)|enable html/i;

/**
 * A text/plain part is a stub when it is empty, or short and only says to look at the HTML.
 * A short real message ("Thanks!") is not a stub: only the phrases above make one.
 */
export function isStub(plain: string): boolean {
  const text = plain.trim();
  return text === '' || (text.length < 400 && STUB_PHRASES.test(text));
}

export async function htmlToText(html: string): Promise<string> {
  const { convert } = await import('html-to-text');
  const text = convert(html, {
    // Lines as the sender broke them; a terminal or a pager wraps, and URLs stay whole.
    wordwrap: false,
    selectors: [
      { selector: 'a', options: { linkBrackets: ['<', '>'], hideLinkIfSameAsText: true, noAnchorUrl: true } },
      // An inline image is listed with the attachments, after the body.
      { selector: 'img', format: 'skip' },
      { selector: 'h1', options: { uppercase: false } },
      { selector: 'h2', options: { uppercase: false } },
      { selector: 'h3', options: { uppercase: false } },
      { selector: 'table', format: 'dataTable' },
    ],
  });
  return normalizeLines(text);
}
