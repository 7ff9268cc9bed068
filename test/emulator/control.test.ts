/** The control API as a script author drives it (issue #24, item 7): the seeded hard cases by name. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HARD_CASES } from './hard-cases.js';
import { startEmulator, type Emulator } from './index.js';

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator({ accounts: ['ada@example.com'], messages: 200 });
});
afterAll(() => emulator?.close());

describe('GET /__emulator/hard-cases', () => {
  it('names every seeded hard case with its id, thread and subject in this mailbox', async () => {
    const response = await fetch(`${emulator.url}__emulator/hard-cases`);
    expect(response.status).toBe(200);
    const cases = (await response.json()) as Array<{ name: string; id: string; threadId: string; subject: string | null }>;
    expect(new Set(cases.map((c) => c.name))).toEqual(new Set(HARD_CASES));
    for (const c of cases) {
      const message = emulator.mailbox().find((m) => m.id === c.id);
      expect(message?.hardCase).toBe(c.name);
      expect(c.subject).toBe(message?.subject ?? null);
      expect(c.threadId).toBe(message?.threadId);
    }
  });

  it('the README lists the endpoint and every hard case', async () => {
    const readme = await readFile(path.join(import.meta.dirname, '../../README.md'), 'utf8');
    expect(readme).toContain('GET /__emulator/hard-cases');
    for (const name of HARD_CASES) expect(readme, name).toContain(`\`${name}\``);
  });
});
