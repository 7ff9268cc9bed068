/**
 * The workspace every command that touches logins starts from: the config dir, config.json
 * and the chosen token store. Built once per run by the command context (src/commands/context.ts).
 */
import { chooseTokenStore, type Settings } from '../basics/config.js';
import type { GoogleSettings } from '../basics/environment.js';
import { openTokenStore } from './index.js';
import type { TokenStore } from './token-store.js';

export interface Workspace {
  configDir: string;
  settings: Settings;
  store: TokenStore;
}

export interface WorkspaceOptions {
  /** login's --insecure-storage: the file store whatever the settings say. */
  forceStore?: 'file';
  /** Told when a locked keychain shows its unlock prompt (the command says so). */
  onUnlockPrompt?: (waitMs: number) => void;
}

/** The token store that GMAILCTL_TOKEN_STORE or config.json chooses, beside the config read. */
export function openWorkspace(
  config: { configDir: string; settings: Settings },
  env: NodeJS.ProcessEnv,
  { keychainTimeoutMs, keychainUnlockTimeoutMs }: Pick<GoogleSettings, 'keychainTimeoutMs' | 'keychainUnlockTimeoutMs'>,
  { forceStore, onUnlockPrompt }: WorkspaceOptions = {},
): Workspace {
  const { configDir, settings } = config;
  const store = openTokenStore(forceStore ?? chooseTokenStore(env, settings), configDir, { env, keychainTimeoutMs, keychainUnlockTimeoutMs, onUnlockPrompt });
  return { configDir, settings, store };
}
