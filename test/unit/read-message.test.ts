/**
 * Reading a message is one function with two ways in: the RFC 822 bytes (`show`, one
 * messages.get format=raw) and Gmail's parsed part tree (`thread`, users.threads.get is
 * format=full). Over every hard MIME case of the emulator (which serves both as Gmail
 * does), both must give the same shown message: headers, text, html, attachments with
 * Gmail's partIds, and the same attachment bytes — those the sender wrote.
 */
import type { gmail_v1 } from '@googleapis/gmail';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HARD_CASES, hardCase, type HardCaseName } from '../emulator/hard-cases.js';
import { startEmulator, type Emulator } from '../emulator/index.js';
import type { MimeLeaf, MimeNode } from '../emulator/mime.js';
import { gmailGet, login } from '../emulator/test-helpers.js';
import { readMessage } from '../../src/mail/read-message.js';

let emulator: Emulator;
let token: string;

beforeAll(async () => {
  emulator = await startEmulator({ messages: 40, seed: 5 });
  token = (await login(emulator)).access_token;
});
afterAll(async () => {
  await emulator.close();
});

const idOf = (name: HardCaseName): string => emulator.mailbox().find((m) => m.hardCase === name)!.id;
const leavesOf = (node: MimeNode): MimeLeaf[] => (node.kind === 'leaf' ? [node] : node.parts.flatMap(leavesOf));

async function get<T>(path: string): Promise<T> {
  const response = await gmailGet(emulator, path, token);
  expect(response.status, path).toBe(200);
  return (await response.json()) as T;
}

describe('readMessage: raw MIME and Gmail’s part tree read the same', () => {
  it.each(HARD_CASES)('%s: the same shown message, attachments and bytes either way', async (name) => {
    const id = idOf(name);
    const raw = await get<gmail_v1.Schema$Message>(`messages/${id}?format=raw`);
    const full = await get<gmail_v1.Schema$Message>(`messages/${id}?format=full`);
    const fetched: string[] = [];
    const fromRaw = await readMessage({ message: raw, raw: Buffer.from(raw.raw!, 'base64url') });
    const fromFull = await readMessage({
      message: full,
      attachment: async (attachmentId) => {
        fetched.push(attachmentId);
        return Buffer.from((await get<{ data: string }>(`messages/${id}/attachments/${attachmentId}`)).data, 'base64url');
      },
    });
    expect(fromFull.shown).toEqual(fromRaw.shown);
    expect(fromFull.warnings).toEqual(fromRaw.warnings);
    expect(fromRaw.warnings).toHaveLength(name === 'unknown-charset' || name === 'deep-html' ? 1 : 0);
    // Only a text body that Gmail keeps apart costs a fetch when the message is read.
    expect(fetched).toHaveLength(name === 'large-body' ? 1 : 0);

    const sent = leavesOf(hardCase(name).body).filter((leaf) => leaf.filename !== undefined || leaf.disposition !== undefined);
    expect(fromRaw.shown.attachments.map((a) => [a.filename, a.mimeType, a.size])).toEqual(sent.map((leaf) => [leaf.filename ?? '', leaf.type, leaf.content.length]));
    for (const [index, leaf] of sent.entries()) {
      expect(Buffer.from(await fromRaw.files[index]!.content()), `${name} ${index}`).toEqual(leaf.content);
      expect(Buffer.from(await fromFull.files[index]!.content()), `${name} ${index}`).toEqual(leaf.content);
    }
    expect(fromRaw.shown.subject).toBe(hardCase(name).subject);
    expect(fromRaw.shown.text.length).toBeGreaterThan(0);
  });
});
