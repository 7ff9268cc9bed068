/**
 * Asks the Secret Service, asynchronously and under a deadline, whether it is there and
 * whether gmailctl's items (or the default collection, where new ones go) are locked —
 * before the keychain binding is used on Linux. The binding talks D-Bus synchronously on
 * Node's main thread: against a bus or a daemon that never answers, or a locked collection
 * whose unlock prompt never answers, it would block the process (timers and Ctrl-C included)
 * with no way out. A locked keyring is unlocked first, asynchronously
 * (secret-service-unlock.ts, a D-Bus library loaded only then).
 *
 * This runs before every keychain command, so it is one connection and one round trip,
 * written by hand (loading a D-Bus library costs more than the whole exchange; see the
 * README's Performance section): the SASL EXTERNAL handshake, three pipelined method calls
 * (Hello; Secret.Service.SearchItems {service: gmailctl}; the default collection's Locked
 * property) and just enough of the message format to read their answers.
 */
import { connect, type Socket } from 'node:net';
import { formatSeconds } from '../basics/durations.js';

type LockOutcome = { ok: true; locked: boolean } | { ok: false; reason: string };

/** Why a keychain call was given up on, for the check and the binding's calls alike. */
export function noAnswerWithin(timeoutMs: number): string {
  return `it did not answer within ${formatSeconds(timeoutMs)} (is it locked or hung?)`;
}

/** The first unix socket address in DBUS_SESSION_BUS_ADDRESS, or undefined (nothing to check). */
export function sessionBusSocket(address: string | undefined): string | undefined {
  for (const entry of (address ?? '').split(';')) {
    const [transport, rest = ''] = entry.split(/:(.*)/s);
    if (transport !== 'unix') continue;
    const params = new Map(
      rest.split(',').map((pair) => {
        const [key = '', value = ''] = pair.split(/=(.*)/s);
        return [key, decodeURIComponent(value)] as const;
      }),
    );
    if (params.has('path')) return params.get('path');
    if (params.has('abstract')) return `\0${params.get('abstract')}`;
  }
  return undefined;
}

/**
 * D-Bus errors of the search that say "not now" rather than "not here": gnome-keyring answers
 * Failed when an item it found goes away before it has read it (another program deleting an
 * item at that moment: another gmailctl's probe, under load), and the bus answers NoReply or
 * TimedOut when the service was too busy to answer in time. Asked again, they pass.
 */
const TRANSIENT_ERRORS = new Set(['org.freedesktop.DBus.Error.Failed', 'org.freedesktop.DBus.Error.NoReply', 'org.freedesktop.DBus.Error.TimedOut', 'org.freedesktop.DBus.Error.LimitsExceeded']);
/** Pause before asking again (each time twice as long), within the deadline. */
const RETRY_PAUSE_MS = 50;

/**
 * Whether the Secret Service answers and holds `service`'s items (or new ones) locked. A
 * search that fails with a transient error is asked again on a new connection, until the
 * deadline; any other failure is final and named.
 */
export async function secretServiceLocked(socketPath: string, service: string, timeoutMs: number): Promise<LockOutcome> {
  const deadline = Date.now() + timeoutMs;
  let failedForNow: string | undefined;
  for (let pause = RETRY_PAUSE_MS; ; pause *= 2) {
    const outcome = await askOnce(socketPath, service, Math.max(deadline - Date.now(), 1), timeoutMs);
    if (outcome.ok) return outcome;
    // An attempt cut short by the deadline says less than the error the service named before it.
    if (outcome.unanswered && failedForNow !== undefined) return { ok: false, reason: failedForNow };
    if (!outcome.transient || Date.now() + pause >= deadline) return { ok: false, reason: outcome.reason };
    failedForNow = outcome.reason;
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
}

type AttemptOutcome = { ok: true; locked: boolean } | { ok: false; reason: string; transient?: boolean; unanswered?: boolean };

function askOnce(socketPath: string, service: string, waitMs: number, timeoutMs: number): Promise<AttemptOutcome> {
  return new Promise((resolve) => {
    const socket = connect(socketPath);
    const finish = (outcome: AttemptOutcome): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => finish({ ok: false, reason: noAnswerWithin(timeoutMs), unanswered: true }), waitMs);
    socket.on('error', (error: NodeJS.ErrnoException) => finish({ ok: false, reason: `the D-Bus session bus cannot be reached (${error.code ?? error.message})` }));
    socket.on('connect', () => {
      const uid = String(process.getuid?.() ?? 0);
      socket.write(Buffer.concat([Buffer.from([0]), Buffer.from(`AUTH EXTERNAL ${Buffer.from(uid).toString('hex')}\r\n`)]));
    });
    readReplies(socket, service, finish);
  });
}

