/**
 * The OS keychain (macOS Keychain, Windows Credential Manager, Secret Service on Linux)
 * through @napi-rs/keyring's keytar-compatible API: service "gmailctl", account = address.
 * Every call runs under a timeout, because a locked or hung Secret Service would otherwise
 * block the CLI forever waiting for an unlock prompt that nobody sees.
 */
import { TokenStoreError } from '../errors.js';
import { noAnswerWithin, pingSecretService, sessionBusSocket } from './secret-service-ping.js';
import { INSECURE_STORAGE_HINT, parseLogin, serializeLogin, type StoredLogin, type TokenStore } from './token-store.js';

export const KEYCHAIN_SERVICE = 'gmailctl';
/** Per process, so that two gmailctl processes probing at once do not read each other's item. */
const PROBE_ACCOUNT = `gmailctl-probe-${process.pid}`;

type Keytar = typeof import('@napi-rs/keyring/keytar.js');

export class KeychainStore implements TokenStore {
  readonly kind = 'keychain' as const;
  readonly location = `service "${KEYCHAIN_SERVICE}"`;
  #keytar: Promise<Keytar> | undefined;
  #serviceAnswers: Promise<void> | undefined;

  /** `timeoutMs` bounds every call (GMAILCTL_KEYCHAIN_TIMEOUT_MS); `env` locates the session bus. */
  constructor(
    private readonly timeoutMs: number,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  async probe(): Promise<void> {
    // A write, a read and a delete: a keychain that only answers reads (or a locked
    // collection that fails writes) is found out before the user goes through consent.
    await this.#call('write to', (k) => k.setPassword(KEYCHAIN_SERVICE, PROBE_ACCOUNT, 'probe'));
    const read = await this.#call('read from', (k) => k.getPassword(KEYCHAIN_SERVICE, PROBE_ACCOUNT));
    await this.#call('write to', (k) => k.deletePassword(KEYCHAIN_SERVICE, PROBE_ACCOUNT));
    if (read !== 'probe') throw unavailable('it did not return what was written');
  }

  async get(account: string): Promise<StoredLogin | undefined> {
    const value = await this.#call('read from', (k) => k.getPassword(KEYCHAIN_SERVICE, account));
    return value === null ? undefined : parseLogin(value, this.location, account);
  }

  async set(account: string, login: StoredLogin): Promise<void> {
    const value = serializeLogin(login);
    await this.#call('write to', (k) => k.setPassword(KEYCHAIN_SERVICE, account, value));
  }

  async delete(account: string): Promise<boolean> {
    return this.#call('write to', (k) => k.deletePassword(KEYCHAIN_SERVICE, account));
  }

  async #call<T>(doing: 'read from' | 'write to', operation: (keytar: Keytar) => Promise<T>): Promise<T> {
    // Once per process, before the binding can block the main thread (see secret-service-ping.ts).
    this.#serviceAnswers ??= this.#checkSecretService();
    await this.#serviceAnswers;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(unavailable(noAnswerWithin(this.timeoutMs))),
        this.timeoutMs,
      );
      timer.unref();
    });
    try {
      // The native binding loads only when a command needs it: --help and --version stay fast.
      this.#keytar ??= import('@napi-rs/keyring/keytar.js');
      return await Promise.race([this.#keytar.then(operation), timeout]);
    } catch (error) {
      if (error instanceof TokenStoreError) throw error;
      throw unavailable(`could not ${doing} it: ${firstLine(error)}`, error);
    } finally {
      clearTimeout(timer);
    }
  }

  async #checkSecretService(): Promise<void> {
    if (process.platform !== 'linux') return;
    const socket = sessionBusSocket(this.env.DBUS_SESSION_BUS_ADDRESS);
    if (!socket) return; // no bus address: the binding fails fast on its own
    const outcome = await pingSecretService(socket, this.timeoutMs);
    if (!outcome.ok) throw unavailable(outcome.reason);
  }
}

function unavailable(reason: string, cause?: unknown): TokenStoreError {
  return new TokenStoreError(`The OS keychain cannot be used: ${reason}.`, { hint: INSECURE_STORAGE_HINT, cause });
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // The Secret Service's errors are long D-Bus sentences; the first line is the useful one.
  return message.split('\n')[0]?.trim() || 'unknown error';
}
