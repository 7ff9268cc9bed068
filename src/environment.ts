/**
 * The one place that reads settings from the environment for Google and the keychain
 * (API root, request timeout, token endpoint, keychain timeout), and the only module that
 * touches `process.env`: everything else receives `env` from the command's context.
 */
import { UsageError } from './errors.js';
import { insecureEndpoint } from './secure-endpoint.js';

/** Where the Gmail API lives when GMAILCTL_API_ROOT does not say otherwise. */
export const DEFAULT_API_ROOT = 'https://gmail.googleapis.com/';
/** gaxios waits forever by default, and a hung endpoint must not hang a cron job. */
const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
/** Long enough for a slow D-Bus round trip, short enough that a hung daemon is noticed. */
const DEFAULT_KEYCHAIN_TIMEOUT_MS = 5_000;

export interface GoogleSettings {
  /** GMAILCTL_API_ROOT, with the trailing slash that relative API paths need (unchecked: see secureApiRoot). */
  apiRoot: string;
  /** GMAILCTL_HTTP_TIMEOUT_MS: how long one request to Google may take before it is given up (and perhaps retried). */
  requestTimeoutMs: number;
  /** GMAILCTL_TOKEN_URI: the token endpoint for a login from the environment; undefined means Google's. */
  tokenUri: string | undefined;
  /** GMAILCTL_KEYCHAIN_TIMEOUT_MS: how long to wait for the OS keychain. */
  keychainTimeoutMs: number;
}

export function googleSettings(env: NodeJS.ProcessEnv): GoogleSettings {
  const root = env.GMAILCTL_API_ROOT || DEFAULT_API_ROOT;
  return {
    apiRoot: root.endsWith('/') ? root : `${root}/`,
    requestTimeoutMs: positiveInteger(env.GMAILCTL_HTTP_TIMEOUT_MS) ?? DEFAULT_REQUEST_TIMEOUT_MS,
    tokenUri: env.GMAILCTL_TOKEN_URI || undefined,
    keychainTimeoutMs: positiveInteger(env.GMAILCTL_KEYCHAIN_TIMEOUT_MS) ?? DEFAULT_KEYCHAIN_TIMEOUT_MS,
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
