/**
 * `gmailctl thread` end to end against the emulator: the seeded 6-message conversation
 * (the account's SENT replies included, oldest first), every format, ids from stdin, a
 * missing thread, the cost (one threads.get per thread, never a messages.get for
 * text/json/ndjson), and the same message objects as `show --json` — over the conversation
 * and over every hard MIME case (read here from Gmail's part tree, there from the raw bytes).
 */
import { execa } from 'execa';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HARD_CASES, type HardCaseName } from '../emulator/hard-cases.js';
import { CONVERSATION_SUBJECT, startEmulator, type Emulator, type MailboxMessage } from '../emulator/index.js';
import { createSandbox, runInProcess, type Sandbox } from '../helpers/sandbox.js';
import type { ThreadObject } from '../../src/output/objects.js';
import type { ShownMessage } from '../../src/output/whole-messages.js';

let emulator: Emulator;
let s: Sandbox;

const GMAIL = '/gmail/v1/users/me/';
const gmailRequests = () => emulator.requests.filter((r) => r.path.startsWith('/gmail/v1/'));
/** Each Gmail request as `method format`: "threads/ID full", "messages/ID raw", "attachments.get". */
const methodsCalled = () =>
  gmailRequests().map((r) => {
    const method = r.path.slice(GMAIL.length).replace(/^messages\/[^/]+\/attachments\/[^/]+$/, 'attachments.get').replace(/^(threads|messages)\/[^/]+$/, '$1/ID');
    return `${method} ${r.query.get('format') ?? ''}`.trim();
  });
const idOf = (name: HardCaseName): string => emulator.mailbox().find((m) => m.hardCase === name)!.id;
const threadOf = (name: HardCaseName): string => emulator.mailbox().find((m) => m.hardCase === name)!.threadId;
/** The messages of thread `id` in the emulator, oldest first. */
const messagesOf = (id: string): MailboxMessage[] =>
  emulator
    .mailbox()
    .filter((m) => m.threadId === id)
    .sort((a, b) => a.internalDate - b.internalDate);
/** The seeded conversation (the first of them): its thread id. */
let conversation: string;

beforeAll(async () => {
  emulator = await startEmulator({ accounts: ['ada@example.com'], messages: 100, seed: 11 });
  s = await createSandbox(emulator, { runner: 'in-process' });
  const login = await s.login();
  expect(login.exitCode, login.stderr).toBe(0);
  conversation = emulator.mailbox().find((m) => m.subject === CONVERSATION_SUBJECT)!.threadId;
});
afterAll(async () => {
  await s.cleanup();
  await emulator.close();
});
afterEach(() => {
  emulator.clearRequests();
  emulator.clearFaults();
});

