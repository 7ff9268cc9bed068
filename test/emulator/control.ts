/**
 * The /__emulator/ control API, for tests and scripts that run the emulator in another
 * process (npm run emulator):
 *   GET    /__emulator/requests              the request log (bodies included)
 *   DELETE /__emulator/requests              clears it
 *   POST   /__emulator/faults                {match:{method?, path: "prefix" | {regex}}, fault, times?}
 *   DELETE /__emulator/faults                drops the faults not fired yet
 *   POST   /__emulator/revoke-all            every token dies
 *   POST   /__emulator/expire-access-tokens  access tokens answer 401; refresh still works
 *   POST   /__emulator/settings              {latencyMs?, quota? ("legacy" | {regime, …} | null = off), strict?, concurrentCallsPerUser?,
 *                                             autoApprove?, accessTokenLifetimeSec?, omitRefreshToken?, grantedScopes? (null = all)}
 *   POST   /__emulator/mailbox/labels        {ids, add?, remove?, account?}   change labels (history records)
 *   POST   /__emulator/mailbox/messages      {count, labelIds?, subject?, threadId?, servedAfterMs?, account?}   new mail; answers {ids}
 *   POST   /__emulator/mailbox/import        an RFC 822 message: the bytes as the body (any content type but JSON)
 *                                             with ?labelIds=&internalDate=&date=&threadId=&account= , or JSON
 *                                             {raw (base64url, as Gmail's messages.import), labelIds?, internalDate?, date?, threadId?, account?}
 *   POST   /__emulator/mailbox/delete        {ids, account?}                  delete for good
 *   POST   /__emulator/mailbox/expire-history {account?}                     older starts answer 404
 *   POST   /__emulator/outage                {ms}   once this answer is sent, connections are refused
 *                                             (ECONNREFUSED) for ms milliseconds, the control API's too
 * Bad input answers 400 with {"error": "..."}.
 */
import type { RecordedRequest, Reply } from './exchange.js';
import { jsonReply } from './exchange.js';
import type { Fault, RequestMatch } from './faults.js';
import type { Emulator } from './index.js';
import type { QuotaOptions } from './quota.js';
import type { ImportOptions } from './search.js';

type Controlled = Pick<
  Emulator,
  | 'requests'
  | 'clearRequests'
  | 'enqueue'
  | 'clearFaults'
  | 'revokeAll'
  | 'expireAccessTokens'
  | 'setLatency'
  | 'setQuota'
  | 'setStrict'
  | 'setAutoApprove'
  | 'setAccessTokenLifetime'
  | 'setOmitRefreshToken'
  | 'setGrantedScopes'
  | 'changeLabels'
  | 'addMessages'
  | 'importMessage'
  | 'deleteMessages'
  | 'expireHistory'
  | 'mailbox'
  | 'refuseConnections'
  | 'acceptConnections'
>;

class ControlInputError extends Error {}

/** The request log as JSON: the query as its string form, so repeated parameters survive. */
function serializeRequest(request: RecordedRequest): object {
  return { ...request, query: request.query.toString() };
}

function parseJson(body: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(body || '{}');
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // Reported below, with the rest of the malformed input.
  }
  throw new ControlInputError('the body must be a JSON object');
}

function strings(value: unknown, name: string): string[] {
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) throw new ControlInputError(`${name} must be an array of strings`);
  return value as string[];
}

function optionalString(value: unknown, name: string): string | undefined {
  if (value !== undefined && typeof value !== 'string') throw new ControlInputError(`${name} must be a string`);
  return value as string | undefined;
}

function parseMatch(value: unknown): RequestMatch {
  if (typeof value === 'string') return value;
  if (typeof value !== 'object' || value === null) throw new ControlInputError('match must be a path prefix or {method?, path}');
  const { method, path } = value as { method?: unknown; path?: unknown };
  if (method !== undefined && typeof method !== 'string') throw new ControlInputError('match.method must be a string');
  const regex = typeof path === 'object' && path !== null ? (path as { regex?: unknown }).regex : undefined;
  let pattern: string | RegExp;
  if (typeof path === 'string') pattern = path;
  else if (typeof regex === 'string') pattern = new RegExp(regex);
  else throw new ControlInputError('match.path must be a prefix string or {"regex": "..."}');
  return method === undefined ? { path: pattern } : { method, path: pattern };
}

function parseFault(value: unknown): Fault {
  const fault = value as Partial<Record<string, unknown>> | null;
  const ok =
    typeof fault === 'object' &&
    fault !== null &&
    ((fault.type === 'status' && typeof fault.status === 'number') ||
      (fault.type === 'raw' && typeof fault.status === 'number' && typeof fault.body === 'string') ||
      fault.type === 'reset' ||
      (fault.type === 'front-end' && (fault.status === 502 || fault.status === 503)) ||
      (fault.type === 'delay' && typeof fault.ms === 'number'));
  if (!ok) throw new ControlInputError('fault must be {type:"status",status} | {type:"raw",status,body} | {type:"front-end",status:502|503} | {type:"reset"} | {type:"delay",ms}');
  return fault as Fault;
}

