import type { gmail_v1 } from '@googleapis/gmail';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { GmailClient } from '../../src/gmail/client.js';
import { listIdPages, listMessageIds, listMessageSummaries, type ListDeps, type ListQuery } from '../../src/gmail/listing.js';
import { decodeHtmlEntities, toSummary } from '../../src/gmail/message.js';

type ListParams = gmail_v1.Params$Resource$Users$Messages$List;
type GetParams = gmail_v1.Params$Resource$Users$Messages$Get;

interface FakeGmail {
  deps: ListDeps;
  /** Every request in the order made: "list:<pageToken|first>:<maxResults>" or "get:<id>". */
  log: string[];
  listParams: ListParams[];
}

/**
 * A mailbox served in fixed pages: page i answers with `pages[i]` and a token for page i+1
 * (none after the last). `endless` keeps answering with fresh ids forever.
 */
function fakeGmail(options: {
  pages?: string[][];
  endless?: boolean;
  missing?: Set<string>;
  failing?: Set<string>;
  estimate?: number;
}): FakeGmail {
  const log: string[] = [];
  const listParams: ListParams[] = [];
  const pages = options.pages ?? [];
  const gmail = {
    users: {
      messages: {
        list: async (params: ListParams) => {
          listParams.push(params);
          log.push(`list:${params.pageToken ?? 'first'}:${params.maxResults}`);
          await Promise.resolve();
          const index = params.pageToken ? Number(params.pageToken.slice(1)) : 0;
          const ids = options.endless
            ? Array.from({ length: params.maxResults ?? 100 }, (_, i) => `m${index}-${i}`)
            : (pages[index] ?? []);
          const last = !options.endless && index >= pages.length - 1;
          return {
            data: {
              messages: ids.map((id) => ({ id, threadId: `t-${id}` })),
              resultSizeEstimate: options.estimate ?? 42,
              ...(last ? {} : { nextPageToken: `p${index + 1}` }),
            },
          };
        },
        get: async (params: GetParams) => {
          const id = params.id as string;
          log.push(`get:${id}`);
          await Promise.resolve();
          if (options.missing?.has(id)) throw Object.assign(new Error('Not Found'), { response: { status: 404, data: {} } });
          if (options.failing?.has(id)) throw Object.assign(new Error('Backend Error'), { response: { status: 500, data: {} } });
          return {
            data: {
              id,
              threadId: `t-${id}`,
              labelIds: ['INBOX'],
              internalDate: '1700000000000',
              snippet: 'hi &amp; bye',
              payload: { headers: [{ name: 'Subject', value: `subject ${id}` }] },
            },
          };
        },
      },
    },
  } as unknown as GmailClient;
  const deps: ListDeps = { gmail, call: (_doing, request) => request(), signal: new AbortController().signal };
  return { deps, log, listParams };
}

const query = (overrides: Partial<ListQuery> = {}): ListQuery => ({ labelIds: [], includeSpamTrash: false, ...overrides });
const flush = async (): Promise<void> => {
  for (let i = 0; i < 20; i += 1) await new Promise((resolve) => setImmediate(resolve));
};

async function collectIds(fake: FakeGmail, q: ListQuery, pageSize?: number): Promise<string[][]> {
  const out: string[][] = [];
  for await (const page of listIdPages(fake.deps, q, pageSize)) out.push(page.ids.map((m) => m.id as string));
  return out;
}

describe('toSummary', () => {
  it('reads the headers whatever their case, and the date as ISO UTC', () => {
    const summary = toSummary({
      id: 'abc',
      threadId: 'thr',
      labelIds: ['INBOX', 'UNREAD'],
      internalDate: '1700000000123',
      snippet: 'It&#39;s &quot;fine&quot; &amp; done',
      payload: {
        headers: [
          { name: 'FROM', value: 'Ada <ada@example.com>' },
          { name: 'to', value: 'me@example.com' },
          { name: 'sUbJeCt', value: 'Hello' },
        ],
      },
    });
    expect(summary).toEqual({
      id: 'abc',
      threadId: 'thr',
      labelIds: ['INBOX', 'UNREAD'],
      date: '2023-11-14T22:13:20.123Z',
      from: 'Ada <ada@example.com>',
      to: 'me@example.com',
      subject: 'Hello',
      snippet: 'It\'s "fine" & done',
    });
  });

  it('gives "" for every absent field rather than undefined', () => {
    expect(toSummary({})).toEqual({ id: '', threadId: '', labelIds: [], date: '', from: '', to: '', subject: '', snippet: '' });
    expect(toSummary({ payload: { headers: [{ name: 'Subject' }, { value: 'orphan' }] } }).subject).toBe('');
  });

  it('an unreadable internalDate gives an empty date', () => {
    expect(toSummary({ internalDate: 'yesterday' }).date).toBe('');
    expect(toSummary({ internalDate: '' }).date).toBe('');
  });

  it('an out-of-range internalDate gives an empty date instead of ending the listing', () => {
    expect(toSummary({ id: 'x', internalDate: '9000000000000000' }).date).toBe('');
  });

  it('takes the first of repeated headers', () => {
    expect(
      toSummary({
        payload: {
          headers: [
            { name: 'Subject', value: 'first' },
            { name: 'Subject', value: 'second' },
          ],
        },
      }).subject,
    ).toBe('first');
  });
});

