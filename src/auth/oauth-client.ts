/**
 * Google's OAuth2Client, configured from the client file's endpoints. Loaded lazily:
 * google-auth-library is the heaviest thing we import.
 */
import type { OAuth2Client } from 'google-auth-library';
import { loadAuthLibrary } from '../lazy.js';
import type { ClientCredentials } from './credentials.js';

export const GMAIL_READONLY_SCOPE = 'https://www.googleapis.com/auth/gmail.readonly';

/** Cached access tokens are refreshed this long before they expire. */
export const EAGER_REFRESH_MS = 5 * 60 * 1000;

/**
 * How long one request to Google may take before it is given up (and perhaps retried):
 * gaxios waits forever by default, and a hung endpoint must not hang a cron job.
 */
export function requestTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const value = Number(env.GMAILCTL_HTTP_TIMEOUT_MS);
  return Number.isInteger(value) && value > 0 ? value : 30_000;
}

export async function createOAuthClient(credentials: ClientCredentials, redirectUri?: string): Promise<OAuth2Client> {
  const { OAuth2Client } = await loadAuthLibrary();
  return new OAuth2Client({
    clientId: credentials.clientId,
    clientSecret: credentials.clientSecret,
    redirectUri,
    endpoints: {
      oauth2AuthBaseUrl: credentials.authUri,
      oauth2TokenUrl: credentials.tokenUri,
      oauth2RevokeUrl: credentials.revokeUri,
    },
    eagerRefreshThresholdMillis: EAGER_REFRESH_MS,
    transporterOptions: { timeout: requestTimeoutMs() },
  });
}

/**
 * Revokes a token at revoke_uri with the token in the form body (RFC 7009). The library's
 * revokeToken() puts it in the URL's query string, where proxies and logs keep URLs.
 */
export async function revokeToken(client: OAuth2Client, revokeUri: string, token: string): Promise<void> {
  await client.transporter.request({
    method: 'POST',
    url: revokeUri,
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    data: new URLSearchParams({ token }).toString(),
    retry: false,
  });
}
