/**
 * Where gmailctl keeps its files, and config.json: the default account and the chosen
 * token store. config.json never holds a secret.
 */
import { access, constants, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import envPaths from 'env-paths';
import { ConfigError, UsageError } from './errors.js';
import { makeDirectory, unwritableReason } from './make-directory.js';
import { checkPrivatePath, type PathRule } from './private-path.js';
import { withFileLock, writePrivateFile } from './shared-file.js';
import { unsafeCharacterIn } from './single-line.js';

export type TokenStoreKind = 'keychain' | 'file';

export interface Settings {
  defaultAccount?: string;
  tokenStore?: TokenStoreKind;
  /** The accounts that have a stored login, in login order. Addresses only, no secrets. */
  accounts?: string[];
  /** false turns the local message cache off (see src/cache/). */
  cache?: boolean;
}

/**
 * $GMAILCTL_CONFIG_DIR, else $XDG_CONFIG_HOME/gmailctl when it is absolute (the XDG Base
 * Directory spec says a relative one is invalid and must be ignored), else the platform's
 * usual place under the home directory. With no usable home (HOME empty or relative) that
 * would be a path under the current directory: refused, never guessed.
 */
export function resolveConfigDir(env: NodeJS.ProcessEnv): string {
  if (env.GMAILCTL_CONFIG_DIR) return path.resolve(env.GMAILCTL_CONFIG_DIR);
  return path.join(userDir(env, 'XDG_CONFIG_HOME', 'config'), 'gmailctl');
}

/**
 * A per-user base directory: $<xdgVariable> when absolute, else the platform's place
 * ('config' → ~/.config on Linux, 'cache' → ~/.cache), refusing to build one on no home.
 */
function userDir(env: NodeJS.ProcessEnv, xdgVariable: 'XDG_CONFIG_HOME' | 'XDG_CACHE_HOME', kind: 'config' | 'cache'): string {
  const xdg = env[xdgVariable];
  if (xdg && path.isAbsolute(xdg)) return xdg;
  const home = env.HOME ?? homedir();
  if (!home || !path.isAbsolute(home)) {
    throw new ConfigError(`There is no usable home directory (HOME is ${home ? `"${home}", not an absolute path` : 'empty'}), so gmailctl has nowhere to keep its files.`, {
      hint: `Set HOME to your home directory, or ${xdgVariable} (an absolute path), or GMAILCTL_CONFIG_DIR.`,
    });
  }
  if (process.platform === 'linux' || (process.platform !== 'darwin' && process.platform !== 'win32')) {
    return path.join(home, kind === 'config' ? '.config' : '.cache');
  }
  // macOS and Windows: the platform's usual place (env-paths), minus our name.
  const paths = envPaths('gmailctl', { suffix: '' });
  return path.dirname(kind === 'config' ? paths.config : paths.cache);
}

/** config.json holds no secret, so others may read it; as ssh does with its config, no one else may write it. */
const SETTINGS_RULE: PathRule = {
  kind: 'file',
  othersMayRead: true,
  replaceHint: 'Move it away (gmailctl writes a new one at the next login); gmailctl never follows links or changes owners.',
};

/**
 * The config directory holds config.json, its lock and (with the file store) tokens.json,
 * all replaced by renames there: a directory that another user owns or can write lets them
 * plant links, swap config.json between our check and our read, or break our locks. Others
 * may read and enter it (config.json holds no secret); the file store asks for 0700 on top.
 */
const CONFIG_DIR_RULE: PathRule = {
  kind: 'directory',
  othersMayRead: true,
  replaceHint: 'Use a directory of your own that only you can write (GMAILCTL_CONFIG_DIR, or the default ~/.config/gmailctl).',
};

/** Throws when the config directory exists but is a link, another user's, or writable by others. */
async function checkConfigDir(configDir: string): Promise<void> {
  await checkPrivatePath(configDir, CONFIG_DIR_RULE, (message, hint) => new ConfigError(message, { hint }));
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
    await makeDirectory(configDir);
  } catch (error) {
    throw new ConfigError(`Cannot create the config directory ${configDir}: ${(error as Error).message}`, {
      hint: 'Set GMAILCTL_CONFIG_DIR to a directory you can write to.',
      cause: error,
    });
  }
  await checkConfigDir(configDir);
}

