/**
 * `gmailctl labels` against the emulator: every format, the order (system labels first, then
 * the user's by name), the counts as Gmail answers them, and the cost: one labels.list, and
 * the labels.get calls (1 unit each) in one batch for 50 labels; --no-counts is one call.
 * Then the names reach shell completion of --label.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../emulator/index.js';
import { createSandbox, type Sandbox } from '../helpers/sandbox.js';

const ACCOUNT = 'ada@example.com';
let emulator: Emulator;
let s: Sandbox;

const LABELS_PATH = '/gmail/v1/users/me/labels';
const listCalls = () => emulator.requests.filter((r) => r.path === LABELS_PATH);
const getParts = () => emulator.requests.filter((r) => r.path.startsWith(`${LABELS_PATH}/`));
const batchPosts = () => emulator.requests.filter((r) => r.path === '/batch/gmail/v1');
const gmailCalls = () => emulator.requests.filter((r) => r.path.startsWith('/gmail/') && !r.batch);

interface Label {
  id: string;
  name: string;
  type: string;
  messagesTotal?: number;
  messagesUnread?: number;
  threadsTotal?: number;
  threadsUnread?: number;
}

/** What Gmail holds, counted from the emulator's mailbox: the reference for the CLI's counts. */
function expectedCounts(id: string): Required<Pick<Label, 'messagesTotal' | 'messagesUnread' | 'threadsTotal' | 'threadsUnread'>> {
  const withLabel = emulator.mailbox().filter((m) => m.labelIds.includes(id));
  const unread = withLabel.filter((m) => m.labelIds.includes('UNREAD'));
  return {
    messagesTotal: withLabel.length,
    messagesUnread: unread.length,
    threadsTotal: new Set(withLabel.map((m) => m.threadId)).size,
    threadsUnread: new Set(unread.map((m) => m.threadId)).size,
  };
}

beforeAll(async () => {
  // 17 seeded labels (14 of Gmail's, Receipts, Travel, Work/Projects) and 33 more: 50.
  emulator = await startEmulator({ accounts: [ACCOUNT], messages: 300, seed: 5, extraLabels: 33 });
  s = await createSandbox(emulator, { runner: 'in-process', cache: true });
  const login = await s.login();
  expect(login.exitCode, login.stderr).toBe(0);
});
afterAll(async () => {
  await s.cleanup();
  await emulator.close();
});
afterEach(() => emulator.clearRequests());