function applySettings(emulator: Controlled, settings: Record<string, unknown>): void {
  const { latencyMs, quota, strict, concurrentCallsPerUser, autoApprove, accessTokenLifetimeSec, omitRefreshToken, grantedScopes } = settings;
  const expect = (ok: boolean, what: string): void => {
    if (!ok) throw new ControlInputError(what);
  };
  if (latencyMs !== undefined) expect(typeof latencyMs === 'number' && latencyMs >= 0, 'latencyMs must be a number >= 0');
  if (autoApprove !== undefined) expect(typeof autoApprove === 'boolean', 'autoApprove must be a boolean');
  if (strict !== undefined) expect(typeof strict === 'boolean', 'strict must be a boolean');
  if (concurrentCallsPerUser !== undefined) expect(strict === true && typeof concurrentCallsPerUser === 'number', 'concurrentCallsPerUser needs strict: true and must be a number');
  if (omitRefreshToken !== undefined) expect(typeof omitRefreshToken === 'boolean', 'omitRefreshToken must be a boolean');
  if (accessTokenLifetimeSec !== undefined) expect(typeof accessTokenLifetimeSec === 'number', 'accessTokenLifetimeSec must be a number');
  if (grantedScopes !== undefined && grantedScopes !== null) {
    expect(Array.isArray(grantedScopes) && grantedScopes.every((scope) => typeof scope === 'string'), 'grantedScopes must be an array of strings or null');
  }
  if (quota !== undefined && quota !== null) expect(typeof quota === 'object' || typeof quota === 'string', 'quota must be a regime ("legacy", "per-minute", "2026"), {regime, timeScale?, burstUnits?} or null');

  if (latencyMs !== undefined) emulator.setLatency(latencyMs as number);
  if (autoApprove !== undefined) emulator.setAutoApprove(autoApprove as boolean);
  if (omitRefreshToken !== undefined) emulator.setOmitRefreshToken(omitRefreshToken as boolean);
  if (accessTokenLifetimeSec !== undefined) emulator.setAccessTokenLifetime(accessTokenLifetimeSec as number);
  if (grantedScopes !== undefined) emulator.setGrantedScopes((grantedScopes as string[] | null) ?? undefined);
  // The short form names only the regime: "legacy" is {"regime": "legacy"}.
  if (quota !== undefined) emulator.setQuota(typeof quota === 'string' ? ({ regime: quota } as QuotaOptions) : ((quota as QuotaOptions | null) ?? undefined));
  if (strict !== undefined) emulator.setStrict(strict as boolean, concurrentCallsPerUser as number | undefined);
}

/** A time in ms since the epoch: a whole number, or its digits (Gmail sends internalDate as a string). */
function epochMs(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof ms !== 'number' || !Number.isSafeInteger(ms) || ms < 0) throw new ControlInputError(`${name} must be milliseconds since 1970 (a whole number >= 0)`);
  return ms;
}

/**
 * POST /__emulator/mailbox/import: the message's bytes and its options, from a JSON body
 * ({raw: base64url, …}) or from the bytes as the body with the options in the query string.
 */
function importRequest(request: RecordedRequest, bytes: Buffer): { raw: Buffer; options: ImportOptions; account: string | undefined } {
  const json = /^application\/json\b/i.test(request.headers['content-type'] ?? '');
  const query = request.query;
  const fields: Record<string, unknown> = json
    ? parseJson(request.body)
    : {
        labelIds: query.has('labelIds') ? query.getAll('labelIds').flatMap((value) => value.split(',')).filter(Boolean) : undefined,
        internalDate: query.get('internalDate') ?? undefined,
        date: query.get('date') ?? undefined,
        threadId: query.get('threadId') ?? undefined,
        account: query.get('account') ?? undefined,
      };
  let raw = bytes;
  if (json) {
    if (typeof fields.raw !== 'string' || fields.raw === '') throw new ControlInputError('raw must be the message in base64url (as Gmail\'s messages.import takes it)');
    raw = Buffer.from(fields.raw, 'base64url');
  }
  if (raw.length === 0) throw new ControlInputError('the body must be an RFC 822 message (or JSON with "raw")');
  const { labelIds, internalDate, date, threadId, account } = fields;
  if (internalDate !== undefined && date !== undefined) throw new ControlInputError('give internalDate or date, not both');
  let when = epochMs(internalDate, 'internalDate');
  if (date !== undefined) {
    const parsed = typeof date === 'string' ? Date.parse(date) : Number.NaN;
    if (Number.isNaN(parsed) || parsed < 0) throw new ControlInputError('date must be a date such as "2026-11-30T09:15:00Z" or "Mon, 30 Nov 2026 10:15:00 +0100"');
    when = parsed;
  }
  const thread = optionalString(threadId, 'threadId');
  const options: ImportOptions = {
    ...(labelIds !== undefined ? { labelIds: strings(labelIds, 'labelIds') } : {}),
    ...(when !== undefined ? { internalDate: when } : {}),
    ...(thread !== undefined ? { threadId: thread } : {}),
  };
  return { raw, options, account: optionalString(account, 'account') };
}

