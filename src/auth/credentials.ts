/**
 * The OAuth client file that Google's console downloads ("client_secret_….json"):
 * one top-level key, `installed` (Desktop app) or `web`.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { CredentialsError } from '../errors.js';
import { registerSecret } from '../redact.js';

export const GOOGLE_ENDPOINTS = {
  authUri: 'https://accounts.google.com/o/oauth2/v2/auth',
  tokenUri: 'https://oauth2.googleapis.com/token',
  revokeUri: 'https://oauth2.googleapis.com/revoke',
} as const;

export interface ClientCredentials {
  /** `installed` is a Desktop client; a `web` client cannot use loopback ports on any port. */
  kind: 'installed' | 'web';
  clientId: string;
  clientSecret: string;
  authUri: string;
  tokenUri: string;
  revokeUri: string;
  /** The file they came from, for messages. */
  file: string;
}

const HOW_TO_GET_ONE =
  'Create one in the Google Cloud console: enable the Gmail API, create an OAuth client of type "Desktop app", ' +
  'download its JSON, and save it as that file (or pass --credentials FILE, or set GMAILCTL_CREDENTIALS). See the README.';

/** --credentials FILE, else $GMAILCTL_CREDENTIALS, else <config dir>/credentials.json. */
export function credentialsPath(flag: string | undefined, env: NodeJS.ProcessEnv, configDir: string): string {
  return path.resolve(flag || env.GMAILCTL_CREDENTIALS || path.join(configDir, 'credentials.json'));
}

export async function loadClientCredentials(file: string): Promise<ClientCredentials> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const what =
      code === 'ENOENT'
        ? 'does not exist'
        : code === 'EACCES'
          ? 'is not readable (permission denied)'
          : code === 'EISDIR'
            ? 'is a directory'
            : `cannot be read (${code ?? (error as Error).message})`;
    throw new CredentialsError(`The OAuth client file ${file} ${what}.`, { hint: HOW_TO_GET_ONE });
  }
  return parseClientCredentials(text, file);
}

export function parseClientCredentials(text: string, file: string): ClientCredentials {
  const fail = (what: string): never => {
    throw new CredentialsError(`The OAuth client file ${file} ${what}.`, { hint: HOW_TO_GET_ONE });
  };
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return fail('is not valid JSON');
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return fail('does not hold a JSON object');
  const top = data as Record<string, unknown>;
  const kind = 'installed' in top ? 'installed' : 'web' in top ? 'web' : undefined;
  if (!kind) return fail('has neither an "installed" nor a "web" key (is it an OAuth client file, not a service account key?)');
  const client = top[kind];
  if (typeof client !== 'object' || client === null) return fail(`has a "${kind}" key that is not an object`);
  const fields = client as Record<string, unknown>;
  const text_ = (name: string): string | undefined => {
    const value = fields[name];
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value === '') return fail(`has a "${kind}.${name}" that is not a non-empty string`);
    return value;
  };
  const clientId = text_('client_id') ?? fail(`lacks "${kind}.client_id"`);
  const clientSecret = text_('client_secret') ?? fail(`lacks "${kind}.client_secret"`);
  registerSecret(clientSecret);
  const endpoint = (name: string, fallback: string): string => {
    const value = text_(name) ?? fallback;
    try {
      const url = new URL(value);
      if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('not http(s)');
    } catch {
      return fail(`has a "${kind}.${name}" that is not an http(s) URL`);
    }
    return value;
  };
  return {
    kind,
    clientId,
    clientSecret,
    authUri: endpoint('auth_uri', GOOGLE_ENDPOINTS.authUri),
    tokenUri: endpoint('token_uri', GOOGLE_ENDPOINTS.tokenUri),
    revokeUri: endpoint('revoke_uri', GOOGLE_ENDPOINTS.revokeUri),
    file,
  };
}
