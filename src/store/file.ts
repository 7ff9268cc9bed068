/**
 * The file token store, used only when chosen (--insecure-storage or GMAILCTL_TOKEN_STORE=file):
 * <config dir>/tokens.json, mode 0600, in a directory of mode 0700. Like ssh with its keys,
 * it refuses a file or directory that others can read rather than use a leaked secret.
 * Writes replace the file atomically, so an interrupted write leaves the previous logins.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ensureConfigDir } from '../basics/config.js';
import { withFileLock, writePrivateFile } from '../basics/shared-file.js';
import { TokenStoreError } from '../basics/errors.js';
import { checkPrivatePath } from '../basics/private-path.js';
import { parseLogin, serializeLogin, type StoredLogin, type TokenStore } from './token-store.js';

/** What to do with a loose, foreign or linked tokens.json or config directory. */
const TOKEN_RULE = {
  replaceHint: 'Move it away and log in again; gmailctl never follows links or changes owners.',
  afterChmod: '(and consider the tokens in it leaked: gmailctl logout, then login)',
};

export class FileStore implements TokenStore {
  readonly kind = 'file' as const;
  readonly location: string;

  constructor(private readonly configDir: string) {
    this.location = path.join(configDir, 'tokens.json');
  }

  /**
   * The file and its directory may not exist yet (set() creates them); if they do, they must be
   * private, and the file readable as logins: a corrupt file stops a login before the consent,
   * not after it, and status names it as the store's problem.
   */
  async probe(): Promise<void> {
    await this.#read();
  }

  async get(account: string): Promise<StoredLogin | undefined> {
    const logins = await this.#read();
    const value = logins[account];
    return value === undefined ? undefined : parseLogin(value, this.location, account);
  }

  async set(account: string, login: StoredLogin): Promise<void> {
    await ensureConfigDir(this.configDir);
    await withFileLock(this.location, async () => {
      const logins = await this.#read();
      logins[account] = JSON.parse(serializeLogin(login)) as unknown;
      await this.#write(logins);
    });
  }

  async delete(account: string): Promise<boolean> {
    if (!(account in (await this.#read()))) return false; // nothing to change, nothing to lock
    return withFileLock(this.location, async () => {
      const logins = await this.#read();
      if (!(account in logins)) return false;
      delete logins[account];
      await this.#write(logins);
      return true;
    });
  }

  async #read(): Promise<Record<string, unknown>> {
    if (!(await this.#checkPermissions())) return {};
    let text: string;
    try {
      text = await readFile(this.location, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw new TokenStoreError(`Cannot read ${this.location}: ${(error as Error).message}`, { cause: error });
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      data = undefined;
    }
    if (typeof data !== 'object' || data === null || Array.isArray(data)) {
      throw new TokenStoreError(`${this.location} is corrupt (not a JSON object of logins).`, {
        hint: `Move it away and log in again: gmailctl login --insecure-storage`,
      });
    }
    return data as Record<string, unknown>;
  }

  async #write(logins: Record<string, unknown>): Promise<void> {
    try {
      await writePrivateFile(this.location, `${JSON.stringify(logins, null, 2)}\n`);
    } catch (error) {
      throw new TokenStoreError(`Cannot write ${this.location}: ${(error as Error).message}`, { cause: error });
    }
  }

  /** Whether tokens.json exists; throws when it or its directory is a link, another user's, or open to others. */
  async #checkPermissions(): Promise<boolean> {
    const refuse = (message: string, hint: string): TokenStoreError => new TokenStoreError(message, { hint });
    await checkPrivatePath(this.configDir, { kind: 'directory', ...TOKEN_RULE }, refuse);
    return checkPrivatePath(this.location, { kind: 'file', ...TOKEN_RULE }, refuse);
  }
}