const METHOD_RETURN = 2;
const ERROR = 3;
/** The calls' serials: their replies are matched by REPLY_SERIAL, whatever order they come in. */
const HELLO_SERIAL = 1;
const SEARCH_SERIAL = 2;
const LOCKED_SERIAL = 3;

interface Reply {
  ok: boolean;
  body: Buffer;
  little: boolean;
  /** An error's name (ERROR_NAME) and its message (the body's first string), for people. */
  errorName?: string;
  errorMessage?: string;
}

function readReplies(socket: Socket, service: string, finish: (outcome: AttemptOutcome) => void): void {
  let buffer = Buffer.alloc(0);
  let authenticated = false;
  const replies = new Map<number, Reply>();
  socket.on('data', (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    if (!authenticated) {
      const end = buffer.indexOf('\r\n');
      if (end < 0) return;
      const line = buffer.subarray(0, end).toString('latin1');
      buffer = buffer.subarray(end + 2);
      if (!line.startsWith('OK ')) {
        finish({ ok: false, reason: `the D-Bus session bus refused us (${line.split(' ')[0] ?? 'no answer'})` });
        return;
      }
      authenticated = true;
      socket.write(Buffer.concat([Buffer.from('BEGIN\r\n'), hello(), searchItems(service), defaultCollectionLocked()]));
    }
    // Signals (NameAcquired) are skipped; replies are kept by the serial of their call.
    for (let message = takeMessage(); message; message = takeMessage()) {
      if ((message.type === METHOD_RETURN || message.type === ERROR) && message.replySerial !== undefined) replies.set(message.replySerial, message.reply);
    }
    const search = replies.get(SEARCH_SERIAL);
    const locked = replies.get(LOCKED_SERIAL);
    if (!replies.has(HELLO_SERIAL) || !search || !locked) return;
    if (!search.ok) return finish(searchFailure(search));
    // No default collection (an error): the binding creates one, or fails, on its own.
    return finish({ ok: true, locked: anyLockedItem(search) || (locked.ok && booleanVariant(locked)) });
  });

  function takeMessage(): { type: number; replySerial?: number; reply: Reply } | undefined {
    if (buffer.length < 16) return undefined;
    const little = buffer[0] === 0x6c; // 'l'
    const u32 = (offset: number): number => (little ? buffer.readUInt32LE(offset) : buffer.readUInt32BE(offset));
    const fieldsLength = u32(12);
    const headerLength = 16 + align(fieldsLength, 8);
    const total = headerLength + u32(4);
    if (buffer.length < total) return undefined;
    const type = buffer[1] ?? 0;
    const fields = headerFields(buffer.subarray(0, 16 + fieldsLength), little);
    const body = buffer.subarray(headerLength, total);
    buffer = buffer.subarray(total);
    const reply: Reply = { ok: type === METHOD_RETURN, body, little };
    if (type === ERROR) {
      reply.errorName = typeof fields.get(4) === 'string' ? (fields.get(4) as string) : 'an unnamed D-Bus error';
      if (fields.get(8) === 's' || String(fields.get(8) ?? '').startsWith('s')) reply.errorMessage = firstString(body, little);
    }
    const replySerial = fields.get(5);
    return { type, reply, ...(typeof replySerial === 'number' ? { replySerial } : {}) };
  }
}

/** What a failed SearchItems means, named by its D-Bus error. */
function searchFailure({ errorName = 'an unnamed D-Bus error', errorMessage }: Reply): AttemptOutcome {
  const named = `${errorName}${errorMessage ? `: ${errorMessage}` : ''}`;
  if (errorName === 'org.freedesktop.DBus.Error.ServiceUnknown' || errorName === 'org.freedesktop.DBus.Error.NameHasNoOwner') {
    return { ok: false, reason: `no Secret Service is running on the D-Bus session bus (${named})` };
  }
  return { ok: false, reason: `the Secret Service could not search for gmailctl's items (${named})`, transient: TRANSIENT_ERRORS.has(errorName) };
}

/**
 * The header fields of a message (code → value) whose types this check reads: strings, object
 * paths, signatures and uint32s (REPLY_SERIAL). Parsing stops at any other type.
 */