/**
 * The seeded messages that naive mail readers get wrong (hard-cases.ts), by name, with the id
 * and subject they have in this mailbox: for script authors, who know them only by subject.
 */
function hardCases(emulator: Controlled, account: string | undefined): Array<{ name: string; id: string; threadId: string; subject: string | null }> {
  return emulator
    .mailbox(account)
    .filter((message) => message.hardCase !== undefined)
    .map((message) => ({ name: message.hardCase!, id: message.id, threadId: message.threadId, subject: message.subject ?? null }));
}

export function handleControl(request: RecordedRequest, emulator: Controlled, bytes: Buffer = Buffer.from(request.body, 'utf8')): Reply {
  const action = `${request.method} ${request.path}`;
  try {
    switch (action) {
      case 'GET /__emulator/requests':
        return jsonReply(200, emulator.requests.map(serializeRequest));
      case 'DELETE /__emulator/requests':
        emulator.clearRequests();
        return jsonReply(200, {});
      case 'POST /__emulator/faults': {
        const { match, fault, times } = parseJson(request.body);
        if (times !== undefined && typeof times !== 'number') throw new ControlInputError('times must be a number');
        emulator.enqueue(parseMatch(match), parseFault(fault), times);
        return jsonReply(200, {});
      }
      case 'DELETE /__emulator/faults':
        emulator.clearFaults();
        return jsonReply(200, {});
      case 'POST /__emulator/revoke-all':
        emulator.revokeAll();
        return jsonReply(200, {});
      case 'POST /__emulator/expire-access-tokens':
        emulator.expireAccessTokens();
        return jsonReply(200, {});
      case 'POST /__emulator/settings':
        applySettings(emulator, parseJson(request.body));
        return jsonReply(200, {});
      case 'POST /__emulator/mailbox/labels': {
        const { ids, add, remove, account } = parseJson(request.body);
        emulator.changeLabels(strings(ids, 'ids'), { add: strings(add ?? [], 'add'), remove: strings(remove ?? [], 'remove') }, optionalString(account, 'account'));
        return jsonReply(200, {});
      }
      case 'POST /__emulator/mailbox/messages': {
        const { count, labelIds, subject, threadId, servedAfterMs, account } = parseJson(request.body);
        if (typeof count !== 'number' || !Number.isInteger(count) || count < 1) throw new ControlInputError('count must be a whole number >= 1');
        if (servedAfterMs !== undefined && (typeof servedAfterMs !== 'number' || servedAfterMs < 0)) throw new ControlInputError('servedAfterMs must be a number >= 0');
        const thread = optionalString(threadId, 'threadId');
        const options = {
          ...(labelIds !== undefined ? { labelIds: strings(labelIds, 'labelIds') } : {}),
          ...(typeof subject === 'string' ? { subject } : {}),
          ...(thread !== undefined ? { threadId: thread } : {}),
          ...(servedAfterMs !== undefined ? { servedAfterMs: servedAfterMs as number } : {}),
        };
        const added = emulator.addMessages(count, options, optionalString(account, 'account'));
        return jsonReply(200, { ids: added.map((message) => message.id) });
      }
      case 'POST /__emulator/mailbox/import': {
        const { raw, options, account } = importRequest(request, bytes);
        const message = emulator.importMessage(raw, options, account);
        return jsonReply(200, { id: message.id, threadId: message.threadId, labelIds: message.labelIds, internalDate: String(message.internalDate) });
      }
      case 'POST /__emulator/mailbox/delete': {
        const { ids, account } = parseJson(request.body);
        emulator.deleteMessages(strings(ids, 'ids'), optionalString(account, 'account'));
        return jsonReply(200, {});
      }
      case 'POST /__emulator/mailbox/expire-history':
        emulator.expireHistory(optionalString(parseJson(request.body).account, 'account'));
        return jsonReply(200, {});
      case 'POST /__emulator/outage': {
        const { ms } = parseJson(request.body);
        if (typeof ms !== 'number' || !(ms > 0) || ms > 3_600_000) throw new ControlInputError('ms must be a number of milliseconds, more than 0 and at most an hour');
        const outage = (): void => {
          void emulator.refuseConnections().then(() => setTimeout(() => void emulator.acceptConnections(), ms));
        };
        return { ...jsonReply(200, {}), then: outage };
      }
      case 'GET /__emulator/hard-cases':
        return jsonReply(200, hardCases(emulator, optionalString(request.query.get('account') ?? undefined, 'account')));
      default:
        return jsonReply(404, { error: `no control endpoint ${action}` });
    }
  } catch (error) {
    // Besides ControlInputError, the setters reject bad values too (an unknown quota regime,
    // times < 1, a bad regex): all of it is the caller's input.
    return jsonReply(400, { error: (error as Error).message });
  }
}
