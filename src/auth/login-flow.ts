/**
 * The login use case (RFC 8252, Google's "installed app" flow): loopback listener, consent
 * URL with PKCE + state, whichever answer comes first (the redirect, or the redirected URL
 * pasted on stdin), code exchange, account identification, and an atomic store write.
 * It never prints: it tells the command what happens through LoginEvents.
 */
import { randomBytes } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';
import type { Credentials, OAuth2Client } from 'google-auth-library';
import { checkConfigDirWritable, sameAddress, updateSettings, withLogin, type TokenStoreKind } from '../basics/config.js';
import { secureApiRoot, type GoogleSettings } from '../basics/environment.js';
import { AuthRequiredError, GmailctlError, InterruptedError, LoginError } from '../basics/errors.js';
import { oauthErrorDetail, oauthErrorOf, toGmailctlError } from '../gmail/google-error.js';
import { createGmailClient } from '../gmail/client.js';
import { registerSecret } from '../basics/redact.js';
import { toSingleLine, unsafeCharacterIn } from '../basics/single-line.js';
import type { StoredLogin } from '../store/token-store.js';
import { describeDenial, interpretCallback, MAX_PASTED_LINE, parsePastedAnswer, type CallbackOutcome } from './callback.js';
import type { OpenedBrowser } from './browser.js';
import type { ClientCredentials } from './credentials.js';
import { startLoopbackListener, type AcceptedCallback, type LoopbackListener } from './loopback.js';
import { createOAuthClient, GMAIL_READONLY_SCOPE, revokeToken } from './oauth-client.js';
import type { Workspace } from '../store/workspace.js';

interface LoginEvents {
  /** The consent URL: always shown to the user. */
  authUrl(url: string): void;
  /** Opening the browser failed; the login keeps waiting. */
  browserFailed(reason: string): void;
  /** A callback or pasted URL was refused; the login keeps waiting. */
  rejected(reason: string, source: 'callback' | 'paste'): void;
  /** --no-browser: the login is now reading stdin. */
  waitingForPaste(): void;
  /** --no-browser: stdin ended without a redirect; the listener still waits until the timeout. */
  pasteEnded(redirectUri: string): void;
  /** The token response had no refresh token; the stored one was kept. */
  keptRefreshToken(account: string): void;
  /** A second, different answer carried this login's state: someone else has seen the consent URL. */
  secondAnswer(): void;
  /** Something on this machine opens connections to the listener faster than a browser does; told once. */
  listenerFlooded(listenerAddress: string): void;
}

interface LoginOptions {
  workspace: Workspace;
  credentials: ClientCredentials;
  google: GoogleSettings;
  /** Sent as login_hint. */
  accountHint?: string;
  port: number;
  timeoutSeconds: number;
  /** Opens the consent URL (without putting it in any argv); absent with --no-browser. */
  openBrowser?: (url: string) => Promise<OpenedBrowser>;
  /** With --no-browser: where the redirected URL may be pasted. */
  pasteFrom?: NodeJS.ReadableStream;
  /** Set when the login chose the file store (--insecure-storage) and must remember it. */
  rememberStore?: TokenStoreKind;
  signal: AbortSignal;
  events: LoginEvents;
}

interface LoginResult {
  account: string;
}

/**
 * The whole flow, step by step: check that it can finish, listen, send the user to the
 * consent page, wait for the answer, exchange the code, identify the account, store.
 */
