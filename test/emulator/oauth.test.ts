import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from './index.js';
import { authUrl, authorize, gmailGet, login, pkce, postForm, READONLY, REDIRECT_URI } from './test-helpers.js';

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator({ accounts: ['user@example.com', 'second@example.org'], messages: 5 });
});
afterAll(() => emulator.close());
beforeEach(() => {
  emulator.setAutoApprove(true);
  emulator.setOmitRefreshToken(false);
  emulator.setGrantedScopes(undefined);
  emulator.setAccessTokenLifetime(3599);
});

describe('credentials()', () => {
  it('is a Desktop client file pointing at the emulator', () => {
    const file = emulator.credentials() as { installed: Record<string, unknown> };
    expect(file.installed).toMatchObject({
      client_id: emulator.clientId,
      client_secret: emulator.clientSecret,
      auth_uri: `${emulator.url}o/oauth2/v2/auth`,
      token_uri: `${emulator.url}token`,
      revoke_uri: `${emulator.url}revoke`,
      redirect_uris: ['http://localhost'],
    });
    expect(Object.keys(emulator.credentials('web'))).toEqual(['web']);
  });
});

describe('GET /o/oauth2/v2/auth', () => {
  it('auto-approves with a 302 carrying code, granted scope and the exact state', async () => {
    const state = 'a b/c?d=é&x';
    const { location } = await authorize(emulator, { state });
    expect(location.origin + location.pathname).toBe(REDIRECT_URI);
    expect(location.searchParams.get('code')).toMatch(/^4\/0A[\w-]{40,}$/);
    expect(location.searchParams.get('scope')).toBe(READONLY);
    expect(location.searchParams.get('state')).toBe(state);
  });

  it('leaves state out when none was sent', async () => {
    const { location } = await authorize(emulator, { state: undefined });
    expect(location.searchParams.has('state')).toBe(false);
  });

  it.each(['http://localhost:1/cb', 'http://[::1]:8080/', 'http://127.0.0.1:65000/x'])('accepts the loopback redirect %s', async (redirect) => {
    const { location } = await authorize(emulator, { redirect_uri: redirect });
    expect(location.searchParams.get('code')).toBeTruthy();
  });

  it.each([
    [{ client_id: 'nope.apps.googleusercontent.com' }, 401, 'invalid_client'],
    [{ client_id: undefined }, 400, 'invalid_request'],
    [{ redirect_uri: 'https://evil.example/cb' }, 400, 'redirect_uri_mismatch'],
    [{ redirect_uri: 'https://127.0.0.1/cb' }, 400, 'redirect_uri_mismatch'],
    [{ redirect_uri: undefined }, 400, 'invalid_request'],
    [{ response_type: 'token' }, 400, 'unsupported_response_type'],
    [{ scope: undefined }, 400, 'invalid_request'],
    [{ code_challenge: undefined }, 400, 'invalid_request'],
    [{ code_challenge_method: 'plain' }, 400, 'invalid_request'],
  ])('answers %o with an HTML error page (%i %s), never a redirect', async (overrides, status, error) => {
    const response = await fetch(authUrl(emulator, pkce().challenge, overrides), { redirect: 'manual' });
    expect(response.status).toBe(status);
    expect(response.headers.get('location')).toBeNull();
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await response.text()).toContain(`Error ${status}: ${error}`);
  });
});

