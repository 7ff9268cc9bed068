/**
 * dist/google-libraries.js: the parts of Google's client libraries that gmailctl runs, narrowed
 * at build time (build/google-bundle.mjs) and loaded with a V8 code cache (src/entry/code-cache.ts).
 * The bundle is built here from the installed libraries, into a temporary directory.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build, type Metafile } from 'esbuild';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { googleBundleOptions, NARROWED } from '../../build/google-bundle.mjs';
import { codeCacheDir, resolveCacheDir } from '../../src/basics/cache-dir.js';
import { requireCached, saveCodeCaches } from '../../src/entry/code-cache.js';
import type * as GoogleLibraries from '../../src/libraries/google.js';
import { startEmulator, type Emulator } from '../emulator/index.js';
import { authorize, oauthClientOptions } from '../emulator/test-helpers.js';

let work: string;
let bundle: string;
let inputs: string[];
let emulator: Emulator;

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'gmailctl-google-bundle-'));
  bundle = path.join(work, 'google-libraries.js');
  const result = await build({ ...googleBundleOptions(), outfile: bundle, metafile: true, logLevel: 'silent' });
  inputs = Object.keys((result.metafile as Metafile).inputs);
  emulator = await startEmulator({ messages: 30 });
}, 60_000);

afterAll(async () => {
  await emulator?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

const version = '0.0.0-test';

async function load(dir: string | undefined, file = bundle) {
  const loaded = await requireCached(file, { dir, version });
  return { cache: loaded.cache, libraries: loaded.exports as typeof GoogleLibraries };
}

/** An OAuth2Client of the loaded bundle, logged in to the emulator as the CLI logs in. */
async function logIn(libraries: typeof GoogleLibraries) {
  const auth = new libraries.OAuth2Client(oauthClientOptions(emulator));
  const { code, verifier } = await authorize(emulator);
  const { tokens } = await auth.getToken({ code, codeVerifier: verifier });
  auth.setCredentials(tokens);
  return { auth, tokens, code, verifier };
}

