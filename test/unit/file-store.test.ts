import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TokenStoreError } from '../../src/basics/errors.js';
import { redact } from '../../src/basics/redact.js';
import { FileStore } from '../../src/store/file.js';
import { parseLogin, serializeLogin, type StoredLogin } from '../../src/store/token-store.js';

const posix = process.platform !== 'win32';

async function errorOf(promise: Promise<unknown>): Promise<TokenStoreError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TokenStoreError);
  return error as TokenStoreError;
}

describe('FileStore', () => {
  let root: string;
  let dir: string;
  let tokens: string;
  const login: StoredLogin = {
    refresh_token: '1//0gRefreshTokenForTestsOnly-abcdef',
    access_token: 'ya29.accessTokenForTestsOnly',
    expiry_date: 1_900_000_000_000,
    scope: 'https://www.googleapis.com/auth/gmail.readonly',
    token_type: 'Bearer',
    created_at: 1_800_000_000_000,
  };

  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'gmailctl-store-'));
    dir = path.join(root, 'config');
    tokens = path.join(dir, 'tokens.json');
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('stores, reads back and deletes a login, per account', async () => {
    const store = new FileStore(dir);
    expect(store.location).toBe(tokens);
    expect(await store.get('a@example.com')).toBeUndefined();
    await store.set('a@example.com', login);
    await store.set('b@example.com', { refresh_token: '1//0gOtherRefreshToken-xyzxyzxyz' });
    expect(await store.get('a@example.com')).toEqual(login);
    expect(await store.get('b@example.com')).toEqual({ refresh_token: '1//0gOtherRefreshToken-xyzxyzxyz' });
    expect(await store.delete('a@example.com')).toBe(true);
    expect(await store.delete('a@example.com')).toBe(false);
    expect(await store.get('a@example.com')).toBeUndefined();
    expect(await store.get('b@example.com')).toBeDefined();
  });

  it('a later set replaces the earlier login of the same account', async () => {
    const store = new FileStore(dir);
    await store.set('a@example.com', login);
    await store.set('a@example.com', { refresh_token: '1//0gReplacementToken-000000000' });
    expect(await store.get('a@example.com')).toEqual({ refresh_token: '1//0gReplacementToken-000000000' });
  });

  it('deleting from a store that has no file is a no-op', async () => {
    expect(await new FileStore(dir).delete('a@example.com')).toBe(false);
  });

  it.runIf(posix)('creates tokens.json with mode 0600 in a directory of mode 0700', async () => {
    await new FileStore(dir).set('a@example.com', login);
    expect((await stat(tokens)).mode & 0o777).toBe(0o600);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
  });

  it('probe passes for a store that does not exist yet, and creates nothing (set does that)', async () => {
    await new FileStore(dir).probe();
    await expect(stat(dir)).rejects.toThrow();
  });

  it.runIf(posix)('probe passes for a private store', async () => {
    const store = new FileStore(dir);
    await store.set('a@example.com', login);
    await expect(store.probe()).resolves.toBeUndefined();
  });

  it.runIf(posix)('refuses a tokens.json readable by others, naming the file and how to fix it', async () => {
    const store = new FileStore(dir);
    await store.set('a@example.com', login);
    await chmod(tokens, 0o644);
    const attempts = [() => store.get('a@example.com'), () => store.set('b@example.com', login), () => store.delete('a@example.com'), () => store.probe()];
    for (const attempt of attempts) {
      const error = await errorOf(attempt());
      expect(error.message).toContain(tokens);
      expect(error.message).toContain('0644');
      expect(error.hint).toContain(`chmod 600 '${tokens}'`);
    }
    // The loose file was neither changed nor rewritten.
    expect((await stat(tokens)).mode & 0o777).toBe(0o644);
  });

  it.runIf(posix)('refuses a config directory open to others, naming it and how to fix it', async () => {
    const store = new FileStore(dir);
    await store.set('a@example.com', login);
    await chmod(dir, 0o755);
    const error = await errorOf(store.get('a@example.com'));
    expect(error.message).toContain(dir);
    expect(error.message).toContain('directory');
    expect(error.hint).toContain(`chmod 700 '${dir}'`);
  });

  it.runIf(posix)('refuses a loose directory even before tokens.json exists', async () => {
    await mkdir(dir, { mode: 0o755 });
    await chmod(dir, 0o755);
    const error = await errorOf(new FileStore(dir).set('a@example.com', login));
    expect(error.message).toContain(dir);
    await expect(stat(tokens)).rejects.toThrow();
  });

  it('a tokens.json that is not JSON is an error naming the file', async () => {
    await mkdir(dir, { mode: 0o700 });
    await writeFile(tokens, '{"a@example.com": {"refresh_token": ', { mode: 0o600 });
    const error = await errorOf(new FileStore(dir).get('a@example.com'));
    expect(error.message).toContain(tokens);
    expect(error.message).toMatch(/corrupt/);
  });

  it('a tokens.json holding an array or null is an error naming the file', async () => {
    await mkdir(dir, { mode: 0o700 });
    for (const text of ['[]', 'null', '"x"']) {
      await writeFile(tokens, text, { mode: 0o600 });
      const error = await errorOf(new FileStore(dir).get('a@example.com'));
      expect(error.message).toContain(tokens);
    }
  });

  it('a corrupt file is not overwritten by a set (the other logins in it are not lost silently)', async () => {
    await mkdir(dir, { mode: 0o700 });
    await writeFile(tokens, 'garbage', { mode: 0o600 });
    await errorOf(new FileStore(dir).set('a@example.com', login));
    expect(await readFile(tokens, 'utf8')).toBe('garbage');
  });

  it('a garbage entry for one account is an error naming that account; the others still read', async () => {
    await mkdir(dir, { mode: 0o700 });
    await writeFile(
      tokens,
      JSON.stringify({ 'bad@example.com': { access_token: 'no refresh' }, 'good@example.com': { refresh_token: '1//0gGoodRefreshToken-000000000' } }),
      { mode: 0o600 },
    );
    const store = new FileStore(dir);
    const error = await errorOf(store.get('bad@example.com'));
    expect(error.message).toContain('bad@example.com');
    expect(error.message).toContain(tokens);
    expect(error.hint).toContain('gmailctl login --account bad@example.com');
    expect(await store.get('good@example.com')).toEqual({ refresh_token: '1//0gGoodRefreshToken-000000000' });
  });

  it('what it reads is registered for redaction', async () => {
    await mkdir(dir, { mode: 0o700 });
    await writeFile(tokens, JSON.stringify({ 'a@example.com': { refresh_token: 'opaque-refresh-from-disk', access_token: 'opaque-access-from-disk' } }), {
      mode: 0o600,
    });
    await new FileStore(dir).get('a@example.com');
    expect(redact('x opaque-refresh-from-disk y opaque-access-from-disk')).toBe('x [REDACTED] y [REDACTED]');
  });
});