describe('consent page', () => {
  async function consentForm(overrides: Record<string, string | undefined> = {}): Promise<{ html: string; fields: URLSearchParams }> {
    emulator.setAutoApprove(false);
    const response = await fetch(authUrl(emulator, pkce().challenge, overrides), { redirect: 'manual' });
    expect(response.status).toBe(200);
    const html = await response.text();
    const fields = new URLSearchParams();
    for (const [, name, value] of html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) {
      fields.set(name!, value!.replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&#39;/g, "'").replace(/&amp;/g, '&'));
    }
    return { html, fields };
  }

  function decide(fields: URLSearchParams, decision: 'allow' | 'deny', account = 'user@example.com'): Promise<Response> {
    const form = new URLSearchParams(fields);
    form.set('account', account);
    form.set('decision', decision);
    return fetch(new URL('o/oauth2/v2/auth/decision', emulator.url), { method: 'POST', body: form, redirect: 'manual' });
  }

  it('names the client, the accounts (login_hint preselected) and the scopes in words, escaped', async () => {
    const { html } = await consentForm({ login_hint: 'second@example.org', state: '"><script>alert(1)</script>' });
    expect(html).toContain(emulator.clientId);
    expect(html).toContain('<option value="second@example.org" selected>');
    expect(html).toContain('View your email messages and settings');
    expect(html).toContain('<button id="allow"');
    expect(html).toContain('<button id="deny"');
    expect(html).not.toContain('<script>');
    expect(html).toContain('&quot;&gt;&lt;script&gt;');
  });

  it('Allow redirects with a code for the chosen account and the state', async () => {
    const { verifier, challenge } = pkce();
    const { fields } = await consentForm({ state: 's&t', login_hint: 'user@example.com', code_challenge: challenge });
    const response = await decide(fields, 'allow', 'second@example.org');
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get('location')!);
    expect(location.searchParams.get('state')).toBe('s&t');
    const code = location.searchParams.get('code')!;
    const tokens = await postForm(emulator, 'token', {
      grant_type: 'authorization_code',
      code,
      code_verifier: verifier,
      redirect_uri: REDIRECT_URI,
      client_id: emulator.clientId,
      client_secret: emulator.clientSecret,
    });
    const { access_token } = (await tokens.json()) as { access_token: string };
    const profile = (await (await gmailGet(emulator, 'profile', access_token)).json()) as { emailAddress: string };
    expect(profile.emailAddress).toBe('second@example.org');
  });

  it('Deny redirects with error=access_denied and the state', async () => {
    const { fields } = await consentForm();
    const response = await decide(fields, 'deny');
    const location = new URL(response.headers.get('location')!);
    expect(location.searchParams.get('error')).toBe('access_denied');
    expect(location.searchParams.get('state')).toBe('st-1');
    expect(location.searchParams.has('code')).toBe(false);
  });
});

