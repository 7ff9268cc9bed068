import { mkdtemp, readFile, rm, stat, writeFile, mkdir, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import envPaths from 'env-paths';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  chooseAccount,
  chooseTokenStore,
  loadSettings,
  resolveConfigDir,
  saveSettings,
  settingsPath,
  withLogin,
  withoutLogin,
  type Settings,
} from '../../src/basics/config.js';
import { ConfigError, ExitCode, UsageError } from '../../src/basics/errors.js';

describe('resolveConfigDir', () => {
  it('GMAILCTL_CONFIG_DIR wins over XDG_CONFIG_HOME, and is made absolute', () => {
    expect(resolveConfigDir({ GMAILCTL_CONFIG_DIR: '/tmp/gc', XDG_CONFIG_HOME: '/tmp/xdg' })).toBe('/tmp/gc');
    expect(resolveConfigDir({ GMAILCTL_CONFIG_DIR: 'rel/dir' })).toBe(path.resolve('rel/dir'));
  });

  it('XDG_CONFIG_HOME/gmailctl comes next', () => {
    expect(resolveConfigDir({ XDG_CONFIG_HOME: '/tmp/xdg' })).toBe('/tmp/xdg/gmailctl');
  });

  it('empty variables count as unset', () => {
    expect(resolveConfigDir({ GMAILCTL_CONFIG_DIR: '', XDG_CONFIG_HOME: '/tmp/xdg' })).toBe('/tmp/xdg/gmailctl');
  });

  it("falls back to the platform's config directory for gmailctl", () => {
    const dir = resolveConfigDir({});
    expect(dir).toBe(envPaths('gmailctl', { suffix: '' }).config);
    expect(path.basename(dir)).toBe('gmailctl');
  });
});

