/**
 * `gmailctl list --follow` end to end: the built CLI keeps running while the test adds,
 * relabels and deletes messages in the emulator, breaks Google (503s, resets) and mends it,
 * and drops Gmail's history; each case checks what reached stdout (each new match once),
 * stderr (one line per outage and recovery) and what it cost (one history call a poll).
 */
import { execa } from 'execa';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { faults, startEmulator, type Emulator } from '../emulator/index.js';
import { startCli, type BackgroundRun } from '../helpers/background.js';
import { CLI, createSandbox, type Sandbox } from '../helpers/sandbox.js';

const ACCOUNT = 'ada@example.com';
/** Each test its own subject, so that one test's mail is not another's listing. */
let SUBJECT = '';
let QUERY: string[] = [];
let tests = 0;
/** One a test (no two tests share a subject). */
const NAMES = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet', 'kilo', 'lima', 'mike', 'november', 'oscar', 'papa', 'quebec', 'romeo', 'sierra', 'tango'];
const INTERVAL = ['--interval', '5'];
const HISTORY_PATH = '/gmail/v1/users/me/history';
const LIST_PATH = '/gmail/v1/users/me/messages';
/** Long enough for a poll (5 s) and a retried one; every wait below is bounded by it. */
const WAIT_MS = 20_000;

let emulator: Emulator;
let s: Sandbox;
const running: BackgroundRun[] = [];

beforeAll(async () => {
  emulator = await startEmulator({ accounts: [ACCOUNT], messages: 200, seed: 11 });
  s = await createSandbox(emulator);
  const login = await s.login();
  expect(login.exitCode, login.stderr).toBe(0);
});
afterAll(async () => {
  await s.cleanup();
  await emulator.close();
});
beforeEach(() => {
  tests += 1;
  SUBJECT = `Build ${NAMES[tests % NAMES.length]} finished`;
  QUERY = ['-q', `subject:"${SUBJECT.toLowerCase()}"`];
});
afterEach(async () => {
  for (const run of running.splice(0)) {
    run.child.kill('SIGKILL');
    await run.child;
  }
  emulator.clearFaults();
  emulator.clearRequests();
});

function follow(args: string[], env: Record<string, string> = s.env): BackgroundRun {
  const run = startCli(['list', ...args, '--follow'], env);
  running.push(run);
  return run;
}

const lines = (text: string): string[] => text.split('\n').filter((line) => line !== '');
const firstFields = (text: string): string[] => lines(text).map((line) => line.split('\t')[0]!);
const historyCalls = () => emulator.requests.filter((r) => r.path === HISTORY_PATH);
const listCalls = () => emulator.requests.filter((r) => r.path === LIST_PATH);

/** Resolves once `check` holds, polling; fails with `what` after WAIT_MS. */
async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = WAIT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Following has begun: its first history call has been answered. */
const following = (): Promise<void> => until('the first history call', () => historyCalls().length > 0);
const newMail = (count: number, options: { subject?: string; labelIds?: string[]; servedAfterMs?: number } = {}): string[] =>
  emulator.addMessages(count, { subject: SUBJECT, ...options }).map((m) => m.id);

