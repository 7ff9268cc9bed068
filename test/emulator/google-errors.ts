/**
 * Google's error bodies, byte-shaped as the real services send them: the JSON APIs'
 * `{"error":{code,message,errors:[…],status}}` and the OAuth endpoints' flat
 * `{"error","error_description"}`. Kept in one place so that faults, quota and the
 * routes all answer exactly alike.
 */
import { htmlReply, jsonReply, type Reply } from './exchange.js';

interface ApiErrorShape {
  /** The gRPC-style status name, e.g. "NOT_FOUND". */
  status: string;
  reason: string;
  message: string;
  domain?: string;
}

/** What Google's front end says for each HTTP status when nothing more specific applies. */
const STATUS_DEFAULTS: Record<number, ApiErrorShape> = {
  400: { status: 'INVALID_ARGUMENT', reason: 'badRequest', message: 'Bad Request' },
  401: { status: 'UNAUTHENTICATED', reason: 'authError', message: 'Invalid Credentials' },
  403: { status: 'PERMISSION_DENIED', reason: 'forbidden', message: 'Forbidden' },
  404: { status: 'NOT_FOUND', reason: 'notFound', message: 'Requested entity was not found.' },
  405: { status: 'UNIMPLEMENTED', reason: 'httpMethodNotAllowed', message: 'Request had an unsupported HTTP method.' },
  409: { status: 'ALREADY_EXISTS', reason: 'conflict', message: 'Requested entity already exists' },
  412: { status: 'FAILED_PRECONDITION', reason: 'failedPrecondition', message: 'Precondition check failed.' },
  429: { status: 'RESOURCE_EXHAUSTED', reason: 'rateLimitExceeded', message: 'Resource has been exhausted (e.g. check quota).' },
  500: { status: 'INTERNAL', reason: 'backendError', message: 'Internal error encountered.' },
  502: { status: 'UNAVAILABLE', reason: 'backendError', message: 'Bad Gateway' },
  503: { status: 'UNAVAILABLE', reason: 'backendError', message: 'The service is currently unavailable.' },
  504: { status: 'DEADLINE_EXCEEDED', reason: 'backendError', message: 'The request timed out. Please try again.' },
};

/** Reasons that Google files under the usageLimits domain rather than global. */
const USAGE_LIMIT_REASONS = new Set(['rateLimitExceeded', 'userRateLimitExceeded', 'quotaExceeded', 'dailyLimitExceeded']);

/** The messages Google pairs with the well-known 403 reasons. */
const REASON_MESSAGES: Record<string, string> = {
  userRateLimitExceeded: 'User Rate Limit Exceeded',
  rateLimitExceeded: 'Rate Limit Exceeded',
};

function defaultsFor(status: number): ApiErrorShape {
  return (
    STATUS_DEFAULTS[status] ??
    (status >= 500 ? { ...STATUS_DEFAULTS[500]!, message: 'Backend Error' } : { ...STATUS_DEFAULTS[400]!, message: `HTTP ${status}` })
  );
}

/** A JSON API error with Google's envelope; reason and message default per status. */
export function apiError(
  httpStatus: number,
  options: { reason?: string; message?: string; domain?: string; headers?: Record<string, string> } = {},
): Reply {
  const defaults = defaultsFor(httpStatus);
  const reason = options.reason ?? defaults.reason;
  // An injected insufficientPermissions fault gets the real scope body; the RPC name is nominal.
  if (reason === 'insufficientPermissions') return insufficientScopes('ListMessages');
  if (httpStatus === 401 && !options.reason && !options.message) return unauthenticated();
  const message = options.message ?? (options.reason ? REASON_MESSAGES[options.reason] : undefined) ?? defaults.message;
  const domain = options.domain ?? (USAGE_LIMIT_REASONS.has(reason) ? 'usageLimits' : 'global');
  return jsonReply(
    httpStatus,
    { error: { code: httpStatus, message, errors: [{ message, domain, reason }], status: defaults.status } },
    options.headers,
  );
}

/** A missing, unknown, expired or revoked bearer token. */
export function unauthenticated(): Reply {
  return jsonReply(
    401,
    {
      error: {
        code: 401,
        message:
          'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
        errors: [{ message: 'Invalid Credentials', domain: 'global', reason: 'authError', location: 'Authorization', locationType: 'header' }],
        status: 'UNAUTHENTICATED',
      },
    },
    { 'www-authenticate': 'Bearer realm="https://accounts.google.com/", error="invalid_token"' },
  );
}

/** A live token whose scopes do not cover the call; `rpcMethod` is e.g. "ListMessages". */
export function insufficientScopes(rpcMethod: string): Reply {
  return jsonReply(
    403,
    {
      error: {
        code: 403,
        message: 'Request had insufficient authentication scopes.',
        errors: [{ message: 'Insufficient Permission', domain: 'global', reason: 'insufficientPermissions' }],
        status: 'PERMISSION_DENIED',
        details: [
          {
            '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
            reason: 'ACCESS_TOKEN_SCOPE_INSUFFICIENT',
            domain: 'googleapis.com',
            metadata: { service: 'gmail.googleapis.com', method: `caribou.api.proto.MailboxService.${rpcMethod}` },
          },
        ],
      },
    },
    { 'www-authenticate': 'Bearer realm="https://accounts.google.com/", error="insufficient_scope", scope="https://www.googleapis.com/auth/gmail.readonly"' },
  );
}