describe('decodeHtmlEntities', () => {
  it('decodes the named entities Gmail uses, in any case', () => {
    expect(decodeHtmlEntities('&amp; &lt; &gt; &quot; &apos; &nbsp; &AMP;')).toBe('& < > " \' \u00a0 &');
  });

  it('decodes decimal and hexadecimal references', () => {
    expect(decodeHtmlEntities('&#39;&#x41;&#X42;&#128230;&#x1F4E6;')).toBe("'AB📦📦");
  });

  it('leaves unknown names and invalid code points as they are', () => {
    expect(decodeHtmlEntities('&copy; &bogus; &#0; &#x110000; &#99999999999999999999; & ;')).toBe(
      '&copy; &bogus; &#0; &#x110000; &#99999999999999999999; & ;',
    );
  });

  it('decodes once: an escaped entity stays an entity', () => {
    expect(decodeHtmlEntities('&amp;lt;')).toBe('&lt;');
  });

  it('leaves a reference to a surrogate half alone', () => {
    expect(decodeHtmlEntities('&#xD800;')).toBe('&#xD800;');
  });

  it('text without "&" is returned unchanged', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 100 }).filter((s) => !s.includes('&')), (text) => {
        expect(decodeHtmlEntities(text)).toBe(text);
      }),
    );
  });

  it('decodes any non-surrogate code point written as decimal or hex', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 0x10ffff }).filter((c) => c < 0xd800 || c > 0xdfff),
        fc.boolean(),
        (code, hex) => {
          const ref = hex ? `&#x${code.toString(16)};` : `&#${code};`;
          expect(decodeHtmlEntities(`a${ref}b`)).toBe(`a${String.fromCodePoint(code)}b`);
        },
      ),
    );
  });
});

