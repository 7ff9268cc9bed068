/**
 * `npm run emulator -- [flags]`: the emulator as a standalone process, for trying scripts
 * offline and for tests that drive it from another process (see the /__emulator/ API).
 *
 *   npm run -s emulator -- --write-credentials /tmp/emu/credentials.json --print-env > /tmp/emu/env &
 *   until [ -s /tmp/emu/env ] || ! kill -0 $! 2>/dev/null; do sleep 0.1; done; . /tmp/emu/env
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { QUOTA_REGIMES, startEmulator, type Emulator, type EmulatorOptions, type QuotaRegime } from './index.js';

const USAGE = `usage: npm run emulator -- [--port N] [--messages N] [--extra-labels N] [--accounts a@x,b@y] [--seed N]
  [--consent-page] [--latency MS] [--quota legacy|per-minute|2026] [--quota-time-scale N] [--strict]
  [--write-credentials FILE] [--print-env]`;

const HELP = `${USAGE}

A local stand-in for Google's OAuth and Gmail API endpoints, on 127.0.0.1 only.
  --port N                 port to listen on (default 8085; 0 picks a free one)
  --messages N             seeded messages per account (default 50)
  --extra-labels N         user labels beyond the seeded three (default 0)
  --accounts a@x,b@y       the accounts that can log in (default user@example.com)
  --seed N                 mailbox seed: the same seed gives the same mailbox (default 1)
  --consent-page           show a real consent page with Allow / Deny instead of approving at once
  --latency MS             added to every Gmail API answer
  --quota REGIME           enforce Gmail's per-user quota, answering 429 when exceeded:
                           legacy (250 units/s, moving average; get = 5, list = 5, history = 2,
                           threads.get = 10, threads.list = 10, labels = 1),
                           per-minute (15,000 units/min, same costs),
                           2026 (6,000 units/min; get = 20, threads.get = 40, the rest as legacy)
  --quota-time-scale N     make quota windows N times shorter (for quick experiments)
  --strict                 as strict as Google: no Retry-After header on 429s (the time is in the
                           message), batches refused whole when over quota, at most 25 calls in
                           flight per user, HTML pages for 502/503, Google's oversize-batch answer
  --write-credentials FILE write a Desktop OAuth client file pointing at the emulator (mode 0600)
  --print-env              print "export GMAILCTL_...=..." lines on stdout once listening: the API root,
                           the token URI, the client file, and a config dir (file token store) and
                           cache dir beside the client file (else in a new temporary directory)
Control API for tests in other processes: /__emulator/requests, /__emulator/faults, /__emulator/settings,
/__emulator/mailbox/import (your own .eml: curl --data-binary @mail.eml -H "content-type: message/rfc822" …), …`;

class UsageError extends Error {}

function integer(name: string, value: string | undefined, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!/^\d+$/.test(value) || number < min || number > max) throw new UsageError(`--${name} must be an integer from ${min} to ${max}, not "${value}"`);
  return number;
}

interface Invocation {
  options: EmulatorOptions;
  credentialsFile: string | undefined;
  printEnv: boolean;
}

function parseFlags(argv: string[]): Invocation {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        port: { type: 'string', default: '8085' },
        messages: { type: 'string' },
        'extra-labels': { type: 'string' },
        accounts: { type: 'string' },
        seed: { type: 'string' },
        'consent-page': { type: 'boolean', default: false },
        latency: { type: 'string' },
        quota: { type: 'string' },
        'quota-time-scale': { type: 'string' },
        strict: { type: 'boolean', default: false },
        'write-credentials': { type: 'string' },
        'print-env': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    process.exit(0);
  }
  const accounts = values.accounts?.split(',').map((account) => account.trim());
  if (accounts?.some((account) => !/^[^@\s,]+@[^@\s,]+$/.test(account))) throw new UsageError(`--accounts must be comma-separated email addresses, not "${values.accounts}"`);
  const regime = values.quota;
  if (regime !== undefined && !QUOTA_REGIMES.includes(regime as QuotaRegime)) throw new UsageError(`--quota must be ${QUOTA_REGIMES.join(', ')}, not "${regime}"`);
  const timeScale = values['quota-time-scale'] === undefined ? undefined : Number(values['quota-time-scale']);
  if (timeScale !== undefined && !(timeScale > 0)) throw new UsageError(`--quota-time-scale must be a positive number, not "${values['quota-time-scale']}"`);
  if (timeScale !== undefined && regime === undefined) throw new UsageError('--quota-time-scale needs --quota');
  return {
    options: {
      port: integer('port', values.port, 0, 65535),
      messages: integer('messages', values.messages, 0, 1_000_000),
      extraLabels: integer('extra-labels', values['extra-labels'], 0, 10_000),
      accounts,
      seed: integer('seed', values.seed, 0),
      autoApprove: !values['consent-page'],
      latencyMs: integer('latency', values.latency, 0),
      quota: regime === undefined ? undefined : { regime: regime as QuotaRegime, timeScale },
      strict: values.strict ?? false,
    },
    credentialsFile: values['write-credentials'],
    printEnv: values['print-env'] ?? false,
  };
}

async function main(): Promise<void> {
  let invocation: Invocation;
  try {
    invocation = parseFlags(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`emulator: ${error.message}\n${USAGE}\n`);
    process.exit(2);
  }
  let emulator: Emulator;
  try {
    emulator = await startEmulator(invocation.options);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    process.stderr.write(`emulator: port ${invocation.options.port} on 127.0.0.1 is in use (another emulator?). Stop it, or choose another port: --port 0 picks a free one.\n`);
    process.exit(1);
  }
  if (invocation.credentialsFile) {
    await writeFile(invocation.credentialsFile, `${JSON.stringify(emulator.credentials(), null, 2)}\n`, { mode: 0o600 });
  }
  const env = await emulatorEnvironment(emulator, invocation);
  const exports = Object.entries(env).map(([name, value]) => `${name}=${shellWord(value)}`);
  process.stderr.write(`Google emulator listening on ${emulator.url} — export ${exports.join(' ')}\n`);
  // One write, once listening: a script that waits for the file to be non-empty reads it whole.
  if (invocation.printEnv) process.stdout.write(exports.map((line) => `export ${line}\n`).join(''));

  const stop = (): void => {
    emulator.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`emulator: close failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  // Stops with whatever started it: `npm run emulator … &` then `kill %1` ends npm, which does
  // not pass the signal on, and the emulator would live on, orphaned, holding its port.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) stop();
  }, 500).unref();
}

/**
 * What a shell needs to use gmailctl against this emulator and nothing else: the API root,
 * the token endpoint (for a login from the environment: GMAILCTL_REFRESH_TOKEN…), the client
 * file, and — with --print-env — a config dir with the file token store and a cache dir of
 * their own, beside the client file (or in a new temporary directory), so that nothing is
 * written to ~/.config or ~/.cache.
 */
async function emulatorEnvironment(emulator: Emulator, invocation: Invocation): Promise<Record<string, string>> {
  const env: Record<string, string> = {
    GMAILCTL_API_ROOT: emulator.url,
    GMAILCTL_TOKEN_URI: new URL('/token', emulator.url).toString(),
  };
  if (invocation.credentialsFile) env.GMAILCTL_CREDENTIALS = path.resolve(invocation.credentialsFile);
  if (invocation.printEnv) {
    const home = invocation.credentialsFile ? path.dirname(path.resolve(invocation.credentialsFile)) : await mkdtemp(path.join(tmpdir(), 'gmailctl-emulator-'));
    Object.assign(env, { GMAILCTL_CONFIG_DIR: path.join(home, 'config'), GMAILCTL_TOKEN_STORE: 'file', GMAILCTL_CACHE_DIR: path.join(home, 'cache') });
  }
  return env;
}

/** A value as one shell word: quoted unless it is plainly safe. */
function shellWord(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

await main();
