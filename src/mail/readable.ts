/**
 * The body a person reads: the text/plain alternative when it is a real one, else the HTML
 * turned into text with every link kept as `text <url>`. html-to-text is loaded only when a
 * message needs it.
 */
interface ReadableBody {
  text: string;
  /** Where the text came from. */
  source: 'text/plain' | 'text/html' | 'none';
  /** The HTML nested deeper than MAX_HTML_DEPTH: what lies deeper was read as flatter text. */
  flattened?: true;
}

/** `text`: the text/plain bodies, `html`: the text/html ones; undefined when the message has none. */
export async function readableBody(mail: { text: string | undefined; html: string | undefined }): Promise<ReadableBody> {
  const plain = mail.text === undefined ? undefined : normalizeLines(mail.text);
  if (mail.html === undefined || mail.html.trim() === '') {
    return plain === undefined ? { text: '', source: 'none' } : { text: plain, source: 'text/plain' };
  }
  if (plain !== undefined && !isStub(plain)) return { text: plain, source: 'text/plain' };
  const { text, flattened } = await htmlToReadable(mail.html);
  return { text, source: 'text/html', ...(flattened ? { flattened } : {}) };
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
function isStub(plain: string): boolean {
  const text = plain.trim();
  return text === '' || (text.length < 400 && STUB_PHRASES.test(text));
}

export async function htmlToText(html: string): Promise<string> {
  return (await htmlToReadable(html)).text;
}

/**
 * How deep the HTML may nest for the renderer: html-to-text walks the tree recursively, and
 * 2,000 nested <div>s (22 KB of mail) overflowed the stack ("Maximum call stack size
 * exceeded"), after seconds of CPU for deeper ones. Real mail nests a few dozen levels.
 */
export const MAX_HTML_DEPTH = 200;

/** The HTML as text; `flattened` when it nested deeper than the renderer can walk. */
async function htmlToReadable(html: string): Promise<{ text: string; flattened: boolean }> {
  const flatter = flattenDeepHtml(html, MAX_HTML_DEPTH);
  const { convert } = await import('html-to-text');
  const text = convert(flatter ?? html, {
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
  return { text: normalizeLines(text), flattened: flatter !== undefined };
}

// Tags that hold no content, and tags whose end the parser implies (an unclosed <p> or <li>
// is closed by the next one): neither makes the tree deeper.
const VOID_TAGS = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'source', 'track', 'wbr']);
const IMPLIED_END = new Set(['p', 'li', 'dt', 'dd', 'tr', 'td', 'th', 'option', 'optgroup', 'thead', 'tbody', 'tfoot', 'rb', 'rt', 'rp']);
// Tags that break a line: dropped beyond the depth, they leave a <br> so that words do not run together.
const BLOCK_TAGS = new Set(['address', 'article', 'aside', 'blockquote', 'center', 'dd', 'div', 'dl', 'dt', 'figure', 'footer', 'form', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'header', 'li', 'main', 'nav', 'ol', 'p', 'pre', 'section', 'table', 'tr', 'ul']);
const TOKEN = /<!--[\s\S]*?(?:-->|$)|<(\/?)([a-zA-Z][\w:-]*)((?:[^>"']|"[^"]*"|'[^']*')*)>|[^<]+|</g;

/**
 * The HTML with every tag nested deeper than `maxDepth` taken out — its text kept, a block's
 * end kept as one line break, a link's address kept as ` <url>` after its text — so that the
 * renderer walks at most `maxDepth` levels; undefined when the HTML is not that deep (it is
 * rendered as it is). One pass over the tags, no recursion: any depth costs linear time.
 */
function flattenDeepHtml(html: string, maxDepth: number): string | undefined {
  if (!nestsDeeperThan(html, maxDepth)) return undefined;
  const out: string[] = [];
  const open: Array<{ name: string; kept: boolean; href?: string }> = [];
  let lastWasBreak = false;
  const push = (piece: string, isBreak = false): void => {
    if (isBreak && lastWasBreak) return;
    out.push(piece);
    lastWasBreak = isBreak;
  };
  for (const match of html.matchAll(TOKEN)) {
    const [token, closing, rawName, attributes] = match;
    if (rawName === undefined) {
      if (!token.startsWith('<!--')) push(token);
      continue;
    }
    const name = rawName.toLowerCase();
    if (!closing) {
      if (VOID_TAGS.has(name) || attributes?.trimEnd().endsWith('/')) {
        if (open.length < maxDepth) push(token);
        else if (name === 'br') push('<br>', true);
        continue;
      }
      if (IMPLIED_END.has(name) && open.at(-1)?.name === name) closeTop(open.length - 1);
      const kept = open.length < maxDepth;
      const href = !kept && name === 'a' ? /\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/i.exec(attributes ?? '') : null;
      open.push({ name, kept, ...(href ? { href: href[1] ?? href[2] ?? href[3] ?? '' } : {}) });
      if (kept) push(token);
      else if (BLOCK_TAGS.has(name)) push('<br>', true);
      continue;
    }
    const index = open.map((element) => element.name).lastIndexOf(name);
    if (index >= 0) closeTop(index);
  }
  while (open.length > 0) closeTop(open.length - 1);
  return out.join('');

  /** Ends the elements from the top of the stack down to `index`, as the parser would. */
  function closeTop(index: number): void {
    while (open.length > index) {
      const element = open.pop()!;
      if (element.kept) push(`</${element.name}>`);
      else if (element.href) push(` &lt;${element.href}&gt;`);
      else if (BLOCK_TAGS.has(element.name)) push('<br>', true);
    }
  }
}

/** Whether the elements nest deeper than `maxDepth` (counted as flattenDeepHtml counts them). */
function nestsDeeperThan(html: string, maxDepth: number): boolean {
  const open: string[] = [];
  for (const match of html.matchAll(TOKEN)) {
    const [, closing, rawName, attributes] = match;
    if (rawName === undefined) continue;
    const name = rawName.toLowerCase();
    if (closing) {
      const index = open.lastIndexOf(name);
      if (index >= 0) open.length = index;
    } else if (!VOID_TAGS.has(name) && !attributes?.trimEnd().endsWith('/')) {
      if (IMPLIED_END.has(name) && open.at(-1) === name) open.pop();
      open.push(name);
      if (open.length > maxDepth) return true;
    }
  }
  return false;
}
