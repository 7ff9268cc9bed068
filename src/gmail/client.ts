/**
 * The Gmail API client: Google's generated client, pointed at GMAILCTL_API_ROOT, with our
 * retry policy plugged into gaxios's retry loop. Loaded lazily.
 */
import type { gmail_v1 } from '@googleapis/gmail';
import type { OAuth2Client } from 'google-auth-library';
import { failureFacts } from './google-error.js';
import { loadGoogleLibraries } from '../libraries/load.js';
import { classifyFailure, DEFAULT_RETRY_POLICY, retryWait, shouldRetryAfter, type FailureKind, type RetryPolicy } from './retry.js';

export type GmailClient = gmail_v1.Gmail;
/** gaxios's retry settings, as Google's client takes them (gaxios ships CJS and ESM types). */
type RetryConfig = NonNullable<gmail_v1.Options['retryConfig']>;

interface GmailClientOptions {
  /** GMAILCTL_API_ROOT (googleSettings), ending with a slash. */
  apiRoot: string;
  policy?: RetryPolicy;
  /** Aborts waits between retries (Ctrl-C). */
  signal?: AbortSignal;
  /** Told of each retry (the --debug line): what failed, how long until it is sent again, which retry it is, and the request's URL. */
  onRetry?: (kind: FailureKind, delayMs: number, attempt: number, url: string) => void;
  /** The quota pacer's hook around each attempt (src/gmail/paced-transport.ts). */
  adapter?: gmail_v1.Options['adapter'];
}

export async function createGmailClient(auth: OAuth2Client, options: GmailClientOptions): Promise<GmailClient> {
  const { gmail_v1 } = await loadGoogleLibraries();
  return new gmail_v1.Gmail({ auth, rootUrl: options.apiRoot, retryConfig: retryConfigFor(options), ...(options.adapter ? { adapter: options.adapter } : {}) });
}

/** gaxios's retry loop driven by our one policy: for the generated client and for batches alike. */
export function retryConfigFor(options: Pick<GmailClientOptions, 'policy' | 'signal' | 'onRetry'>): RetryConfig {
  const policy = options.policy ?? DEFAULT_RETRY_POLICY;
  return {
    retry: policy.maxAttempts - 1,
    noResponseRetries: policy.maxAttempts - 1,
    // Batch requests are POSTs; every call we make is a read, so any method may be retried.
    httpMethodsToRetry: ['GET', 'HEAD', 'POST', 'PUT', 'OPTIONS', 'DELETE'],
    statusCodesToRetry: [
      [403, 403],
      [429, 429],
      [500, 504],
    ],
    shouldRetry: async (error) => {
      if (options.signal?.aborted) return false;
      const retryConfig = error.config.retryConfig;
      const since = Date.now() - (retryConfig?.timeOfFirstRequest ?? Date.now());
      return shouldRetryAfter(failureFacts(error), retryConfig?.currentRetryAttempt ?? 0, since, policy);
    },
    retryBackoff: async (error) => {
      const facts = failureFacts(error);
      const attempt = error.config.retryConfig?.currentRetryAttempt ?? 1;
      const delay = retryWait(facts, attempt, policy);
      options.onRetry?.(classifyFailure(facts), delay, attempt, String(error.config.url));
      await sleep(delay, options.signal);
    },
  };
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