/**
 * Fails unless the config dir (or, when it does not exist yet, the directory it would be
 * created in) can be written: config.json and tokens.json are replaced by a rename there, and
 * their locks are made there. Checked before what cannot be undone — revoking a token at
 * Google, sending the user through the consent — so that a read-only disk stops the command
 * first. `doing` says what was about to happen ("log out"), `spared` what was not done.
 */
export async function checkConfigDirWritable(configDir: string, doing: string, spared: string): Promise<void> {
  let dir = configDir;
  for (;;) {
    try {
      await access(dir, constants.W_OK | constants.X_OK);
      return;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' && path.dirname(dir) !== dir) {
        dir = path.dirname(dir);
        continue;
      }
      const why = unwritableReason(error);
      const where = dir === configDir ? `the config directory ${configDir}` : `the config directory ${configDir} cannot be created: ${dir}`;
      throw new ConfigError(`Cannot ${doing}: ${where} ${why}. ${spared}`, {
        hint: `Make ${dir} writable, or set GMAILCTL_CONFIG_DIR to a directory you can write to, then try again.`,
        cause: error,
      });
    }
  }
}

export async function loadSettings(configDir: string): Promise<Settings> {
  const file = settingsPath(configDir);
  await checkConfigDir(configDir);
  // It chooses the token store and the default account: refused if anyone else could have written it.
  if (!(await checkPrivatePath(file, SETTINGS_RULE, (message, hint) => new ConfigError(message, { hint })))) return {};
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
  if (typeof record.cache === 'boolean') settings.cache = record.cache;
  return settings;
}

export async function saveSettings(configDir: string, settings: Settings): Promise<void> {
  await ensureConfigDir(configDir);
  const body: Settings = {};
  if (settings.defaultAccount) body.defaultAccount = settings.defaultAccount;
  if (settings.tokenStore) body.tokenStore = settings.tokenStore;
  if (settings.accounts && settings.accounts.length > 0) body.accounts = [...new Set(settings.accounts)];
  if (settings.cache !== undefined) body.cache = settings.cache;
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

/**
 * The one choice of the account a command acts on: --account, then GMAILCTL_ACCOUNT, then
 * the default account from config.json; spelled as stored. (Whether the login comes from the
 * environment instead is the command context's question: src/commands/context.ts.)
 */
export function chooseAccount(flag: string | undefined, env: NodeJS.ProcessEnv, settings: Settings): string | undefined {
  const wanted = flag || accountFromEnvironment(env) || settings.defaultAccount || undefined;
  return wanted === undefined ? undefined : storedSpelling(settings, wanted);
}

/**
 * GMAILCTL_ACCOUNT: while set, it is used instead of the default account. Like --account, it
 * may not hold a control or bidi character (no Gmail address does): it goes into messages,
 * where a line break would start a line of its own.
 */
export function accountFromEnvironment(env: NodeJS.ProcessEnv): string | undefined {
  const account = env.GMAILCTL_ACCOUNT || undefined;
  const unsafe = account === undefined ? undefined : unsafeCharacterIn(account);
  if (unsafe) {
    throw new UsageError(`GMAILCTL_ACCOUNT holds a control or bidi character (${unsafe}); no Gmail address does.`, {
      hint: 'Set it to the plain address (GMAILCTL_ACCOUNT=you@gmail.com), or unset it to use the default account.',
    });
  }
  return account;
}

/** Addresses are case-insensitive: `A@Example.com` finds the login stored as `a@example.com`. */
function storedSpelling(settings: Settings, address: string): string {
  const known = [...(settings.accounts ?? []), ...(settings.defaultAccount ? [settings.defaultAccount] : [])];
  return known.find((k) => sameAddress(k, address)) ?? address;
}

/** Email addresses are compared without regard to case, as Google does: the one place that folds them. */
export function sameAddress(a: string, b: string): boolean {
  return addressKey(a) === addressKey(b);
}

/** An address as a key (a cache file's name, its owner), the same for every spelling. */
function addressKey(address: string): string {
  return address.toLowerCase();
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
