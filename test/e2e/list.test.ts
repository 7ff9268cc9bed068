/** `gmailctl list` end to end: paging, formats, retries and pipes, against the emulator. */
import { execa } from 'execa';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../emulator/index.js';
import { startCli } from '../helpers/background.js';
import { CLI, createSandbox, type Sandbox } from '../helpers/sandbox.js';

const ACCOUNT = 'ada@example.com';
const MESSAGES = 1234;
let emulator: Emulator;
let s: Sandbox;
let allIds: string[];

const LIST_PATH = '/gmail/v1/users/me/messages';
const listCalls = () => emulator.requests.filter((r) => r.path === LIST_PATH);
const getCalls = () => emulator.requests.filter((r) => r.path.startsWith(`${LIST_PATH}/`));
const tokenCalls = () => emulator.requests.filter((r) => r.path === '/token');

beforeAll(async () => {
  emulator = await startEmulator({ accounts: [ACCOUNT], messages: MESSAGES, seed: 7 });
  s = await createSandbox(emulator, { runner: 'in-process' });
  const login = await s.login();
  expect(login.exitCode, login.stderr).toBe(0);
  allIds = await idsFromApi(new URLSearchParams());
});
afterAll(async () => {
  await s.cleanup();
  await emulator.close();
});
afterEach(() => {
  emulator.setLatency(0);
  emulator.clearRequests();
});

/** What Gmail itself answers for a query, paged by hand: the reference for the CLI's output. */
async function idsFromApi(params: URLSearchParams): Promise<string[]> {
  const token = (await s.run(['token'])).stdout.trim();
  const ids: string[] = [];
  let pageToken: string | undefined;
  do {
    const query = new URLSearchParams(params);
    query.set('maxResults', '500');
    if (pageToken) query.set('pageToken', pageToken);
    const response = await fetch(new URL(`gmail/v1/users/me/messages?${query}`, emulator.url), { headers: { Authorization: `Bearer ${token}` } });
    const body = (await response.json()) as { messages?: Array<{ id: string }>; nextPageToken?: string };
    ids.push(...(body.messages ?? []).map((m) => m.id));
    pageToken = body.nextPageToken;
  } while (pageToken);
  return ids;
}

const lines = (text: string): string[] => text.split('\n').filter((line) => line !== '');

