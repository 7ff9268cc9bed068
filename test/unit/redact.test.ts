import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { redact, registerSecret } from '../../src/basics/redact.js';

describe('redact: values this process has handled', () => {
  it('hides a registered value wherever it appears, every time it appears', () => {
    registerSecret('s3cr3t-value-xyz');
    expect(redact('a s3cr3t-value-xyz b s3cr3t-value-xyz')).toBe('a [REDACTED] b [REDACTED]');
  });

  it('ignores values too short to be secrets, so ordinary words are not blanked out', () => {
    registerSecret('abc');
    registerSecret('');
    registerSecret(null);
    registerSecret(undefined);
    expect(redact('abc is fine')).toBe('abc is fine');
  });
});

describe("redact: the shapes of Google's secrets", () => {
  it('hides access tokens (ya29.)', () => {
    const out = redact('token ya29.a0AfB_byC-1234567890.abc_DEF here');
    expect(out).toBe('token [REDACTED] here');
  });

  it('hides refresh tokens (1//)', () => {
    const out = redact('rt=1//0gXyZ-abcdefghijklmnopqrstuvwxyz_0123');
    expect(out).not.toContain('0gXyZ');
  });

  it('hides bare refresh tokens in prose', () => {
    expect(redact('stored 1//0gAbCdEfGhIjKlMnOpQrStUvWx ok')).toBe('stored [REDACTED] ok');
  });

  it('hides OAuth client secrets (GOCSPX-)', () => {
    expect(redact('secret GOCSPX-abc_DEF-123 end')).toBe('secret [REDACTED] end');
  });

  it('hides code= and refresh_token= values in query strings and form bodies, keeping the names', () => {
    const out = redact('POST /token code=4/0AbCdEf&code_verifier=xyz123&refresh_token=opaque-value&grant_type=authorization_code');
    expect(out).toBe('POST /token code=[REDACTED]&code_verifier=[REDACTED]&refresh_token=[REDACTED]&grant_type=authorization_code');
  });

  it('hides the callback code in a redirect URL', () => {
    const out = redact('http://127.0.0.1:8765/oauth2callback?state=st&code=4%2F0AbCdEfGh&scope=x');
    expect(out).not.toContain('0AbCdEfGh');
    expect(out).toContain('code=[REDACTED]');
  });

  it('hides token fields in JSON bodies, with or without spaces', () => {
    const body = '{"access_token": "opaque-access", "refresh_token":"opaque-refresh", "expires_in": 3599, "client_secret" : "opaque-secret"}';
    const out = redact(body);
    expect(out).not.toMatch(/opaque-(access|refresh|secret)/);
    expect(out).toContain('"access_token": "[REDACTED]"');
    expect(out).toContain('"expires_in": 3599');
  });

  it('hides Bearer credentials in headers', () => {
    expect(redact('Authorization: Bearer opaque.token-value_1/2+3==')).toBe('Authorization: Bearer [REDACTED]');
    expect(redact('authorization: bearer abc')).toBe('authorization: bearer [REDACTED]');
  });

  it('leaves ordinary text alone', () => {
    const text = 'Listing messages: 42 of ~1200, page 3 (postcode=12345, barcode=998) 日本語 📦';
    expect(redact(text)).toBe(text);
    expect(redact('')).toBe('');
    expect(redact('https://gmail.googleapis.com/gmail/v1/users/me/messages?maxResults=100&q=is%3Aunread')).toBe(
      'https://gmail.googleapis.com/gmail/v1/users/me/messages?maxResults=100&q=is%3Aunread',
    );
  });
});

describe('redact: properties', () => {
  const tokenAlphabet = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./~+'.split(''));
  const realisticSecret = fc.string({ unit: tokenAlphabet, minLength: 6, maxLength: 80 });
  const anySecret = fc.string({ unit: 'binary', minLength: 6, maxLength: 40 });
  const surroundings = fc.string({ unit: 'binary', maxLength: 60 });

  it('a registered token-shaped secret embedded anywhere in arbitrary text never survives', () => {
    fc.assert(
      fc.property(realisticSecret, fc.array(surroundings, { minLength: 2, maxLength: 4 }), (secret, parts) => {
        registerSecret(secret);
        const text = parts.join(secret);
        expect(redact(text)).not.toContain(secret);
      }),
    );
  });

  it('a registered secret of any characters never survives', () => {
    fc.assert(
      fc.property(anySecret, fc.array(surroundings, { minLength: 2, maxLength: 4 }), (secret, parts) => {
        registerSecret(secret);
        expect(redact(parts.join(secret))).not.toContain(secret);
      }),
    );
  });

  it('is idempotent: redacting twice changes nothing more', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 120 }), (text) => {
        const once = redact(text);
        expect(redact(once)).toBe(once);
      }),
    );
  });

  it('an access token after any text and a separator is hidden even unregistered', () => {
    fc.assert(
      fc.property(surroundings, fc.string({ unit: tokenAlphabet, minLength: 1, maxLength: 60 }), (before, tail) => {
        const token = `ya29.${tail.replace(/[~+/]/g, 'x')}`;
        expect(redact(`${before} ${token} done`)).not.toContain(token);
      }),
    );
  });
});
