import type { TokenStoreKind } from '../config.js';
import { FileStore } from './file.js';
import { KeychainStore, keychainTimeoutMs } from './keychain.js';
import type { TokenStore } from './token-store.js';

export function openTokenStore(kind: TokenStoreKind, configDir: string, env: NodeJS.ProcessEnv = process.env): TokenStore {
  return kind === 'file' ? new FileStore(configDir) : new KeychainStore(keychainTimeoutMs(env), env);
}
