import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { describeDenial, interpretCallback, parsePastedRedirect } from '../../src/auth/callback.js';

const STATE = 'q3Zr8yV1mN4-KpL0_aBcDeFgHiJkLmNoPqRsTuVwXyZ';
const params = (query: string): URLSearchParams => new URLSearchParams(query);

describe('interpretCallback', () => {
  it('accepts the code when the state matches exactly', () => {
    expect(interpretCallback(params(`state=${STATE}&code=4/0AbC&scope=x`), STATE)).toEqual({ kind: 'code', code: '4/0AbC' });
  });

  it('refuses a callback without a state, and keeps waiting', () => {
    expect(interpretCallback(params('code=4/0AbC'), STATE)).toMatchObject({ kind: 'rejected', reason: expect.stringMatching(/no state/) });
  });

  it('refuses a wrong state, a state differing only in case, and a prefix of the right state', () => {
    for (const wrong of ['nope', STATE.toLowerCase(), STATE.slice(0, -1), `${STATE}x`, ` ${STATE}`, '']) {
      expect(interpretCallback(params(`state=${encodeURIComponent(wrong)}&code=c`), STATE)).toMatchObject({
        kind: 'rejected',
        reason: expect.stringMatching(/does not match/),
      });
    }
  });

  it('refuses two state parameters even when one of them is right', () => {
    expect(interpretCallback(params(`state=${STATE}&state=other&code=c`), STATE)).toMatchObject({ kind: 'rejected' });
    expect(interpretCallback(params(`state=${STATE}&state=${STATE}&code=c`), STATE)).toMatchObject({ kind: 'rejected' });
  });

  it('refuses the right state without a code, with an empty code, or with two codes', () => {
    for (const q of [`state=${STATE}`, `state=${STATE}&code=`, `state=${STATE}&code=a&code=b`]) {
      expect(interpretCallback(params(q), STATE)).toMatchObject({ kind: 'rejected', reason: expect.stringMatching(/no authorization code/) });
    }
  });

  it('ends the login as denied when Google sends access_denied with the right state', () => {
    expect(interpretCallback(params(`error=access_denied&state=${STATE}`), STATE)).toEqual({
      kind: 'denied',
      error: 'access_denied',
      description: undefined,
    });
    expect(interpretCallback(params(`error=invalid_scope&error_description=Bad+scope&state=${STATE}`), STATE)).toEqual({
      kind: 'denied',
      error: 'invalid_scope',
      description: 'Bad scope',
    });
  });

  it('an error with an empty name still ends the login, as unknown_error', () => {
    expect(interpretCallback(params(`error=&state=${STATE}`), STATE)).toMatchObject({ kind: 'denied', error: 'unknown_error' });
  });

  it('an error with a wrong state cannot end someone else\'s login', () => {
    expect(interpretCallback(params('error=access_denied&state=forged'), STATE)).toMatchObject({ kind: 'rejected' });
    expect(interpretCallback(params('error=access_denied'), STATE)).toMatchObject({ kind: 'rejected' });
  });

  it('an error wins over a code in the same callback', () => {
    expect(interpretCallback(params(`state=${STATE}&code=c&error=access_denied`), STATE)).toMatchObject({ kind: 'denied' });
  });

  const piece = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 30 }),
    fc.constantFrom('state', 'code', 'error', 'error_description', '%', '%zz', '%E2%82', '%00', '+', '&', '=', '#', '?'),
  );
  const rawQuery = fc.array(fc.tuple(piece, piece), { maxLength: 12 }).map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join('&'));
  const encodedQuery = fc
    .array(fc.tuple(fc.constantFrom('state', 'code', 'error', 'scope', 'x'), fc.string({ unit: 'binary', maxLength: 40 })), { maxLength: 8 })
    .map((pairs) => pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&'));
  const longQuery = fc.string({ unit: 'binary', minLength: 1000, maxLength: 4000 });
  const anyQuery = fc.oneof(rawQuery, encodedQuery, longQuery);
  const expectedState = fc.oneof(fc.constant(STATE), fc.string({ unit: 'binary', minLength: 1, maxLength: 64 }));

  it('never throws and never yields a code unless there is exactly one state, equal to the expected one', () => {
    fc.assert(
      fc.property(anyQuery, expectedState, (query, expected) => {
        const p = params(query);
        const outcome = interpretCallback(p, expected);
        if (outcome.kind !== 'rejected') {
          expect(p.getAll('state')).toEqual([expected]);
        }
        if (outcome.kind === 'code') {
          expect(p.getAll('code')).toEqual([outcome.code]);
          expect(outcome.code).not.toBe('');
          expect(p.has('error')).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('with the expected state added to arbitrary other parameters, accepts exactly one non-empty code', () => {
    fc.assert(
      fc.property(encodedQuery, (query) => {
        const p = params(query);
        p.delete('state');
        p.append('state', STATE);
        const outcome = interpretCallback(p, STATE);
        const codes = p.getAll('code');
        if (p.has('error')) expect(outcome.kind).toBe('denied');
        else if (codes.length === 1 && codes[0] !== '') expect(outcome).toEqual({ kind: 'code', code: codes[0] });
        else expect(outcome.kind).toBe('rejected');
      }),
      { numRuns: 200 },
    );
  });
});

describe('parsePastedRedirect', () => {
  const url = `http://127.0.0.1:8765/oauth2callback?state=${STATE}&code=4%2F0AbC&scope=https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fgmail.readonly`;

  it('reads the whole redirected URL', () => {
    const p = parsePastedRedirect(url);
    expect(p?.get('state')).toBe(STATE);
    expect(p?.get('code')).toBe('4/0AbC');
  });

  it('reads a bare query string, with or without the leading "?"', () => {
    expect(parsePastedRedirect(`state=${STATE}&code=abc`)?.get('code')).toBe('abc');
    expect(parsePastedRedirect(`?state=${STATE}&code=abc`)?.get('code')).toBe('abc');
  });

  it('ignores surrounding whitespace, a trailing newline and quotes or angle brackets from copying', () => {
    for (const pasted of [`  ${url}  `, `${url}\r\n`, `\t${url}\n`, `"${url}"`, `'${url}'`, `<${url}>`]) {
      const p = parsePastedRedirect(pasted);
      expect(p?.get('state')).toBe(STATE);
      expect(p?.get('code')).toBe('4/0AbC');
    }
  });

  it('reads a denial pasted back', () => {
    expect(parsePastedRedirect(`http://localhost:1/cb?error=access_denied&state=${STATE}`)?.get('error')).toBe('access_denied');
  });

  it('returns nothing for lines that hold no redirect', () => {
    for (const line of ['', '   ', 'yes', 'http://127.0.0.1:8765/oauth2callback', 'http://127.0.0.1:8765/?', '?', 'foo=bar', 'http://[::1', '"', '<>']) {
      expect(parsePastedRedirect(line)).toBeUndefined();
    }
  });

  it('the pasted URL and the same query string pasted alone mean the same', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom('state', 'code', 'error', 'scope'), fc.string({ unit: 'binary', maxLength: 30 })), {
          minLength: 1,
          maxLength: 5,
        }),
        (pairs) => {
          // A browser's address bar percent-encodes quotes; a trailing raw quote is taken for copy noise.
          const query = pairs.map(([k, v]) => `${k}=${encodeURIComponent(v).replace(/'/g, '%27')}`).join('&');
          const fromUrl = parsePastedRedirect(`http://127.0.0.1:9/oauth2callback?${query}`);
          const fromQuery = parsePastedRedirect(query);
          expect(fromUrl?.toString()).toBe(fromQuery?.toString());
          const direct = new URLSearchParams(query);
          const relevant = direct.has('state') || direct.has('code') || direct.has('error');
          expect(fromUrl?.toString()).toBe(relevant ? direct.toString() : undefined);
        },
      ),
    );
  });

  it('never throws on any line, and what it returns always names a state, code or error', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 300 }),
          fc.string({ unit: 'binary', minLength: 1000, maxLength: 4000 }),
          fc.webUrl({ withQueryParameters: true, withFragments: true }),
          fc.string({ maxLength: 50 }).map((s) => `http://127.0.0.1:1/cb?${s}`),
          fc.string({ maxLength: 50 }).map((s) => `?${s}`),
        ),
        (line) => {
          const p = parsePastedRedirect(line);
          if (p !== undefined) expect(p.has('state') || p.has('code') || p.has('error')).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a pasted line never yields a code for a state other than the expected one', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 40 }), (junk, code) => {
        const line = `http://127.0.0.1:1/oauth2callback?${junk}&code=${encodeURIComponent(code)}`;
        const p = parsePastedRedirect(line);
        if (p === undefined) return;
        const outcome = interpretCallback(p, STATE);
        if (outcome.kind === 'code') expect(p.getAll('state')).toEqual([STATE]);
      }),
    );
  });
});