describe('chooseTokenStore', () => {
  it('GMAILCTL_TOKEN_STORE wins over config.json', () => {
    expect(chooseTokenStore({ GMAILCTL_TOKEN_STORE: 'file' }, { tokenStore: 'keychain' })).toBe('file');
    expect(chooseTokenStore({ GMAILCTL_TOKEN_STORE: 'keychain' }, { tokenStore: 'file' })).toBe('keychain');
  });

  it('uses config.json, then the keychain by default', () => {
    expect(chooseTokenStore({}, { tokenStore: 'file' })).toBe('file');
    expect(chooseTokenStore({}, {})).toBe('keychain');
    expect(chooseTokenStore({ GMAILCTL_TOKEN_STORE: '' }, {})).toBe('keychain');
  });

  it('an invalid value is a usage error that quotes it, never a silent fallback', () => {
    for (const value of ['plaintext', 'FILE', ' file']) {
      let thrown: unknown;
      try {
        chooseTokenStore({ GMAILCTL_TOKEN_STORE: value }, { tokenStore: 'file' });
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(UsageError);
      expect((thrown as UsageError).exitCode).toBe(ExitCode.usage);
      expect((thrown as UsageError).message).toContain(`"${value}"`);
    }
  });
});

describe('chooseAccount', () => {
  const settings: Settings = { defaultAccount: 'default@example.com' };
  it('--account, then GMAILCTL_ACCOUNT, then the default account', () => {
    expect(chooseAccount('flag@example.com', { GMAILCTL_ACCOUNT: 'env@example.com' }, settings)).toBe('flag@example.com');
    expect(chooseAccount(undefined, { GMAILCTL_ACCOUNT: 'env@example.com' }, settings)).toBe('env@example.com');
    expect(chooseAccount(undefined, {}, settings)).toBe('default@example.com');
    expect(chooseAccount('', { GMAILCTL_ACCOUNT: '' }, settings)).toBe('default@example.com');
  });
  it('is undefined when nothing names an account', () => {
    expect(chooseAccount(undefined, {}, {})).toBeUndefined();
    expect(chooseAccount(undefined, { GMAILCTL_ACCOUNT: '' }, { defaultAccount: '' })).toBeUndefined();
  });
  // As --account: an address with a control or bidi character is no Gmail address (issue 23).
  it('refuses a GMAILCTL_ACCOUNT holding a line break, an escape or a bidi control: a usage error naming the character', () => {
    for (const [value, character] of [['mal\nwarning: run x@example.com', 'U+000A'], ['eve\u001b[2J@example.com', 'U+001B'], ['eve\u202e@example.com', 'U+202E']]) {
      let thrown: unknown;
      try {
        chooseAccount(undefined, { GMAILCTL_ACCOUNT: value }, settings);
      } catch (error) {
        thrown = error;
      }
      expect(thrown, value).toBeInstanceOf(UsageError);
      expect((thrown as UsageError).exitCode).toBe(ExitCode.usage);
      expect((thrown as UsageError).message).toContain(`GMAILCTL_ACCOUNT holds a control or bidi character (${character})`);
    }
  });
});

describe('withLogin / withoutLogin', () => {
  it('a login joins the list once, at the end, and becomes the default', () => {
    const s = withLogin({ accounts: ['a@x', 'b@x'], defaultAccount: 'a@x', tokenStore: 'file' }, 'a@x');
    expect(s).toEqual({ accounts: ['b@x', 'a@x'], defaultAccount: 'a@x', tokenStore: 'file' });
    expect(withLogin({}, 'c@x', 'keychain')).toEqual({ accounts: ['c@x'], defaultAccount: 'c@x', tokenStore: 'keychain' });
  });

  it('does not change the settings it was given', () => {
    const before: Settings = { accounts: ['a@x'], defaultAccount: 'a@x' };
    withLogin(before, 'b@x');
    withoutLogin(before, 'a@x');
    expect(before).toEqual({ accounts: ['a@x'], defaultAccount: 'a@x' });
  });

  it('logging out of the default account moves the default to the most recent remaining login', () => {
    let s: Settings = {};
    for (const account of ['a@x', 'b@x', 'c@x']) s = withLogin(s, account);
    s = withoutLogin(s, 'c@x');
    expect(s).toMatchObject({ accounts: ['a@x', 'b@x'], defaultAccount: 'b@x' });
    s = withoutLogin(s, 'b@x');
    expect(s).toMatchObject({ accounts: ['a@x'], defaultAccount: 'a@x' });
  });

  it('logging out of another account keeps the default', () => {
    const s = withoutLogin({ accounts: ['a@x', 'b@x'], defaultAccount: 'a@x' }, 'b@x');
    expect(s).toEqual({ accounts: ['a@x'], defaultAccount: 'a@x' });
  });

  it('logging out of the last account leaves no default', () => {
    const s = withoutLogin({ accounts: ['a@x'], defaultAccount: 'a@x', tokenStore: 'file' }, 'a@x');
    expect(s).toEqual({ accounts: [], tokenStore: 'file' });
    expect(s).not.toHaveProperty('defaultAccount');
  });
});

describe('loadSettings / saveSettings', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'gmailctl-config-'));
  });
  afterEach(async () => {
    await chmod(dir, 0o700).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  it('a missing config.json means no settings', async () => {
    expect(await loadSettings(path.join(dir, 'nowhere'))).toEqual({});
  });

  it('saves with mode 0600 and reads back what was saved', async () => {
    const settings: Settings = { defaultAccount: 'a@x', tokenStore: 'file', accounts: ['b@x', 'a@x'] };
    await saveSettings(dir, settings);
    expect((await stat(settingsPath(dir))).mode & 0o777).toBe(0o600);
    expect(await loadSettings(dir)).toEqual(settings);
  });

  it('creates a missing config directory with mode 0700', async () => {
    const nested = path.join(dir, 'new', 'gmailctl');
    await saveSettings(nested, { defaultAccount: 'a@x' });
    expect((await stat(nested)).mode & 0o777).toBe(0o700);
  });

  it('writes no empty fields and no duplicate accounts', async () => {
    await saveSettings(dir, { accounts: ['a@x', 'a@x'], defaultAccount: '' });
    expect(JSON.parse(await readFile(settingsPath(dir), 'utf8'))).toEqual({ accounts: ['a@x'] });
    await saveSettings(dir, { accounts: [] });
    expect(JSON.parse(await readFile(settingsPath(dir), 'utf8'))).toEqual({});
  });

  it('a corrupt config.json is a ConfigError naming the file', async () => {
    await writeFile(settingsPath(dir), '{"defaultAccount": ');
    const error = await loadSettings(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain(settingsPath(dir));
    expect((error as ConfigError).hint).toContain(settingsPath(dir));
  });

  it('JSON that is not an object is a ConfigError naming the file', async () => {
    for (const text of ['[]', 'null', '"text"', '42']) {
      await writeFile(settingsPath(dir), text);
      const error = await loadSettings(dir).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).message).toContain(settingsPath(dir));
    }
  });

  it('ignores fields of the wrong type rather than trusting them', async () => {
    await writeFile(settingsPath(dir), JSON.stringify({ defaultAccount: 5, tokenStore: 'plaintext', accounts: ['a@x', 7, null], extra: true }));
    expect(await loadSettings(dir)).toEqual({ accounts: ['a@x'] });
  });

  it('a config.json that cannot be read (a directory) is a ConfigError naming the file', async () => {
    await mkdir(settingsPath(dir));
    const error = await loadSettings(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain(settingsPath(dir));
  });
});
