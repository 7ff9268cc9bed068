/**
 * Commands take what they need from their context, so a test can hand one an in-memory
 * mailbox where the HTTP emulator would add nothing; and the context builds each piece once.
 */
import type { gmail_v1 } from '@googleapis/gmail';
import { describe, expect, it } from 'vitest';
import type { Mailbox } from '../../src/auth/mailbox.js';
import type { Session } from '../../src/auth/session.js';
import { UsageError } from '../../src/basics/errors.js';
import { createContext } from '../../src/commands/context.js';
import { runList, type ListFlags } from '../../src/commands/list.js';
import { runToken } from '../../src/commands/token.js';
import { fakeTerminal, settle } from './fake-io.js';

interface Stored {
  id: string;
  from: string;
  subject: string;
  date: string;
}

/**
 * A mailbox in memory: users.messages.list pages through `messages` (`pageSize` a page),
 * users.messages.get answers their metadata. `calls` counts the requests a command made.
 */
function inMemoryMailbox(messages: readonly Stored[], pageSize = 2) {
  const calls = { list: 0, get: 0, closed: 0 };
  const controller = new AbortController();
  const metadata = (m: Stored): gmail_v1.Schema$Message => ({
    id: m.id,
    threadId: m.id,
    labelIds: ['INBOX'],
    snippet: '',
    internalDate: String(Date.parse(m.date)),
    payload: { headers: [{ name: 'From', value: m.from }, { name: 'To', value: 'me@example.com' }, { name: 'Subject', value: m.subject }] },
  });
  const gmail = {
    users: {
      messages: {
        async list(params: { pageToken?: string }) {
          calls.list += 1;
          const start = Number(params.pageToken ?? 0);
          const page = messages.slice(start, start + pageSize);
          const next = start + pageSize < messages.length ? String(start + pageSize) : undefined;
          return { data: { messages: page.map((m) => ({ id: m.id, threadId: m.id })), resultSizeEstimate: messages.length, ...(next ? { nextPageToken: next } : {}) } };
        },
        async get(params: { id: string }) {
          calls.get += 1;
          const found = messages.find((m) => m.id === params.id);
          if (!found) throw new Error(`no message ${params.id}`);
          return { data: metadata(found) };
        },
      },
    },
  };
  const mailbox = {
    session: { account: 'ada@example.com' } as Session,
    gmail,
    call: <T>(_doing: string, request: () => Promise<T>) => request(),
    signal: controller.signal,
    pacer: { secondsFor: () => undefined, reserve: async (_units: number, wanted: number) => wanted, observe: () => () => undefined },
    batch: undefined,
    close: async () => void (calls.closed += 1),
  } as unknown as Mailbox;
  return { mailbox, calls };
}

const MESSAGES: Stored[] = [
  { id: '18c1f0e2a5b3d4e1', from: 'Ada <ada@example.com>', subject: 'Engines', date: '2026-01-02T03:04:05Z' },
  { id: '18c1f0e2a5b3d4e2', from: 'Grace <grace@example.com>', subject: 'Compilers', date: '2026-01-03T03:04:05Z' },
  { id: '18c1f0e2a5b3d4e3', from: 'Alan <alan@example.com>', subject: 'Machines', date: '2026-01-04T03:04:05Z' },
];

/** A getter that builds on first use, as the context's own do. */
function once<T>(build: () => Promise<T>): () => Promise<T> {
  let built: Promise<T> | undefined;
  return () => (built ??= build());
}

const LIST: ListFlags = { label: [], cache: false, commit: true };

/** Runs a command with a context whose getters a test may replace. */
async function run(command: Parameters<typeof createContext>[1], act: (context: ReturnType<typeof createContext>) => Promise<void>) {
  const terminal = fakeTerminal({ env: {} });
  const context = createContext({ io: terminal.io, env: {}, signal: new AbortController().signal }, command);
  await act(context);
  await terminal.io.flush();
  await settle();
  return { out: terminal.out(), err: terminal.err() };
}

