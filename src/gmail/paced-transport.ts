/**
 * Every Gmail request goes through the quota pacer: a gaxios adapter (the hook gaxios
 * offers around each attempt it sends) that waits for the request's units, sends it, and
 * tells the pacer how Gmail answered, call by call. Being under gaxios's retry loop, it
 * paces retries as well as first attempts, for the generated client and for batches alike.
 */
import type { gmail_v1 } from '@googleapis/gmail';
import { failureFacts, googleMessageOf } from './google-error.js';
import { BATCH_PATH_SUFFIX, parseBatchResponse, type PartReply } from './batch.js';
import { header } from './http.js';
import { quotaMethodOf, UNIT_COSTS, type Answer, type QuotaMethod, type QuotaPacer } from './quota-pacer.js';
import { classifyFailure, parseRetryAfter } from './retry.js';

type Adapter = NonNullable<gmail_v1.Options['adapter']>;
type AdapterOptions = Parameters<Adapter>[0];

/** Google's answer when one user has too many calls in flight, whatever the units. */
const TOO_MANY_CONCURRENT = /too many concurrent requests/i;

export function pacedAdapter(pacer: QuotaPacer, signal?: AbortSignal): Adapter {
  const paced: Adapter = async (options, send) => {
    const batch = isBatch(options);
    const methods = batch ? partMethods(options.data) : [quotaMethodOf(urlOf(options).pathname)].filter((m): m is QuotaMethod => m !== undefined);
    if (methods.length === 0) return send(options);
    const cost = { units: methods.reduce((sum, method) => sum + UNIT_COSTS[method], 0), calls: methods.length };
    const retry = (options.retryConfig?.currentRetryAttempt ?? 0) > 0;
    const ticket = await pacer.acquire(cost, { batch: batch && !retry, retry, signal });
    let answer: Answer = { spentUnits: 0, rateLimited: 0, concurrent: 0, failed: true };
    try {
      const response = await send(options);
      answer = batch && response.status === 200 ? batchAnswer(methods, response) : callAnswer(methods, response);
      return response;
    } finally {
      pacer.settle(ticket, answer);
    }
  };
  return paced;
}

/** "messages.list", "a batch": what a request to this URL calls, for the --debug line of its retry. */
export function requestName(url: string): string {
  const pathname = URL.canParse(url) ? new URL(url).pathname : '';
  if (pathname.endsWith(BATCH_PATH_SUFFIX)) return 'a batch';
  return quotaMethodOf(pathname) ?? (pathname || 'a request');
}

function urlOf(options: AdapterOptions): URL {
  return options.url instanceof URL ? options.url : new URL(String(options.url));
}

function isBatch(options: AdapterOptions): boolean {
  return (options.method ?? 'GET').toUpperCase() === 'POST' && urlOf(options).pathname.endsWith(BATCH_PATH_SUFFIX);
}

/** The method of each part of a batch body we wrote ("GET <path> HTTP/1.1" lines). */
function partMethods(body: unknown): QuotaMethod[] {
  const lines = String(body ?? '').matchAll(/^GET (\S+) HTTP\/1\.1\r?$/gm);
  return [...lines].map((line) => quotaMethodOf(new URL(line[1]!, 'http://gmail').pathname) ?? 'messages.get');
}

/** A request answered as a whole (a call alone, or a batch refused whole): all its calls alike. */
function callAnswer(methods: readonly QuotaMethod[], response: { status: number; data: unknown; headers: unknown }): Answer {
  const answer: Answer = { spentUnits: 0, rateLimited: 0, concurrent: 0, failed: response.status >= 500 };
  for (const method of methods) addCall(answer, method, response);
  return answer;
}

function batchAnswer(methods: readonly QuotaMethod[], response: { status: number; data: unknown; headers: unknown }): Answer {
  let parts: PartReply[];
  try {
    parts = parseBatchResponse(header(response.headers, 'content-type') ?? '', String(response.data));
  } catch {
    // The batch's own reader reports a malformed answer; Gmail charged the calls anyway.
    return { spentUnits: methods.reduce((sum, method) => sum + UNIT_COSTS[method], 0), rateLimited: 0, concurrent: 0 };
  }
  const answer: Answer = { spentUnits: 0, rateLimited: 0, concurrent: 0 };
  methods.forEach((method, index) => {
    const part = parts[index];
    if (part) addCall(answer, method, { status: part.status, data: part.body, headers: part.headers });
  });
  return answer;
}

function addCall(answer: Answer, method: QuotaMethod, response: { status: number; data: unknown; headers: unknown }): void {
  // Only a 429 or a 403 can be a rate limit: any other answer (a 200 part's metadata above
  // all) is not parsed here, since the listing parses it once for its own use.
  const facts = response.status === 429 || response.status === 403 ? failureFacts({ response }) : undefined;
  if (facts === undefined || classifyFailure(facts) !== 'rate-limited') {
    // Gmail charges what it answered (a 404 too); a server error is not counted as spent.
    if (response.status < 500) answer.spentUnits += UNIT_COSTS[method];
    return;
  }
  if (TOO_MANY_CONCURRENT.test(googleMessageOf(response.data) ?? '')) {
    answer.concurrent += 1;
    return;
  }
  answer.rateLimited += 1;
  answer.what ??= `${response.status}${facts.reason ? ` ${facts.reason}` : ''}${facts.perMinute ? ' (per-minute quota)' : ''}`;
  if (facts.perMinute) answer.perMinute = true;
  const retryInMs = parseRetryAfter(facts.retryAfter, Date.now());
  if (retryInMs !== undefined) answer.retryInMs = Math.max(answer.retryInMs ?? 0, retryInMs);
}
