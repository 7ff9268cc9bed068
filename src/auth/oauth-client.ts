/**
 * Google's OAuth2Client, configured from the client file's endpoints. Loaded lazily:
 * google-auth-library is the heaviest thing we import.
 */
import type { OAuth2Client } from 'google-auth-library';
import { loadGoogleLibraries } from '../libraries/load.js';
import type { ClientCredentials } from './credentials.js';
import { timedFetch } from '../gmail/timed-fetch.js';

export const GMAIL_READONLY_SCOPE = 'https://www.googleapis.com/auth/gmail.readonly';

/** Cached access tokens are refreshed this long before they expire. */
export const EAGER_REFRESH_MS = 5 * 60 * 1000;

interface OAuthClientOptions {
  /** How long one request to Google may take (GMAILCTL_HTTP_TIMEOUT_MS). */
  timeoutMs: number;
  /** The loopback listener's address, for a login. */
  redirectUri?: string;
}

export async function createOAuthClient(credentials: ClientCredentials, { timeoutMs, redirectUri }: OAuthClientOptions): Promise<OAuth2Client> {
  const { OAuth2Client, fetch, Response } = await loadGoogleLibraries();
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
    // Every request through this client (token, revoke, Gmail calls, batches) ends by the timeout.
    transporterOptions: { fetchImplementation: timedFetch(timeoutMs, { fetch, Response }) },
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