export async function login(options: LoginOptions): Promise<LoginResult> {
  const { workspace, credentials, events, signal } = options;
  // Fail before the browser opens if the account could not be identified safely afterwards,
  // or tokens could not be kept.
  const apiRoot = secureApiRoot(options.google);
  await workspace.store.probe();
  await checkConfigDirWritable(workspace.configDir, 'log in', 'Nothing was asked of Google.');

  const state = randomBytes(32).toString('base64url'); // 256 bits from the CSPRNG
  let contested = false;
  const listener = await startLoopbackListener({
    port: options.port,
    expectedState: state,
    onRejected: (reason) => events.rejected(reason, 'callback'),
    onSecondAnswer: (sameAnswer) => {
      if (sameAnswer || contested) return; // a reload of the page that answered
      contested = true;
      events.secondAnswer();
    },
    onFlooded: () => events.listenerFlooded(`127.0.0.1:${listener.port}`),
  });
  const stopPasting = new AbortController();
  let browser: Promise<OpenedBrowser> | undefined;
  try {
    const client = await createOAuthClient(credentials, { timeoutMs: options.google.requestTimeoutMs, redirectUri: listener.redirectUri });
    const { authUrl, codeVerifier } = await consentUrl(client, state, options.accountHint);
    events.authUrl(authUrl);
    browser = openConsentPage(authUrl, options);
    const code = await waitForCode(listener, state, stopPasting.signal, options);
    const tokens = await exchangeCode(client, code, codeVerifier, listener.redirectUri);
    const account = await identifyAccount(client, apiRoot, signal);
    await refuseUnsafeAddress(account, () => revokeUnwanted(client, tokens, account, options));
    await refuseAnotherAccount(options.accountHint, account, () => revokeUnwanted(client, tokens, account, options));
    const stored = await loginToStore(tokens, account, options);
    if (signal.aborted) throw signal.reason as Error;
    if (contested) throw contestedLogin();
    await workspace.store.set(account, stored);
    await updateSettings(workspace.configDir, (settings) => withLogin(settings, account, options.rememberStore));
    return { account };
  } finally {
    stopPasting.abort();
    await Promise.all([listener.close(), browser?.then((opened) => opened.dispose(), () => undefined)]);
  }
}

/** The consent URL: offline access, consent asked again, read-only scope, PKCE S256 and state. */
async function consentUrl(client: OAuth2Client, state: string, accountHint: string | undefined): Promise<{ authUrl: string; codeVerifier: string }> {
  const { codeVerifier, codeChallenge } = await client.generateCodeVerifierAsync();
  registerSecret(codeVerifier);
  const authUrl = client.generateAuthUrl({
    access_type: 'offline',
    prompt: 'consent',
    scope: [GMAIL_READONLY_SCOPE],
    state,
    code_challenge: codeChallenge,
    // The library's enum type is not exported from its entry point; the wire value is what counts.
    code_challenge_method: 'S256' as never,
    ...(accountHint ? { login_hint: accountHint } : {}),
  });
  return { authUrl, codeVerifier };
}

/** Opens the browser, unless --no-browser; a failure is told, and the login keeps waiting. */
function openConsentPage(authUrl: string, { openBrowser, events }: LoginOptions): Promise<OpenedBrowser> | undefined {
  if (!openBrowser) return undefined;
  const browser = openBrowser(authUrl);
  browser.then((opened) => opened.failed).catch((error: Error) => events.browserFailed(error.message));
  return browser;
}

/** The first answer from the listener or (with --no-browser) a pasted URL; a denial ends the login. */
async function waitForCode(listener: LoopbackListener, state: string, stopPasting: AbortSignal, options: LoginOptions): Promise<string> {
  const { events } = options;
  const answers: Promise<AcceptedCallback>[] = [listener.accepted];
  let pasteEnded = false;
  if (options.pasteFrom) {
    events.waitingForPaste();
    const expected = { state, redirectUri: listener.redirectUri };
    answers.push(
      readPastedAnswer(options.pasteFrom, expected, stopPasting, {
        rejected: (reason) => events.rejected(reason, 'paste'),
        ended: () => {
          pasteEnded = true;
          events.pasteEnded(listener.redirectUri);
        },
      }),
    );
  }
  const answer = await firstOf(answers, options.timeoutSeconds, options.signal, () => timeoutHint(Boolean(options.pasteFrom), pasteEnded));
  listener.answeredElsewhere(answer);
  if (answer.kind === 'denied') throw new LoginError(describeDenial(answer.error, answer.description), { hint: 'Run gmailctl login again to retry.' });
  registerSecret(answer.code);
  return answer.code;
}

