import type { TokenStoreKind } from '../basics/config.js';
import { FileStore } from './file.js';
import { KeychainStore } from './keychain.js';
import type { TokenStore } from './token-store.js';

interface TokenStoreOptions {
  /** Where the session bus is (DBUS_SESSION_BUS_ADDRESS), for the keychain. */
  env: NodeJS.ProcessEnv;
  keychainTimeoutMs: number;
  keychainUnlockTimeoutMs: number;
  /** Told when a locked keychain shows its unlock prompt, with how long it is waited for. */
  onUnlockPrompt?: (waitMs: number) => void;
}

export function openTokenStore(kind: TokenStoreKind, configDir: string, options: TokenStoreOptions): TokenStore {
  return kind === 'file' ? new FileStore(configDir) : new KeychainStore({ timeoutMs: options.keychainTimeoutMs, unlockTimeoutMs: options.keychainUnlockTimeoutMs, env: options.env, onUnlockPrompt: options.onUnlockPrompt });
}
