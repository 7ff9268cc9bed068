/**
 * `gmailctl mcp` as agents use it: the official SDK's client spawns the built CLI over stdio
 * against the emulator — every tool, its schemas, failures as tool results, concurrent calls
 * through one server, stdin closing — and a real third-party client, the MCP Inspector's
 * command-line mode, lists and calls the tools.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { execa } from 'execa';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CONVERSATION_SUBJECT, startEmulator, type Emulator } from '../emulator/index.js';
import { CLI, createSandbox, ROOT, type Sandbox } from '../helpers/sandbox.js';
import { SCHEMA_NAMES, type SchemaName } from '../../src/schemas/names.js';

let emulator: Emulator;
let s: Sandbox;
const clients: Client[] = [];
const ajv = new Ajv2020({ strict: false, allErrors: true });
const published = new Map<SchemaName, Record<string, unknown>>();

beforeAll(async () => {
  emulator = await startEmulator({ accounts: ['ada@example.com'], messages: 80, seed: 3 });
  s = await createSandbox(emulator, { cache: true });
  const login = await s.login();
  expect(login.exitCode, login.stderr).toBe(0);
  for (const name of SCHEMA_NAMES) published.set(name, JSON.parse((await s.run(['schema', name])).stdout) as Record<string, unknown>);
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  emulator.clearFaults();
});
afterAll(async () => {
  await s.cleanup();
  await emulator.close();
});

async function connect(env: Record<string, string> = s.env): Promise<{ client: Client; stderr: () => string }> {
  const transport = new StdioClientTransport({ command: process.execPath, args: [CLI, 'mcp'], env, stderr: 'pipe' });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const client = new Client({ name: 'gmailctl-test', version: '1.0.0' });
  await client.connect(transport);
  clients.push(client);
  return { client, stderr: () => stderr };
}

type CallResult = { structuredContent?: Record<string, unknown>; content: Array<{ type: string; text?: string }>; isError?: boolean };
const call = async (client: Client, name: string, args: Record<string, unknown>): Promise<CallResult> => (await client.callTool({ name, arguments: args })) as CallResult;

/** Validates with the schema `gmailctl schema NAME` prints (draft 2020-12); fails with ajv's words. */
function expectValid(name: SchemaName, objects: unknown[]): void {
  const validate = ajv.compile(published.get(name)!);
  for (const object of objects) expect(validate(object), `${name}: ${ajv.errorsText(validate.errors)}`).toBe(true);
}

/** A JSON Schema without the keywords that only name it. */
const body = ({ $schema: _s, title: _t, ...rest }: Record<string, unknown>) => rest;

