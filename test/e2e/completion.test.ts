/**
 * `gmailctl completion bash|zsh|fish` as a shell uses it: the bash script is sourced in a
 * real bash, with a `gmailctl` on PATH that runs the built CLI (the script calls
 * `gmailctl __accounts` for account names), and completions are simulated the way bash's
 * programmable completion calls the function: COMP_WORDS/COMP_CWORD set, `_gmailctl`
 * called, COMPREPLY printed.
 */
import { execa } from 'execa';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../emulator/index.js';
import { CLI, createSandbox, runCli, type Sandbox } from '../helpers/sandbox.js';

const ACCOUNTS = ['ada@example.com', 'grace@example.com'];
const COMMANDS = ['login', 'logout', 'status', 'token', 'list', 'show', 'thread', 'labels', 'cursor', 'completion'];
const FORMATS = ['ids', 'tsv', 'table', 'json', 'ndjson'];

const onPath = async (command: string): Promise<boolean> =>
  (await execa('sh', ['-c', `command -v ${command}`], { reject: false })).exitCode === 0;
const hasBash = await onPath('bash');
const hasZsh = await onPath('zsh');
const hasFish = await onPath('fish');

let emulator: Emulator;
let sandbox: Sandbox;
let shimDir: string;
let bashScript: string;

beforeAll(async () => {
  emulator = await startEmulator({ accounts: ACCOUNTS, messages: 3 });
  sandbox = await createSandbox(emulator);
  for (const account of ACCOUNTS) {
    const result = await sandbox.login(['--account', account]);
    expect(result.exitCode, result.stderr).toBe(0);
  }
  // The `gmailctl` a user has on PATH: here, the built CLI.
  shimDir = await mkdtemp(path.join(tmpdir(), 'gmailctl-shim-'));
  const shim = path.join(shimDir, 'gmailctl');
  await writeFile(shim, `#!/bin/sh\nexec '${process.execPath}' '${CLI}' "$@"\n`);
  await chmod(shim, 0o755);
  const result = await sandbox.run(['completion', 'bash']);
  expect(result.exitCode, result.stderr).toBe(0);
  bashScript = result.stdout;
});

afterAll(async () => {
  await sandbox?.cleanup();
  if (shimDir) await rm(shimDir, { recursive: true, force: true });
  await emulator?.close();
});

function shellEnv(): Record<string, string> {
  return { ...sandbox.env, PATH: `${shimDir}:${process.env.PATH ?? ''}` };
}

/** Sources the script as a user does (`source <(gmailctl completion bash)`), then runs `then`. */
async function inBash(then: string): Promise<{ exitCode: number | undefined; stdout: string; stderr: string }> {
  const result = await execa('bash', ['--norc', '--noprofile', '-c', `source <(gmailctl completion bash) || exit 99\n${then}`], {
    env: shellEnv(),
    extendEnv: false,
    reject: false,
    timeout: 30_000,
  });
  return { exitCode: result.exitCode, stdout: String(result.stdout), stderr: String(result.stderr) };
}

