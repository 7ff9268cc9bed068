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

describe('an outage: connections refused, then accepted again', () => {
  /** What a connection to the emulator gets now: its status, or the error code of a refused one. */
  const probe = (): Promise<number | string> =>
    fetch(`${emulator.url}__emulator/requests`).then(
      (response) => response.status,
      (error: Error & { cause?: { code?: string } }) => error.cause?.code ?? error.message,
    );

  it('refuseConnections() makes clients get ECONNREFUSED, on every path, until acceptConnections()', async () => {
    expect(await probe()).toBe(200);
    await emulator.refuseConnections();
    expect(await probe()).toBe('ECONNREFUSED');
    await expect(fetch(`${emulator.url}gmail/v1/users/me/profile`)).rejects.toThrow();
    await emulator.acceptConnections();
    expect(await probe()).toBe(200);
  });

  it('POST /__emulator/outage {ms} answers, then refuses connections for that long, then listens again on the same port', async () => {
    const started = Date.now();
    const response = await fetch(`${emulator.url}__emulator/outage`, { method: 'POST', body: JSON.stringify({ ms: 1500 }) });
    expect(response.status).toBe(200);
    let refused = false;
    let back = false;
    while (Date.now() - started < 10_000 && !back) {
      const now = await probe();
      if (now === 'ECONNREFUSED') refused = true;
      else if (refused && now === 200) back = true;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(refused).toBe(true);
    expect(back).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
  });

  it('refuses a missing or silly duration (400)', async () => {
    for (const body of ['{}', '{"ms": 0}', '{"ms": "5"}', '{"ms": 99999999}']) {
      expect((await fetch(`${emulator.url}__emulator/outage`, { method: 'POST', body })).status, body).toBe(400);
    }
  });
});