describe('a command given an in-memory mailbox (no HTTP, no files)', () => {
  it('list --format tsv writes each message the mailbox holds, in its order, across its pages, and closes the mailbox', async () => {
    const { mailbox, calls } = inMemoryMailbox(MESSAGES);
    const asked: Array<string | undefined> = [];
    const { out } = await run({ mailbox: async (account) => (asked.push(account), mailbox) }, (context) => runList(context, { ...LIST, format: 'tsv', account: 'ada@example.com' }));
    expect(out).toBe(
      '18c1f0e2a5b3d4e1\t2026-01-02T03:04:05.000Z\tAda <ada@example.com>\tEngines\n' +
        '18c1f0e2a5b3d4e2\t2026-01-03T03:04:05.000Z\tGrace <grace@example.com>\tCompilers\n' +
        '18c1f0e2a5b3d4e3\t2026-01-04T03:04:05.000Z\tAlan <alan@example.com>\tMachines\n',
    );
    expect(asked).toEqual(['ada@example.com']);
    expect(calls).toEqual({ list: 2, get: 3, closed: 1 });
  });

  it('list --format ids makes list calls only, and stops at --max', async () => {
    const { mailbox, calls } = inMemoryMailbox(MESSAGES);
    const { out } = await run({ mailbox: async () => mailbox }, (context) => runList(context, { ...LIST, format: 'ids', max: 2 }));
    expect(out).toBe('18c1f0e2a5b3d4e1\n18c1f0e2a5b3d4e2\n');
    expect(calls.get).toBe(0);
  });

  it('token prints the access token of the session the context gives it', async () => {
    let closed = 0;
    const session = { canRefresh: true, accessToken: async () => 'ya29.in-memory', close: async () => void (closed += 1) } as unknown as Session;
    const { out } = await run({ session: async () => session }, (context) => runToken(context, {}));
    expect(out).toBe('ya29.in-memory\n');
    expect(closed).toBe(1);
  });
});

describe('the command context', () => {
  it('parses the settings from the environment once, and answers the same object after', () => {
    const context = createContext({ io: fakeTerminal().io, env: { GMAILCTL_HTTP_TIMEOUT_MS: '1234' }, signal: new AbortController().signal });
    const first = context.google();
    expect(first.requestTimeoutMs).toBe(1234);
    expect(context.google()).toBe(first);
  });

  it('builds the workspace once, from config.json read once for it and for the account alike', async () => {
    let reads = 0;
    const config = async () => (reads++, { configDir: '/nowhere', settings: { tokenStore: 'file' as const, accounts: ['ada@example.com'] } });
    const context = createContext({ io: fakeTerminal().io, env: {}, signal: new AbortController().signal }, { config: once(config) });
    const [a, b] = await Promise.all([context.workspace(), context.workspace()]);
    expect(a).toBe(b);
    expect(a.store.kind).toBe('file');
    expect(await context.account(undefined)).toBeUndefined();
    expect(await context.account('ADA@example.com')).toBe('ada@example.com');
    expect(reads).toBe(1);
    // --insecure-storage's file store is another workspace, on the same config.
    expect(await context.workspace({ forceStore: 'file' })).not.toBe(a);
  });

  it('refuses a login from the environment for what acts on stored logins, naming its variable', async () => {
    const context = createContext({ io: fakeTerminal().io, env: { GMAILCTL_ACCESS_TOKEN: 'ya29.x' }, signal: new AbortController().signal });
    const refusal = context.refuseEnvironmentLogin('nothing was done.', (variables) => `Unset ${variables}.`);
    await expect(refusal).rejects.toThrow(UsageError);
    await expect(refusal).rejects.toThrow('The login comes from the environment (GMAILCTL_ACCESS_TOKEN): nothing was done.');
    const none = createContext({ io: fakeTerminal().io, env: {}, signal: new AbortController().signal });
    await expect(none.refuseEnvironmentLogin('x', () => 'y')).resolves.toBeUndefined();
  });

  it('chooses the account in one place: --account, then GMAILCTL_ACCOUNT, then the default, spelled as stored', async () => {
    const config = async () => ({ configDir: '/nowhere', settings: { accounts: ['ada@example.com', 'grace@example.com'], defaultAccount: 'grace@example.com' } });
    const context = (env: NodeJS.ProcessEnv) => createContext({ io: fakeTerminal().io, env, signal: new AbortController().signal }, { config });
    expect(await context({}).account('ADA@example.com')).toBe('ada@example.com');
    expect(await context({ GMAILCTL_ACCOUNT: 'Ada@Example.com' }).account(undefined)).toBe('ada@example.com');
    expect(await context({}).account(undefined)).toBe('grace@example.com');
    expect(await context({ GMAILCTL_ACCOUNT: 'new@example.com' }).account(undefined)).toBe('new@example.com');
  });
});
