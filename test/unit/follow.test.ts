/** The follow loop (src/gmail/follow.ts) against a scripted Gmail and a clock that never waits. */
import { describe, expect, it } from 'vitest';
import { checkFollowFlags, idleText } from '../../src/commands/list-follow.js';
import { parseInterval } from '../../src/commands/options.js';
import { GoogleApiError, UsageError } from '../../src/basics/errors.js';
import { followMailbox, isOutage, RecentIds, type FollowEvent } from '../../src/gmail/follow.js';
import type { ListDeps } from '../../src/gmail/listing.js';

interface Scripted {
  /** Each poll's answer: added ids (record ids follow), or a failure to throw. */
  polls: Array<string[] | Error | 'expired'>;
  /** Ids that answer 404 this many times before they are served. */
  notReady?: Record<string, number>;
  /** Ids the query matches. */
  matching: Set<string>;
  labels?: Record<string, string[]>;
}

function scriptedGmail(script: Scripted) {
  const calls: string[] = [];
  let history = 100;
  const notReady = { ...script.notReady };
  const controller = new AbortController();
  const gmail = {
    users: {
      history: {
        list: async () => {
          calls.push('history');
          const next = script.polls.shift();
          if (next === undefined) {
            controller.abort();
            return { data: { historyId: String(history) } };
          }
          if (next instanceof Error) throw next;
          if (next === 'expired') throw Object.assign(new Error('gone'), { response: { status: 404, data: {} } });
          const records = next.map((id) => ({ id: String((history += 3)), messagesAdded: [{ message: { id } }] }));
          return { data: { history: records, historyId: String(history) } };
        },
      },
      messages: {
        get: async ({ id }: { id: string }) => {
          calls.push(`get ${id}`);
          if ((notReady[id] ?? 0) > 0) {
            notReady[id]! -= 1;
            throw Object.assign(new Error('not found'), { response: { status: 404, data: {} } });
          }
          return { data: { id, threadId: id, internalDate: '1790000000000', labelIds: script.labels?.[id] ?? ['INBOX'], payload: { headers: [] } } };
        },
        list: async ({ q }: { q?: string }) => {
          calls.push(`list ${q}`);
          return { data: { messages: [...script.matching].map((id) => ({ id, threadId: id })), resultSizeEstimate: script.matching.size } };
        },
      },
      getProfile: async () => {
        calls.push('profile');
        return { data: { historyId: String((history += 3)) } };
      },
    },
  };
  const deps = { gmail, call: (_doing: string, request: () => Promise<unknown>) => request(), signal: controller.signal } as unknown as ListDeps;
  return { deps, calls };
}

const clock = { now: () => 0, sleep: async () => undefined };

async function events(script: Scripted, query = 'subject:x'): Promise<{ events: FollowEvent[]; calls: string[] }> {
  const { deps, calls } = scriptedGmail(script);
  const seen: FollowEvent[] = [];
  const options = { query: { query, labelIds: [], includeSpamTrash: false }, from: '100', intervalMs: 5000, clock };
  for await (const event of followMailbox(deps, options)) seen.push(event);
  return { events: seen, calls };
}

const printed = (list: FollowEvent[]) => list.flatMap((e) => (e.kind === 'message' ? [e.message.id] : []));

describe('following', () => {
  it('an idle poll is one history call; K new messages cost K gets and one list call', async () => {
    const { events: seen, calls } = await events({ polls: [[], ['a', 'b', 'c'], []], matching: new Set(['a', 'c']) });
    expect(printed(seen)).toEqual(['a', 'c']);
    expect(calls.filter((c) => c.startsWith('list'))).toHaveLength(1);
    expect(calls.filter((c) => c === 'history')).toHaveLength(4);
    expect(calls.filter((c) => c.startsWith('get'))).toEqual(['get a', 'get b', 'get c']);
  });

  it('each message carries the history position to resume after it; a poll ends with where it got to', async () => {
    const { events: seen } = await events({ polls: [['a', 'b']], matching: new Set(['a', 'b']) });
    expect(seen.slice(0, 3)).toEqual([
      expect.objectContaining({ kind: 'message', historyId: '103' }),
      expect.objectContaining({ kind: 'message', historyId: '106' }),
      expect.objectContaining({ kind: 'checked', historyId: '106' }),
    ]);
  });

  it('without a query, spam, trash and missing labels are decided from the message, with no list call', async () => {
    const { events: seen, calls } = await events({ polls: [['a', 'b']], matching: new Set(), labels: { b: ['SPAM'] } }, '');
    expect(printed(seen)).toEqual(['a']);
    expect(calls.some((c) => c.startsWith('list'))).toBe(false);
  });

  it('a message that answers 404 at first is asked again and printed (gog#379); one that never comes is told', async () => {
    const { events: seen } = await events({ polls: [['a', 'b']], matching: new Set(['a', 'b']), notReady: { a: 2, b: 99 } });
    expect(printed(seen)).toEqual(['a']);
    expect(seen).toContainEqual({ kind: 'unreadable', ids: ['b'] });
  });

  it('an outage is told once, and its end once; the mail of the outage is printed after', async () => {
    const down = () => new GoogleApiError('Google answered 503', 503);
    const { events: seen } = await events({ polls: [down(), down(), down(), ['a']], matching: new Set(['a']) });
    expect(seen.map((e) => e.kind).filter((k) => k !== 'checked')).toEqual(['unreachable', 'reachable', 'message']);
  });

  it('a failure that is no outage (a refused query) ends following', async () => {
    await expect(events({ polls: [new GoogleApiError('Invalid query', 400)], matching: new Set() })).rejects.toThrow(/Invalid query/);
  });

  it('a history gap resyncs with a warning and prints only what was not printed', async () => {
    const { events: seen, calls } = await events({ polls: [['a'], 'expired'], matching: new Set(['a', 'b']) });
    expect(printed(seen)).toEqual(['a', 'b']);
    expect(seen.map((e) => e.kind)).toContain('resynced');
    expect(calls).toContain('profile');
  });
});

describe('helpers', () => {
  it('remembers only the newest ids', () => {
    const recent = new RecentIds(2);
    for (const id of ['a', 'b', 'c']) recent.add(id);
    expect([recent.has('a'), recent.has('b'), recent.has('c')]).toEqual([false, true, true]);
  });

  it('outages are network failures, 5xx and rate limits; a 400 or a revoked login is not', () => {
    expect(isOutage(new GoogleApiError('x', undefined))).toBe(true);
    expect(isOutage(new GoogleApiError('x', 503))).toBe(true);
    expect(isOutage(new GoogleApiError('x', 429))).toBe(true);
    expect(isOutage(new GoogleApiError('x', 400))).toBe(false);
    expect(isOutage(new UsageError('x'))).toBe(false);
  });

  it('--interval is whole seconds from 5; json and a lone --interval are refused', () => {
    expect(parseInterval('5')).toBe(5);
    expect(() => parseInterval('4')).toThrow(/5 to 86400/);
    expect(() => parseInterval('2.5')).toThrow();
    expect(() => checkFollowFlags({ follow: true }, 'json')).toThrow(/--format json/);
    expect(() => checkFollowFlags({ interval: 10 }, 'tsv')).toThrow(/needs --follow/);
    expect(() => checkFollowFlags({ follow: true, interval: 10 }, 'table')).not.toThrow();
  });

  it('the idle line says when Gmail was last asked', () => {
    expect(idleText(Date.UTC(2026, 0, 1, 12, 0, 5), 30)).toMatch(/^following: last checked \d\d:\d\d:\d\d, every 30 s/);
  });
});
