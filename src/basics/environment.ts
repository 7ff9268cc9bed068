/**
 * The environment variables gmailctl reads, in one table (the help and the README's table
 * are checked against it), and the one place that reads settings for Google and the
 * keychain from them (API root, request timeout, token endpoint, keychain timeout). The only
 * module that touches `process.env`: everything else receives `env` from the command's context.
 */
import { UsageError } from './errors.js';
import { insecureEndpoint } from './secure-endpoint.js';

interface EnvironmentVariable {
  /** Read together (or the first one set wins), as the README's table lists them. */
  names: readonly string[];
  /** One line for `gmailctl --help`. */
  help: string;
}

/** Every variable gmailctl reads, in the order of the README's table. */
export const ENVIRONMENT_VARIABLES: readonly EnvironmentVariable[] = [
  { names: ['GMAILCTL_ACCOUNT'], help: 'account to use when --account is not given' },
  { names: ['GMAILCTL_CONFIG_DIR'], help: 'config directory (default $XDG_CONFIG_HOME/gmailctl)' },
  { names: ['GMAILCTL_CREDENTIALS'], help: 'OAuth client file (default <config dir>/credentials.json)' },
  { names: ['GMAILCTL_TOKEN_STORE'], help: 'keychain (default) or file' },
  { names: ['GMAILCTL_BROWSER', 'BROWSER'], help: 'a command that opens a URL (default: the desktop\'s browser)' },
  { names: ['GMAILCTL_API_ROOT'], help: 'Gmail API root (default https://gmail.googleapis.com/)' },
  { names: ['GMAILCTL_DEBUG'], help: '1: same as --debug' },
  { names: ['GMAILCTL_KEYCHAIN_TIMEOUT_MS'], help: 'how long to wait for the keychain (default 5000; for its unlock prompt 60000)' },
  { names: ['GMAILCTL_HTTP_TIMEOUT_MS'], help: 'how long one request to Google may take (default 30000)' },
  { names: ['GMAILCTL_CLIENT_ID', 'GMAILCTL_CLIENT_SECRET', 'GMAILCTL_REFRESH_TOKEN'], help: 'together: a login from the environment (CI)' },
  { names: ['GMAILCTL_ACCESS_TOKEN'], help: 'alone: an access token, used until Google refuses it' },
  { names: ['GMAILCTL_TOKEN_URI'], help: 'the token endpoint for a login from the environment' },
  { names: ['GMAILCTL_CACHE_DIR'], help: 'cache directory (default $XDG_CACHE_HOME/gmailctl); safe to delete' },
  { names: ['GMAILCTL_NO_CACHE'], help: '1: same as list --no-cache (0: the message cache on, whatever config.json says)' },
  { names: ['NO_COLOR', 'FORCE_COLOR'], help: 'no colour / colour even when not on a terminal' },
];

/** The "Environment:" section of `gmailctl --help`. */
export function environmentHelp(): string {
  const rows = ENVIRONMENT_VARIABLES.map((variable) => [variable.names.join(', '), variable.help] as const);
  const width = Math.max(...rows.map(([names]) => (names.length <= 36 ? names.length : 0)));
  const lines = rows.map(([names, help]) => (names.length <= width ? `  ${names.padEnd(width)}  ${help}` : `  ${names}\n  ${''.padEnd(width)}  ${help}`));
  return `Environment:\n${lines.join('\n')}`;
}

/** Where the Gmail API lives when GMAILCTL_API_ROOT does not say otherwise. */
const DEFAULT_API_ROOT = 'https://gmail.googleapis.com/';
/** gaxios waits forever by default, and a hung endpoint must not hang a cron job. */
const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
/** Long enough for a slow D-Bus round trip, short enough that a hung daemon is noticed. */
const DEFAULT_KEYCHAIN_TIMEOUT_MS = 5_000;
/** A locked keychain waits for a person to type a password in its prompt. */
const DEFAULT_KEYCHAIN_UNLOCK_TIMEOUT_MS = 60_000;

export interface GoogleSettings {
  /** GMAILCTL_API_ROOT, with the trailing slash that relative API paths need (unchecked: see secureApiRoot). */
  apiRoot: string;
  /** GMAILCTL_HTTP_TIMEOUT_MS: how long one request to Google may take before it is given up (and perhaps retried). */
  requestTimeoutMs: number;
  /** GMAILCTL_TOKEN_URI: the token endpoint for a login from the environment; undefined means Google's. */
  tokenUri: string | undefined;
  /** GMAILCTL_KEYCHAIN_TIMEOUT_MS: how long to wait for the OS keychain. */
  keychainTimeoutMs: number;
  /** How long a locked keychain's unlock prompt may take: GMAILCTL_KEYCHAIN_TIMEOUT_MS when set, else a minute. */
  keychainUnlockTimeoutMs: number;
}

export function googleSettings(env: NodeJS.ProcessEnv): GoogleSettings {
  const root = env.GMAILCTL_API_ROOT || DEFAULT_API_ROOT;
  const keychainTimeoutMs = positiveInteger(env.GMAILCTL_KEYCHAIN_TIMEOUT_MS);
  return {
    apiRoot: root.endsWith('/') ? root : `${root}/`,
    requestTimeoutMs: positiveInteger(env.GMAILCTL_HTTP_TIMEOUT_MS) ?? DEFAULT_REQUEST_TIMEOUT_MS,
    tokenUri: env.GMAILCTL_TOKEN_URI || undefined,
    keychainTimeoutMs: keychainTimeoutMs ?? DEFAULT_KEYCHAIN_TIMEOUT_MS,
    keychainUnlockTimeoutMs: keychainTimeoutMs ?? DEFAULT_KEYCHAIN_UNLOCK_TIMEOUT_MS,
  };
}

/**
 * The API root, refused unless it is https or this machine: checked where the bearer token
 * is about to go there, so that a command that never calls the Gmail API is not refused.
 */
export function secureApiRoot(settings: Pick<GoogleSettings, 'apiRoot'>): string {
  const insecure = insecureEndpoint(settings.apiRoot, 'GMAILCTL_API_ROOT');
  if (insecure) throw new UsageError(`${insecure}.`, { hint: 'Unset GMAILCTL_API_ROOT to use Gmail, or point it at https:// or a 127.0.0.1 emulator.' });
  return settings.apiRoot;
}

/** The process's own environment: only the process entry and the default IO start from it. */
export function processEnvironment(): NodeJS.ProcessEnv {
  return process.env;
}

function positiveInteger(text: string | undefined): number | undefined {
  const value = Number(text);
  return Number.isInteger(value) && value > 0 ? value : undefined;
}
