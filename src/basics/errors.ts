/**
 * Errors are values that carry their exit code and a hint for the user.
 * `src/entry/program.ts` is the one place that turns them into stderr lines and an exit status;
 * everything below it throws one of these and never calls process.exit.
 */

export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  authRequired: 4,
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

interface ErrorDetails {
  /** A second line telling the user what to do next. */
  hint?: string;
  cause?: unknown;
}

export class GmailctlError extends Error {
  readonly exitCode: ExitCode = ExitCode.failure;
  readonly hint: string | undefined;

  constructor(message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.hint = details.hint;
  }
}

/** Bad command line: unknown command or flag, bad flag value. */
export class UsageError extends GmailctlError {
  override readonly exitCode = ExitCode.usage;
}

/** No stored login for the account, or Google no longer honours it. */
export class AuthRequiredError extends GmailctlError {
  override readonly exitCode = ExitCode.authRequired;

  constructor(message: string, account?: string, details: ErrorDetails = {}) {
    super(message, {
      hint: details.hint ?? `Run: gmailctl login${account ? ` --account ${account}` : ''}`,
      cause: details.cause,
    });
  }
}

/** The OAuth client file is missing, unreadable or malformed. */
export class CredentialsError extends GmailctlError {}

/** config.json or the config directory is unusable. */
export class ConfigError extends GmailctlError {}

/** The local message cache could not be used where it is needed (the --since-last cursors). */
export class CacheError extends GmailctlError {}

/** The token store (keychain or file) could not be used. */
export class TokenStoreError extends GmailctlError {}

/** Google answered with an error, or could not be reached. */
export class GoogleApiError extends GmailctlError {
  readonly status: number | undefined;
  constructor(message: string, status?: number, details: ErrorDetails = {}) {
    super(message, details);
    this.status = status;
  }
}

/** What the command produced could not be written (a full disk, a closed stdout). */
export class OutputError extends GmailctlError {}

/** The login did not complete: denied, timed out, bad callback. */
export class LoginError extends GmailctlError {}

/** SIGINT (or SIGTERM) ended the command. */
export class InterruptedError extends GmailctlError {
  override readonly exitCode = ExitCode.interrupted;
  constructor(message = 'Interrupted.') {
    super(message);
  }
}

export function exitCodeOf(error: unknown): ExitCode {
  return error instanceof GmailctlError ? error.exitCode : ExitCode.failure;
}