export function notFound(message = 'Requested entity was not found.'): Reply {
  return apiError(404, { reason: 'notFound', message });
}

/** A bad parameter; Gmail says `invalidArgument` for queries and page sizes. */
export function invalidArgument(message: string): Reply {
  return apiError(400, { reason: 'invalidArgument', message });
}

/**
 * Gmail's per-user rate limit. Real Gmail names the retry time only inside the message;
 * `retryAfterHeader` adds a Retry-After header as well (the emulator's kinder default;
 * strict mode leaves it out, as Google does).
 */
export function rateLimited(retryAt: Date, retryAfterHeader?: string): Reply {
  const message = `User-rate limit exceeded.  Retry after ${retryAt.toISOString()}`;
  return apiError(429, {
    reason: 'rateLimitExceeded',
    message,
    headers: retryAfterHeader === undefined ? {} : { 'retry-after': retryAfterHeader },
  });
}

/** The OAuth endpoints' flat error body (token, revoke). */
export function oauthError(status: number, error: string, description: string): Reply {
  return jsonReply(
    status,
    { error, error_description: description },
    { 'cache-control': 'no-cache, no-store, max-age=0, must-revalidate', pragma: 'no-cache' },
  );
}

/** The OAuth error Google's token endpoint uses for each HTTP status. */
const OAUTH_STATUS_DEFAULTS: Record<number, [error: string, description: string]> = {
  400: ['invalid_request', 'Bad Request'],
  401: ['invalid_client', 'Unauthorized'],
  403: ['access_denied', 'Forbidden'],
  429: ['rate_limit_exceeded', 'Rate limit exceeded'],
};

/** An OAuth-style body for an injected status fault on /token or /revoke. */
export function oauthErrorForStatus(status: number, reason?: string, message?: string): Reply {
  const [error, description] = OAUTH_STATUS_DEFAULTS[status] ?? (status >= 500 ? ['internal_failure', 'Backend Error'] : ['invalid_request', 'Bad Request']);
  return oauthError(status, reason ?? error, message ?? description);
}

/** Gmail's answer when one user has too many calls in flight, whatever units are left. */
export function tooManyConcurrent(): Reply {
  return apiError(429, { reason: 'rateLimitExceeded', domain: 'global', message: 'Too many concurrent requests for user.' });
}

/** The whole batch refused for its size: Google's own body has no `errors` list. */
export function batchTooLarge(received: number, limit: number): Reply {
  return jsonReply(400, { error: { code: 400, message: `Inner request count exceeds the limit. Received: ${received}, Limit: ${limit}`, status: 'INVALID_ARGUMENT' } });
}

const FRONT_END_ERRORS: Record<number, { title: string; text: string }> = {
  502: { title: 'Server Error', text: 'The server encountered a temporary error and could not complete your request.<p>Please try again in 30 seconds.' },
  503: { title: 'Service Unavailable', text: 'The service you requested is not available at this time.<p>Service error -27.' },
};

/**
 * The HTML page Google's front end answers for a 502 or 503, on the API, batch, token and
 * revoke endpoints alike (about 1,600 characters, mostly inline CSS).
 */
export function frontEndErrorPage(status: 502 | 503): Reply {
  const { title, text } = FRONT_END_ERRORS[status]!;
  const logo = '//www.google.com/images/branding/googlelogo/1x/googlelogo_color_150x54dp.png';
  const html = [
    '<!DOCTYPE html>',
    '<html lang=en>',
    '  <meta charset=utf-8>',
    '  <meta name=viewport content="initial-scale=1, minimum-scale=1, width=device-width">',
    `  <title>Error ${status} (${title})!!1</title>`,
    '  <style>',
    '    *{margin:0;padding:0}html,code{font:15px/22px arial,sans-serif}html{background:#fff;color:#222;padding:15px}body{margin:7% auto 0;max-width:390px;min-height:180px;padding:30px 0 15px}* > body{background:url(//www.google.com/images/errors/robot.png) 100% 5px no-repeat;padding-right:205px}p{margin:11px 0 22px;overflow:hidden}ins{color:#777;text-decoration:none}a img{border:0}@media screen and (max-width:772px){body{background:none;margin-top:0;max-width:none;padding-right:0}}',
    `    #logo{background:url(${logo}) no-repeat;margin-left:-5px}#logo{display:inline-block;height:54px;width:150px}`,
    '  </style>',
    '  <a href=//www.google.com/><span id=logo aria-label=Google></span></a>',
    `  <p><b>${status}.</b> <ins>That\u2019s an error.</ins>`,
    `  <p>${text}  <ins>That\u2019s all we know.</ins>`,
    '',
  ].join('\n');
  return htmlReply(status, html);
}
