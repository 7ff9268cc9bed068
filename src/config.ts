/**
 * Where gmailctl keeps its files, and config.json: the default account and the chosen
 * token store. config.json never holds a secret.
 */
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import envPaths from 'env-paths';
import { ConfigError, UsageError } from './errors.js';
import { withFileLock, writePrivateFile } from './shared-file.js';

export type TokenStoreKind = 'keychain' | 'file';

export interface Settings {
  defaultAccount?: string;
  tokenStore?: TokenStoreKind;
  /** The accounts that have a stored login, in login order. Addresses only, no secrets. */
  accounts?: string[];
}

export function resolveConfigDir(env: NodeJS.ProcessEnv): string {
  if (env.GMAILCTL_CONFIG_DIR) return path.resolve(env.GMAILCTL_CONFIG_DIR);
  if (env.XDG_CONFIG_HOME) return path.join(path.resolve(env.XDG_CONFIG_HOME), 'gmailctl');
  return envPaths('gmailctl', { suffix: '' }).config;
}

export function settingsPath(configDir: string): string {
  return path.join(configDir, 'config.json');
}

/**
 * Creates the config dir with mode 0700. An existing directory keeps its mode: the file
 * token store refuses a loose one (as ssh does) rather than have us silently change it.
 */
export async function ensureConfigDir(configDir: string): Promise<void> {
  try {
    await mkdir(configDir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new ConfigError(`Cannot create the config directory ${configDir}: ${(error as Error).message}`, {
      hint: 'Set GMAILCTL_CONFIG_DIR to a directory you can write to.',
      cause: error,
    });
  }
}

export async function loadSettings(configDir: string): Promise<Settings> {
  const file = settingsPath(configDir);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new ConfigError(`Cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new ConfigError(`${file} is not valid JSON.`, {
      hint: `Fix or delete ${file}; it only holds the default account and the token store choice.`,
    });
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new ConfigError(`${file} must hold a JSON object.`, { hint: `Fix or delete ${file}.` });
  }
  const record = data as Record<string, unknown>;
  const settings: Settings = {};
  if (typeof record.defaultAccount === 'string') settings.defaultAccount = record.defaultAccount;
  if (record.tokenStore === 'keychain' || record.tokenStore === 'file') settings.tokenStore = record.tokenStore;
  if (Array.isArray(record.accounts)) {
    settings.accounts = record.accounts.filter((account): account is string => typeof account === 'string');
  }
  return settings;
}

export async function saveSettings(configDir: string, settings: Settings): Promise<void> {
  await ensureConfigDir(configDir);
  const body: Settings = {};
  if (settings.defaultAccount) body.defaultAccount = settings.defaultAccount;
  if (settings.tokenStore) body.tokenStore = settings.tokenStore;
  if (settings.accounts && settings.accounts.length > 0) body.accounts = [...new Set(settings.accounts)];
  await writePrivateFile(settingsPath(configDir), `${JSON.stringify(body, null, 2)}\n`);
}

/** Changes config.json under a lock, from what it holds now (not what was read earlier). */
export async function updateSettings(configDir: string, change: (settings: Settings) => Settings): Promise<void> {
  await ensureConfigDir(configDir);
  await withFileLock(settingsPath(configDir), async () => saveSettings(configDir, change(await loadSettings(configDir))));
}

/** GMAILCTL_TOKEN_STORE wins over config.json; the keychain is the default. */
export function chooseTokenStore(env: NodeJS.ProcessEnv, settings: Settings): TokenStoreKind {
  const fromEnv = env.GMAILCTL_TOKEN_STORE;
  if (fromEnv !== undefined && fromEnv !== '') {
    if (fromEnv === 'keychain' || fromEnv === 'file') return fromEnv;
    throw new UsageError(`GMAILCTL_TOKEN_STORE must be "keychain" or "file", not "${fromEnv}".`);
  }
  return settings.tokenStore ?? 'keychain';
}

/** --account, then GMAILCTL_ACCOUNT, then the default account from config.json. */
export function chooseAccount(flag: string | undefined, env: NodeJS.ProcessEnv, settings: Settings): string | undefined {
  return flag || env.GMAILCTL_ACCOUNT || settings.defaultAccount || undefined;
}

/** Records a login: the account joins the list and becomes the default. */
export function withLogin(settings: Settings, account: string, tokenStore?: TokenStoreKind): Settings {
  const accounts = (settings.accounts ?? []).filter((known) => known !== account);
  return { ...settings, accounts: [...accounts, account], defaultAccount: account, tokenStore: tokenStore ?? settings.tokenStore };
}

/** Forgets an account; the default moves to the most recent remaining login. */
export function withoutLogin(settings: Settings, account: string): Settings {
  const accounts = (settings.accounts ?? []).filter((known) => known !== account);
  const defaultAccount = settings.defaultAccount === account ? accounts.at(-1) : settings.defaultAccount;
  const next: Settings = { ...settings, accounts };
  if (defaultAccount) next.defaultAccount = defaultAccount;
  else delete next.defaultAccount;
  return next;
}