describe('gmailctl mcp over stdio (the SDK client)', () => {
  it('lists the five read-only tools, each with an input and an output schema — the published ones', async () => {
    const { client } = await connect();
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual(['list_labels', 'read_messages', 'read_thread', 'search_messages', 'search_threads']);
    for (const tool of tools) {
      expect(tool.inputSchema.type).toBe('object');
      expect(tool.outputSchema?.type, tool.name).toBe('object');
      expect(tool.annotations?.readOnlyHint, tool.name).toBe(true);
    }
    const byName = Object.fromEntries(tools.map((tool) => [tool.name, tool.outputSchema as Record<string, any>]));
    expect(body(byName.search_messages!.properties.messages.items)).toEqual(body(published.get('list')!));
    expect(body(byName.search_threads!.properties.threads.items)).toEqual(body(published.get('list-threads')!));
    expect(body(byName.read_messages!.properties.messages.items)).toEqual(body(published.get('show')!));
    expect(body(byName.list_labels!.properties.labels.items)).toEqual(body(published.get('labels')!));
    const thread = byName.read_thread!;
    expect({ ...body(thread), required: thread.required }).toMatchObject({ ...body(published.get('thread')!), required: published.get('thread')!.required });
  });

  it('search_messages answers list\'s objects, as structuredContent and as the same JSON in text', async () => {
    const { client } = await connect();
    const result = await call(client, 'search_messages', { query: 'label:UNREAD', max_results: 7 });
    expect(result.isError).toBeFalsy();
    const messages = result.structuredContent!.messages as Array<{ id: string; labelIds: string[] }>;
    expect(messages.length).toBe(7);
    for (const message of messages) expect(message.labelIds).toContain('UNREAD');
    expectValid('list', messages);
    expect(JSON.parse(result.content[0]!.text!)).toEqual(result.structuredContent);
    // The default is 25, and labels can be named.
    const inbox = await call(client, 'search_messages', { labels: ['INBOX'] });
    expect((inbox.structuredContent!.messages as unknown[]).length).toBe(25);
  });

  it('read_messages cuts each body to max_body_chars and says so; every field validates as show\'s', async () => {
    const { client } = await connect();
    const ids = emulator.mailbox().slice(0, 20).map((message) => message.id);
    const result = await call(client, 'read_messages', { ids, max_body_chars: 40 });
    expect(result.isError, result.content[0]?.text).toBeFalsy();
    const messages = result.structuredContent!.messages as Array<{ id: string; text: string; html: string; truncated: boolean }>;
    expect(messages.map((message) => message.id)).toEqual(ids);
    expectValid('show', messages);
    for (const message of messages) {
      expect(message.text.length).toBeLessThanOrEqual(40);
      expect(message.html.length).toBeLessThanOrEqual(40);
    }
    expect(messages.some((message) => message.truncated)).toBe(true);
    const whole = await call(client, 'read_messages', { ids: [ids[0]!] });
    expect((whole.structuredContent!.messages as Array<{ truncated: boolean }>)[0]!.truncated).toBe(false);
  });

  it('cleans control and bidi characters out of every string from mail', async () => {
    const { client } = await connect();
    const ids = emulator.mailbox().map((message) => message.id);
    const unsafe = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
    for (let start = 0; start < ids.length; start += 20) {
      const result = await call(client, 'read_messages', { ids: ids.slice(start, start + 20), max_body_chars: 100_000 });
      expect(result.isError, result.content[0]?.text).toBeFalsy();
      expect(JSON.stringify(result.structuredContent).replace(/\\n/g, '')).not.toMatch(/\\u00(0[0-8bcef]|1[0-9a-f]|7f|[89][0-9a-f])|[\u202a-\u202e\u2066-\u2069]/i);
      for (const message of result.structuredContent!.messages as Array<Record<string, string>>) {
        for (const field of ['subject', 'from', 'to', 'snippet']) expect(message[field], field).not.toMatch(unsafe);
      }
    }
  });

  it('search_threads answers one thread object per conversation: count, newest date and sender, first subject', async () => {
    const { client } = await connect();
    const first = emulator.mailbox().find((message) => message.subject === CONVERSATION_SUBJECT)!;
    const members = emulator.mailbox().filter((message) => message.threadId === first.threadId).sort((a, b) => a.internalDate - b.internalDate);
    const result = await call(client, 'search_threads', { query: `subject:"${CONVERSATION_SUBJECT}"`, max_results: 10 });
    expect(result.isError, result.content[0]?.text).toBeFalsy();
    const threads = result.structuredContent!.threads as Array<{ id: string; messageCount: number; subject: string; date: string; labelIds: string[] }>;
    expectValid('list-threads', threads);
    const thread = threads.find((each) => each.id === first.threadId)!;
    expect(thread.messageCount).toBe(6);
    expect(thread.subject).toBe(CONVERSATION_SUBJECT);
    expect(thread.date).toBe(new Date(members.at(-1)!.internalDate).toISOString());
    expect(thread.labelIds).toEqual(expect.arrayContaining(['SENT', 'INBOX']));
    const few = await call(client, 'search_threads', { max_results: 3 });
    expect((few.structuredContent!.threads as unknown[]).length).toBe(3);
  });

  it('search_threads shares list --threads\' cache: asked again, it reads no conversation that did not change; the same objects as list --threads --json', async () => {
    const { client } = await connect();
    const threadGets = () => emulator.requests.filter((request) => request.path.startsWith('/gmail/v1/users/me/threads/')).map((request) => request.path.slice('/gmail/v1/users/me/threads/'.length));
    const listed = await s.run(['list', '--threads', '--json', '-n', '20']);
    expect(listed.exitCode, listed.stderr).toBe(0);
    emulator.clearRequests();
    const result = await call(client, 'search_threads', { max_results: 20 });
    expect(result.isError, result.content[0]?.text).toBeFalsy();
    expect(result.structuredContent!.threads).toEqual(JSON.parse(listed.stdout));
    expect(threadGets()).toEqual([]);
    const changed = (result.structuredContent!.threads as Array<{ id: string }>)[7]!.id;
    emulator.addMessages(1, { threadId: changed });
    emulator.clearRequests();
    const again = await call(client, 'search_threads', { max_results: 20 });
    expect(again.isError, again.content[0]?.text).toBeFalsy();
    expect(threadGets()).toEqual([changed]);
    expect((again.structuredContent!.threads as Array<{ id: string }>)[0]!.id).toBe(changed);
  });

  it('read_thread answers the conversation as thread --json prints it, sent replies included, for one threads.get', async () => {
    const { client } = await connect();
    const first = emulator.mailbox().find((message) => message.subject === CONVERSATION_SUBJECT)!;
    const members = emulator.mailbox().filter((message) => message.threadId === first.threadId);
    expect(members.length).toBe(6);
    emulator.clearRequests();
    const result = await call(client, 'read_thread', { id: first.threadId });
    expect(result.isError, result.content[0]?.text).toBeFalsy();
    const gmailCalls = emulator.requests.filter((request) => request.path.startsWith('/gmail/')).map((request) => request.path.replace(/\/[0-9a-f]{16}$/, '/ID'));
    expect(gmailCalls).toEqual(['/gmail/v1/users/me/threads/ID']);
    const thread = result.structuredContent as { id: string; messages: Array<{ id: string; date: string; labelIds: string[]; truncated: boolean }> };
    expect(thread.id).toBe(first.threadId);
    expect(thread.messages.map((message) => message.id).sort()).toEqual(members.map((message) => message.id).sort());
    const dates = thread.messages.map((message) => message.date);
    expect([...dates].sort()).toEqual(dates);
    expect(thread.messages.some((message) => message.labelIds.includes('SENT'))).toBe(true);
    expectValid('thread', [thread]);
    // Each message is what read_messages (show) answers for it.
    const read = await call(client, 'read_messages', { ids: thread.messages.map((message) => message.id) });
    expect(thread.messages).toEqual(read.structuredContent!.messages);
    const missing = await call(client, 'read_thread', { id: 'ffffffffffffffff' });
    expect(missing.isError).toBe(true);
    expect(missing.content[0]!.text).toMatch(/Thread not found: ffffffffffffffff/);
  });

  it('list_labels answers labels\' objects, system labels first, with or without the counts', async () => {
    const { client } = await connect();
    const result = await call(client, 'list_labels', {});
    expect(result.isError, result.content[0]?.text).toBeFalsy();
    const labels = result.structuredContent!.labels as Array<{ id: string; type: string; messagesUnread?: number }>;
    expect(labels[0]!.id).toBe('INBOX');
    expect(labels.find((label) => label.id === 'INBOX')!.messagesUnread).toBe(emulator.mailbox().filter((m) => m.labelIds.includes('INBOX') && m.labelIds.includes('UNREAD')).length);
    expectValid('labels', labels);
    emulator.clearRequests();
    const bare = await call(client, 'list_labels', { counts: false });
    const names = bare.structuredContent!.labels as Array<Record<string, unknown>>;
    expect(names.every((label) => !('messagesTotal' in label))).toBe(true);
    expect(emulator.requests.filter((request) => request.path.includes('/labels')).map((request) => request.path)).toEqual(['/gmail/v1/users/me/labels']);
  });

  it('a failure is a tool result with isError and the command\'s message; the server goes on', async () => {
    const { client } = await connect();
    const missing = await call(client, 'read_messages', { ids: ['ffffffffffffffff'] });
    expect(missing.isError).toBe(true);
    expect(missing.content[0]!.text).toMatch(/not found: ffffffffffffffff/);
    const badInput = await call(client, 'search_messages', { max_results: 501 });
    expect(badInput.isError).toBe(true);
    const fine = await call(client, 'search_messages', { max_results: 1 });
    expect(fine.isError).toBeFalsy();
  });

  it('without a login, each call says to run gmailctl login, and works once there is one', async () => {
    const fresh = await createSandbox(emulator, {});
    try {
      const { client } = await connect(fresh.env);
      const result = await call(client, 'search_messages', {});
      expect(result.isError).toBe(true);
      expect(result.content[0]!.text).toMatch(/gmailctl login/);
      expect((await fresh.login()).exitCode).toBe(0);
      const after = await call(client, 'search_messages', { max_results: 2 });
      expect(after.isError, after.content[0]?.text).toBeFalsy();
    } finally {
      await fresh.cleanup();
    }
  });

  it('serves concurrent calls through one server and one pacer', async () => {
    const { client } = await connect();
    emulator.clearRequests();
    const results = await Promise.all([
      call(client, 'search_messages', { query: 'label:UNREAD', max_results: 30 }),
      call(client, 'search_messages', { labels: ['INBOX'], max_results: 30 }),
      call(client, 'read_messages', { ids: emulator.mailbox().slice(0, 10).map((m) => m.id) }),
      call(client, 'search_messages', { max_results: 5 }),
    ]);
    for (const result of results) expect(result.isError, result.content[0]?.text).toBeFalsy();
    // One login, one token: every call went through the same session.
    expect(emulator.requests.filter((request) => request.path.includes('/token')).length).toBeLessThanOrEqual(1);
  });

  it('an unknown method is a JSON-RPC error, not a crash', async () => {
    const { client } = await connect();
    await expect(client.request({ method: 'gmail/delete_everything', params: {} }, (await import('@modelcontextprotocol/sdk/types.js')).ResultSchema)).rejects.toThrow(/not found/i);
    expect((await call(client, 'search_messages', { max_results: 1 })).isError).toBeFalsy();
  });
});

