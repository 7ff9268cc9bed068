/**
 * Every recipe in the README's "Recipes for shell scripts" section, run as written (with
 * `gmailctl` on PATH) against the emulator, so that the README stays true. The only change
 * made to a recipe: Google's API root becomes the emulator's.
 */
import { chmod, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../emulator/index.js';
import { CLI, createSandbox, ROOT, type Sandbox } from '../helpers/sandbox.js';

const ACCOUNT = 'ada@example.com';
let emulator: Emulator;
let s: Sandbox;
let bin: string;

/** The fenced sh blocks of one README section, each split into recipes at blank lines. */
async function recipesOf(section: string): Promise<string[][]> {
  const readme = await readFile(path.join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf(`\n## ${section}\n`);
  expect(start, `README has a "${section}" section`).toBeGreaterThan(0);
  const end = readme.indexOf('\n## ', start + 1);
  const text = readme.slice(start, end);
  return [...text.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!.split(/\n\s*\n/).map((r) => r.trim()).filter(Boolean));
}

function forEmulator(recipe: string): string {
  return recipe.replaceAll('https://gmail.googleapis.com/', emulator.url);
}

async function sh(script: string, env: Record<string, string> = {}) {
  const result = await execa('bash', ['-o', 'pipefail', '-c', script], {
    env: { ...s.env, PATH: `${bin}:${s.env.PATH ?? ''}`, ...env },
    extendEnv: false,
    reject: false,
    cwd: s.dir,
    timeout: 60_000,
  });
  return { exitCode: result.exitCode, stdout: String(result.stdout), stderr: String(result.stderr) };
}

beforeAll(async () => {
  emulator = await startEmulator({ accounts: [ACCOUNT], messages: 30 });
  s = await createSandbox(emulator);
  bin = path.join(s.dir, 'bin');
  await mkdir(bin);
  await writeFile(path.join(bin, 'gmailctl'), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`);
  await chmod(path.join(bin, 'gmailctl'), 0o755);
  const login = await s.login();
  expect(login.exitCode, login.stderr).toBe(0);
});
afterAll(async () => {
  await s?.cleanup();
  await emulator?.close();
});

describe('README: list --since-last', () => {
  /** The first line of the Commands section that `pick` accepts. */
  async function commandsLine(pick: (line: string) => boolean): Promise<string> {
    const line = (await recipesOf('Commands')).flat().join('\n').split('\n').find(pick);
    expect(line, 'the README has the recipe').toBeDefined();
    return line!.trim();
  }

  it('the notifier cron line notifies about each new matching message once, as mail arrives between runs', async () => {
    const cron = await commandsLine((line) => /^([\d*/,-]+ ){5}.*--since-last/.test(line));
    const command = cron.split(' ').slice(5).join(' ');
    // notify-send, as a desktop has it: here it writes down what it was asked to show.
    await writeFile(path.join(bin, 'notify-send'), `#!/bin/sh\nprintf '%s\\n' "$*" >> "${path.join(s.dir, 'notified')}"\n`);
    await chmod(path.join(bin, 'notify-send'), 0o755);
    const notified = async (): Promise<string[]> => (await readFile(path.join(s.dir, 'notified'), 'utf8').catch(() => '')).split('\n').filter(Boolean);
    const unread = emulator.mailbox(ACCOUNT).filter((m) => m.labelIds.includes('UNREAD') && !m.labelIds.some((l) => l === 'SPAM' || l === 'TRASH'));

    const first = await sh(command);
    expect(first.exitCode, first.stderr).toBe(0);
    expect(await notified()).toHaveLength(unread.length);

    const added = emulator.addMessages(2);
    emulator.addMessages(1, { labelIds: ['SENT'] });
    const second = await sh(command);
    expect(second.exitCode, second.stderr).toBe(0);
    const after = await notified();
    expect(after.slice(unread.length).sort()).toEqual(added.map((m) => `${m.from}: ${m.subject}`).sort());

    const third = await sh(command);
    expect(third.exitCode, third.stderr).toBe(0);
    expect(await notified()).toHaveLength(unread.length + 2);
  }, 120_000);

  it('the --no-commit recipe: a failing consumer leaves the cursor, a succeeding one commits it', async () => {
    const recipe = await commandsLine((line) => line.includes('--no-commit') && line.includes('cursor commit'));
    const process = path.join(s.dir, 'process');
    const consumer = async (script: string) => {
      await writeFile(process, `#!/bin/sh\n${script}\n`);
      await chmod(process, 0o755);
    };
    const handled = async (): Promise<string[]> =>
      (await readFile(path.join(s.dir, 'handled.ndjson'), 'utf8').catch(() => '')).split('\n').filter(Boolean).map((line) => (JSON.parse(line) as { id: string }).id);
    // The cursor starts where the mailbox is now.
    await consumer('cat > /dev/null');
    expect((await sh(recipe)).exitCode).toBe(0);

    const added = emulator.addMessages(3).map((m) => m.id);
    await consumer('cat > /dev/null; exit 1');
    const failed = await sh(recipe);
    expect(failed.exitCode).toBe(1);

    await consumer(`cat >> "${path.join(s.dir, 'handled.ndjson')}"`);
    const succeeded = await sh(recipe);
    expect(succeeded.exitCode, succeeded.stderr).toBe(0);
    expect((await handled()).sort()).toEqual([...added].sort());

    const again = await sh(recipe);
    expect(again.exitCode, again.stderr).toBe(0);
    expect((await handled()).sort()).toEqual([...added].sort());
  }, 120_000);
});

describe('README: list --threads', () => {
  it('"how many unread conversations in the inbox" counts what Gmail counts (labels\' INBOX threadsUnread), from list calls only', async () => {
    const line = (await recipesOf('Commands')).flat().join('\n').split('\n').find((l) => l.includes('list --threads') && l.includes('wc -l'));
    expect(line, 'the README has the recipe').toBeDefined();
    emulator.clearRequests();
    const counted = await sh(line!);
    expect(counted.exitCode, counted.stderr).toBe(0);
    const calls = emulator.requests.filter((r) => r.path.startsWith('/gmail/')).map((r) => r.path);
    expect(new Set(calls)).toEqual(new Set(['/gmail/v1/users/me/threads']));
    const labels = await sh('gmailctl labels --format json');
    expect(labels.exitCode, labels.stderr).toBe(0);
    const inbox = (JSON.parse(labels.stdout) as Array<{ id: string; threadsUnread: number }>).find((l) => l.id === 'INBOX')!;
    expect(inbox.threadsUnread).toBeGreaterThan(0);
    expect(Number(counted.stdout.trim())).toBe(inbox.threadsUnread);
  });
});

describe('README: Recipes for shell scripts', () => {
  it('every recipe of the first block runs and succeeds', async () => {
    const [first] = await recipesOf('Recipes for shell scripts');
    expect(first!.length).toBeGreaterThanOrEqual(6);
    for (const recipe of first!) {
      const result = await sh(forEmulator(recipe));
      expect(result.exitCode, `${recipe}\n---\n${result.stderr}`).toBe(0);
      expect(result.stderr, recipe).not.toMatch(/error|failed|not found/i);
    }
  }, 180_000);

  it('"how many unread in INBOX": the jq and the awk recipe print the number Gmail counts', async () => {
    const [first] = await recipesOf('Recipes for shell scripts');
    const recipes = first!.filter((recipe) => recipe.includes('gmailctl labels'));
    expect(recipes).toHaveLength(2);
    const unread = emulator.mailbox().filter((m) => m.labelIds.includes('INBOX') && m.labelIds.includes('UNREAD')).length;
    expect(unread).toBeGreaterThan(0);
    for (const recipe of recipes) {
      const result = await sh(forEmulator(recipe));
      expect(result.exitCode, `${recipe}\n---\n${result.stderr}`).toBe(0);
      expect(result.stdout.trim(), recipe).toBe(String(unread));
    }
  });

  it('the cron line runs as cron would run it (the schedule stripped)', async () => {
    const blocks = await recipesOf('Recipes for shell scripts');
    const cron = blocks.flat().join('\n').split('\n').find((line) => /^([\d*/,-]+ ){5}.*gmailctl/.test(line));
    expect(cron).toBeDefined();
    const command = cron!.split(' ').slice(5).join(' ');
    const result = await sh(command, { GMAILCTL_TOKEN_STORE: '' });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(Number((await readFile(path.join(s.dir, '.unread'), 'utf8')).trim())).toBeGreaterThan(0);
  });

  it('the CI recipe runs with the login in the environment', async () => {
    const blocks = await recipesOf('Recipes for shell scripts');
    const run = blocks.flat().join('\n').split('\n').find((line) => line.startsWith('run: '));
    expect(run).toBeDefined();
    const stored = JSON.parse(await readFile(path.join(s.configDir, 'tokens.json'), 'utf8')) as Record<string, { refresh_token: string }>;
    const client = (emulator.credentials() as { installed: { client_id: string; client_secret: string; token_uri: string } }).installed;
    const result = await sh(run!.slice('run: '.length), {
      GMAILCTL_CLIENT_ID: client.client_id,
      GMAILCTL_CLIENT_SECRET: client.client_secret,
      GMAILCTL_TOKEN_URI: client.token_uri,
      GMAILCTL_REFRESH_TOKEN: stored[ACCOUNT]!.refresh_token,
    });
    expect(result.exitCode, result.stderr).toBe(0);
  });

  it('the completion recipes install their scripts', async () => {
    await mkdir(path.join(s.dir, '.local/share/bash-completion/completions'), { recursive: true });
    await mkdir(path.join(s.dir, '.config/fish/completions'), { recursive: true });
    const blocks = await recipesOf('Recipes for shell scripts');
    const completion = blocks.flat().filter((recipe) => recipe.includes('gmailctl completion'));
    expect(completion).toHaveLength(1);
    const result = await sh(completion[0]!);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(await readFile(path.join(s.dir, '.local/share/bash-completion/completions/gmailctl'), 'utf8')).toMatch(/complete -F _gmailctl/);
  });

  describe('list --follow', () => {
    /** The follow recipes, as written but for one more change: --interval 5 (the default 30 s would make the test slow). */
    async function followRecipes() {
      const readme = await readFile(path.join(ROOT, 'README.md'), 'utf8');
      const recipes = (await recipesOf('Recipes for shell scripts')).flat().filter((r) => r.includes('--follow'));
      const unit = /```ini\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf('\n## Recipes for shell scripts\n')))?.[1] ?? '';
      const faster = (recipe: string) => recipe.replace('--follow', '--follow --interval 5');
      const start = (await recipesOf('Recipes for shell scripts')).flat().find((r) => r.includes('--since-last gmail-notify') && !r.includes('--follow')) ?? '';
      return { loop: faster(recipes.find((r) => !r.startsWith('#!')) ?? ''), script: faster(recipes.find((r) => r.startsWith('#!/bin/bash')) ?? ''), unit, start };
    }

    /** notify-send that writes "summary|body" lines to a file instead. */
    async function fakeNotifier(): Promise<() => Promise<string[]>> {
      const file = path.join(s.dir, 'notified');
      await writeFile(file, '');
      await writeFile(path.join(bin, 'notify-send'), `#!/bin/sh\nprintf '%s|%s\\n' "$1" "$2" >> "${file}"\n`);
      await chmod(path.join(bin, 'notify-send'), 0o755);
      return async () => (await readFile(file, 'utf8')).split('\n').filter(Boolean);
    }

    async function until(check: () => Promise<boolean>): Promise<void> {
      for (const deadline = Date.now() + 30_000; !(await check()); ) {
        if (Date.now() > deadline) throw new Error('timed out');
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }

    it('the notifier loop notifies each new unread message as it arrives', async () => {
      const { loop } = await followRecipes();
      expect(loop).toMatch(/while IFS=.*read -r id date from subject/);
      const notified = await fakeNotifier();
      // Its own process group: the loop's processes end together, as a terminal's Ctrl-C ends them.
      const run = execa('bash', ['-c', loop], { env: { ...s.env, PATH: `${bin}:${s.env.PATH ?? ''}` }, extendEnv: false, reject: false, cwd: s.dir, detached: true });
      try {
        await until(async () => (await notified()).length === 1);
        const [added] = emulator.addMessages(1, { subject: 'Your build is green' });
        await until(async () => (await notified()).length === 2);
        expect((await notified())[1]).toBe(`${added!.from}|Your build is green`);
      } finally {
        process.kill(-run.pid!, 'SIGTERM');
        await run;
      }
    }, 60_000);

    it('the systemd service restarts on failure, its script fails when gmailctl does (a revoked login), and the restart notifies what came meanwhile, each once', async () => {
      const { script, unit, start } = await followRecipes();
      expect(unit).toMatch(/^ExecStart=%h\/\.local\/bin\/gmail-notify$/m);
      expect(unit).toMatch(/^Restart=on-failure$/m);
      expect(script).toMatch(/^# ~\/\.local\/bin\/gmail-notify/m);
      expect(script).toMatch(/--since-last gmail-notify --follow/);
      await mkdir(path.join(s.dir, '.local/bin'), { recursive: true });
      const file = path.join(s.dir, '.local/bin/gmail-notify');
      await writeFile(file, `${script}\n`);
      await chmod(file, 0o755);
      const notified = await fakeNotifier();
      // Once, before the first start: the cursor starts, nothing is notified.
      const started = await sh(start);
      expect(started.exitCode, started.stderr).toBe(0);
      expect(started.stdout).toBe('');
      // Its own process group, as a service's cgroup: stopped whole at the end.
      const service = () => execa(file, [], { env: { ...s.env, PATH: `${bin}:${s.env.PATH ?? ''}` }, extendEnv: false, reject: false, cwd: s.dir, timeout: 60_000, detached: true });
      const run = service();
      const [first] = emulator.addMessages(1, { subject: 'Deploy finished' });
      await until(async () => (await notified()).length === 1);
      expect(await notified()).toEqual([`${first!.from}|Deploy finished`]);
      emulator.revokeAll();
      const result = await run;
      expect(result.exitCode).toBe(4);
      expect(String(result.stderr)).toMatch(/gmailctl login/);
      expect((await s.login()).exitCode).toBe(0);

      // Mail while the service is down; systemd starts it again.
      const [meanwhile] = emulator.addMessages(1, { subject: 'Backup done' });
      const again = service();
      try {
        await until(async () => (await notified()).length === 2);
        const [later] = emulator.addMessages(1, { subject: 'Tests passed' });
        await until(async () => (await notified()).length === 3);
        expect(await notified()).toEqual([`${first!.from}|Deploy finished`, `${meanwhile!.from}|Backup done`, `${later!.from}|Tests passed`]);
      } finally {
        process.kill(-again.pid!, 'SIGTERM');
        await again;
      }
    }, 90_000);
  });

  // Last: it revokes every login the emulator issued.
  it('"Exit codes in scripts" reaches its login branch when the login is gone', async () => {
    const [first] = await recipesOf('Recipes for shell scripts');
    const recipe = first!.find((r) => r.startsWith('# Exit codes in scripts'));
    expect(recipe).toBeDefined();
    emulator.revokeAll();
    const result = await sh(forEmulator(recipe!));
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/log in again: gmailctl login/);
  });
});

// Issue #24: the emulator's one-liner never returned, and the demo and this section wrote to
// ~/.cache/gmailctl. The recipe as written, but for a free port, fewer messages and a
// directory of the test's own instead of /tmp/emu; only PATH (gmailctl), HOME and the
// stand-in browser come from outside: every GMAILCTL_ setting comes from --print-env.
describe('README: Testing your scripts offline with the emulator', () => {
  it('the first recipe starts the emulator, logs in and lists, with everything in its own directory', async () => {
    const [block] = await recipesOf('Testing your scripts offline with the emulator');
    const recipe = block!.join('\n');
    expect(recipe).toMatch(/--print-env > \/tmp\/emu\/env &/);
    const emu = path.join(s.dir, 'emu-recipe');
    const script = recipe.replaceAll('/tmp/emu', emu).replace('--port 8085', '--port 0').replace('--messages 5000', '--messages 300');
    const home = path.join(s.dir, 'recipe-home');
    await mkdir(home);
    const env = { PATH: `${bin}:${s.env.PATH ?? ''}`, HOME: home, GMAILCTL_BROWSER: s.env.GMAILCTL_BROWSER!, LANG: 'C.UTF-8' };
    // Its own process group, so that nothing it started outlives the test.
    const run = execa('bash', ['-e', '-c', script], { env, extendEnv: false, reject: false, cwd: ROOT, detached: true, timeout: 120_000 });
    let result;
    try {
      result = await run;
    } finally {
      try {
        process.kill(-run.pid!, 'SIGTERM');
      } catch {
        // already gone: the recipe's own `kill %1` stopped it
      }
    }
    expect(result.exitCode, String(result.stderr)).toBe(0);
    expect(String(result.stderr)).toMatch(/Logged in as user@example\.com/);
    expect(String(result.stdout).split('\n').filter(Boolean).length).toBeGreaterThan(0);
    const printed = await readFile(path.join(emu, 'env'), 'utf8');
    for (const name of ['GMAILCTL_API_ROOT', 'GMAILCTL_TOKEN_URI', 'GMAILCTL_CREDENTIALS', 'GMAILCTL_CONFIG_DIR', 'GMAILCTL_TOKEN_STORE', 'GMAILCTL_CACHE_DIR']) {
      expect(printed).toMatch(new RegExp(`^export ${name}=`, 'm'));
    }
    // The login, the message cache and the code cache are in its directory; nothing of
    // gmailctl's in HOME (npm keeps its own ~/.npm).
    expect(await readFile(path.join(emu, 'config', 'tokens.json'), 'utf8')).toMatch(/user@example\.com/);
    expect((await readdir(path.join(emu, 'cache'))).some((name) => name.endsWith('.cache.sqlite'))).toBe(true);
    expect((await readdir(home)).filter((name) => name !== '.npm')).toEqual([]);
  }, 180_000);

  // Found trying the packed tarball (issue #24): with port 8085 taken (another emulator), the
  // recipe's wait for the env file never ended.
  it('the first recipe, with its port taken, ends with the emulator saying so instead of waiting forever', async () => {
    const [block] = await recipesOf('Testing your scripts offline with the emulator');
    const { createServer } = await import('node:net');
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    const emu = path.join(s.dir, 'emu-taken');
    const script = block!.join('\n').replaceAll('/tmp/emu', emu).replace('--port 8085', `--port ${port}`).replace('--messages 5000', '--messages 10');
    const env = { PATH: `${bin}:${s.env.PATH ?? ''}`, HOME: path.join(s.dir, 'taken-home'), GMAILCTL_BROWSER: s.env.GMAILCTL_BROWSER!, LANG: 'C.UTF-8' };
    try {
      const result = await execa('bash', ['-e', '-c', script], { env, extendEnv: false, reject: false, cwd: ROOT, timeout: 60_000 });
      expect(result.timedOut).toBe(false);
      expect(result.exitCode).not.toBe(0);
      expect(String(result.stderr)).toContain(`emulator: port ${port} on 127.0.0.1 is in use`);
    } finally {
      taken.close();
    }
  }, 90_000);

  // Issue #24 item 7: a script author's own .eml, posted with curl as the README shows.
  it('the "your own mail" recipe posts an .eml and shows it, and show --format raw gives back its bytes', async () => {
    const block = (await recipesOf('Testing your scripts offline with the emulator')).find((recipes) => recipes.join('\n').includes('/__emulator/mailbox/import'));
    expect(block, 'the README has the recipe').toBeDefined();
    const eml = [
      'Message-ID: <inv-1@shop.example>',
      'Date: Thu, 03 Dec 2026 09:00:00 +0000',
      'From: Shop <billing@shop.example>',
      'To: ada@example.com',
      'Subject: Your invoice 31',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary=x',
      '',
      '--x',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'Invoice 31 is attached.',
      '--x',
      'Content-Type: application/pdf',
      'Content-Disposition: attachment; filename=invoice-31.pdf',
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from('%PDF-1.4 invoice 31').toString('base64'),
      '--x--',
      '',
    ].join('\r\n');
    await writeFile(path.join(s.dir, 'invoice.eml'), eml);
    // "Exit codes in scripts" above revoked every login: log in again, as its recipe says to.
    expect((await s.login()).exitCode).toBe(0);
    const result = await sh(block!.join('\n').replaceAll('http://127.0.0.1:8085/', emulator.url));
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^Subject: +Your invoice 31$/m);
    expect(result.stdout).toContain('Invoice 31 is attached.');
    expect(result.stdout).toMatch(/invoice-31\.pdf/);
    expect(result.stdout).toMatch(/^the bytes you posted$/m);
    const added = emulator.mailbox(ACCOUNT).find((m) => m.subject === 'Your invoice 31');
    expect(added?.labelIds).toEqual(['INBOX', 'UNREAD']);
  });
});
