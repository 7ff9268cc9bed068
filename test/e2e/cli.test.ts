/** The command line itself: help, version, usage errors and exit codes, lazy imports. */
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { CLI, ROOT, runCli } from '../helpers/sandbox.js';

const env = { PATH: process.env.PATH ?? '', HOME: '/nonexistent', GMAILCTL_CONFIG_DIR: '/nonexistent/gmailctl', NO_COLOR: '1' };
const run = (...args: string[]) => runCli(args, { env });

describe('help and version', () => {
  it('--version prints the package version on stdout', async () => {
    const { version } = (await import('../../package.json', { with: { type: 'json' } })).default as { version: string };
    const result = await run('--version');
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe(`${version}\n`);
  });

  it('--help lists every command, with examples', async () => {
    const result = await run('--help');
    expect(result.exitCode).toBe(0);
    for (const command of ['login', 'logout', 'status', 'token', 'list']) expect(result.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    expect(result.stdout).toMatch(/Examples:/);
  });

  it.each(['login', 'logout', 'status', 'token', 'list'])('%s --help shows examples', async (command) => {
    const result = await run(command, '--help');
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`\\$ gmailctl ${command}`));
  });

  it('--help and --version load neither Google\'s libraries nor the keychain binding', async () => {
    for (const args of [['--version'], ['--help'], ['list', '--help']]) {
      const result = await execa(process.execPath, ['--import', path.join(ROOT, 'test/helpers/record-imports.mjs'), CLI, ...args], {
        env,
        extendEnv: false,
        reject: false,
      });
      expect(result.exitCode).toBe(0);
      const imports = result.stderr.split('\n').filter((line) => line.startsWith('import: '));
      expect(imports.length).toBeGreaterThan(3); // the recorder works
      expect(imports.join('\n')).not.toMatch(/googleapis|google-auth-library|gaxios|@napi-rs|keyring/);
      expect(imports.join('\n')).not.toMatch(/google-libraries\.js/); // the bundle of Google's libraries
    }
  });

  it('`gmailctl help` teaches scripting: recipes for counting, xargs, jq, curl, cron and CI', async () => {
    const result = await run('help');
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/Recipes for scripts:/);
    for (const recipe of [/--format ids \| wc -l/, /xargs/, /jq/, /curl .*gmailctl token/, /GMAILCTL_TOKEN_STORE=file/, /GMAILCTL_REFRESH_TOKEN=/]) {
      expect(result.stdout).toMatch(recipe);
    }
  });

  it('a bare `gmailctl` shows the help on stderr and exits 2', async () => {
    const result = await run();
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/Usage: gmailctl/);
  });
});

describe('usage errors exit 2 with a one-line reason', () => {
  const cases: string[][] = [
    ['frobnicate'],
    ['list', '--frobnicate'],
    ['list', '--max', '-1'],
    ['list', '--max', 'abc'],
    ['list', '--max', '1.5'],
    ['list', '--max', '0'],
    ['list', '--format', 'xml'],
    ['list', '--json', '--format', 'tsv'],
    ['login', '--port', '70000'],
    ['login', '--port', 'http'],
    ['login', '--timeout', '0'],
    ['login', '--timeout', 'soon'],
    ['logout', '--all', '--account', 'a@example.com'],
    ['token', '--account', 'not-an-address'],
  ];
  it.each(cases.map((args) => [args.join(' '), args] as const))('gmailctl %s', async (_, args) => {
    const result = await run(...args);
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe('');
    const errorLines = result.stderr.split('\n').filter((line) => line.startsWith('error:'));
    expect(errorLines).toHaveLength(1);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('bad files', () => {
  it('a missing OAuth client file: exit 1 naming the file and how to get one', async () => {
    const result = await runCli(['login', '--no-browser', '--insecure-storage', '--credentials', '/nonexistent/client.json'], {
      env: { ...env, GMAILCTL_CONFIG_DIR: path.join(ROOT, 'node_modules/.cache/gmailctl-test-missing') },
    });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/\/nonexistent\/client\.json/);
    expect(result.stderr).toMatch(/Desktop/);
  });
});