const bashWord = (word: string): string => `'${word.replace(/'/g, `'\\''`)}'`;

/** The completions bash would offer for `words`, the last one being the word under the cursor. */
async function complete(...words: string[]): Promise<string[]> {
  const result = await inBash(
    [
      `COMP_WORDS=(${['gmailctl', ...words].map(bashWord).join(' ')})`,
      `COMP_CWORD=${words.length}`,
      `COMP_LINE=${bashWord(['gmailctl', ...words].join(' '))}`,
      'COMP_POINT=${#COMP_LINE}',
      'COMPREPLY=()',
      '_gmailctl gmailctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"',
      'printf "%s\\n" "${COMPREPLY[@]}"',
    ].join('\n'),
  );
  expect(result.exitCode, result.stderr).toBe(0);
  expect(result.stderr).toBe('');
  return result.stdout.split('\n').filter(Boolean);
}

describe.runIf(hasBash)('bash', () => {
  it('the script registers _gmailctl for gmailctl', async () => {
    const result = await inBash('complete -p gmailctl');
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout.trim()).toBe('complete -F _gmailctl gmailctl');
  });

  it('the script is valid bash on its own (bash -n)', async () => {
    const result = await execa('bash', ['-n'], { input: bashScript, reject: false });
    expect(result.exitCode, String(result.stderr)).toBe(0);
  });

  it('gmailctl <TAB> offers every command and no hidden one', async () => {
    const words = await complete('');
    for (const command of COMMANDS) expect(words).toContain(command);
    expect(words.filter((w) => w.startsWith('__'))).toEqual([]);
  });

  it('gmailctl l<TAB> offers labels, login, logout and list', async () => {
    expect((await complete('l')).sort()).toEqual(['labels', 'list', 'login', 'logout']);
  });

  it('gmailctl list --label <TAB> offers the names `gmailctl labels` saw, and Gmail’s ids before it ran', { timeout: 60_000 }, async () => {
    const before = await complete('list', '--label', '');
    expect(before).toEqual(expect.arrayContaining(['INBOX', 'UNREAD', 'SENT']));
    expect(before).not.toContain('Receipts');
    const labels = await sandbox.run(['labels', '--no-counts']);
    expect(labels.exitCode, labels.stderr).toBe(0);
    expect(await complete('list', '--label', 'W')).toEqual(['Work/Projects']);
  });

  it('gmailctl t<TAB> offers thread and token; thread --format <TAB> its four formats', async () => {
    expect((await complete('t')).sort()).toEqual(['thread', 'token']);
    expect((await complete('thread', '--format', '')).sort()).toEqual(['json', 'mbox', 'ndjson', 'text']);
    expect((await complete('thread', '--')).sort()).toEqual(expect.arrayContaining(['--account', '--format', '--json', '--stdin']));
  });

  it('gmailctl list --for<TAB> → --format; --fo<TAB> → --follow and --format', async () => {
    expect(await complete('list', '--for')).toEqual(['--format']);
    expect((await complete('list', '--fo')).sort()).toEqual(['--follow', '--format']);
  });

  it('gmailctl list --th<TAB> → --threads', async () => {
    expect(await complete('list', '--th')).toEqual(['--threads']);
  });

  it('gmailctl list --<TAB> offers the list flags only', async () => {
    const words = await complete('list', '--');
    for (const flag of ['--query', '--label', '--max', '--format', '--json', '--account', '--include-spam-trash', '--follow', '--interval', '--threads']) expect(words).toContain(flag);
    expect(words).not.toContain('--no-browser');
    expect(words).not.toContain('--all');
  });

  it('gmailctl list --format <TAB> → the five formats', async () => {
    expect((await complete('list', '--format', '')).sort()).toEqual([...FORMATS].sort());
  });

  it('gmailctl list -q x --format n<TAB> → ndjson (flags before it do not confuse it)', async () => {
    expect(await complete('list', '-q', 'x', '--format', 'n')).toEqual(['ndjson']);
  });

  it('gmailctl token --account <TAB> → the stored accounts', async () => {
    expect((await complete('token', '--account', '')).sort()).toEqual([...ACCOUNTS].sort());
  });

  it('gmailctl list --account g<TAB> → the matching account', async () => {
    expect(await complete('list', '--account', 'g')).toEqual(['grace@example.com']);
  });

  it('gmailctl token --account <TAB> with no stored login offers nothing and prints nothing', async () => {
    const result = await inBash(
      [
        `export GMAILCTL_CONFIG_DIR=${bashWord(path.join(sandbox.dir, 'nothing-here'))}`,
        "COMP_WORDS=(gmailctl token --account '')",
        'COMP_CWORD=3',
        '_gmailctl',
        'echo "n=${#COMPREPLY[@]}"',
      ].join('\n'),
    );
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout.trim()).toBe('n=0');
    expect(result.stderr).toBe('');
  });

  it('gmailctl cache <TAB> → its subcommand clear', async () => {
    expect((await complete('cache', '')).filter((w) => !w.startsWith('-'))).toEqual(['clear']);
  });

  it('gmailctl cache clear --<TAB> → the flags of cache clear', async () => {
    const words = await complete('cache', 'clear', '--');
    expect(words).toEqual(expect.arrayContaining(['--account', '--all', '--help']));
  });

  it('gmailctl cache clear --account <TAB> → the stored accounts', async () => {
    expect((await complete('cache', 'clear', '--account', '')).sort()).toEqual([...ACCOUNTS].sort());
  });

  it('gmailctl cursor <TAB> → its subcommands commit, list and delete', async () => {
    expect((await complete('cursor', '')).filter((w) => !w.startsWith('-')).sort()).toEqual(['commit', 'delete', 'list']);
  });

  it('gmailctl cursor list --<TAB> → --json and --account; gmailctl list --no-c<TAB> → --no-commit', async () => {
    expect(await complete('cursor', 'list', '--')).toEqual(expect.arrayContaining(['--json', '--account']));
    expect(await complete('list', '--no-c')).toEqual(expect.arrayContaining(['--no-commit']));
  });

  it('gmailctl switch <TAB> → the stored accounts (its argument is an account)', async () => {
    expect((await complete('switch', '')).filter((w) => !w.startsWith('-')).sort()).toEqual([...ACCOUNTS].sort());
  });

  it('gmailctl completion <TAB> → bash zsh fish', async () => {
    const words = await complete('completion', '');
    expect(words.filter((w) => !w.startsWith('-')).sort()).toEqual(['bash', 'fish', 'zsh']);
  });

  it('the hidden __accounts prints the stored addresses, one per line, and is not in --help', async () => {
    const result = await sandbox.run(['__accounts']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout.split('\n').filter(Boolean).sort()).toEqual([...ACCOUNTS].sort());
    // It is not advertised.
    const help = await sandbox.run(['--help']);
    expect(help.stdout).not.toMatch(/__accounts/);
  });
});

describe('zsh', () => {
  it.runIf(hasZsh)('the script passes zsh -n', async () => {
    const script = await sandbox.run(['completion', 'zsh']);
    expect(script.exitCode, script.stderr).toBe(0);
    const result = await execa('zsh', ['-n'], { input: script.stdout, reject: false });
    expect(result.exitCode, String(result.stderr)).toBe(0);
  });

  // zsh is not among the system packages the README installs for the tests, so its absence
  // is a notice, on CI too.
  if (!hasZsh) console.warn('notice: zsh is not installed; the zsh completion script is not checked with zsh -n');

  it('the zsh script loads bashcompinit and registers the same function', async () => {
    const result = await sandbox.run(['completion', 'zsh']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^autoload -U \+X bashcompinit && bashcompinit$/m);
    expect(result.stdout).toMatch(/^complete -F _gmailctl gmailctl$/m);
  });
});

describe('fish', () => {
  it('has a `complete -c gmailctl` line for each command, and the formats and shells as values', async () => {
    const result = await sandbox.run(['completion', 'fish']);
    expect(result.exitCode, result.stderr).toBe(0);
    const lines = result.stdout.split('\n');
    for (const command of COMMANDS) {
      expect(lines.some((line) => line.startsWith('complete -c gmailctl ') && new RegExp(`-a ${command}( |$)`).test(line)), command).toBe(true);
    }
    expect(lines.some((line) => line.includes('-l format') && line.includes(`'${FORMATS.join(' ')}'`))).toBe(true);
    expect(lines.some((line) => line.includes('__fish_seen_subcommand_from completion') && line.includes("'bash zsh fish'"))).toBe(true);
    expect(lines.some((line) => line.includes('-l account') && line.includes('gmailctl __accounts'))).toBe(true);
    expect(lines.some((line) => line.includes('__fish_seen_subcommand_from cache') && /-a '?clear/.test(line)), 'cache clear').toBe(true);
    expect(lines.some((line) => line.includes('__fish_seen_subcommand_from cursor') && /-a '?commit/.test(line)), 'cursor commit').toBe(true);
    expect(lines.some((line) => line.includes('-l no-commit')), '--no-commit').toBe(true);
    expect(lines.some((line) => line.includes('__fish_seen_subcommand_from switch') && line.includes('gmailctl __accounts')), 'switch ACCOUNT').toBe(true);
    expect(result.stdout).not.toMatch(/-a __accounts/);
    expect(lines.filter(Boolean).every((line) => line.startsWith('#') || line.startsWith('complete -c gmailctl'))).toBe(true);
  });

  it.runIf(hasFish)('the script passes fish --no-execute', async () => {
    const script = await sandbox.run(['completion', 'fish']);
    const result = await execa('fish', ['--no-execute'], { input: script.stdout, reject: false });
    expect(result.exitCode, String(result.stderr)).toBe(0);
  });
});

describe('an unknown shell', () => {
  it('gmailctl completion powershell → exit 2, one error line naming the choices, nothing on stdout', async () => {
    const result = await runCli(['completion', 'powershell'], { env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', HOME: sandbox.dir } });
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe('');
    const errors = result.stderr.split('\n').filter((line) => line.startsWith('error:'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/powershell/);
    expect(errors[0]).toMatch(/bash.*zsh.*fish/);
  });

  it('gmailctl completion (no shell) → exit 2', async () => {
    const result = await runCli(['completion'], { env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', HOME: sandbox.dir } });
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^error: /m);
  });
});