describe('gmailctl mcp as a process', () => {
  it('writes only JSON-RPC on stdout and exits 0 when stdin closes', async () => {
    const lines = [
      { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } },
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      { jsonrpc: '2.0', id: 2, method: 'tools/list' },
      { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'search_messages', arguments: { max_results: 2 } } },
    ];
    const child = execa(process.execPath, [CLI, 'mcp'], { env: s.env, extendEnv: false, reject: false, timeout: 30_000, stdin: 'pipe' });
    let stdout = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    for (const line of lines) child.stdin!.write(`${JSON.stringify(line)}\n`);
    // Close stdin once the last answer is in.
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (stdout.includes('"id":3')) {
          clearInterval(poll);
          resolve();
        }
      }, 20);
    });
    child.stdin!.end();
    const result = await child;
    expect(result.exitCode, String(result.stderr)).toBe(0);
    const answers = stdout.trim().split('\n').map((line) => JSON.parse(line) as { jsonrpc: string; id?: number });
    expect(answers.every((answer) => answer.jsonrpc === '2.0')).toBe(true);
    expect(answers.map((answer) => answer.id)).toEqual([1, 2, 3]);
  });
});

describe("the README's client configuration", () => {
  it('the mcpServers snippet names a command and arguments that serve the tools', async () => {
    const readme = await readFile(path.join(ROOT, 'README.md'), 'utf8');
    const snippet = [...readme.matchAll(/```json\n([\s\S]*?)```/g)].map((match) => match[1]!).find((block) => block.includes('"mcpServers"'));
    expect(snippet, 'no mcpServers snippet in the README').toBeDefined();
    const servers = (JSON.parse(snippet!) as { mcpServers: Record<string, { command: string; args: string[] }> }).mcpServers;
    const [server] = Object.values(servers);
    expect(server!.command).toBe('gmailctl');
    // `gmailctl` is the installed bin (package.json), that is bin/gmailctl.js.
    const transport = new StdioClientTransport({ command: process.execPath, args: [CLI, ...server!.args], env: s.env, stderr: 'pipe' });
    const client = new Client({ name: 'readme', version: '1.0.0' });
    await client.connect(transport);
    clients.push(client);
    expect((await client.listTools()).tools).toHaveLength(5);
  });
});