describe('the bundle of Google libraries', () => {
  it('leaves out what gmailctl never runs: GoogleAuth, JWT, gtoken, the metadata server, external accounts, discovery', async () => {
    const left = [
      'google-auth-library/build/src/index.js',
      'google-auth-library/build/src/auth/googleauth.js',
      'google-auth-library/build/src/auth/jwtclient.js',
      'google-auth-library/build/src/gtoken/googleToken.js',
      'google-auth-library/build/src/auth/externalclient.js',
      'gcp-metadata/',
      'googleapis-common/build/src/index.js',
      'googleapis-common/build/src/authplus.js',
      'googleapis-common/build/src/discovery.js',
      '@googleapis/gmail/build/index.js',
    ].filter((module) => inputs.some((input) => input.includes(`node_modules/${module}`)));
    expect(left).toEqual([]);
    // No path of the machine that built it.
    expect(await readFile(bundle, 'utf8')).not.toContain(path.resolve(import.meta.dirname, '../..'));
    // What it runs is there: the OAuth2Client, the Gmail v1 client, gaxios and its fetch.
    for (const module of ['google-auth-library/build/src/auth/oauth2client.js', '@googleapis/gmail/build/v1.js', 'googleapis-common/build/src/apirequest.js', 'gaxios/', 'node-fetch/']) {
      expect(inputs.some((input) => input.includes(`node_modules/${module}`)), module).toBe(true);
    }
  });

  it('narrows only what the installed libraries never use: the Gmail client takes createAPIRequest alone from googleapis-common, which calls its HTTP/2 module only for the http2 option', async () => {
    const gmailClient = await readFile(NARROWED.gmailClient, 'utf8');
    const used = new Set([...gmailClient.matchAll(/googleapis_common_1\.(\w+)/g)].map((match) => match[1]));
    expect([...used]).toEqual(['createAPIRequest']);
    const apiRequest = await readFile(NARROWED.apiRequest, 'utf8');
    const calls = [...apiRequest.matchAll(/\bh2\.(\w+)/g)].map((match) => match[1]);
    expect(calls).toEqual(['request']);
    expect(apiRequest).toMatch(/if \(options\.http2\) \{\n(?:[^\n]*\n){1,6}?\s*return h2\.request\(mooOpts\);/);
    // And gmailctl never asks for HTTP/2.
    const sources = await readdir(path.resolve(import.meta.dirname, '../../src'), { recursive: true });
    for (const file of sources.filter((name) => name.endsWith('.ts'))) {
      expect(await readFile(path.resolve(import.meta.dirname, '../../src', file), 'utf8'), file).not.toMatch(/http2/);
    }
  });

  it('logs in, refreshes and lists messages against the emulator, as the CLI does', async () => {
    const { libraries } = await load(undefined);
    const { auth } = await logIn(libraries);
    const { credentials: refreshed } = await auth.refreshAccessToken();
    expect(refreshed.access_token).toMatch(/^ya29\./);
    const gmail = new libraries.gmail_v1.Gmail({ auth, rootUrl: emulator.url });
    const { data } = await gmail.users.messages.list({ userId: 'me', maxResults: 500, includeSpamTrash: true });
    expect(data.messages?.map((message) => message.id)).toEqual(emulator.mailbox().map((message) => message.id));
    const failure = await gmail.users.messages.get({ userId: 'me', id: 'no-such-message' }).catch((error: unknown) => error);
    expect((failure as { status?: number }).status).toBe(404);
  });
});

describe('the code cache', () => {
  const LOAD_CACHED = path.resolve(import.meta.dirname, '../helpers/load-cached.ts');
  /** One process loading the script as the CLI does: what became of the cache. */
  async function run(dir: string, file = bundle, release = version): Promise<string> {
    const { stdout } = await execa(process.execPath, ['--import', 'tsx', LOAD_CACHED, file, dir, release]);
    return String(stdout).trim();
  }
  const cacheFileIn = async (dir: string) => path.join(dir, (await readdir(dir))[0]!);

  it('is written once the command is done (mode 0600 in a 0700 directory) and used by the next run', async () => {
    const dir = path.join(work, 'first', 'cache', 'code-cache');
    expect(await run(dir)).toBe('missing');
    const [file] = await readdir(dir);
    expect(file).toMatch(/^google-libraries\.js\.\w+\.v8cache$/);
    expect((await stat(path.join(dir, file!))).mode & 0o777).toBe(0o600);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    const written = await readFile(path.join(dir, file!));
    expect(await run(dir)).toBe('used');
    expect(await readdir(dir)).toEqual([file]);
    expect((await readFile(path.join(dir, file!))).equals(written)).toBe(true); // a used cache is not rewritten
  }, 30_000);

  it('is ignored when the script changed, when gmailctl changed, when it is corrupt or truncated, or when V8 refuses it; a fresh one replaces it', async () => {
    const dir = path.join(work, 'stale', 'code-cache');
    await run(dir);
    const cacheFile = await cacheFileIn(dir);
    const good = await readFile(cacheFile);

    const changed = path.join(work, 'changed', 'google-libraries.js');
    await mkdir(path.dirname(changed));
    await writeFile(changed, `${await readFile(bundle, 'utf8')}\n// changed`);
    await writeFile(cacheFile, good);
    expect(await run(dir, changed)).toBe('stale');
    await writeFile(cacheFile, good);
    expect(await run(dir, bundle, '9.9.9')).toBe('stale');

    const corrupt = Buffer.from(good);
    corrupt.fill(0x41, 1024, 4096); // the header is intact, V8's data is not
    await writeFile(cacheFile, corrupt);
    expect(await run(dir)).toBe('corrupt');
    await writeFile(cacheFile, good.subarray(0, good.length - 100));
    expect(await run(dir)).toBe('corrupt');
    await writeFile(cacheFile, 'not a cache');
    expect(await run(dir)).toBe('stale');

    // Intact data made from another script, under this script's header: V8's own check.
    const otherDir = path.join(work, 'other', 'code-cache');
    await run(otherDir, changed);
    const other = await readFile(await cacheFileIn(otherDir));
    await writeFile(cacheFile, Buffer.concat([good.subarray(0, 256), other.subarray(256)]));
    expect(await run(dir)).toBe('rejected');

    expect(await run(dir)).toBe('used'); // the rejected run wrote a fresh one
  }, 120_000);

  it('holds no secret: not the client secret, nor a token the libraries used', async () => {
    const dir = path.join(work, 'secrets', 'code-cache');
    const { libraries } = await load(dir);
    const { auth, tokens, code, verifier } = await logIn(libraries);
    await new libraries.gmail_v1.Gmail({ auth, rootUrl: emulator.url }).users.getProfile({ userId: 'me' });
    await saveCodeCaches();
    const cache = (await readFile(await cacheFileIn(dir))).toString('latin1');
    const issued = emulator.tokens();
    const secrets = [emulator.clientSecret, tokens.access_token!, tokens.refresh_token!, code, verifier, ...issued.accessTokens, ...issued.refreshTokens];
    expect(secrets.length).toBeGreaterThan(4);
    expect(secrets.filter((secret) => cache.includes(secret) || cache.includes(Buffer.from(secret, 'utf16le').toString('latin1')))).toEqual([]);
  });

  it('is neither read nor written without a cache directory, and a directory that cannot be made costs nothing', async () => {
    expect((await load(undefined)).cache).toBe('off');
    const blocker = path.join(work, 'a-file');
    await writeFile(blocker, '');
    expect(await run(path.join(blocker, 'code-cache'))).toBe('missing'); // ENOTDIR on save: nothing written, nothing thrown
    expect(await run(path.join(blocker, 'code-cache'))).toBe('missing');
  }, 30_000);
});

describe('the cache directory', () => {
  const home = '/home/ada';
  it('is GMAILCTL_CACHE_DIR, else an absolute XDG_CACHE_HOME/gmailctl, else ~/.cache/gmailctl', () => {
    expect(resolveCacheDir({ HOME: home, GMAILCTL_CACHE_DIR: '/tmp/c', XDG_CACHE_HOME: '/x' })).toBe('/tmp/c');
    expect(resolveCacheDir({ HOME: home, XDG_CACHE_HOME: '/x' })).toBe('/x/gmailctl');
    expect(resolveCacheDir({ HOME: home, XDG_CACHE_HOME: 'relative/cache' })).toBe(path.join(home, '.cache', 'gmailctl'));
    expect(resolveCacheDir({ HOME: home })).toBe(path.join(home, '.cache', 'gmailctl'));
  });

  it('keeps the code cache in its own code-cache/ subdirectory, and none for a login from the environment (CI writes no file)', () => {
    expect(codeCacheDir({ HOME: home })).toBe(path.join(home, '.cache', 'gmailctl', 'code-cache'));
    expect(codeCacheDir({ HOME: home, GMAILCTL_REFRESH_TOKEN: 'x' })).toBeUndefined();
    expect(codeCacheDir({ HOME: home, GMAILCTL_ACCESS_TOKEN: 'x' })).toBeUndefined();
  });
});
