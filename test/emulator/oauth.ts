/**
 * Google's OAuth 2.0 endpoints for an installed app with PKCE:
 *   GET  /o/oauth2/v2/auth           the browser's authorization request (auto-approved, or a consent page)
 *   POST /o/oauth2/v2/auth/decision  the consent page's Allow / Deny
 *   POST /token                      authorization_code and refresh_token grants
 *   POST /revoke                     token revocation (RFC 7009)
 * Errors use Google's exact bodies: HTML pages in the browser, flat JSON at /token and /revoke.
 */
import { createHash } from 'node:crypto';
import type { EmulatorContext } from './context.js';
import { authErrorPage, consentPage } from './consent-page.js';
import { htmlReply, jsonReply, redirectReply, type RecordedRequest, type Reply } from './exchange.js';
import { oauthError } from './google-errors.js';


/** Google keeps Testing-mode refresh tokens 7 days; its token response counts down from 604,799 s. */
const TESTING_MODE_REFRESH_LIFETIME_SEC = 604_799;
export const AUTH_PATH = '/o/oauth2/v2/auth';
export const DECISION_PATH = '/o/oauth2/v2/auth/decision';
export const TOKEN_PATH = '/token';
export const REVOKE_PATH = '/revoke';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);
const NO_STORE = { 'cache-control': 'no-cache, no-store, max-age=0, must-revalidate', pragma: 'no-cache' };

interface AuthorizationRequest {
  clientId: string;
  redirectUri: string;
  scopes: string[];
  state: string | undefined;
  codeChallenge: string;
  account: string;
}

/** Checks an authorization request as Google does; a failure is an error page, never a redirect. */
function validateAuthorization(params: URLSearchParams, context: EmulatorContext): AuthorizationRequest | Reply {
  const fail = (status: number, error: string, detail: string): Reply => htmlReply(status, authErrorPage(status, error, detail));
  const clientId = params.get('client_id');
  if (!clientId) return fail(400, 'invalid_request', 'Missing required parameter: client_id');
  if (clientId !== context.clientId) return fail(401, 'invalid_client', 'The OAuth client was not found.');
  const redirectUri = params.get('redirect_uri');
  if (!redirectUri) return fail(400, 'invalid_request', 'Missing required parameter: redirect_uri');
  let redirect: URL | undefined;
  try {
    redirect = new URL(redirectUri);
  } catch {
    redirect = undefined;
  }
  if (!redirect || redirect.protocol !== 'http:' || !LOOPBACK_HOSTS.has(redirect.hostname)) {
    return fail(400, 'redirect_uri_mismatch', `You can't sign in to this app because it doesn't comply with Google's OAuth 2.0 policy. redirect_uri=${redirectUri}`);
  }
  const responseType = params.get('response_type');
  if (!responseType) return fail(400, 'invalid_request', 'Missing required parameter: response_type');
  if (responseType !== 'code') return fail(400, 'unsupported_response_type', `Invalid response_type: ${responseType}`);
  const scopes = (params.get('scope') ?? '').split(/\s+/).filter(Boolean);
  if (scopes.length === 0) return fail(400, 'invalid_request', 'Missing required parameter: scope');
  const codeChallenge = params.get('code_challenge');
  if (!codeChallenge) return fail(400, 'invalid_request', 'Missing required parameter: code_challenge');
  if (params.get('code_challenge_method') !== 'S256') return fail(400, 'invalid_request', 'Invalid code_challenge_method: only S256 is accepted');
  // The consent form's account choice wins over the login_hint it carries along.
  const hint = params.get('account') ?? params.get('login_hint') ?? '';
  const account = context.accounts.find((candidate) => candidate.toLowerCase() === hint.toLowerCase()) ?? context.accounts[0]!;
  return { clientId, redirectUri, scopes, state: params.get('state') ?? undefined, codeChallenge, account };
}

/** 302 back to the app, with state echoed exactly (and left out when none was sent). */
function redirectBack(request: AuthorizationRequest, params: Record<string, string>): Reply {
  const location = new URL(request.redirectUri);
  for (const [name, value] of Object.entries(params)) location.searchParams.set(name, value);
  if (request.state !== undefined) location.searchParams.set('state', request.state);
  return redirectReply(location.toString());
}

function approve(request: AuthorizationRequest, context: EmulatorContext): Reply {
  const scopes = context.settings.grantedScopes ?? request.scopes;
  const code = context.tokens.issueCode({
    clientId: request.clientId,
    redirectUri: request.redirectUri,
    codeChallenge: request.codeChallenge,
    account: request.account,
    scopes,
  });
  return redirectBack(request, { code, scope: scopes.join(' ') });
}

export function handleAuthorize(request: RecordedRequest, context: EmulatorContext): Reply {
  const validated = validateAuthorization(request.query, context);
  if ('status' in validated) return validated;
  if (context.settings.autoApprove) return approve(validated, context);
  const fields: Record<string, string> = {};
  for (const [name, value] of request.query) if (name !== 'account') fields[name] = value;
  return htmlReply(
    200,
    consentPage({
      fields,
      clientId: validated.clientId,
      accounts: context.accounts,
      selectedAccount: validated.account,
      scopes: validated.scopes,
      decisionPath: DECISION_PATH,
    }),
  );
}

