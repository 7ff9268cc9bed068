/**
 * Asks the Secret Service whether it is there, asynchronously and under a deadline, before
 * the keychain binding is used on Linux. The binding talks D-Bus synchronously on Node's
 * main thread: against a bus or a daemon that never answers it would block the process
 * (timers and Ctrl-C included) with no way out. A D-Bus Ping costs one round trip.
 *
 * Only what a Ping needs of the D-Bus wire protocol is here: the SASL EXTERNAL handshake,
 * two method calls (Hello, then Peer.Ping to org.freedesktop.secrets) and message framing.
 */
import { connect, type Socket } from 'node:net';

export type PingOutcome = { ok: true } | { ok: false; reason: string };

/** Why a keychain call was given up on, for the ping and the binding's calls alike. */
export function noAnswerWithin(timeoutMs: number): string {
  return `it did not answer within ${Math.round(timeoutMs / 100) / 10} s (is it locked or hung?)`;
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

export function pingSecretService(socketPath: string, timeoutMs: number): Promise<PingOutcome> {
  return new Promise((resolve) => {
    const socket = connect(socketPath);
    const finish = (outcome: PingOutcome): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(
      () => finish({ ok: false, reason: noAnswerWithin(timeoutMs) }),
      timeoutMs,
    );
    socket.on('error', (error: NodeJS.ErrnoException) => finish({ ok: false, reason: `the D-Bus session bus cannot be reached (${error.code ?? error.message})` }));
    socket.on('connect', () => {
      const uid = String(process.getuid?.() ?? 0);
      socket.write(Buffer.concat([Buffer.from([0]), Buffer.from(`AUTH EXTERNAL ${Buffer.from(uid).toString('hex')}\r\n`)]));
    });
    readReplies(socket, finish);
  });
}

const METHOD_RETURN = 2;
const ERROR = 3;

function readReplies(socket: Socket, finish: (outcome: PingOutcome) => void): void {
  let buffer = Buffer.alloc(0);
  let authenticated = false;
  let replies = 0;
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
      socket.write(Buffer.concat([Buffer.from('BEGIN\r\n'), hello(), ping()]));
    }
    // Replies come in order: Hello's first, then the Ping's (signals in between are skipped).
    for (let message = takeMessage(); message; message = takeMessage()) {
      if (message.type !== METHOD_RETURN && message.type !== ERROR) continue;
      replies += 1;
      if (replies === 2) {
        finish(message.type === METHOD_RETURN ? { ok: true } : { ok: false, reason: 'no Secret Service is running on the D-Bus session bus' });
        return;
      }
    }
  });

  function takeMessage(): { type: number } | undefined {
    if (buffer.length < 16) return undefined;
    const little = buffer[0] === 0x6c; // 'l'
    const u32 = (offset: number): number => (little ? buffer.readUInt32LE(offset) : buffer.readUInt32BE(offset));
    const headerLength = 16 + align(u32(12), 8);
    const total = headerLength + u32(4);
    if (buffer.length < total) return undefined;
    const type = buffer[1] ?? 0;
    buffer = buffer.subarray(total);
    return { type };
  }
}

function hello(): Buffer {
  return methodCall(1, { path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus', member: 'Hello', destination: 'org.freedesktop.DBus' });
}

function ping(): Buffer {
  return methodCall(2, {
    path: '/org/freedesktop/secrets',
    interface: 'org.freedesktop.DBus.Peer',
    member: 'Ping',
    destination: 'org.freedesktop.secrets',
  });
}

interface CallFields {
  path: string;
  interface: string;
  member: string;
  destination: string;
}

/** A little-endian METHOD_CALL with no body. */
function methodCall(serial: number, fields: CallFields): Buffer {
  const out: number[] = [];
  const u32 = (value: number): void => {
    out.push(value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff);
  };
  const pad = (to: number): void => {
    while (out.length % to !== 0) out.push(0);
  };
  const field = (code: number, signature: 'o' | 's', value: string): void => {
    pad(8);
    out.push(code, 1, signature.charCodeAt(0), 0);
    pad(4);
    const bytes = Buffer.from(value, 'utf8');
    u32(bytes.length);
    out.push(...bytes, 0);
  };
  out.push(0x6c, 1, 0, 1); // little-endian, METHOD_CALL, no flags, protocol version 1
  u32(0); // body length
  u32(serial);
  u32(0); // header fields length, filled in below
  field(1, 'o', fields.path);
  field(2, 's', fields.interface);
  field(3, 's', fields.member);
  field(6, 's', fields.destination);
  const fieldsLength = out.length - 16;
  pad(8);
  const message = Buffer.from(out);
  message.writeUInt32LE(fieldsLength, 12);
  return message;
}

function align(value: number, to: number): number {
  return Math.ceil(value / to) * to;
}
