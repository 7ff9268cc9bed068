/** The environment variables: one table in src/basics/environment.ts, the help and the README agree with it. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENVIRONMENT_VARIABLES, environmentHelp, googleSettings } from '../../src/basics/environment.js';

const README = readFileSync(path.resolve(import.meta.dirname, '../../README.md'), 'utf8');

/** The first column of each row of the README's "| environment variable | meaning |" table. */
function readmeRows(): string[][] {
  const lines = README.split('\n');
  const start = lines.findIndex((line) => /^\|\s*environment variable\s*\|/.test(line));
  expect(start).toBeGreaterThan(-1);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    const first = line.split('|')[1] ?? '';
    rows.push([...first.matchAll(/`([A-Z][A-Z0-9_]*)(?:=[^`]*)?`/g)].map((match) => match[1]!));
  }
  return rows;
}

describe('the environment variables', () => {
  it('the README table lists the same variables, in the same rows and order, as the table in the code', () => {
    expect(readmeRows()).toEqual(ENVIRONMENT_VARIABLES.map((variable) => [...variable.names]));
  });

  it('`gmailctl --help` names every variable of the table, one row each', () => {
    const help = environmentHelp();
    expect(help.split('\n')[0]).toBe('Environment:');
    for (const variable of ENVIRONMENT_VARIABLES) expect(help).toContain(`  ${variable.names.join(', ')}`);
    for (const name of ['GMAILCTL_HTTP_TIMEOUT_MS', 'GMAILCTL_KEYCHAIN_TIMEOUT_MS', 'GMAILCTL_TOKEN_URI']) expect(help).toContain(name);
  });
});

describe('googleSettings', () => {
  it('defaults to Google, 30 s per request and 5 s for the keychain (a minute for a person at its unlock prompt)', () => {
    expect(googleSettings({})).toEqual({
      apiRoot: 'https://gmail.googleapis.com/',
      requestTimeoutMs: 30_000,
      tokenUri: undefined,
      keychainTimeoutMs: 5_000,
      keychainUnlockTimeoutMs: 60_000,
    });
  });

  it('reads the overrides from the env it is given, with a slash after the API root', () => {
    const settings = googleSettings({
      GMAILCTL_API_ROOT: 'http://127.0.0.1:8085',
      GMAILCTL_HTTP_TIMEOUT_MS: '1500',
      GMAILCTL_TOKEN_URI: 'http://127.0.0.1:8085/token',
      GMAILCTL_KEYCHAIN_TIMEOUT_MS: '250',
    });
    // A keychain timeout that is set bounds its unlock prompt too.
    expect(settings).toEqual({ apiRoot: 'http://127.0.0.1:8085/', requestTimeoutMs: 1500, tokenUri: 'http://127.0.0.1:8085/token', keychainTimeoutMs: 250, keychainUnlockTimeoutMs: 250 });
  });

  it.each(['', '0', '-5', '1.5', 'soon'])('ignores a timeout of %j', (value) => {
    const settings = googleSettings({ GMAILCTL_HTTP_TIMEOUT_MS: value, GMAILCTL_KEYCHAIN_TIMEOUT_MS: value });
    expect([settings.requestTimeoutMs, settings.keychainTimeoutMs]).toEqual([30_000, 5_000]);
  });
});