/** The consent form's POST: the request is validated again, as it came back through the browser. */
export function handleDecision(request: RecordedRequest, context: EmulatorContext): Reply {
  const form = new URLSearchParams(request.body);
  const validated = validateAuthorization(form, context);
  if ('status' in validated) return validated;
  if (form.get('decision') !== 'allow') return redirectBack(validated, { error: 'access_denied' });
  return approve(validated, context);
}

/** Client authentication from HTTP Basic or the form body; an error reply if it fails. */
function authenticateClient(request: RecordedRequest, form: URLSearchParams, context: EmulatorContext): Reply | undefined {
  let clientId = form.get('client_id');
  let clientSecret = form.get('client_secret');
  const basic = /^Basic\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
  if (basic) {
    const decoded = Buffer.from(basic, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    clientId = decodeURIComponent(decoded.slice(0, colon));
    clientSecret = decodeURIComponent(decoded.slice(colon + 1));
  }
  if (!clientId) return oauthError(400, 'invalid_request', 'Could not determine client ID from request.');
  if (clientId !== context.clientId) return oauthError(401, 'invalid_client', 'The OAuth client was not found.');
  if (!clientSecret) return oauthError(400, 'invalid_request', 'client_secret is missing.');
  if (clientSecret !== context.clientSecret) return oauthError(401, 'invalid_client', 'Unauthorized');
  return undefined;
}

const missing = (name: string): Reply => oauthError(400, 'invalid_request', `Missing required parameter: ${name}`);

function exchangeCode(form: URLSearchParams, context: EmulatorContext): Reply {
  const code = form.get('code');
  if (!code) return missing('code');
  const redirectUri = form.get('redirect_uri');
  if (!redirectUri) return missing('redirect_uri');
  const verifier = form.get('code_verifier');
  if (verifier) context.tokens.noteCodeVerifier(verifier);
  const grant = context.tokens.liveCode(code);
  if (!grant || grant.clientId !== context.clientId) return oauthError(400, 'invalid_grant', 'Bad Request');
  if (grant.redirectUri !== redirectUri) return oauthError(400, 'redirect_uri_mismatch', 'Bad Request');
  if (!verifier) return oauthError(400, 'invalid_grant', 'Missing code verifier.');
  if (createHash('sha256').update(verifier).digest('base64url') !== grant.codeChallenge) {
    return oauthError(400, 'invalid_grant', 'Invalid code verifier.');
  }
  grant.used = true;
  const { settings } = context;
  const refreshToken = settings.omitRefreshToken
    ? undefined
    : context.tokens.issueRefreshToken({ clientId: grant.clientId, account: grant.account, scopes: grant.scopes });
  const accessToken = context.tokens.issueAccessToken(
    { clientId: grant.clientId, account: grant.account, scopes: grant.scopes, refreshToken },
    settings.accessTokenLifetimeSec,
  );
  return jsonReply(
    200,
    {
      access_token: accessToken,
      expires_in: settings.accessTokenLifetimeSec,
      ...(refreshToken ? { refresh_token: refreshToken } : {}),
      ...(refreshToken && settings.testingMode ? { refresh_token_expires_in: TESTING_MODE_REFRESH_LIFETIME_SEC } : {}),
      scope: grant.scopes.join(' '),
      token_type: 'Bearer',
    },
    NO_STORE,
  );
}

function refresh(form: URLSearchParams, context: EmulatorContext): Reply {
  const token = form.get('refresh_token');
  if (!token) return missing('refresh_token');
  const grant = context.tokens.liveRefreshToken(token);
  if (!grant || grant.clientId !== context.clientId) return oauthError(400, 'invalid_grant', 'Token has been expired or revoked.');
  const lifetime = context.settings.accessTokenLifetimeSec;
  const accessToken = context.tokens.issueAccessToken({ clientId: grant.clientId, account: grant.account, scopes: grant.scopes, refreshToken: token }, lifetime);
  return jsonReply(200, { access_token: accessToken, expires_in: lifetime, scope: grant.scopes.join(' '), token_type: 'Bearer' }, NO_STORE);
}

export function handleToken(request: RecordedRequest, context: EmulatorContext): Reply {
  const form = new URLSearchParams(request.body);
  const grantType = form.get('grant_type');
  if (!grantType) return missing('grant_type');
  if (grantType !== 'authorization_code' && grantType !== 'refresh_token') {
    return oauthError(400, 'unsupported_grant_type', `Invalid grant_type: ${grantType}`);
  }
  const clientFailure = authenticateClient(request, form, context);
  if (clientFailure) return clientFailure;
  return grantType === 'authorization_code' ? exchangeCode(form, context) : refresh(form, context);
}

export function handleRevoke(request: RecordedRequest, context: EmulatorContext): Reply {
  // The CLI sends the token in the body; Google also accepts ?token= (google-auth-library's revokeToken uses it).
  const token = new URLSearchParams(request.body).get('token') ?? request.query.get('token');
  if (!token) return oauthError(400, 'invalid_request', 'Missing required parameter: token');
  if (!context.tokens.revoke(token)) return oauthError(400, 'invalid_token', 'Token expired or revoked');
  return jsonReply(200, {}, NO_STORE);
}