describe('gmailctl labels', () => {
  it('json: every label with Gmail’s field names and counts; system labels first in Gmail’s order, then the user’s by name', async () => {
    const result = await s.run(['labels', '--format', 'json']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toBe('');
    const labels = JSON.parse(result.stdout) as Label[];
    expect(labels).toHaveLength(50);
    expect(labels.slice(0, 8).map((l) => l.id)).toEqual(['INBOX', 'STARRED', 'IMPORTANT', 'SENT', 'DRAFT', 'SPAM', 'TRASH', 'UNREAD']);
    const firstUser = labels.findIndex((l) => l.type === 'user');
    expect(labels.slice(0, firstUser).every((l) => l.type === 'system')).toBe(true);
    expect(labels.slice(firstUser).every((l) => l.type === 'user')).toBe(true);
    const userNames = labels.slice(firstUser).map((l) => l.name);
    expect(userNames.slice(0, 4)).toEqual(['Project 004', 'Project 005', 'Project 006', 'Project 007']);
    expect(userNames.slice(-3)).toEqual(['Receipts', 'Travel', 'Work/Projects']);
    for (const label of labels) {
      expect(Object.keys(label)).toEqual(['id', 'name', 'type', 'messagesTotal', 'messagesUnread', 'threadsTotal', 'threadsUnread']);
      expect(label).toMatchObject(expectedCounts(label.id));
    }
    expect(labels.find((l) => l.id === 'INBOX')!.messagesUnread).toBeGreaterThan(0);
  });

  it('costs one labels.list and one batch holding the 50 labels.get calls (one round trip)', async () => {
    const result = await s.run(['labels', '--json']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(listCalls()).toHaveLength(1);
    expect(batchPosts()).toHaveLength(1);
    expect(getParts()).toHaveLength(50);
    expect(getParts().every((r) => r.batch)).toBe(true);
    expect(gmailCalls().map((r) => r.path)).toEqual([LABELS_PATH]);
  });

  it('tsv: id, name, type and the four counts, tab-separated, no header', async () => {
    const result = await s.run(['labels', '--format', 'tsv']);
    expect(result.exitCode, result.stderr).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(50);
    const inbox = lines.find((line) => line.startsWith('INBOX\t'))!.split('\t');
    const counts = expectedCounts('INBOX');
    expect(inbox).toEqual(['INBOX', 'INBOX', 'system', String(counts.messagesTotal), String(counts.messagesUnread), String(counts.threadsTotal), String(counts.threadsUnread)]);
    expect(lines.find((line) => line.startsWith('Label_3\t'))!.split('\t').slice(0, 3)).toEqual(['Label_3', 'Work/Projects', 'user']);
    expect(lines.every((line) => line.split('\t').length === 7)).toBe(true);
  });

  it('ndjson: one label object a line, the same objects as json', async () => {
    const [ndjson, json] = [await s.run(['labels', '--format', 'ndjson']), await s.run(['labels', '--format', 'json'])];
    expect(ndjson.exitCode, ndjson.stderr).toBe(0);
    expect(ndjson.stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as Label)).toEqual(JSON.parse(json.stdout));
  });

  it('--no-counts: one labels.list call, and no count fields in any format', async () => {
    const json = await s.run(['labels', '--no-counts', '--json']);
    expect(json.exitCode, json.stderr).toBe(0);
    expect(gmailCalls().map((r) => r.path)).toEqual([LABELS_PATH]);
    expect(batchPosts()).toHaveLength(0);
    const labels = JSON.parse(json.stdout) as Label[];
    expect(labels).toHaveLength(50);
    expect(labels.every((l) => Object.keys(l).join() === 'id,name,type')).toBe(true);
    const tsv = await s.run(['labels', '--no-counts', '--format', 'tsv']);
    expect(tsv.stdout.trimEnd().split('\n').every((line) => line.split('\t').length === 3)).toBe(true);
  });

  it('table (asked for in a pipe): a header, the names, and the counts right-aligned', async () => {
    const result = await s.run(['labels', '--format', 'table']);
    expect(result.exitCode, result.stderr).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME +MESSAGES +UNREAD +THREADS +UNREAD +TYPE +ID$/);
    const counts = expectedCounts('INBOX');
    expect(lines[1]).toMatch(new RegExp(`^INBOX +${counts.messagesTotal} +${counts.messagesUnread} +${counts.threadsTotal} +${counts.threadsUnread} +system +INBOX$`));
    expect(lines).toHaveLength(51);
  });

  it('a label that answers 404 to its get (deleted meanwhile) is left out; a failing part is retried alone', async () => {
    emulator.enqueue({ path: `${LABELS_PATH}/Label_2` }, { type: 'status', status: 404 });
    emulator.enqueue({ path: `${LABELS_PATH}/Label_1` }, { type: 'status', status: 503 });
    const result = await s.run(['labels', '--json']);
    expect(result.exitCode, result.stderr).toBe(0);
    const labels = JSON.parse(result.stdout) as Label[];
    expect(labels.map((l) => l.id)).not.toContain('Label_2');
    expect(labels.find((l) => l.id === 'Label_1')).toMatchObject(expectedCounts('Label_1'));
    expect(gmailCalls().map((r) => r.path)).toEqual([LABELS_PATH, `${LABELS_PATH}/Label_1`]);
  });

  it('shell completion offers the label names `labels` saw for --label (no network call)', async () => {
    await s.run(['labels', '--no-counts']);
    emulator.clearRequests();
    const names = await s.run(['__labels']);
    expect(names.exitCode, names.stderr).toBe(0);
    expect(names.stdout.split('\n')).toEqual(expect.arrayContaining(['INBOX', 'Receipts', 'Work/Projects', 'Project 036']));
    expect(emulator.requests).toHaveLength(0);
    const bash = await s.run(['completion', 'bash']);
    // Never through compgen -W, which would expand $(…) in a label's name.
    expect(bash.stdout).toContain('list:--label) _gmailctl_labels; return ;;');
    expect(bash.stdout).toContain('_gmailctl_labels() { _gmailctl_lines __labels; }');
    const fish = await s.run(['completion', 'fish']);
    expect(fish.stdout).toContain(`-l label -xa '(gmailctl __labels 2>/dev/null)'`);
    expect(fish.stdout).toContain(`-a labels -d`);
  });

  it('a missing login is exit 4, as for every command that reads mail', async () => {
    const result = await s.run(['labels', '--account', 'nobody@example.com']);
    expect(result.exitCode).toBe(4);
  });
});