describe('describeDenial (a message for the terminal, not for a web page)', () => {
  it('says in words what the known errors mean', () => {
    expect(describeDenial('access_denied', undefined)).toBe('Access was denied on the consent page.');
    expect(describeDenial('admin_policy_enforced', undefined)).toMatch(/administrator/);
    expect(describeDenial('invalid_scope', undefined)).toMatch(/scope/);
  });

  it("quotes an unknown error name and adds Google's description in parentheses", () => {
    expect(describeDenial('temporarily_unavailable', 'Try later')).toBe('Google answered the login with the error "temporarily_unavailable". (Try later)');
  });

  it('keeps the description as plain text: it is printed on stderr, never placed in the HTML pages', () => {
    // HTML-escaping here would print "&lt;b&gt;" to the terminal; the pages never receive it.
    expect(describeDenial('access_denied', '<b>no</b> & done')).toBe('Access was denied on the consent page. (<b>no</b> & done)');
  });

  it('never throws, always passes the description on, and lets no control character reach the terminal', () => {
    const printable = (text: string): string => text.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ');
    fc.assert(
      fc.property(fc.string({ maxLength: 100 }), fc.option(fc.string({ maxLength: 200 }), { nil: undefined }), (error, description) => {
        const text = describeDenial(error, description);
        expect(typeof text).toBe('string');
        expect(text).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
        if (description) expect(text).toContain(printable(description));
      }),
    );
  });
});
