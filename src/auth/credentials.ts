/**
 * The OAuth client file that Google's console downloads ("client_secret_….json"):
 * one top-level key, `installed` (Desktop app) or `web`.
 */
import type { Stats } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { CredentialsError } from '../basics/errors.js';
import { registerSecret } from '../basics/redact.js';
import { insecureEndpoint } from '../basics/secure-endpoint.js';

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
    // Read through one handle, so that the file checked is the file read.
    const handle = await open(file, 'r');
    try {
      refuseIfOthersCanChange(file, await handle.stat());
      text = await handle.readFile('utf8');
    } finally {
      await handle.close();
    }
  } catch (error) {
    if (error instanceof CredentialsError) throw error;
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

/**
 * The client file says where tokens are sent (token_uri): whoever can change it can have
 * them. Like ssh with its config, refuse one that another user could have written: not
 * owned by us (or root), writable by everyone, or writable by a group other than our own.
 */
function refuseIfOthersCanChange(file: string, stats: Stats): void {
  if (process.platform === 'win32' || !process.getuid || !process.getgid) return;
  if (stats.isDirectory()) return; // reading it fails with EISDIR, which says so better
  const octal = (stats.mode & 0o777).toString(8).padStart(4, '0');
  const refuse = (why: string, hint: string): never => {
    throw new CredentialsError(`Refusing to use the OAuth client file ${file}: ${why}.`, { hint });
  };
  if (stats.uid !== process.getuid() && stats.uid !== 0) {
    refuse(`it belongs to another user (uid ${stats.uid}), who could point its token_uri anywhere`, `Copy it to a file of your own: cp '${file}' ~/.config/gmailctl/credentials.json`);
  }
  const othersWrite = (stats.mode & 0o002) !== 0;
  const foreignGroupWrites = (stats.mode & 0o020) !== 0 && stats.gid !== process.getgid();
  if (othersWrite || foreignGroupWrites) {
    refuse(`other users can write to it (mode ${octal}) and so choose where your tokens are sent`, `Run: chmod go-w '${file}'`);
  }
}

function parseClientCredentials(text: string, file: string): ClientCredentials {
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
    const insecure = insecureEndpoint(value, `its "${kind}.${name}"`);
    return insecure ? fail(`cannot be used: ${insecure}`) : value;
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
