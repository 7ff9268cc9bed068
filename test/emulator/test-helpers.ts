/** The OAuth dance against the emulator, done as the CLI does it, for the emulator's own tests. */
import { createHash, randomBytes } from 'node:crypto';
import type { Emulator } from './index.js';

export const READONLY = 'https://www.googleapis.com/auth/gmail.readonly';
export const REDIRECT_URI = 'http://127.0.0.1:53682/callback';

export interface Pkce {
  verifier: string;
  challenge: string;
}

export function pkce(): Pkce {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** The authorization URL; `overrides` replace (or, when undefined, drop) parameters. */
export function authUrl(emulator: Emulator, challenge: string, overrides: Record<string, string | undefined> = {}): URL {
  const params: Record<string, string | undefined> = {
    client_id: emulator.clientId,
    redirect_uri: REDIRECT_URI,
    response_type: 'code',
    scope: READONLY,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: 'st-1',
    ...overrides,
  };
  const url = new URL('o/oauth2/v2/auth', emulator.url);
  for (const [name, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(name, value);
  return url;
}

/** OAuth2Client's options for the emulator's client, as the CLI configures it from the client file. */
export function oauthClientOptions(emulator: Emulator) {
  const credentials = (emulator.credentials() as { installed: Record<string, string> }).installed;
  return {
    clientId: emulator.clientId,
    clientSecret: emulator.clientSecret,
    redirectUri: REDIRECT_URI,
    endpoints: { oauth2AuthBaseUrl: credentials.auth_uri!, oauth2TokenUrl: credentials.token_uri!, oauth2RevokeUrl: credentials.revoke_uri! },
  };
}

/** Auto-approved consent: the code from the redirect. */
export async function authorize(emulator: Emulator, overrides: Record<string, string | undefined> = {}): Promise<{ code: string; verifier: string; location: URL }> {
  const { verifier, challenge } = pkce();
  const response = await fetch(authUrl(emulator, challenge, overrides), { redirect: 'manual' });
  if (response.status !== 302) throw new Error(`auth answered ${response.status}: ${await response.text()}`);
  const location = new URL(response.headers.get('location')!);
  return { code: location.searchParams.get('code')!, verifier, location };
}

export function postForm(emulator: Emulator, path: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(new URL(path, emulator.url), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form),
  });
}

export interface TokenResponse {
  access_token: string;
  refresh_token?: string;
  expires_in: number;
  scope: string;
  token_type: string;
}

/** A full login: authorize, then exchange the code. */
export async function login(emulator: Emulator, overrides: Record<string, string | undefined> = {}): Promise<TokenResponse> {
  const { code, verifier } = await authorize(emulator, overrides);
  const response = await postForm(emulator, 'token', {
    grant_type: 'authorization_code',
    code,
    code_verifier: verifier,
    redirect_uri: overrides.redirect_uri ?? REDIRECT_URI,
    client_id: emulator.clientId,
    client_secret: emulator.clientSecret,
  });
  if (response.status !== 200) throw new Error(`token answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as TokenResponse;
}

/** GET a Gmail API path (relative to users/me/) with a bearer token. */
export function gmailGet(emulator: Emulator, path: string, accessToken: string | undefined): Promise<Response> {
  return fetch(new URL(`gmail/v1/users/me/${path}`, emulator.url), {
    headers: accessToken === undefined ? {} : { authorization: `Bearer ${accessToken}` },
  });
}
