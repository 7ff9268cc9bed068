/**
 * The published JSON Schemas: `gmailctl schema NAME` prints a draft 2020-12 schema for each
 * object a command prints in JSON, the package ships the same files in dist/schemas/, and
 * every JSON object the commands print — over the emulator's hard MIME cases — validates
 * against its schema (a schema that drifted from the output fails here).
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../emulator/index.js';
import { createSandbox, ROOT, type Sandbox } from '../helpers/sandbox.js';
import { SCHEMA_NAMES, type SchemaName } from '../../src/schemas/names.js';

let emulator: Emulator;
let s: Sandbox;
const ajv = new Ajv2020({ strict: true, allErrors: true });
const validators = new Map<SchemaName, ReturnType<Ajv2020['compile']>>();

beforeAll(async () => {
  emulator = await startEmulator({ accounts: ['ada@example.com'], messages: 60, seed: 5 });
  s = await createSandbox(emulator, { runner: 'in-process' });
  expect((await s.login()).exitCode).toBe(0);
  for (const name of SCHEMA_NAMES) {
    const result = await s.run(['schema', name]);
    expect(result.exitCode, result.stderr).toBe(0);
    validators.set(name, ajv.compile(JSON.parse(result.stdout) as object));
  }
});
afterAll(async () => {
  await s.cleanup();
  await emulator.close();
});

/** Fails with ajv's words for the first object that does not validate. */
function expectValid(name: SchemaName, objects: unknown[]): void {
  expect(objects.length).toBeGreaterThan(0);
  const validate = validators.get(name)!;
  for (const object of objects) {
    const ok = validate(object);
    expect(ok, `${name}: ${ajv.errorsText(validate.errors)} in ${JSON.stringify(object).slice(0, 300)}`).toBe(true);
  }
}

describe('gmailctl schema', () => {
  it('lists the names, one a line, without an argument', async () => {
    const result = await s.run(['schema']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout.trim().split('\n')).toEqual([...SCHEMA_NAMES]);
  });

  it('prints a draft 2020-12 JSON Schema for every name, the same as the package ships', async () => {
    for (const name of SCHEMA_NAMES) {
      const printed = JSON.parse((await s.run(['schema', name])).stdout) as Record<string, unknown>;
      expect(printed.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
      expect(printed.type).toBe('object');
      expect(printed.title).toBe(name);
      const shipped = JSON.parse(await readFile(path.join(ROOT, 'dist', 'schemas', `${name}.schema.json`), 'utf8')) as unknown;
      expect(shipped).toEqual(printed);
    }
  });

  it('refuses an unknown name as a usage error', async () => {
    const result = await s.run(['schema', 'nope']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/list-threads/);
    expect(result.stdout).toBe('');
  });

  it('rejects an object that breaks it (the validation can fail)', () => {
    const validate = validators.get('list')!;
    expect(validate({ id: 'x' })).toBe(false);
    expect(validate({ id: 'a', threadId: 'a', labelIds: [], date: '', from: '', to: '', subject: '', snippet: '', extra: 1 })).toBe(false);
  });
});

describe('every JSON object printed validates against its schema', () => {
  it('list --json and --format ndjson', async () => {
    const json = await s.run(['list', '--json']);
    expect(json.exitCode, json.stderr).toBe(0);
    expectValid('list', JSON.parse(json.stdout) as unknown[]);
    const ndjson = await s.run(['list', '--format', 'ndjson', '--max', '20']);
    expectValid('list', ndjson.stdout.trim().split('\n').map((line) => JSON.parse(line) as unknown));
  });

  it('list --threads --json and --format ndjson, the same objects as MCP search_threads', async () => {
    const json = await s.run(['list', '--threads', '--json', '--include-spam-trash']);
    expect(json.exitCode, json.stderr).toBe(0);
    const threads = JSON.parse(json.stdout) as Array<{ messageCount: number }>;
    expect(threads.length).toBe(new Set(emulator.mailbox().map((message) => message.threadId)).size);
    expect(threads.some((thread) => thread.messageCount > 1)).toBe(true);
    expectValid('list-threads', threads);
    const ndjson = await s.run(['list', '--threads', '--format', 'ndjson', '--max', '20']);
    expect(ndjson.exitCode, ndjson.stderr).toBe(0);
    expectValid('list-threads', ndjson.stdout.trim().split('\n').map((line) => JSON.parse(line) as unknown));
  });

  it('labels --format json and ndjson, with and without the counts', async () => {
    for (const args of [['labels', '--format', 'json'], ['labels', '--format', 'json', '--no-counts']]) {
      const result = await s.run(args);
      expect(result.exitCode, result.stderr).toBe(0);
      expectValid('labels', JSON.parse(result.stdout) as unknown[]);
    }
    const ndjson = await s.run(['labels', '--format', 'ndjson']);
    expectValid('labels', ndjson.stdout.trim().split('\n').map((line) => JSON.parse(line) as unknown));
  });

  it('thread --json and --format ndjson, over every conversation of the mailbox', async () => {
    const threadIds = [...new Set(emulator.mailbox().map((message) => message.threadId))];
    const json = await s.run(['thread', '--format', 'json', ...threadIds]);
    expect(json.exitCode, json.stderr).toBe(0);
    const threads = JSON.parse(json.stdout) as Array<{ messages: unknown[] }>;
    expect(threads).toHaveLength(threadIds.length);
    expect(threads.some((thread) => thread.messages.length > 1)).toBe(true);
    expectValid('thread', threads);
    const ndjson = await s.run(['thread', '--format', 'ndjson', ...threadIds.slice(0, 10)]);
    expectValid('thread', ndjson.stdout.trim().split('\n').map((line) => JSON.parse(line) as unknown));
  });

  it('show --json over every message, the hard MIME cases included', async () => {
    const ids = emulator.mailbox().map((message) => message.id);
    const result = await s.run(['show', '--format', 'json', ...ids]);
    expect(result.exitCode, result.stderr).toBe(0);
    const shown = JSON.parse(result.stdout) as unknown[];
    expect(shown).toHaveLength(ids.length);
    expectValid('show', shown);
  });
});