describe('paging', () => {
  it('lists every id of 1,234 messages in 3 list calls of 500, in the API order, with no metadata calls', async () => {
    emulator.clearRequests();
    const result = await s.run(['list', '--format', 'ids']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toBe('');
    expect(lines(result.stdout)).toEqual(allIds);
    expect(allIds.length).toBeGreaterThan(1000);
    expect(new Set(allIds).size).toBe(allIds.length);
    expect(listCalls()).toHaveLength(Math.ceil(allIds.length / 500));
    expect(listCalls().every((r) => r.query.get('maxResults') === '500')).toBe(true);
    expect(getCalls()).toHaveLength(0);
  });

  it('stops paging once --max is reached', async () => {
    emulator.clearRequests();
    const result = await s.run(['list', '--format', 'ids', '--max', '600']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(lines(result.stdout)).toEqual(allIds.slice(0, 600));
    expect(listCalls().map((r) => r.query.get('maxResults'))).toEqual(['500', '100']);
  });

  it('treats an empty result as success', async () => {
    const ids = await s.run(['list', '--format', 'ids', '-q', 'subject:"no such subject anywhere"']);
    expect(ids.exitCode, ids.stderr).toBe(0);
    expect(ids.stdout).toBe('');
    const json = await s.run(['list', '--json', '-q', 'subject:"no such subject anywhere"']);
    expect(json.exitCode).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual([]);
    const table = await s.run(['list', '--format', 'table', '-q', 'subject:"no such subject anywhere"']);
    expect(table.exitCode).toBe(0);
    expect(table.stdout).toBe('');
    expect(table.stderr).toMatch(/No messages match\./);
  });
});

describe('what is sent', () => {
  it('sends -q verbatim: quotes, unicode, and a query that starts with "-"', async () => {
    for (const query of ['subject:"日本語" -is:unread', '-label:INBOX', 'from:"Ada, Countess" OR to:me']) {
      emulator.clearRequests();
      const result = await s.run(['list', '--format', 'ids', '--max', '5', '-q', query]);
      expect(result.exitCode, result.stderr).toBe(0);
      expect(listCalls()[0]?.query.get('q')).toBe(query);
    }
  });

  it('sends each --label as a labelIds value, and --include-spam-trash', async () => {
    emulator.clearRequests();
    const result = await s.run(['list', '--format', 'ids', '--label', 'INBOX', '--label', 'UNREAD', '--include-spam-trash']);
    expect(result.exitCode, result.stderr).toBe(0);
    const call = listCalls()[0];
    expect(call?.query.getAll('labelIds')).toEqual(['INBOX', 'UNREAD']);
    expect(call?.query.get('includeSpamTrash')).toBe('true');
    const expected = await idsFromApi(new URLSearchParams([['labelIds', 'INBOX'], ['labelIds', 'UNREAD'], ['includeSpamTrash', 'true']]));
    expect(lines(result.stdout)).toEqual(expected);
  });

  it('fetches metadata with format=metadata and only the four headers it shows', async () => {
    emulator.clearRequests();
    const result = await s.run(['list', '--format', 'tsv', '--max', '30']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(getCalls()).toHaveLength(30);
    for (const call of getCalls()) {
      expect(call.query.get('format')).toBe('metadata');
      expect(call.query.getAll('metadataHeaders').sort()).toEqual(['Date', 'From', 'Subject', 'To']);
    }
  });
});

describe('batching', () => {
  it('fetches metadata in batches of at most 20 calls (a user may have 25 in flight), each part a metadata get', async () => {
    emulator.clearRequests();
    const result = await s.run(['list', '--format', 'ndjson', '--max', '230']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(lines(result.stdout).map((l) => (JSON.parse(l) as { id: string }).id)).toEqual(allIds.slice(0, 230));
    const batches = emulator.requests.filter((r) => r.path === '/batch/gmail/v1');
    expect(batches.every((r) => r.method === 'POST')).toBe(true);
    const parts = batches.map((r) => r.body.match(/^Content-Type: application\/http/gm)?.length ?? 0);
    expect(Math.max(...parts)).toBeLessThanOrEqual(20);
    expect(parts.reduce((a, b) => a + b, 0)).toBe(230);
    expect(getCalls()).toHaveLength(230);
    expect(getCalls().every((r) => r.batch === true && r.query.get('format') === 'metadata')).toBe(true);
  });

  it('after a rate-limited part, fetches it again on its own, goes on in paced batches and loses nothing', async () => {
    emulator.clearRequests();
    emulator.enqueue(`${LIST_PATH}/`, { type: 'status', status: 429, retryAfter: '1' }, 1);
    const result = await s.run(['list', '--format', 'ndjson', '--max', '300']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(lines(result.stdout).map((l) => (JSON.parse(l) as { id: string }).id)).toEqual(allIds.slice(0, 300));
    const single = getCalls().filter((r) => !r.batch);
    const refusedAt = getCalls().find((r) => r.status === 429)!.at;
    expect(getCalls().filter((r) => r.batch && r.at > refusedAt).length).toBeGreaterThan(100);
    // The rate-limited message was fetched again, on its own.
    const limited = getCalls().find((r) => r.status === 429);
    expect(single.some((r) => r.path === limited?.path && r.status === 200)).toBe(true);
  });
});

describe('formats', () => {
  it('tsv: id, date, from, subject; no header; tabs and newlines inside fields become spaces', async () => {
    const result = await s.run(['list', '--format', 'tsv']);
    expect(result.exitCode, result.stderr).toBe(0);
    const rows = lines(result.stdout).map((line) => line.split('\t'));
    expect(rows.map((r) => r[0])).toEqual(allIds);
    for (const row of rows) {
      expect(row).toHaveLength(4);
      expect(row[1]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    }
    // The seeded mailbox has subjects with tabs and newlines; they arrive intact as JSON…
    const json = JSON.parse((await s.run(['list', '--json'])).stdout) as Array<{ subject: string }>;
    const awkward = json.filter((m) => /[\t\n\r]/.test(m.subject));
    expect(awkward.length).toBeGreaterThan(0);
    // …and as one-line fields in TSV.
    for (const m of awkward) expect(result.stdout).toContain(m.subject.replace(/[\t\n\r]/g, ' '));
  });

  it('json: one array of message objects with the spec\'s fields; date from internalDate', async () => {
    emulator.clearRequests();
    const result = await s.run(['list', '--json', '--max', '25']);
    expect(result.exitCode, result.stderr).toBe(0);
    const messages = JSON.parse(result.stdout) as Array<Record<string, unknown>>;
    expect(messages.map((m) => m.id)).toEqual(allIds.slice(0, 25));
    const token = (await s.run(['token'])).stdout.trim();
    for (const m of messages) {
      expect(Object.keys(m).sort()).toEqual(['date', 'from', 'id', 'labelIds', 'snippet', 'subject', 'threadId', 'to']);
      const raw = (await (
        await fetch(new URL(`gmail/v1/users/me/messages/${m.id}?format=metadata`, emulator.url), { headers: { Authorization: `Bearer ${token}` } })
      ).json()) as { internalDate: string; threadId: string; labelIds: string[] };
      expect(m.date).toBe(new Date(Number(raw.internalDate)).toISOString());
      expect(m.threadId).toBe(raw.threadId);
      expect(m.labelIds).toEqual(raw.labelIds);
    }
  });

  it('ndjson: one message object per line', async () => {
    const result = await s.run(['list', '--format', 'ndjson', '--max', '120']);
    expect(result.exitCode, result.stderr).toBe(0);
    const objects = lines(result.stdout).map((line) => JSON.parse(line) as { id: string });
    expect(objects.map((m) => m.id)).toEqual(allIds.slice(0, 120));
  });

  it('--json is the same as --format json; an unknown format is a usage error', async () => {
    const a = await s.run(['list', '--json', '--max', '3']);
    const b = await s.run(['list', '--format', 'json', '--max', '3']);
    expect(a.stdout).toBe(b.stdout);
    const bad = await s.run(['list', '--format', 'xml']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/xml/);
  });

  it('table on a terminal: aligned to its width, cut with …, header first', async () => {
    const columns = 90;
    const command = `stty cols ${columns} rows 50; ${process.execPath} ${CLI} list --max 40`;
    const result = await execa('script', ['-qec', command, '/dev/null'], { env: { ...s.env, TERM: 'xterm' }, extendEnv: false, reject: false });
    expect(result.exitCode, result.stderr).toBe(0);
    const { default: stringWidth } = await import('string-width');
    const screen = result.stdout.replace(/\r/g, '').split('\n').filter((line) => line.trim() !== '');
    const rows = screen.filter((line) => !line.includes('\x1b[2K'));
    expect(rows[0]).toMatch(/^ID\s+DATE\s+FROM\s+SUBJECT/);
    expect(rows.slice(1).map((row) => row.trim().split(/\s+/)[0])).toEqual(allIds.slice(0, 40));
    for (const row of rows) expect(stringWidth(row)).toBeLessThanOrEqual(columns);
    expect(rows.some((row) => row.includes('…'))).toBe(true);
  });
});

describe('tokens and retries', () => {
  it('refreshes an access token that is about to expire before the first request', async () => {
    emulator.setAccessTokenLifetime(60);
    const t = await createSandbox(emulator, { runner: 'in-process' });
    try {
      expect((await t.login()).exitCode).toBe(0);
      emulator.clearRequests();
      const result = await t.run(['list', '--format', 'ids', '--max', '3']);
      expect(result.exitCode, result.stderr).toBe(0);
      const first = emulator.requests[0];
      expect(first?.path).toBe('/token');
      expect(emulator.requests.filter((r) => r.status === 401)).toHaveLength(0);
    } finally {
      emulator.setAccessTokenLifetime(3599);
      await t.cleanup();
    }
  });

  it('answers a 401 with one refresh and one retry', async () => {
    const t = await createSandbox(emulator, { runner: 'in-process' });
    try {
      expect((await t.login()).exitCode).toBe(0);
      emulator.expireAccessTokens();
      emulator.clearRequests();
      const result = await t.run(['list', '--format', 'ids', '--max', '3']);
      expect(result.exitCode, result.stderr).toBe(0);
      expect(lines(result.stdout)).toHaveLength(3);
      expect(tokenCalls()).toHaveLength(1);
      expect(listCalls().map((r) => r.status)).toEqual([401, 200]);
      // Two runs in a row after that: the refreshed token was cached, no more refreshes.
      emulator.clearRequests();
      expect((await t.run(['list', '--format', 'ids', '--max', '3'])).exitCode).toBe(0);
      expect(tokenCalls()).toHaveLength(0);
    } finally {
      await t.cleanup();
    }
  });

  it('exits 4 naming the account when the login was revoked (invalid_grant)', async () => {
    const t = await createSandbox(emulator, { runner: 'in-process' });
    try {
      expect((await t.login()).exitCode).toBe(0);
      emulator.revokeAll();
      const result = await t.run(['list', '--format', 'ids']);
      expect(result.exitCode).toBe(4);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(/ada@example\.com/);
      expect(result.stderr).toMatch(/gmailctl login/);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    } finally {
      await t.cleanup();
      // revokeAll killed the shared sandbox's login too: log it in again.
      expect((await s.login()).exitCode).toBe(0);
    }
  });

  it('honours Retry-After on a 429', async () => {
    emulator.clearRequests();
    emulator.enqueue(LIST_PATH, { type: 'status', status: 429, retryAfter: '1' }, 1);
    const result = await s.run(['list', '--format', 'ids', '--max', '10']);
    expect(result.exitCode, result.stderr).toBe(0);
    const [first, second] = listCalls();
    expect(first?.status).toBe(429);
    expect(second?.status).toBe(200);
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(950);
  });

  it('retries 5xx, 403 rate limits and connection resets on metadata calls, losing no message', async () => {
    emulator.clearRequests();
    emulator.enqueue(`${LIST_PATH}/`, { type: 'status', status: 503 }, 2);
    emulator.enqueue(`${LIST_PATH}/`, { type: 'status', status: 403, reason: 'userRateLimitExceeded' }, 2);
    emulator.enqueue(`${LIST_PATH}/`, { type: 'status', status: 403, reason: 'rateLimitExceeded' }, 1);
    emulator.enqueue(`${LIST_PATH}/`, { type: 'status', status: 500 }, 1);
    emulator.enqueue(`${LIST_PATH}/`, { type: 'reset' }, 1);
    const result = await s.run(['list', '--format', 'ndjson', '--max', '50']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(lines(result.stdout).map((l) => (JSON.parse(l) as { id: string }).id)).toEqual(allIds.slice(0, 50));
    expect(getCalls().filter((r) => r.status !== 200).length).toBeGreaterThanOrEqual(6);
  });

  it('gives up after a bounded number of attempts, naming the status and Google\'s message', async () => {
    emulator.clearRequests();
    emulator.enqueue(LIST_PATH, { type: 'status', status: 503, message: 'The service is currently unavailable.' }, 50);
    const result = await s.run(['list', '--format', 'ids']);
    const attempts = listCalls().length;
    emulator.clearFaults();
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/503/);
    expect(result.stderr).toMatch(/The service is currently unavailable/);
    expect(attempts).toBeGreaterThan(1);
    expect(attempts).toBeLessThanOrEqual(6);
  });

  it('does not retry a 403 insufficientPermissions, says which scope is missing, exit 4 (the contract since issue 11)', async () => {
    emulator.clearRequests();
    emulator.enqueue(LIST_PATH, { type: 'status', status: 403, reason: 'insufficientPermissions' }, 1);
    const result = await s.run(['list', '--format', 'ids']);
    expect(result.exitCode).toBe(4);
    expect(listCalls(), result.stderr).toHaveLength(1);
    expect(result.stderr).toMatch(/gmail\.readonly/);
  });

  it('does not retry an invalid query, and shows Google\'s message', async () => {
    emulator.clearRequests();
    const result = await s.run(['list', '--format', 'ids', '-q', 'subject:"unbalanced']);
    expect(result.exitCode).toBe(1);
    expect(listCalls()).toHaveLength(1);
    expect(result.stderr).toMatch(/Invalid query/);
  });

  it('keeps a json array valid when a page body is malformed: exit 1, what was written is closed', async () => {
    emulator.clearRequests();
    const listOnly = { path: /^\/gmail\/v1\/users\/me\/messages$/ };
    emulator.enqueue(listOnly, { type: 'delay', ms: 0 }, 1); // the first page arrives normally
    emulator.enqueue(listOnly, { type: 'raw', status: 200, body: '{"messages": [', contentType: 'application/json' }, 5);
    const result = await s.run(['list', '--json', '--max', '250']);
    emulator.clearFaults();
    expect(result.exitCode).toBe(1);
    const written = JSON.parse(result.stdout) as Array<{ id: string }>;
    expect(written.map((m) => m.id)).toEqual(allIds.slice(0, written.length));
    expect(written.length).toBeGreaterThan(0);
  });
});

describe('pipes and signals', () => {
  it('stops fetching and exits 0 quietly when the reader closes stdout (| head -1)', async () => {
    emulator.setLatency(20);
    emulator.clearRequests();
    const result = await execa('bash', ['-c', `${process.execPath} ${CLI} list --format tsv | head -1; echo "status=\${PIPESTATUS[0]}" >&2`], {
      env: s.env,
      extendEnv: false,
      reject: false,
    });
    expect(lines(result.stdout)).toHaveLength(1);
    expect(result.stdout.startsWith(allIds[0] ?? '?')).toBe(true);
    expect(result.stderr.trim()).toBe('status=0');
    expect(getCalls().length).toBeLessThan(allIds.length / 2);
  });

  it('exits 130 on SIGINT with what was written flushed and a valid JSON array', async () => {
    emulator.setLatency(30);
    const run = startCli(['list', '--json'], s.env, { stdin: 'ignore' });
    await run.waitForStdout('"id"');
    run.child.kill('SIGINT');
    const result = await run.child;
    expect(result.exitCode).toBe(130);
    const written = JSON.parse(run.stdout()) as Array<{ id: string }>;
    expect(written.length).toBeGreaterThan(0);
    expect(written.length).toBeLessThan(allIds.length);
    expect(written.map((m) => m.id)).toEqual(allIds.slice(0, written.length));
  });
});