describe('POST /token', () => {
  it('exchanges a code for Google-shaped tokens', async () => {
    const tokens = await login(emulator);
    expect(tokens).toEqual({
      access_token: expect.stringMatching(/^ya29\.[\w-]{40,}$/),
      expires_in: 3599,
      refresh_token: expect.stringMatching(/^1\/\/0[\w-]+$/),
      scope: READONLY,
      token_type: 'Bearer',
    });
    expect(emulator.tokens().accessTokens).toContain(tokens.access_token);
    expect(emulator.tokens().refreshTokens).toContain(tokens.refresh_token);
  });

  it('accepts client authentication by HTTP Basic', async () => {
    const { code, verifier } = await authorize(emulator);
    const basic = Buffer.from(`${emulator.clientId}:${emulator.clientSecret}`).toString('base64');
    const response = await postForm(
      emulator,
      'token',
      { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: REDIRECT_URI },
      { authorization: `Basic ${basic}` },
    );
    expect(response.status).toBe(200);
  });

  it('uses a code once only, and records the verifier', async () => {
    const { code, verifier } = await authorize(emulator);
    const form = { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: REDIRECT_URI, client_id: emulator.clientId, client_secret: emulator.clientSecret };
    expect((await postForm(emulator, 'token', form)).status).toBe(200);
    const again = await postForm(emulator, 'token', form);
    expect(again.status).toBe(400);
    expect(await again.json()).toEqual({ error: 'invalid_grant', error_description: 'Bad Request' });
    expect(emulator.tokens().codes).toContain(code);
    expect(emulator.tokens().codeVerifiers).toContain(verifier);
  });

  async function exchange(change: Record<string, string | undefined>): Promise<{ status: number; body: unknown }> {
    const { code, verifier } = await authorize(emulator);
    const form: Record<string, string | undefined> = {
      grant_type: 'authorization_code',
      code,
      code_verifier: verifier,
      redirect_uri: REDIRECT_URI,
      client_id: emulator.clientId,
      client_secret: emulator.clientSecret,
      ...change,
    };
    const defined = Object.fromEntries(Object.entries(form).filter(([, v]) => v !== undefined)) as Record<string, string>;
    const response = await postForm(emulator, 'token', defined);
    return { status: response.status, body: await response.json() };
  }

  it.each([
    [{ code_verifier: pkce().verifier }, 400, 'invalid_grant', 'Invalid code verifier.'],
    [{ code_verifier: undefined }, 400, 'invalid_grant', 'Missing code verifier.'],
    [{ client_secret: 'wrong' }, 401, 'invalid_client', 'Unauthorized'],
    [{ client_id: 'other.apps.googleusercontent.com' }, 401, 'invalid_client', 'The OAuth client was not found.'],
    [{ code: undefined }, 400, 'invalid_request', 'Missing required parameter: code'],
    [{ redirect_uri: undefined }, 400, 'invalid_request', 'Missing required parameter: redirect_uri'],
    [{ redirect_uri: 'http://127.0.0.1:1/other' }, 400, 'redirect_uri_mismatch', 'Bad Request'],
    [{ code: '4/0Aforged' }, 400, 'invalid_grant', 'Bad Request'],
    [{ grant_type: 'password' }, 400, 'unsupported_grant_type', 'Invalid grant_type: password'],
  ])('answers %o with %i %s', async (change, status, error, description) => {
    expect(await exchange(change)).toEqual({ status, body: { error, error_description: description } });
  });

  it('omits refresh_token when told to, as Google does without re-consent', async () => {
    emulator.setOmitRefreshToken(true);
    const tokens = await login(emulator);
    expect(tokens.refresh_token).toBeUndefined();
    expect(tokens.access_token).toMatch(/^ya29\./);
  });

  it('grants only the scopes set for granular consent', async () => {
    emulator.setGrantedScopes(['openid']);
    const { location } = await authorize(emulator, { scope: `openid ${READONLY}` });
    expect(location.searchParams.get('scope')).toBe('openid');
    const tokens = await login(emulator, { scope: `openid ${READONLY}` });
    expect(tokens.scope).toBe('openid');
    expect((await gmailGet(emulator, 'profile', tokens.access_token)).status).toBe(403);
  });

  it('refreshes: a new access token, no new refresh token', async () => {
    const { refresh_token } = await login(emulator);
    const response = await postForm(emulator, 'token', {
      grant_type: 'refresh_token',
      refresh_token: refresh_token!,
      client_id: emulator.clientId,
      client_secret: emulator.clientSecret,
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['access_token', 'expires_in', 'scope', 'token_type']);
    expect((await gmailGet(emulator, 'profile', body.access_token as string)).status).toBe(200);
  });

  it('expires access tokens after their lifetime; refresh still works', async () => {
    emulator.setAccessTokenLifetime(1);
    const tokens = await login(emulator);
    expect(tokens.expires_in).toBe(1);
    expect((await gmailGet(emulator, 'profile', tokens.access_token)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await gmailGet(emulator, 'profile', tokens.access_token)).status).toBe(401);
  });

  it('expireAccessTokens() makes current tokens answer 401 while refresh works', async () => {
    const tokens = await login(emulator);
    emulator.expireAccessTokens();
    expect((await gmailGet(emulator, 'profile', tokens.access_token)).status).toBe(401);
    const refreshed = await postForm(emulator, 'token', {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token!,
      client_id: emulator.clientId,
      client_secret: emulator.clientSecret,
    });
    expect(refreshed.status).toBe(200);
  });
});

describe('POST /revoke', () => {
  const refresh = (token: string): Promise<Response> =>
    postForm(emulator, 'token', { grant_type: 'refresh_token', refresh_token: token, client_id: emulator.clientId, client_secret: emulator.clientSecret });

  it('revoking a refresh token kills it and its access tokens', async () => {
    const tokens = await login(emulator);
    const revoke = await postForm(emulator, 'revoke', { token: tokens.refresh_token! });
    expect(revoke.status).toBe(200);
    expect(await revoke.json()).toEqual({});
    expect((await gmailGet(emulator, 'profile', tokens.access_token)).status).toBe(401);
    const again = await refresh(tokens.refresh_token!);
    expect(again.status).toBe(400);
    expect(await again.json()).toEqual({ error: 'invalid_grant', error_description: 'Token has been expired or revoked.' });
  });

  it('revoking an access token kills only it; ?token= works too', async () => {
    const tokens = await login(emulator);
    const response = await fetch(new URL(`revoke?token=${encodeURIComponent(tokens.access_token)}`, emulator.url), { method: 'POST' });
    expect(response.status).toBe(200);
    expect((await gmailGet(emulator, 'profile', tokens.access_token)).status).toBe(401);
    expect((await refresh(tokens.refresh_token!)).status).toBe(200);
  });

  it('answers invalid_token for an unknown or already revoked token', async () => {
    const tokens = await login(emulator);
    await postForm(emulator, 'revoke', { token: tokens.refresh_token! });
    for (const token of [tokens.refresh_token!, 'ya29.unknown']) {
      const response = await postForm(emulator, 'revoke', { token });
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({ error: 'invalid_token', error_description: 'Token expired or revoked' });
    }
  });

  it('revokeAll() kills every token', async () => {
    const tokens = await login(emulator);
    emulator.revokeAll();
    expect((await gmailGet(emulator, 'profile', tokens.access_token)).status).toBe(401);
    expect((await refresh(tokens.refresh_token!)).status).toBe(400);
  });
});
