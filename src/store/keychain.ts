/**
 * The OS keychain (macOS Keychain, Windows Credential Manager, Secret Service on Linux)
 * through @napi-rs/keyring's keytar-compatible API: service "gmailctl", account = address.
 * Every call runs under a timeout. On Linux the binding blocks the main thread while it
 * talks D-Bus, so before its first call the Secret Service is asked asynchronously whether
 * it answers and whether our items are locked; a locked keyring is unlocked through its
 * prompt, asynchronously, under the unlock timeout (a person is typing), before the binding
 * could get stuck on that prompt. Ctrl-C works throughout: nothing blocks the event loop.
 */
import { TokenStoreError } from '../basics/errors.js';
import { loadSecretServiceUnlock } from '../libraries/load.js';
import { formatSeconds } from '../basics/durations.js';
import { noAnswerWithin, secretServiceLocked, sessionBusSocket } from './secret-service-lock.js';
import { INSECURE_STORAGE_HINT, parseLogin, serializeLogin, type StoredLogin, type TokenStore } from './token-store.js';

const KEYCHAIN_SERVICE = 'gmailctl';
/** Per process, so that two gmailctl processes probing at once do not read each other's item. */
const PROBE_ACCOUNT = `gmailctl-probe-${process.pid}`;

type Keytar = typeof import('@napi-rs/keyring/keytar.js');

export class KeychainStore implements TokenStore {
  readonly kind = 'keychain' as const;
  readonly location = `service "${KEYCHAIN_SERVICE}"`;
  #keytar: Promise<Keytar> | undefined;
  #serviceAnswers: Promise<void> | undefined;

  readonly #timeoutMs: number;
  readonly #unlockTimeoutMs: number;
  readonly #env: NodeJS.ProcessEnv;
  readonly #onUnlockPrompt: ((waitMs: number) => void) | undefined;

  /**
   * `timeoutMs` bounds every call (GMAILCTL_KEYCHAIN_TIMEOUT_MS), `unlockTimeoutMs` the wait
   * at a locked keychain's unlock prompt, of which `onUnlockPrompt` is told; `env` locates the
   * session bus.
   */
  constructor(options: { timeoutMs: number; unlockTimeoutMs: number; env: NodeJS.ProcessEnv; onUnlockPrompt?: (waitMs: number) => void }) {
    this.#onUnlockPrompt = options.onUnlockPrompt;
    this.#timeoutMs = options.timeoutMs;
    this.#unlockTimeoutMs = options.unlockTimeoutMs;
    this.#env = options.env;
  }

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
    // Once per process, before the binding can block the main thread (see secret-service-lock.ts).
    this.#serviceAnswers ??= this.#checkSecretService();
    await this.#serviceAnswers;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(unavailable(noAnswerWithin(this.#timeoutMs))),
        this.#timeoutMs,
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
    const socket = sessionBusSocket(this.#env.DBUS_SESSION_BUS_ADDRESS);
    if (!socket) throw noSessionBus(this.#env.DBUS_SESSION_BUS_ADDRESS);
    const outcome = await secretServiceLocked(socket, KEYCHAIN_SERVICE, this.#timeoutMs);
    if (!outcome.ok) throw unavailable(outcome.reason);
    if (outcome.locked) await this.#unlock(socket);
  }

  /** Shows the keychain's unlock prompt and waits for it, asynchronously, within the unlock timeout. */
  async #unlock(socket: string): Promise<void> {
    // A D-Bus library, loaded only here: a file of its own in dist/ (esbuild.config.mjs).
    const { unlockSecretService } = await loadSecretServiceUnlock();
    const outcome = await unlockSecretService(socket, KEYCHAIN_SERVICE, this.#unlockTimeoutMs, () => this.#onUnlockPrompt?.(this.#unlockTimeoutMs));
    if (outcome.kind === 'unlocked') return;
    const reason = {
      'timed-out': `it is locked, and its unlock prompt got no answer within ${formatSeconds(this.#unlockTimeoutMs)} (GMAILCTL_KEYCHAIN_TIMEOUT_MS)`,
      dismissed: 'it is locked, and its unlock prompt was dismissed (or cannot be shown here: no display)',
      failed: `it is locked, and unlocking it failed: ${outcome.kind === 'failed' ? outcome.reason : ''}`,
    }[outcome.kind];
    throw new TokenStoreError(`The OS keychain cannot be used: ${reason}.`, {
      hint: `Unlock it (log in to your desktop, or open its Passwords and Keys app) and run the command again. ${INSECURE_STORAGE_HINT}`,
    });
  }
}

/**
 * No session bus to reach the Secret Service through: cron, a systemd service, an SSH session
 * outside the desktop. A login kept in the keychain cannot be read from here, whatever store
 * is chosen; what works is running where the desktop session is, or a login that needs no
 * store at all (the environment's), or one kept in a file.
 */
function noSessionBus(address: string | undefined): TokenStoreError {
  const what = address ? `DBUS_SESSION_BUS_ADDRESS ("${address}") names no unix socket` : 'DBUS_SESSION_BUS_ADDRESS is not set';
  return new TokenStoreError(`The OS keychain cannot be used: there is no D-Bus session bus here (${what}, as in cron jobs and systemd services), and the Secret Service is reached through it.`, {
    hint:
      'Run gmailctl inside your desktop session (where DBUS_SESSION_BUS_ADDRESS is set), or give it a login from the environment: ' +
      'GMAILCTL_CLIENT_ID, GMAILCTL_CLIENT_SECRET and GMAILCTL_REFRESH_TOKEN (see "CI" in the README). ' +
      'For a machine without a desktop, log in once with gmailctl login --insecure-storage (or GMAILCTL_TOKEN_STORE=file gmailctl login): tokens in a 0600 file, used from anywhere.',
  });
}

function unavailable(reason: string, cause?: unknown): TokenStoreError {
  return new TokenStoreError(`The OS keychain cannot be used: ${reason}.`, { hint: INSECURE_STORAGE_HINT, cause });
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // The Secret Service's errors are long D-Bus sentences; the first line is the useful one.
  return message.split('\n')[0]?.trim() || 'unknown error';
}