describe('a real MCP client: the Inspector in command-line mode', () => {
  const inspector = (args: string[]) =>
    execa(path.join(ROOT, 'node_modules', '.bin', 'mcp-inspector'), ['--cli', ...Object.entries(s.env).flatMap(([k, v]) => ['-e', `${k}=${v}`]), process.execPath, CLI, 'mcp', ...args], {
      reject: false,
      timeout: 60_000,
      env: { PATH: process.env.PATH ?? '' },
      extendEnv: false,
    });

  it('lists the tools and calls one', async () => {
    const listed = await inspector(['--method', 'tools/list']);
    expect(listed.exitCode, String(listed.stderr)).toBe(0);
    const tools = (JSON.parse(String(listed.stdout)) as { tools: Array<{ name: string }> }).tools.map((tool) => tool.name);
    expect(tools.sort()).toEqual(['list_labels', 'read_messages', 'read_thread', 'search_messages', 'search_threads']);
    const called = await inspector(['--method', 'tools/call', '--tool-name', 'search_messages', '--tool-arg', 'query=label:UNREAD', '--tool-arg', 'max_results=3']);
    expect(called.exitCode, String(called.stderr)).toBe(0);
    const result = JSON.parse(String(called.stdout)) as CallResult;
    expect(result.isError).toBeFalsy();
    expect((result.structuredContent!.messages as unknown[]).length).toBe(3);
  });
});