function headerFields(header: Buffer, little: boolean): Map<number, string | number> {
  const fields = new Map<number, string | number>();
  const u32 = (offset: number): number => (little ? header.readUInt32LE(offset) : header.readUInt32BE(offset));
  let at = 16;
  while (at < header.length) {
    at = align(at, 8);
    if (at + 3 > header.length) break;
    const code = header[at]!;
    const signatureLength = header[at + 1]!;
    const type = header.toString('latin1', at + 2, at + 2 + signatureLength);
    at += 3 + signatureLength;
    if (type === 's' || type === 'o') {
      at = align(at, 4);
      if (at + 4 > header.length) break;
      const length = u32(at);
      fields.set(code, header.toString('utf8', at + 4, at + 4 + length));
      at += 4 + length + 1;
    } else if (type === 'g') {
      const length = header[at] ?? 0;
      fields.set(code, header.toString('latin1', at + 1, at + 1 + length));
      at += 1 + length + 1;
    } else if (type === 'u') {
      at = align(at, 4);
      if (at + 4 > header.length) break;
      fields.set(code, u32(at));
      at += 4;
    } else break;
  }
  return fields;
}

/** The body's first argument when it is a string (a D-Bus error's message), cut for one line. */
function firstString(body: Buffer, little: boolean): string | undefined {
  if (body.length < 5) return undefined;
  const length = little ? body.readUInt32LE(0) : body.readUInt32BE(0);
  if (4 + length > body.length) return undefined;
  return body.toString('utf8', 4, 4 + length).split('\n')[0]?.slice(0, 200);
}

/** SearchItems answers (unlocked: ao, locked: ao); only whether the second array is empty matters. */
function anyLockedItem({ body, little }: Reply): boolean {
  const u32 = (offset: number): number => (little ? body.readUInt32LE(offset) : body.readUInt32BE(offset));
  if (body.length < 8) return false;
  const second = align(4 + u32(0), 4);
  return body.length >= second + 4 && u32(second) > 0;
}

/** Properties.Get answers a variant: its signature ("b"), then the boolean as a uint32. */
function booleanVariant({ body, little }: Reply): boolean {
  if (body.length < 8 || body.toString('latin1', 1, 2) !== 'b') return false;
  return (little ? body.readUInt32LE(4) : body.readUInt32BE(4)) !== 0;
}

function hello(): Buffer {
  return methodCall(HELLO_SERIAL, { path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus', member: 'Hello', destination: 'org.freedesktop.DBus' });
}

function searchItems(service: string): Buffer {
  const body = new Body();
  body.u32(0); // the array's length, set below
  body.pad(8);
  const start = body.length;
  body.pad(8); // a dict entry
  body.string('service');
  body.string(service);
  body.setU32(0, body.length - start);
  return methodCall(SEARCH_SERIAL, { path: '/org/freedesktop/secrets', interface: 'org.freedesktop.Secret.Service', member: 'SearchItems', destination: 'org.freedesktop.secrets' }, 'a{ss}', body);
}

function defaultCollectionLocked(): Buffer {
  const body = new Body();
  body.string('org.freedesktop.Secret.Collection');
  body.string('Locked');
  return methodCall(
    LOCKED_SERIAL,
    { path: '/org/freedesktop/secrets/aliases/default', interface: 'org.freedesktop.DBus.Properties', member: 'Get', destination: 'org.freedesktop.secrets' },
    'ss',
    body,
  );
}

/** Little-endian D-Bus marshalling of the few types used here. */
class Body {
  readonly bytes: number[] = [];
  get length(): number {
    return this.bytes.length;
  }
  pad(to: number): void {
    while (this.bytes.length % to !== 0) this.bytes.push(0);
  }
  u32(value: number): void {
    this.pad(4);
    this.bytes.push(value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff);
  }
  setU32(at: number, value: number): void {
    this.bytes.splice(at, 4, value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff);
  }
  string(value: string): void {
    const bytes = Buffer.from(value, 'utf8');
    this.u32(bytes.length);
    this.bytes.push(...bytes, 0);
  }
  signature(value: string): void {
    this.bytes.push(value.length, ...Buffer.from(value, 'latin1'), 0);
  }
}

interface CallFields {
  path: string;
  interface: string;
  member: string;
  destination: string;
}

/** A little-endian METHOD_CALL. */
function methodCall(serial: number, fields: CallFields, signature = '', body = new Body()): Buffer {
  const header = new Body();
  const field = (code: number, type: 'o' | 's' | 'g', value: string): void => {
    header.pad(8);
    header.bytes.push(code);
    header.signature(type);
    if (type === 'g') header.signature(value);
    else header.string(value);
  };
  header.bytes.push(0x6c, 1, 0, 1); // little-endian, METHOD_CALL, no flags, protocol version 1
  header.u32(body.length);
  header.u32(serial);
  header.u32(0); // header fields length, set below
  field(1, 'o', fields.path);
  field(2, 's', fields.interface);
  field(3, 's', fields.member);
  field(6, 's', fields.destination);
  if (signature) field(8, 'g', signature);
  header.setU32(12, header.length - 16);
  header.pad(8);
  return Buffer.from([...header.bytes, ...body.bytes]);
}

function align(value: number, to: number): number {
  return Math.ceil(value / to) * to;
}