async function threadJson(args: string[]): Promise<ThreadObject[]> {
  const result = await s.run(['thread', ...args, '--json']);
  expect(result.exitCode, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as ThreadObject[];
}

async function showJson(ids: string[]): Promise<ShownMessage[]> {
  const result = await s.run(['show', ...ids, '--json']);
  expect(result.exitCode, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as ShownMessage[];
}

describe('the 6-message conversation', () => {
  it('--json: one thread object, its six messages oldest first, the SENT replies included', async () => {
    const [thread, ...more] = await threadJson([conversation]);
    expect(more).toEqual([]);
    expect(Object.keys(thread!)).toEqual(['id', 'historyId', 'messages']);
    expect(thread!.id).toBe(conversation);
    expect(thread!.historyId).toMatch(/^\d+$/);
    const expected = messagesOf(conversation);
    expect(expected).toHaveLength(6);
    expect(thread!.messages.map((m) => m.id)).toEqual(expected.map((m) => m.id));
    const dates = thread!.messages.map((m) => m.date);
    expect(dates).toEqual([...dates].sort());
    expect(thread!.messages.map((m) => m.subject)).toEqual([CONVERSATION_SUBJECT, ...Array(5).fill(`Re: ${CONVERSATION_SUBJECT}`)]);
    const sent = thread!.messages.filter((m) => m.labelIds.includes('SENT'));
    expect(sent.map((m) => m.from)).toEqual(['ada@example.com', 'ada@example.com']);
    expect(thread!.messages[4]!.text).toContain('Train booked: departure 08:12');
    expect(thread!.messages[2]!.from).toBe('François Lefèvre <francois@example.fr>');
  });

  it('each message is exactly what show --json prints for it', async () => {
    const [thread] = await threadJson([conversation]);
    expect(thread!.messages).toEqual(await showJson(messagesOf(conversation).map((m) => m.id)));
  });

  it('text: `==> ID (6 messages) <==`, then each message as show prints it, oldest first', async () => {
    const result = await s.run(['thread', conversation]);
    expect(result.exitCode, result.stderr).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe(`==> ${conversation} (6 messages) <==`);
    const ids = messagesOf(conversation).map((m) => m.id);
    expect([...result.stdout.matchAll(/^--- (\d)\/6 (\w+) ---$/gm)].map((m) => [m[1], m[2]])).toEqual(ids.map((id, i) => [String(i + 1), id]));
    // Each message's block is show's text for it, word for word.
    for (const id of ids) {
      const shown = await s.run(['show', id]);
      expect(result.stdout).toContain(`--- ${ids.indexOf(id) + 1}/6 ${id} ---\n${shown.stdout}`);
    }
    expect(result.stdout.match(/^Subject: /gm)).toHaveLength(6);
  });

  it('ndjson: one thread object a line, the same as json', async () => {
    const hard = threadOf('latin1');
    const result = await s.run(['thread', conversation, hard, '--format', 'ndjson']);
    expect(result.exitCode, result.stderr).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines.map((line) => JSON.parse(line) as ThreadObject)).toEqual(await threadJson([conversation, hard]));
  });

  it('mbox: every message of every thread, oldest first, read back by Python’s mailbox', async () => {
    const hard = threadOf('nested-attachments');
    const result = await runInProcess(['thread', conversation, hard, '--format', 'mbox'], { env: s.env });
    expect(result.exitCode, result.stderr).toBe(0);
    const dir = await mkdtemp(path.join(tmpdir(), 'gmailctl-thread-mbox-'));
    const file = path.join(dir, 'box.mbox');
    await writeFile(file, result.stdoutBytes);
    const script = `
import json, mailbox, sys
print(json.dumps([m['Message-ID'] for m in mailbox.mbox(sys.argv[1])]))
`;
    const ids = JSON.parse((await execa('python3', ['-c', script, file])).stdout) as string[];
    const expected = [...messagesOf(conversation), ...messagesOf(hard)].map((m) => `<${m.id}@mail.example.com>`);
    expect(ids).toEqual(expected);
  });
});

describe('the cost', () => {
  it.each(['text', 'json', 'ndjson'])('--format %s: one threads.get (format=full) per thread and no messages.get', async (format) => {
    const threads = [conversation, threadOf('alternative'), threadOf('nested-attachments'), threadOf('small-attachments')];
    emulator.clearRequests();
    const result = await s.run(['thread', ...threads, '--format', format]);
    expect(result.exitCode, result.stderr).toBe(0);
    // Fetched concurrently: they may reach Gmail in any order.
    expect(gmailRequests().map((r) => r.path).sort()).toEqual(threads.map((id) => `${GMAIL}threads/${id}`).sort());
    expect(methodsCalled()).toEqual(threads.map(() => 'threads/ID full'));
  });

  it('--format mbox: one threads.get (format=minimal) per thread, then one raw get per message', async () => {
    emulator.clearRequests();
    const result = await s.run(['thread', conversation, '--format', 'mbox']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(methodsCalled()).toEqual(['threads/ID minimal', ...Array(6).fill('messages/ID raw')]);
  });

  it('a body Gmail does not inline costs one attachments.get, and only that', async () => {
    const large = threadOf('large-body');
    emulator.clearRequests();
    const [thread] = await threadJson([large]);
    const calls = methodsCalled();
    expect(calls[0]).toBe('threads/ID full');
    expect(calls.slice(1)).toEqual(['attachments.get']);
    const message = thread!.messages.find((m) => m.id === idOf('large-body'))!;
    expect(message).toEqual((await showJson([message.id]))[0]);
  });
});

describe('the same message objects as show --json', () => {
  it.each(HARD_CASES)('%s: read from the thread’s part tree = read from the raw message', async (name) => {
    const [thread] = await threadJson([threadOf(name)]);
    expect(thread!.messages.map((m) => m.id)).toContain(idOf(name));
    expect(thread!.messages).toEqual(await showJson(thread!.messages.map((m) => m.id)));
  });
});

describe('ids from stdin, bad input, a missing thread', () => {
  it('reads ids from stdin with - (a TSV line gives its first field), and with --stdin', async () => {
    const input = `${threadOf('latin1')}\n\n${conversation}\t2026-01-01\tsomeone\t6\tsubject\n`;
    for (const args of [['thread', '-'], ['thread', '--stdin']]) {
      const result = await s.run(args, { input });
      expect(result.exitCode, result.stderr).toBe(0);
      expect([...result.stdout.matchAll(/^==> (\w+) \(\d+ messages?\) <==$/gm)].map((m) => m[1])).toEqual([threadOf('latin1'), conversation]);
    }
  });

  it('an empty stdin, no id, or something that is not a Gmail id: exit 2, nothing fetched', async () => {
    emulator.clearRequests();
    const empty = await s.run(['thread', '-'], { input: '\n' });
    expect(empty.exitCode).toBe(2);
    expect(empty.stderr).toMatch(/No thread ids on stdin/);
    expect((await s.run(['thread'])).exitCode).toBe(2);
    const bad = await s.run(['thread', conversation, 'thread-f:1789']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/Not a Gmail thread id: "thread-f:1789"/);
    const format = await s.run(['thread', conversation, '--format', 'raw']);
    expect(format.exitCode).toBe(2);
    expect(gmailRequests()).toHaveLength(0);
  });

  it.each(['text', 'json', 'mbox'])('--format %s: a thread that does not exist: the others are printed, then exit 1 naming it', async (format) => {
    const result = await s.run(['thread', threadOf('latin1'), 'ffffffffffffffff', conversation, '--format', format]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/error: Thread not found: ffffffffffffffff\./);
    if (format === 'text') expect([...result.stdout.matchAll(/^==> (\w+) /gm)].map((m) => m[1])).toEqual([threadOf('latin1'), conversation]);
    if (format === 'json') expect((JSON.parse(result.stdout) as ThreadObject[]).map((t) => t.id)).toEqual([threadOf('latin1'), conversation]);
    if (format === 'mbox') expect(result.stdout.match(/^From /gm)).toHaveLength(messagesOf(threadOf('latin1')).length + 6);
  });
});