/** The code and the PKCE verifier for tokens; the client keeps them for the next call. */
async function exchangeCode(client: OAuth2Client, code: string, codeVerifier: string, redirectUri: string): Promise<Credentials & { access_token: string }> {
  const { tokens } = await client.getToken({ code, codeVerifier, redirect_uri: redirectUri }).catch((error: unknown) => {
    throw exchangeFailure(error);
  });
  const accessToken = tokens.access_token;
  if (!accessToken) throw new LoginError('Google answered the code exchange without an access token.');
  registerSecret(accessToken);
  registerSecret(tokens.refresh_token);
  client.setCredentials(tokens);
  return { ...tokens, access_token: accessToken };
}

/** The account's address, from Gmail's profile. */
async function identifyAccount(client: OAuth2Client, apiRoot: string, signal: AbortSignal): Promise<string> {
  const gmail = await createGmailClient(client, { apiRoot, signal });
  const profile = await gmail.users.getProfile({ userId: 'me' }, { signal }).catch((error: unknown) => {
    throw asLoginFailure(toGmailctlError(error, { doing: 'identifying the account' }));
  });
  const account = profile.data.emailAddress;
  if (!account) throw new LoginError('Gmail did not say which account this is (no emailAddress in the profile).');
  return account;
}

/**
 * What to store. Without a new refresh token (Google sends none when it did not ask for
 * consent again), the stored one is kept with its age; with none stored, the login fails.
 */
async function loginToStore(tokens: Credentials & { access_token: string }, account: string, { workspace, events }: LoginOptions): Promise<StoredLogin> {
  let refreshToken = tokens.refresh_token ?? undefined;
  let createdAt = Date.now();
  // Google adds refresh_token_expires_in only when the client is in Testing mode (7 days).
  const refreshLifetime = Number((tokens as { refresh_token_expires_in?: unknown }).refresh_token_expires_in);
  let refreshExpiry = refreshToken && refreshLifetime > 0 ? createdAt + refreshLifetime * 1000 : undefined;
  if (!refreshToken) {
    const existing = await workspace.store.get(account);
    if (!existing) {
      throw new LoginError(`Google sent no refresh token for ${account}, and none is stored.`, {
        hint:
          'Remove gmailctl\'s access at https://myaccount.google.com/permissions, then run gmailctl login again ' +
          'so that Google asks for consent and issues a new refresh token.',
      });
    }
    refreshToken = existing.refresh_token;
    createdAt = existing.created_at ?? createdAt;
    refreshExpiry = existing.refresh_expiry_date;
    events.keptRefreshToken(account);
  }
  return {
    refresh_token: refreshToken,
    access_token: tokens.access_token,
    expiry_date: tokens.expiry_date ?? undefined,
    scope: tokens.scope ?? GMAIL_READONLY_SCOPE,
    token_type: tokens.token_type ?? 'Bearer',
    created_at: createdAt,
    ...(refreshExpiry ? { refresh_expiry_date: refreshExpiry } : {}),
  };
}

/**
 * With --account (login_hint), the consent must come from that account (addresses compare
 * case-insensitively): a code for another account is what a login CSRF looks like. The
 * tokens it brought are revoked first (`revoke` says how that went), so that they are not
 * left live at Google.
 */
async function refuseAnotherAccount(asked: string | undefined, account: string, revoke: () => Promise<string>): Promise<void> {
  if (!asked || sameAddress(asked, account)) return;
  const revoked = await revoke();
  throw new LoginError(`You asked to log in as ${asked}, but the consent came from ${account}. Nothing was stored or changed; ${revoked}.`, {
    hint:
      `Run gmailctl login --account ${asked} again and choose ${asked} on Google's page. ` +
      'If you did choose it, someone else on this machine may have answered in your place.',
  });
}

