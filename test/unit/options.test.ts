import { InvalidArgumentError } from 'commander';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAccount, parseMax, parsePort, parseTimeout } from '../../src/commands/options.js';

function refusal(parse: (value: string) => unknown, value: string): InvalidArgumentError {
  let thrown: unknown;
  try {
    parse(value);
  } catch (error) {
    thrown = error;
  }
  expect(thrown, `${JSON.stringify(value)} should be refused`).toBeInstanceOf(InvalidArgumentError);
  return thrown as InvalidArgumentError;
}

describe('--max', () => {
  it('accepts positive whole numbers, with surrounding spaces', () => {
    expect(parseMax('1')).toBe(1);
    expect(parseMax('250')).toBe(250);
    expect(parseMax(' 20 ')).toBe(20);
    expect(parseMax('007')).toBe(7);
    expect(parseMax(String(Number.MAX_SAFE_INTEGER))).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('refuses 0, negatives, fractions, words, exponents and numbers too large to count exactly', () => {
    for (const value of ['0', '-1', '1.5', 'abc', '', ' ', '1e3', '0x10', '+5', '5 6', 'Infinity']) {
      expect(refusal(parseMax, value).message).toBe('Expected a whole number of messages, 1 or more.');
    }
    // A whole number, only too large: the reason says so (issue #12).
    expect(refusal(parseMax, '99999999999999999999').message).toMatch(/^Too large: at most 9007199254740991/);
  });

  it('accepts exactly the decimal integers from 1 to 2^53-1', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 12 }), (value) => {
        const valid = /^\s*\d+\s*$/.test(value) && Number(value) >= 1;
        if (valid) expect(parseMax(value)).toBe(Number(value.trim()));
        else refusal(parseMax, value);
      }),
    );
  });
});

describe('--port', () => {
  it('accepts 1 to 65535, and 0 for any free port', () => {
    expect(parsePort('0')).toBe(0);
    expect(parsePort('1')).toBe(1);
    expect(parsePort('8765')).toBe(8765);
    expect(parsePort('65535')).toBe(65535);
  });

  it('refuses out-of-range, negative, fractional and non-numeric ports', () => {
    for (const value of ['65536', '70000', '-1', '80.5', 'http', '', '1e3']) {
      expect(refusal(parsePort, value).message).toMatch(/port number from 1 to 65535/);
    }
  });

  it('any integer is accepted exactly when it is within 0..65535', () => {
    fc.assert(
      fc.property(fc.integer({ min: -10, max: 200_000 }), (n) => {
        if (n >= 0 && n <= 65535) expect(parsePort(String(n))).toBe(n);
        else refusal(parsePort, String(n));
      }),
    );
  });
});

describe('--timeout', () => {
  it('accepts positive seconds, fractions included, up to a day', () => {
    expect(parseTimeout('300')).toBe(300);
    expect(parseTimeout('0.5')).toBe(0.5);
    expect(parseTimeout(' 30 ')).toBe(30);
    expect(parseTimeout('86400')).toBe(86_400);
  });

  it('refuses zero, negatives, more than a day and anything not a plain number', () => {
    for (const value of ['0', '0.0', '-5', '86400.5', '86401', '1e3', '.5', '5.', 'abc', '', 'Infinity', 'NaN']) {
      expect(refusal(parseTimeout, value).message).toBe('Expected a number of seconds greater than 0 (at most 86400).');
    }
  });
});

describe('--account', () => {
  it('accepts an address and trims it', () => {
    expect(parseAccount('you@gmail.com')).toBe('you@gmail.com');
    expect(parseAccount('  first.last+tag@example.co.uk ')).toBe('first.last+tag@example.co.uk');
  });

  it('refuses what is not shaped like an address', () => {
    for (const value of ['', 'you', '@gmail.com', 'you@', 'a@b@c', 'you @gmail.com', 'you@gm ail.com']) {
      expect(refusal(parseAccount, value).message).toMatch(/email address/);
    }
  });

  it('refuses an address holding a control or bidi character, naming it (issue 23)', () => {
    const cases: Array<[string, string]> = [
      ['eve\u001b]52;c;eA==\u0007@example.com', 'U+001B'],
      ['eve\u0085x@example.com', 'U+0085'],
      ['eve\u009b2J@example.com', 'U+009B'],
      ['eve\u202emoc@example.com', 'U+202E'],
      ['eve\u2066x@example.com', 'U+2066'],
      ['eve\u200fx@example.com', 'U+200F'],
      ['eve\u061cx@example.com', 'U+061C'],
      ['eve\u007fx@example.com', 'U+007F'],
    ];
    for (const [value, character] of cases) {
      expect(refusal(parseAccount, value).message).toContain(`control or bidi character (${character})`);
    }
    // Letters from any script are fine: an internationalised address is not refused for them.
    expect(parseAccount('jürgen@exämple.de')).toBe('jürgen@exämple.de');
  });
});