describe('parseLogin', () => {
  it('reads a JSON string or an object', () => {
    expect(parseLogin('{"refresh_token":"rt-value-123"}', 'the keychain', 'a@x')).toEqual({ refresh_token: 'rt-value-123' });
    expect(parseLogin({ refresh_token: 'rt-value-123', expiry_date: 5 }, 'f', 'a@x')).toEqual({ refresh_token: 'rt-value-123', expiry_date: 5 });
  });

  it('round-trips what serializeLogin wrote', () => {
    const login: StoredLogin = {
      refresh_token: 'rt-roundtrip-1',
      access_token: 'at-roundtrip-1',
      expiry_date: 1,
      scope: 's',
      token_type: 'Bearer',
      created_at: 2,
      refresh_expiry_date: 3,
    };
    expect(parseLogin(serializeLogin(login), 'w', 'a@x')).toEqual(login);
  });

  it('drops fields of the wrong type instead of keeping them', () => {
    expect(
      parseLogin(
        {
          refresh_token: 'rt-value-456',
          access_token: '',
          expiry_date: 'soon',
          scope: 3,
          token_type: null,
          created_at: Number.NaN,
          refresh_expiry_date: Number.POSITIVE_INFINITY,
          extra: 'x',
        },
        'w',
        'a@x',
      ),
    ).toEqual({ refresh_token: 'rt-value-456' });
  });

  it('refuses values without a refresh token, naming where and which account', () => {
    for (const value of ['not json', '42', 'null', null, 7, {}, { refresh_token: '' }, { refresh_token: 5 }, '"a string"']) {
      let thrown: unknown;
      try {
        parseLogin(value, 'Secret Service (service gmailctl)', 'who@example.com');
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(TokenStoreError);
      expect((thrown as Error).message).toContain('who@example.com');
      expect((thrown as Error).message).toContain('Secret Service (service gmailctl)');
    }
  });

  it('the error never quotes the stored value (it may be a secret)', () => {
    let thrown: unknown;
    try {
      parseLogin('{"access_token":"opaque-secret-value-789"', 'w', 'a@x');
    } catch (error) {
      thrown = error;
    }
    expect((thrown as Error).message).not.toContain('opaque-secret-value-789');
  });
});