describe('listIdPages', () => {
  it('follows nextPageToken to the last page and keeps the API order', async () => {
    const fake = fakeGmail({ pages: [['a', 'b'], ['c'], ['d', 'e']] });
    expect(await collectIds(fake, query())).toEqual([['a', 'b'], ['c'], ['d', 'e']]);
    expect(fake.log).toEqual(['list:first:500', 'list:p1:500', 'list:p2:500']);
  });

  it('passes the query, labels and spam/trash choice to every page request', async () => {
    const fake = fakeGmail({ pages: [['a'], ['b']] });
    await collectIds(fake, query({ query: 'is:unread', labelIds: ['INBOX', 'Label_1'], includeSpamTrash: true }));
    for (const params of fake.listParams) {
      expect(params).toMatchObject({ userId: 'me', q: 'is:unread', labelIds: ['INBOX', 'Label_1'], includeSpamTrash: true });
    }
    const plain = fakeGmail({ pages: [['a']] });
    await collectIds(plain, query());
    expect(plain.listParams[0]).not.toHaveProperty('q');
    expect(plain.listParams[0]).not.toHaveProperty('labelIds');
    expect(plain.listParams[0]).not.toHaveProperty('includeSpamTrash');
  });

  it('stops at --max, asking only for as many as are still needed, and requests no page beyond', async () => {
    const fake = fakeGmail({ pages: [['a', 'b', 'c'], ['d', 'e', 'f'], ['g', 'h', 'i']] });
    expect(await collectIds(fake, query({ max: 5 }), 3)).toEqual([
      ['a', 'b', 'c'],
      ['d', 'e'],
    ]);
    expect(fake.log).toEqual(['list:first:3', 'list:p1:2']);
  });

  it('with --max equal to the first page, makes a single request', async () => {
    const fake = fakeGmail({ pages: [['a', 'b', 'c'], ['d']] });
    expect(await collectIds(fake, query({ max: 3 }), 3)).toEqual([['a', 'b', 'c']]);
    expect(fake.log).toEqual(['list:first:3']);
  });

  it('a page that holds more than asked is cut to --max', async () => {
    const fake = fakeGmail({ pages: [['a', 'b', 'c', 'd']] });
    expect(await collectIds(fake, query({ max: 2 }))).toEqual([['a', 'b']]);
  });

  it('lists each message once when pages overlap (mail arrived while paging)', async () => {
    const fake = fakeGmail({ pages: [['a', 'b'], ['b', 'c'], ['a', 'd']] });
    expect((await collectIds(fake, query())).flat()).toEqual(['a', 'b', 'c', 'd']);
  });

  it('lists a message once even when one page repeats it', async () => {
    const fake = fakeGmail({ pages: [['d', 'd', 'e']] });
    expect((await collectIds(fake, query())).flat()).toEqual(['d', 'e']);
  });

  it('counts only new messages towards --max', async () => {
    const fake = fakeGmail({ pages: [['a', 'b'], ['b', 'c'], ['d', 'e']] });
    expect((await collectIds(fake, query({ max: 4 }), 2)).flat()).toEqual(['a', 'b', 'c', 'd']);
  });

  it('skips empty pages and entries without an id, but keeps following the token', async () => {
    const fake = fakeGmail({ pages: [[], ['a'], [], ['b']] });
    expect(await collectIds(fake, query())).toEqual([['a'], ['b']]);
  });

  it('reports the first page\'s estimate on every page', async () => {
    const fake = fakeGmail({ pages: [['a'], ['b']], estimate: 7 });
    const estimates: number[] = [];
    for await (const page of listIdPages(fake.deps, query())) estimates.push(page.resultSizeEstimate);
    expect(estimates).toEqual([7, 7]);
  });

  it('asks for the next page before handing over the current one', async () => {
    const fake = fakeGmail({ pages: [['a'], ['b'], ['c']] });
    const pages = listIdPages(fake.deps, query());
    const first = await pages.next();
    expect(first.done ? [] : first.value.ids.map((m) => m.id)).toEqual(['a']);
    expect(fake.log).toEqual(['list:first:500', 'list:p1:500']);
    await pages.return(undefined);
  });

  it('stops requesting pages when the consumer stops reading', async () => {
    const fake = fakeGmail({ endless: true });
    let seen = 0;
    for await (const page of listIdPages(fake.deps, query(), 10)) {
      seen += page.ids.length;
      if (seen >= 20) break;
    }
    await flush();
    const requests = fake.log.length;
    // Two pages read, at most one more prefetched.
    expect(requests).toBeLessThanOrEqual(3);
    await flush();
    expect(fake.log.length).toBe(requests);
  });

  it('for any pages and any --max, yields each id once, in first-seen order, at most max of them', async () => {
    await fc.assert(
      fc.asyncProperty(
        // Ids repeat across pages, not within one ('lists a message once even when one page repeats it' covers that).
        fc.array(fc.uniqueArray(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'), { maxLength: 5 }), { minLength: 1, maxLength: 5 }),
        fc.option(fc.integer({ min: 1, max: 10 }), { nil: undefined }),
        async (pages, max) => {
          const fake = fakeGmail({ pages });
          const got = (await collectIds(fake, query(max === undefined ? {} : { max }), 5)).flat();
          const expected = [...new Set(pages.flat())].slice(0, max ?? Infinity);
          expect(got).toEqual(expected);
          for (const params of fake.listParams) expect(params.maxResults).toBeGreaterThan(0);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('listMessageIds', () => {
  it('turns id pages into summaries with only the id and thread id filled in', async () => {
    const fake = fakeGmail({ pages: [['a']] });
    const pages = [];
    for await (const page of listMessageIds(fake.deps, query())) pages.push(page);
    expect(pages).toEqual([
      {
        messages: [{ id: 'a', threadId: 't-a', labelIds: [], date: '', from: '', to: '', subject: '', snippet: '' }],
        resultSizeEstimate: 42,
      },
    ]);
    expect(fake.log.some((entry) => entry.startsWith('get:'))).toBe(false);
  });
});

describe('listMessageSummaries', () => {
  async function collect(fake: FakeGmail, q: ListQuery): Promise<string[][]> {
    const out: string[][] = [];
    for await (const page of listMessageSummaries(fake.deps, q)) out.push(page.messages.map((m) => m.id));
    return out;
  }

  it('fetches metadata for every listed message and keeps the API order within and across pages', async () => {
    const fake = fakeGmail({ pages: [['c', 'a', 'b'], ['e', 'd']] });
    expect(await collect(fake, query())).toEqual([
      ['c', 'a', 'b'],
      ['e', 'd'],
    ]);
    expect(fake.log.filter((e) => e.startsWith('list:'))).toEqual(['list:first:100', 'list:p1:100']);
  });

  it('asks for metadata in the metadata format, with the four headers', async () => {
    const fake = fakeGmail({ pages: [['a']] });
    const calls: GetParams[] = [];
    const get = fake.deps.gmail.users.messages.get.bind(fake.deps.gmail.users.messages) as unknown as (p: GetParams) => Promise<unknown>;
    (fake.deps.gmail.users.messages as unknown as { get: (p: GetParams) => Promise<unknown> }).get = (p) => {
      calls.push(p);
      return get(p);
    };
    const pages = [];
    for await (const page of listMessageSummaries(fake.deps, query())) pages.push(page);
    expect(calls).toEqual([{ userId: 'me', id: 'a', format: 'metadata', metadataHeaders: ['From', 'To', 'Subject', 'Date'] }]);
    expect(pages[0]?.messages[0]).toMatchObject({ id: 'a', subject: 'subject a', snippet: 'hi & bye', date: '2023-11-14T22:13:20.000Z' });
  });

  it('leaves out messages deleted between the list and the get (404)', async () => {
    const fake = fakeGmail({ pages: [['a', 'b', 'c']], missing: new Set(['b']) });
    expect(await collect(fake, query())).toEqual([['a', 'c']]);
  });

  it('any other failure of a get ends the listing with that error', async () => {
    const fake = fakeGmail({ pages: [['a', 'b']], failing: new Set(['b']) });
    await expect(collect(fake, query())).rejects.toThrow('Backend Error');
  });

  it('runs every get through the session call, which may refresh or map errors', async () => {
    const fake = fakeGmail({ pages: [['a', 'b']] });
    const doing: string[] = [];
    fake.deps.call = (what, request) => {
      doing.push(what);
      return request();
    };
    await collect(fake, query());
    expect(doing.filter((d) => d === 'listing messages')).toHaveLength(1);
    expect(doing.filter((d) => d === 'reading message metadata')).toHaveLength(2);
  });

  it('has the next list page requested, and its metadata started, before the consumer gets the first page', async () => {
    const fake = fakeGmail({ pages: [['a'], ['b'], ['c']] });
    const pages = listMessageSummaries(fake.deps, query());
    const first = await pages.next();
    expect(first.done ? [] : first.value.messages.map((m) => m.id)).toEqual(['a']);
    expect(fake.log).toContain('list:p1:100');
    expect(fake.log).toContain('get:b');
    // …but runs no further ahead than one page of metadata.
    expect(fake.log).not.toContain('get:c');
    await pages.return(undefined);
  });

  it('stops issuing requests when the consumer breaks out', async () => {
    const fake = fakeGmail({ endless: true });
    for await (const page of listMessageSummaries(fake.deps, query())) {
      expect(page.messages).toHaveLength(100);
      break;
    }
    await flush();
    const requests = fake.log.length;
    // First page of 100, the one running ahead (100 gets), and at most one more list request.
    expect(fake.log.filter((e) => e.startsWith('list:')).length).toBeLessThanOrEqual(3);
    expect(fake.log.filter((e) => e.startsWith('get:')).length).toBeLessThanOrEqual(200);
    await flush();
    expect(fake.log.length).toBe(requests);
  });

  it('stops at --max across pages', async () => {
    const fake = fakeGmail({ endless: true });
    const pages = await collect(fake, query({ max: 150 }));
    expect(pages.map((p) => p.length)).toEqual([100, 50]);
    expect(fake.log.filter((e) => e.startsWith('list:'))).toEqual(['list:first:100', 'list:p1:50']);
    expect(fake.log.filter((e) => e.startsWith('get:'))).toHaveLength(150);
  });
});