describe('list --follow', { timeout: 90_000 }, () => {
  it('prints the listing, then each new match once as it arrives; relabels, deletions and other mail print nothing', async () => {
    const before = newMail(2);
    const run = follow([...QUERY, ...INTERVAL, '--format', 'tsv']);
    await until('the listing', () => lines(run.stdout()).length === 2);
    expect(firstFields(run.stdout())).toEqual([...before].reverse());
    await following();

    const first = newMail(2);
    newMail(1, { subject: 'Lunch?' }); // does not match the query
    newMail(1, { labelIds: ['SPAM'] }); // matches, but in spam
    await until('the two new matches', () => lines(run.stdout()).length === 4);

    // Relabelling and deleting printed ones is no news; a later arrival is.
    emulator.changeLabels([first[0]!, before[0]!], { add: ['STARRED'], remove: ['UNREAD'] });
    emulator.deleteMessages([first[1]!]);
    const later = newMail(1);
    await until('the later match', () => lines(run.stdout()).length === 5);
    const polls = historyCalls().length;
    await until('another poll', () => historyCalls().length > polls + 1);

    expect(firstFields(run.stdout())).toEqual([...before].reverse().concat(first, later));
    expect(lines(run.stdout())[4]).toContain(`\t${SUBJECT}`);
    expect(run.stderr()).toBe('');
    run.child.kill('SIGINT');
    expect((await run.child).exitCode).toBe(130);
  });

  it('costs one history call per interval when idle, and one list call for several new messages', async () => {
    const run = follow([...QUERY, ...INTERVAL, '--format', 'ids']);
    await following();
    emulator.clearRequests();
    await new Promise((resolve) => setTimeout(resolve, 11_000));
    const idle = emulator.requests.map((r) => r.path);
    // 11 s at one poll per 5 s: two or three polls, and nothing else.
    expect(idle.length).toBeGreaterThanOrEqual(2);
    expect(idle.length).toBeLessThanOrEqual(3);
    expect(new Set(idle)).toEqual(new Set([HISTORY_PATH]));
    expect(historyCalls().every((r) => r.query.getAll('historyTypes').includes('messageAdded'))).toBe(true);

    emulator.clearRequests();
    const added = newMail(4);
    newMail(2, { subject: 'Lunch?' });
    await until('four ids', () => lines(run.stdout()).length === 4);
    expect(lines(run.stdout())).toEqual(added);
    expect(listCalls()).toHaveLength(1);
    expect(listCalls()[0]!.query.get('q')).toMatch(/^\(subject:"build \w+ finished"\) after:\d+$/);
    run.child.kill('SIGTERM');
    expect((await run.child).exitCode).toBe(143);
  });

  it('asks again for a message that history reports before Gmail serves it (gog#379), and prints it once', async () => {
    const run = follow([...QUERY, ...INTERVAL, '--format', 'ids']);
    await following();
    const [late] = newMail(1, { servedAfterMs: 2_500 });
    await until('the late message', () => lines(run.stdout()).length === 1, 30_000);
    expect(lines(run.stdout())).toEqual([late]);
    const gets = emulator.requests.filter((r) => r.path.endsWith(`/messages/${late}`) || r.body.includes(`/messages/${late}`));
    expect(gets.length).toBeGreaterThan(1);
    expect(run.stderr()).toBe('');
  });

  it('says once that Google cannot be reached and once that it is back, and misses nothing of the outage', async () => {
    const run = follow([...QUERY, ...INTERVAL, '--format', 'ids']);
    await following();
    emulator.enqueue({ path: '/gmail/' }, faults.serverError(503), 1000);
    await run.waitForStderr(/cannot be reached/, WAIT_MS);
    const during = newMail(1);
    // Connection resets as well, for a few more polls.
    emulator.clearFaults();
    emulator.enqueue({ path: '/gmail/' }, faults.reset(), 1000);
    await new Promise((resolve) => setTimeout(resolve, 8_000));
    emulator.clearFaults();
    await run.waitForStderr(/can be reached again/, WAIT_MS);
    await until('the message sent during the outage', () => lines(run.stdout()).length === 1);
    expect(lines(run.stdout())).toEqual(during);
    expect(run.stderr().match(/cannot be reached/g)).toHaveLength(1);
    expect(run.stderr().match(/can be reached again/g)).toHaveLength(1);
    expect(run.child.exitCode).toBeNull();
  });

  it('outlives a real outage (connection refused): told once, back once, and what arrived meanwhile printed after it, once', async () => {
    // --debug: each retry is a line on stderr, so that the test sees the polls that fail.
    const run = follow([...QUERY, ...INTERVAL, '--format', 'ids', '--debug']);
    await following();
    const before = newMail(1);
    await until('a match before the outage', () => lines(run.stdout()).length === 1);
    await emulator.refuseConnections();
    try {
      await run.waitForStderr(/cannot be reached/, 60_000);
      expect(run.stderr()).toMatch(/cannot be reached \([^)]*(ECONNREFUSED|connect)/i);
      const during = newMail(2);
      // The next poll fails as well, and is told of no more.
      const retries = () => run.stderr().match(/retry 1 of/g)?.length ?? 0;
      const failedPolls = retries();
      await until('another failed poll', () => retries() > failedPolls);
      emulator.clearRequests();
      await emulator.acceptConnections();
      await run.waitForStderr(/can be reached again/, WAIT_MS);
      await until('the mail of the outage', () => lines(run.stdout()).length === 3);
      expect(lines(run.stdout())).toEqual([...before, ...during]);
      const polls = historyCalls().length;
      await until('another poll', () => historyCalls().length > polls);
      expect(lines(run.stdout())).toHaveLength(3);
      expect(run.stderr().match(/cannot be reached/g)).toHaveLength(1);
      expect(run.stderr().match(/can be reached again/g)).toHaveLength(1);
      expect(run.child.exitCode).toBeNull();
    } finally {
      await emulator.acceptConnections();
    }
  });

  it('resyncs with a warning when Gmail no longer has the history, printing nothing twice', async () => {
    const run = follow([...QUERY, ...INTERVAL, '--format', 'tsv']);
    await following();
    const seen = newMail(2);
    await until('two matches', () => lines(run.stdout()).length === 2);
    // Mail arrives, and Gmail forgets the history that told of it: a gap.
    const afterGap = newMail(2);
    emulator.expireHistory();
    await run.waitForStderr(/no longer has the mailbox's history/, WAIT_MS);
    await until('the matches after the gap', () => lines(run.stdout()).length >= 4);
    const polls = historyCalls().length;
    await until('another poll', () => historyCalls().length > polls);
    expect(firstFields(run.stdout())).toEqual([...seen, ...afterGap]);
  });

  it('exits 4 when the login is revoked while it runs', async () => {
    const run = follow([...QUERY, ...INTERVAL, '--format', 'ids']);
    await following();
    emulator.revokeAll();
    const result = await run.child;
    expect(result.exitCode).toBe(4);
    expect(run.stderr()).toMatch(/gmailctl login/);
    // A fresh login for the tests after this one.
    expect((await s.login()).exitCode).toBe(0);
  });

  it('refreshes an access token that expires during a long run', async () => {
    emulator.setAccessTokenLifetime(4);
    try {
      expect((await s.login()).exitCode).toBe(0);
      const run = follow([...QUERY, ...INTERVAL, '--format', 'ids']);
      await following();
      await new Promise((resolve) => setTimeout(resolve, 6_000));
      const added = newMail(1);
      await until('the new match', () => lines(run.stdout()).length === 1);
      expect(lines(run.stdout())).toEqual(added);
      expect(emulator.requests.filter((r) => r.path === '/token').length).toBeGreaterThan(1);
      expect(run.stderr()).toBe('');
    } finally {
      emulator.setAccessTokenLifetime(3599);
    }
  });

  /** `gmailctl list … --follow | head -1` in bash, which then says on stderr how gmailctl exited. */
  const followIntoHead = () =>
    execa('bash', ['-c', `"${process.execPath}" "${CLI}" list ${QUERY.map((a) => `'${a}'`).join(' ')} --interval 5 --follow --format ids | head -1; echo "status \${PIPESTATUS[0]}" >&2`], {
      env: s.env,
      extendEnv: false,
      reject: false,
      timeout: 60_000,
    });

  it('exits 0 once the reader of stdout is gone', async () => {
    const shell = followIntoHead();
    let err = '';
    shell.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
    await following();
    const [first] = newMail(1);
    // head has its line and is gone; the next message's line finds no reader.
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    newMail(1);
    const result = await shell;
    expect(String(result.stdout).trim()).toBe(first);
    expect(err).toMatch(/status 0/);
  });

  it('exits 0 soon after the reader of stdout is gone, while no mail comes (nothing to write to find out)', async () => {
    const shell = followIntoHead();
    await following();
    const [first] = newMail(1);
    // head has its line and is gone; no more mail comes, so no write finds it out.
    const result = await shell;
    expect(result.timedOut).toBe(false);
    expect(String(result.stdout).trim()).toBe(first);
    expect(result.stderr).toMatch(/status 0/);
  });

  it('refuses --format json, an interval under 5 s, and --interval without --follow (exit 2)', async () => {
    const json = await s.run(['list', '--follow', '--json']);
    expect(json.exitCode).toBe(2);
    expect(json.stderr).toMatch(/ndjson/);
    expect((await s.run(['list', '--follow', '--interval', '4'])).exitCode).toBe(2);
    expect((await s.run(['list', '--interval', '10'])).exitCode).toBe(2);
  });
});

describe('list --follow --since-last NAME', { timeout: 120_000 }, () => {
  /** Ids printed by every run so far under one cursor, in order. */
  const printedBy = (runs: BackgroundRun[]): string[] => runs.flatMap((run) => lines(run.stdout()));
  /** Resolves once the emulator was asked for one of these messages' metadata (alone or in a batch). */
  const askedFor = (ids: readonly string[]) =>
    until('a metadata request for the new mail', () => emulator.requests.some((r) => ids.some((id) => r.path.endsWith(`/messages/${id}`))));
  /** Resolves once a history call arrived after `count` of them (the poll after what was printed). */
  const pollAfter = (count: number) => until('the next poll', () => historyCalls().length > count);

  it('advances after each printed message: kill -9 in the middle of new mail, a restart prints the rest once and nothing twice', async () => {
    const name = `follow-${tests}`;
    const before = newMail(2);
    const first = follow([...QUERY, ...INTERVAL, '--format', 'ids', '--since-last', name]);
    // The first run prints every match (the cursor starts), then follows.
    await until('the listing', () => lines(first.stdout()).length === 2);
    expect(lines(first.stdout()).sort()).toEqual([...before].sort());
    await following();
    const a = newMail(3);
    await until('the first new mail', () => lines(first.stdout()).length === 5);
    await pollAfter(historyCalls().length);

    // The next new mail is reported, and its metadata held back: kill -9 while it is in flight.
    emulator.enqueue({ path: /^\/gmail\/v1\/users\/me\/messages\/[^/]+$/ }, faults.slow(60_000), 10);
    const b = newMail(3);
    await askedFor(b);
    first.child.kill('SIGKILL');
    await first.child;
    emulator.clearFaults();
    const c = newMail(2); // while nothing follows

    emulator.clearRequests();
    const second = follow([...QUERY, ...INTERVAL, '--format', 'ids', '--since-last', name]);
    await until('what arrived since the cursor', () => lines(second.stdout()).length === 5);
    expect(lines(second.stdout()).sort()).toEqual([...b, ...c].sort());
    await following();
    const d = newMail(1);
    await until('the mail after the restart', () => lines(second.stdout()).length === 6);
    const polls = historyCalls().length;
    await pollAfter(polls);
    second.child.kill('SIGKILL');
    await second.child;

    // A third run: nothing is new.
    emulator.clearRequests();
    const third = follow([...QUERY, ...INTERVAL, '--format', 'ids', '--since-last', name]);
    // Its cursor's history read, then the first poll of following: the listing is over.
    await until('the first poll', () => historyCalls().length > 1);
    const all = printedBy([first, second, third]);
    expect(all.sort()).toEqual([...before, ...a, ...b, ...c, ...d].sort());
    expect(new Set(all).size).toBe(all.length);
    expect(second.stderr() + third.stderr()).toBe('');
  });

  it('advances after each page of the listing: kill -9 between two pages, a restart prints the second page only', async () => {
    const name = `pages-${tests}`;
    // 150 matches: the listing writes the newest 100, then the 50 oldest; those 50's metadata is held back.
    const added = newMail(150);
    const oldest = added.slice(0, 50);
    emulator.enqueue({ path: new RegExp(`/messages/(${oldest.join('|')})$`) }, faults.slow(60_000), 1);
    const first = follow([...QUERY, ...INTERVAL, '--format', 'tsv', '--since-last', name]);
    await until('the first page', () => lines(first.stdout()).length === 100);
    // The cursor has moved past that page (it exists only once it has advanced).
    await until('the cursor saved', () => execa(process.execPath, [CLI, 'cursor', 'list', '--json'], { env: s.env, extendEnv: false }).then((r) => r.stdout.includes(`"${name}"`)), WAIT_MS);
    first.child.kill('SIGKILL');
    await first.child;
    emulator.clearFaults();

    const second = follow([...QUERY, ...INTERVAL, '--format', 'tsv', '--since-last', name]);
    await until('the second page', () => lines(second.stdout()).length === 50);
    await until('the first poll', () => historyCalls().length > 0);
    expect(firstFields(first.stdout())).toEqual([...added.slice(50)].reverse());
    expect(firstFields(second.stdout())).toEqual([...oldest].reverse());
  });

  it('after a history gap while following: resynced with a warning, and a restart prints nothing twice', async () => {
    const name = `gap-${tests}`;
    const first = follow([...QUERY, ...INTERVAL, '--format', 'ids', '--since-last', name]);
    await following();
    const seen = newMail(2);
    await until('two matches', () => lines(first.stdout()).length === 2);
    const afterGap = newMail(2);
    emulator.expireHistory();
    await first.waitForStderr(/no longer has the mailbox's history/, WAIT_MS);
    await until('the matches after the gap', () => lines(first.stdout()).length === 4);
    await pollAfter(historyCalls().length);
    first.child.kill('SIGTERM');
    expect((await first.child).exitCode).toBe(143);

    emulator.clearRequests();
    const second = follow([...QUERY, ...INTERVAL, '--format', 'ids', '--since-last', name]);
    await following();
    const later = newMail(1);
    await until('the mail after the restart', () => lines(second.stdout()).length === 1);
    expect(lines(first.stdout())).toEqual([...seen, ...afterGap]);
    expect(lines(second.stdout())).toEqual(later);
    expect(second.stderr()).toBe('');
  });

  it('refuses --no-commit and -n with --follow --since-last (exit 2), saying why', async () => {
    const noCommit = await s.run(['list', ...QUERY, '--follow', '--since-last', 'x', '--no-commit']);
    expect(noCommit.exitCode).toBe(2);
    expect(noCommit.stderr).toMatch(/--no-commit/);
    const max = await s.run(['list', ...QUERY, '--follow', '--since-last', 'x', '-n', '3']);
    expect(max.exitCode).toBe(2);
    expect(max.stderr).toMatch(/-n/);
    // Refused before anything is asked of Google.
    expect(emulator.requests).toEqual([]);
  });
});