/**
 * Google's answer names the account, and that name goes on the terminal, into config.json,
 * the keychain, file names and shell completion. One that holds a line break, an escape or a
 * bidi control (no Gmail address does) is a hostile or broken answer: nothing is stored and
 * the tokens it brought are revoked (`revoke` says how that went). The message shows the
 * address cleaned.
 */
async function refuseUnsafeAddress(account: string, revoke: () => Promise<string>): Promise<void> {
  const unsafe = unsafeCharacterIn(account);
  if (!unsafe) return;
  const revoked = await revoke();
  throw new LoginError(
    `Google named the account "${toSingleLine(account)}", an address holding a control or bidi character (${unsafe}), which no Gmail address has. ` +
      `Nothing was stored or changed; ${revoked}.`,
    { hint: 'Run gmailctl login again; if Google keeps naming such an address, check GMAILCTL_API_ROOT and the OAuth client file: they decide who answers.' },
  );
}

/** How long a refused login waits for its tokens' revocation, at most: it is only a courtesy. */
const REVOKE_UNWANTED_MS = 5_000;

/**
 * Revokes the tokens of a consent that is not kept, best effort and within REVOKE_UNWANTED_MS
 * (or Ctrl-C); answers what became of them, for the error message. Not when that account has
 * a stored login here: Google revokes a whole grant, and that login would die with it.
 */
async function revokeUnwanted(client: OAuth2Client, tokens: Credentials & { access_token: string }, account: string, options: LoginOptions): Promise<string> {
  const known = options.workspace.settings.accounts ?? [];
  const shown = toSingleLine(account); // it may be the very address refused for what it holds
  if (known.some((k) => sameAddress(k, account))) return `the tokens for ${shown} were not revoked, since it has a stored login here`;
  const token = tokens.refresh_token ?? tokens.access_token;
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    revokeToken(client, options.credentials.revokeUri, token).then(
      () => `the tokens Google issued for ${shown} were revoked`,
      (error: unknown) => `revoking the tokens Google issued for ${shown} failed (${toGmailctlError(error, { doing: 'revoking them' }).message})`,
    ),
    new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve(`the tokens Google issued for ${shown} could not be revoked within ${REVOKE_UNWANTED_MS / 1000} s`), REVOKE_UNWANTED_MS);
    }),
    new Promise<string>((resolve) => options.signal.addEventListener('abort', () => resolve('revoking was interrupted'), { once: true })),
  ]);
  clearTimeout(timer);
  return outcome;
}

function contestedLogin(): LoginError {
  return new LoginError('Two different answers carried this login\'s state: someone else has seen the consent URL. Nothing was stored or changed.', {
    hint: 'Run gmailctl login --account YOUR-ADDRESS again: with --account, a consent by any other account is refused.',
  });
}

/** What to do after a login that timed out, knowing whether a URL could be (or could still be) pasted. */
function timeoutHint(pasting: boolean, pasteEnded: boolean): string {
  if (!pasting) return 'Run gmailctl login again (with --timeout to wait longer, or --no-browser to paste the redirected URL).';
  if (pasteEnded) {
    return 'stdin ended before a URL was pasted. Run gmailctl login --no-browser where you can paste into it (not with stdin from /dev/null or a pipe that ends), or let the browser reach the listener.';
  }
  return 'Run gmailctl login --no-browser again, allow access, and paste the address the browser ends up on (with --timeout to wait longer).';
}

/** The first answer wins; the timeout (its hint known only then) and Ctrl-C end the wait. */
async function firstOf(answers: Promise<AcceptedCallback>[], timeoutSeconds: number, signal: AbortSignal, hint: () => string): Promise<AcceptedCallback> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new LoginError(`No answer from the browser within ${timeoutSeconds} seconds.`, { hint: hint() })), timeoutSeconds * 1000);
  });
  const interrupted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason instanceof Error ? signal.reason : new InterruptedError());
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([...answers, timeout, interrupted]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}

