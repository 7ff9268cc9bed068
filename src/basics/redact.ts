/**
 * Secrets never reach a human-readable stream. Two nets: the exact values this process
 * has handled (registered as they are read or received), and the shapes Google's secrets
 * take, for anything that slipped past the first net (an error body quoting a token).
 */

const knownSecrets = new Set<string>();

/** Remember a secret value so that redact() hides it wherever it appears. */
export function registerSecret(value: string | null | undefined): void {
  if (value && value.length >= 6) knownSecrets.add(value);
}

const SECRET_SHAPES: RegExp[] = [
  /ya29\.[\w.-]+/g, // Google access tokens
  /1\/\/[\w.-]{20,}/g, // Google refresh tokens
  /1%2F%2F[\w.%-]{20,}/gi, // the same, URL-encoded (a form body or a query string quoted in an error)
  /1\\\/\\\/[\w.-]{20,}/g, // the same, as JSON may escape it inside a string: 1\/\/…
  /GOCSPX-[\w-]+/g, // Google OAuth client secrets
  /\b(access_token|refresh_token|id_token|code|code_verifier|client_secret|token)=([^&\s"']+)/gi,
  /("(?:access_token|refresh_token|id_token|code_verifier|client_secret)"\s*:\s*")[^"]*(")/gi,
  /(Bearer\s+)[\w.~+/-]+=*/gi,
];

export function redact(text: string): string {
  let out = text;
  for (const secret of knownSecrets) {
    // As is, and as JSON text may quote it (a "/" written "\/").
    for (const spelling of secret.includes('/') ? [secret, secret.replace(/\//g, '\\/')] : [secret]) {
      if (out.includes(spelling)) out = out.split(spelling).join('[REDACTED]');
    }
  }
  for (const shape of SECRET_SHAPES) {
    out = out.replace(shape, (match, ...groups: unknown[]) => {
      const [first, second] = groups;
      if (typeof first === 'string' && typeof second === 'string' && /^\w+$/.test(first)) {
        return `${first}=[REDACTED]`;
      }
      if (typeof first === 'string' && typeof second === 'string') return `${first}[REDACTED]${second}`;
      if (typeof first === 'string' && /^Bearer/i.test(first)) return `${first}[REDACTED]`;
      return match.length > 0 ? '[REDACTED]' : match;
    });
  }
  return out;
}
