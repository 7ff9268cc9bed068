/**
 * The workspace every command starts from: the config dir, config.json and the chosen
 * token store.
 */
import { chooseTokenStore, loadSettings, resolveConfigDir, type Settings } from '../basics/config.js';
import { googleSettings } from '../basics/environment.js';
import { openTokenStore } from './index.js';
import type { TokenStore } from './token-store.js';

export interface Workspace {
  configDir: string;
  settings: Settings;
  store: TokenStore;
}

/**
 * `forceStore` is login's --insecure-storage: the file store whatever the settings say.
 * `onUnlockPrompt` is told when a locked keychain shows its unlock prompt (the command says so).
 */
export async function openWorkspace(env: NodeJS.ProcessEnv, forceStore?: 'file', onUnlockPrompt?: (waitMs: number) => void): Promise<Workspace> {
  const configDir = resolveConfigDir(env);
  const settings = await loadSettings(configDir);
  const { keychainTimeoutMs, keychainUnlockTimeoutMs } = googleSettings(env);
  const store = openTokenStore(forceStore ?? chooseTokenStore(env, settings), configDir, { env, keychainTimeoutMs, keychainUnlockTimeoutMs, onUnlockPrompt });
  return { configDir, settings, store };
}