/**
 * Reads lines until one is a redirect for this login. Lines that are not (a wrong state, a
 * typo, another address) are refused and reading goes on; at the end of input a last line
 * without a newline is read too (`printf %s URL |`), then `ended` is told and the listener is
 * left to answer. A line is never held beyond MAX_PASTED_LINE: a huge paste is refused, not
 * buffered.
 */
function readPastedAnswer(
  input: NodeJS.ReadableStream,
  expected: { state: string; redirectUri: string },
  stop: AbortSignal,
  { rejected, ended }: { rejected: (reason: string) => void; ended: () => void },
): Promise<AcceptedCallback> {
  return new Promise((resolve) => {
    let answered = false;
    const finish = (): void => {
      input.removeListener('data', lines.write);
      input.removeListener('end', onEnd);
      // Let the process exit even though stdin was being read.
      (input as NodeJS.ReadStream).pause?.();
      (input as NodeJS.ReadStream & { unref?: () => void }).unref?.();
    };
    const onLine = (line: string): void => {
      if (line.trim() === '') return;
      const pasted = parsePastedAnswer(line, expected.redirectUri);
      if ('refused' in pasted) return rejected(pasted.refused);
      const outcome: CallbackOutcome = interpretCallback(pasted.params, expected.state);
      if (outcome.kind === 'rejected') return rejected(outcome.reason);
      answered = true;
      finish();
      resolve(outcome);
    };
    const lines = boundedLines(onLine, () => rejected(`That line is longer than ${MAX_PASTED_LINE / 1024} KiB; it is not a redirect.`));
    const onEnd = (): void => {
      lines.end();
      if (answered || stop.aborted) return;
      finish();
      ended();
    };
    stop.addEventListener('abort', finish, { once: true });
    input.on('data', lines.write);
    input.once('end', onEnd);
  });
}

/**
 * A code exchange that fails is a failed login (exit 1), even when Google says invalid_grant:
 * that answer means "run gmailctl login" elsewhere, and the user just did.
 */
function exchangeFailure(error: unknown): GmailctlError {
  if (oauthErrorOf(error) === 'invalid_grant') {
    return new LoginError(`Google refused the authorization code (${oauthErrorDetail(error)}).`, {
      hint: 'Run gmailctl login again; a code can be used once and only for a few minutes.',
      cause: error,
    });
  }
  return asLoginFailure(toGmailctlError(error, { doing: 'exchanging the authorization code' }));
}

/** Exit 4 says "a stored login no longer works": during a login, a refusal is a failed login (exit 1). */
function asLoginFailure(error: GmailctlError): GmailctlError {
  return error instanceof AuthRequiredError ? new LoginError(error.message, { hint: error.hint, cause: error.cause }) : error;
}

/**
 * Splits chunks into lines; a line that grows past MAX_PASTED_LINE is dropped (up to its
 * newline) and reported once. `end` hands over a last line that has no newline.
 */
function boundedLines(onLine: (line: string) => void, onTooLong: () => void): { write(chunk: Buffer | string): void; end(): void } {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let skipping = false;
  const end = (): void => {
    const last = skipping ? '' : pending + decoder.end();
    pending = '';
    if (last.length > MAX_PASTED_LINE) onTooLong();
    else if (last !== '') onLine(last.replace(/\r$/, ''));
  };
  const write = (chunk: Buffer | string): void => {
    let text = typeof chunk === 'string' ? chunk : decoder.write(chunk);
    for (let newline = text.indexOf('\n'); ; newline = text.indexOf('\n')) {
      const piece = newline < 0 ? text : text.slice(0, newline);
      if (!skipping) pending += piece;
      if (!skipping && pending.length > MAX_PASTED_LINE) {
        skipping = true;
        pending = '';
        onTooLong();
      }
      if (newline < 0) return;
      text = text.slice(newline + 1);
      if (!skipping) onLine(pending.replace(/\r$/, ''));
      skipping = false;
      pending = '';
    }
  };
  return { write, end };
}
