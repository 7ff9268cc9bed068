/**
 * What gmailctl says, read as a new user reads it (issue #24, item 5): no "., " glued to a
 * message, no "1 messages", no default shown twice, usage errors that point to the help of
 * the command that was mistyped, the real reason a directory cannot be made, and the table's
 * rule for dropping columns written where users look for it.
 */
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, type Sandbox } from '../helpers/sandbox.js';
import { readOnlyMounts, runReadOnlyTests } from '../helpers/read-only.js';
import { useEmulator } from '../helpers/use-emulator.js';

const ADA = 'ada@example.com';

const newSandbox = useEmulator({ accounts: [ADA], messages: 12 }, () => undefined, { runner: 'in-process' });
const readOnlyDuringTest = readOnlyMounts();

async function loggedIn(options: { cache?: boolean } = {}): Promise<Sandbox> {
  const s = await newSandbox(options);
  const result = await s.login(['--account', ADA]);
  expect(result.exitCode, result.stderr).toBe(0);
  return s;
}

describe('status', () => {
  it('Google out of reach: the reason and the login age read as one sentence, not "ECONNREFUSED., logged in today"', async () => {
    const s = await loggedIn();
    const result = await s.run(['status'], { env: { GMAILCTL_API_ROOT: 'http://127.0.0.1:9/' } });
    expect(result.exitCode).toBe(1);
    const line = result.stdout.split('\n').find((l) => l.includes(ADA)) ?? '';
    expect(line).toMatch(/logged in today/);
    expect(line).not.toMatch(/\.,/);
  });

  it('a cache of one message says "1 message"', async () => {
    const s = await loggedIn({ cache: true });
    expect((await s.run(['list', '-n', '1', '--format', 'tsv'])).exitCode).toBe(0);
    const result = await s.run(['status']);
    expect(result.stdout).toMatch(/cache: 1 message, /);
  });
});

/** Help as one line per option: commander wraps a description at 80 columns in a pipe. */
async function helpOf(s: Sandbox, command: string[]): Promise<string> {
  const result = await s.run([...command, '--help']);
  expect(result.exitCode).toBe(0);
  return result.stdout.replace(/\n {10,}/g, ' ');
}

describe('help', () => {
  it('login --help shows the port\'s default once', async () => {
    const s = await newSandbox();
    const help = await helpOf(s, ['login']);
    expect(help).toMatch(/--port <n>.*\(default: any free port\)/);
    expect(help).not.toMatch(/\(default: 0\)/);
  });

  it('no option of any command shows two defaults', async () => {
    const s = await newSandbox();
    for (const command of [['login'], ['logout'], ['status'], ['switch'], ['token'], ['list'], ['show'], ['cache', 'clear'], ['completion']]) {
      const help = await helpOf(s, command);
      for (const line of help.split('\n')) expect((line.match(/\(default:/g) ?? []).length, `${command.join(' ')}: ${line}`).toBeLessThanOrEqual(1);
    }
  });

  it('list --help says when the table leaves DATE and FROM out', async () => {
    const s = await newSandbox();
    const help = await helpOf(s, ['list']);
    expect(help).toMatch(/DATE[^.]*below 58 columns/);
    expect(help).toMatch(/FROM[^.]*below 40 columns/);
  });

  it('the README says the same', async () => {
    const readme = await readFile(path.join(ROOT, 'README.md'), 'utf8');
    expect(readme).toMatch(/DATE[^.]*below 58 columns/);
    expect(readme).toMatch(/FROM[^.]*below 40 columns/);
    // list --threads' table, with its MSGS column (test/unit/new-user.test.ts holds the numbers).
    expect(readme).toMatch(/MSGS always staying \(DATE is left out below 64 columns and FROM below 46\)/);
  });
});

describe('usage errors point to the help of the command that was mistyped', () => {
  const cases: Array<{ args: string[]; help: string }> = [
    { args: ['list', '--format', 'xml'], help: 'gmailctl list --help' },
    { args: ['list', '--bogus'], help: 'gmailctl list --help' },
    { args: ['login', '--port', 'x'], help: 'gmailctl login --help' },
    { args: ['cache', 'clear', '--bogus'], help: 'gmailctl cache clear --help' },
    { args: ['nosuch'], help: 'gmailctl --help' },
    { args: ['--bogus'], help: 'gmailctl --help' },
  ];
  for (const { args, help } of cases) {
    it(`gmailctl ${args.join(' ')} → Run '${help}'`, async () => {
      const s = await newSandbox();
      const result = await s.run(args);
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toContain(`Run '${help}' for usage.`);
    });
  }
});

describe.runIf(runReadOnlyTests)('a cache directory that cannot be created on a read-only disk is reported as such, not as ENOENT', () => {
  it('the cache dir: list warns that it is read-only and runs uncached', async () => {
    const s = await loggedIn();
    const parent = path.join(s.dir, 'ro');
    await mkdir(parent);
    await readOnlyDuringTest(parent);
    const result = await s.run(['list', '--format', 'tsv'], { env: { GMAILCTL_NO_CACHE: undefined, GMAILCTL_CACHE_DIR: path.join(parent, 'cache') } });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/read-only/);
    expect(result.stderr).not.toMatch(/ENOENT/);
  });

  // Found trying the packed tarball: a cache made earlier, on a disk that is read-only now (a
  // container's read-only home, a disk remounted after errors), was "unable to open database file".
  it('a cache file that exists on a read-only disk: the warning names the file, says read-only and what to do', async () => {
    const s = await loggedIn();
    const cacheDir = path.join(s.dir, 'made-earlier');
    const env = { GMAILCTL_NO_CACHE: undefined, GMAILCTL_CACHE_DIR: cacheDir };
    const first = await s.run(['list', '--format', 'tsv'], { env });
    expect(first.exitCode, first.stderr).toBe(0);
    expect(first.stderr).toBe('');
    await readOnlyDuringTest(cacheDir);
    const result = await s.run(['list', '--format', 'tsv'], { env });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toBe(first.stdout);
    expect(result.stderr).toMatch(/^warning: Not using the message cache/);
    expect(result.stderr).toContain(path.join(cacheDir, `${encodeURIComponent(ADA)}.cache.sqlite`));
    expect(result.stderr).toMatch(/read-only/);
    expect(result.stderr).toMatch(/GMAILCTL_CACHE_DIR/);
  });
});
