/**
 * Where gmailctl may send a token: over https to any host, or over plain http only to this
 * machine's loopback addresses (the emulator on 127.0.0.1). A token URI, an API root or a
 * revoke URI that says http://203.0.113.7/ would otherwise carry the refresh token, the
 * client secret or the bearer token in clear over the network.
 */
import { isIP } from 'node:net';

/** 127.0.0.0/8, ::1 and the name localhost (RFC 6761): traffic that never leaves the machine. */
function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host === 'localhost.') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1' || host === '0:0:0:0:0:0:0:1';
  return false;
}

/**
 * Why this URL must not carry a secret, or undefined when it may: https anywhere, http to a
 * loopback address. `what` names where the URL came from, for the message.
 */
export function insecureEndpoint(value: string, what: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `${what} is not a URL ("${value}")`;
  }
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return undefined;
  if (url.protocol === 'http:') {
    return `${what} is plain http to ${url.host}, which would send tokens in clear over the network (https is required; http only for loopback addresses such as 127.0.0.1)`;
  }
  return `${what} is not an https URL ("${value}")`;
}
