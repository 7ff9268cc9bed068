/**
 * What users get from npm: `npm pack` holds only what runs (bin, compiled dist, package.json,
 * README, LICENSE) — no sources, tests, emulator or source maps — and that tarball, installed
 * globally into a temporary prefix, works: `gmailctl --version`, then login and list against
 * the emulator with the installed binary.
 *
 * Offline install: `npm install -g --offline <tarball>` cannot work from the cache `npm ci`
 * filled, because `npm ci` caches tarballs but not packuments (it never resolves ranges), so
 * npm fails with ENOTCACHED. Instead we point npm at a registry on 127.0.0.1
 * (test/helpers/polish-registry.ts) that serves packuments made from package-lock.json's
 * runtime entries and tarballs read from the npm cache by integrity, with a fresh, empty
 * --cache so that every byte npm installs is seen coming from that local server. npm checks
 * each tarball's integrity, and the registry records every request: nothing leaves 127.0.0.1.
 *
 * better-sqlite3's install script first downloads a prebuilt binary (from GitHub unless
 * npm_config_better_sqlite3_binary_host names another host), else compiles SQLite with
 * node-gyp — minutes on a small machine. Here the local registry serves, as that prebuilt
 * binary, the one `npm ci` compiled from source for this checkout: the install stays on
 * 127.0.0.1 and takes seconds. (`npm ci` on a bare machine is the from-source path.)
 */
import { execa } from 'execa';
import { mkdir, mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../emulator/index.js';
import { startLocalRegistry, type LocalRegistry } from '../helpers/polish-registry.js';
import { createSandbox, ROOT, type Sandbox } from '../helpers/sandbox.js';

const pkg = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  overrides?: Record<string, string>;
};

/** package.json's `overrides`, with `$name` references resolved as npm does. */
const rootOverrides = Object.fromEntries(
  Object.entries(pkg.overrides ?? {})
    .map(([name, spec]) => [name, spec.startsWith('$') ? (pkg.dependencies[spec.slice(1)] ?? pkg.devDependencies[spec.slice(1)]) : spec] as const)
    .filter((entry): entry is readonly [string, string] => typeof entry[1] === 'string'),
);

/** npm's environment for installing from the local registry, prebuilt SQLite binary included. */
function registryEnv(registry: LocalRegistry): Record<string, string> {
  return npmEnv({
    npm_config_proxy: '',
    npm_config_https_proxy: '',
    npm_config_noproxy: '*',
    npm_config_better_sqlite3_binary_host: `${registry.url}prebuilds`,
  });
}

/** The locally compiled better-sqlite3 addon, packed as its install script expects a prebuilt one. */
async function sqlitePrebuild(): Promise<Record<string, string>> {
  const { version } = JSON.parse(await readFile(path.join(ROOT, 'node_modules', 'better-sqlite3', 'package.json'), 'utf8')) as { version: string };
  const file = path.join(work, 'better-sqlite3-prebuild.tar.gz');
  await execa('tar', ['-czf', file, '-C', path.join(ROOT, 'node_modules', 'better-sqlite3'), 'build/Release/better_sqlite3.node']);
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  return { [`/prebuilds/v${version}/${name}`]: file };
}

async function installGlobally(registry: LocalRegistry, prefix: string, cache: string) {
  return execa('npm', ['install', '-g', '--prefix', prefix, '--registry', registry.url, '--cache', cache, '--prefer-online', tarball], {
    cwd: work,
    env: registryEnv(registry),
    extendEnv: false,
    reject: false,
    timeout: 100_000,
  });
}

/** npm's environment: the parent's PATH and HOME, nothing that could point it elsewhere. */
function npmEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/root',
    npm_config_update_notifier: 'false',
    npm_config_fund: 'false',
    npm_config_audit: 'false',
    ...extra,
  };
}

let work: string;
let tarball: string;
let files: string[];

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'gmailctl-pack-'));
  const packed = await execa('npm', ['pack', '--pack-destination', work, '--json'], { cwd: ROOT, env: npmEnv(), extendEnv: false });
  const [info] = JSON.parse(String(packed.stdout)) as Array<{ filename: string; files: Array<{ path: string }> }>;
  tarball = path.join(work, info!.filename);
  // What is really in the tarball, not what npm says it put there.
  const listing = await execa('tar', ['-tzf', tarball]);
  files = String(listing.stdout)
    .split('\n')
    .filter(Boolean)
    .map((entry) => entry.replace(/^package\//, ''))
    .filter((entry) => !entry.endsWith('/'))
    .sort();
}, 60_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('npm pack', () => {
  it('is named after the package and version', () => {
    expect(path.basename(tarball)).toBe(`${pkg.name}-${pkg.version}.tgz`);
  });

  it('holds only bin/gmailctl.js, dist/**/*.js, the published JSON Schemas, package.json, README.md and a licence', () => {
    const unexpected = files.filter(
      (file) =>
        !(
          file === 'bin/gmailctl.js' ||
          file === 'package.json' ||
          file === 'README.md' ||
          /^LICEN[CS]E(\.md|\.txt)?$/i.test(file) ||
          /^dist\/.+\.js$/.test(file) ||
          /^dist\/schemas\/[a-z-]+\.schema\.json$/.test(file)
        ),
    );
    expect(unexpected).toEqual([]);
    expect(files).toContain('bin/gmailctl.js');
    expect(files).toContain('package.json');
    expect(files).toContain('README.md');
    expect(files).toContain('dist/cli.js');
    // Published with the package (issue 27): what `gmailctl schema NAME` prints.
    for (const name of ['list', 'list-threads', 'show', 'thread', 'labels']) expect(files).toContain(`dist/schemas/${name}.schema.json`);
  });

  it('has no tests, sources, emulator, TypeScript or source maps', () => {
    expect(files.filter((file) => /^(test|src)\//.test(file))).toEqual([]);
    expect(files.filter((file) => /emulator/i.test(file))).toEqual([]);
    expect(files.filter((file) => /\.(ts|mts|cts|tsx)$/.test(file) || file.endsWith('.map'))).toEqual([]);
    expect(files.filter((file) => /(^|\/)(tsconfig|vitest\.config|package-lock)/.test(file))).toEqual([]);
  });

  it('holds the entry the bin loads, and no file points at a source map it does not ship', async () => {
    expect(files).toContain('dist/cli.js');
    const unpacked = path.join(work, 'unpacked');
    await mkdir(unpacked);
    await execa('tar', ['-xzf', tarball, '-C', unpacked]);
    const bin = await readFile(path.join(unpacked, 'package', 'bin', 'gmailctl.js'), 'utf8');
    expect(bin.startsWith('#!/usr/bin/env node')).toBe(true);
    for (const file of files.filter((f) => f.endsWith('.js'))) {
      const text = await readFile(path.join(unpacked, 'package', file), 'utf8');
      expect(text, file).not.toMatch(/^\/\/# sourceMappingURL=(?!data:)/m);
    }
  });
});

describe('installed globally from the tarball', () => {
  let registry: LocalRegistry;
  let prefix: string;
  let emulator: Emulator;
  let sandbox: Sandbox;
  let installed: string;

  beforeAll(async () => {
    // The tree the tests ran against: package.json's overrides applied (see the test below
    // for what a user gets without them).
    registry = await startLocalRegistry(path.join(ROOT, 'package-lock.json'), { overrides: rootOverrides, files: await sqlitePrebuild() });
    prefix = path.join(work, 'prefix');
    const result = await installGlobally(registry, prefix, path.join(work, 'npm-cache'));
    if (result.exitCode !== 0) {
      throw new Error(`npm install -g failed (${result.exitCode}):\n${String(result.stderr)}\nregistry misses: ${registry.misses.join(', ')}`);
    }
    installed = path.join(prefix, 'bin', 'gmailctl');
    emulator = await startEmulator({ accounts: ['ada@example.com'], messages: 12 });
    sandbox = await createSandbox(emulator, { cache: true });
  }, 120_000);

  afterAll(async () => {
    await sandbox?.cleanup();
    await emulator?.close();
    await registry?.close();
  });

  it('fetched every dependency from the local registry only, each runtime dependency once', () => {
    // Everything npm asked for went to 127.0.0.1 (the only registry it knew) and was served.
    const packuments = registry.requests.filter((r) => !r.includes('/-/tarballs/')).map((r) => decodeURIComponent(r.replace(/^GET \//, '')));
    for (const dependency of Object.keys(pkg.dependencies)) expect(packuments).toContain(dependency);
    expect(registry.misses.filter((miss) => !/keyring-(?!linux-x64-gnu)/.test(decodeURIComponent(miss)))).toEqual([]);
  });

  it('puts an executable gmailctl on the prefix bin and no dev dependency in the install', async () => {
    expect((await stat(installed)).mode & 0o111).not.toBe(0);
    const root = path.join(prefix, 'lib', 'node_modules', pkg.name);
    const nested = await readdir(path.join(root, 'node_modules')).catch(() => [] as string[]);
    const scoped = (
      await Promise.all(
        nested.filter((n) => n.startsWith('@')).map(async (scope) => (await readdir(path.join(root, 'node_modules', scope))).map((n) => `${scope}/${n}`)),
      )
    ).flat();
    const names = [...nested.filter((n) => !n.startsWith('@') && !n.startsWith('.')), ...scoped];
    for (const dev of Object.keys(pkg.devDependencies)) expect(names).not.toContain(dev);
    for (const dependency of Object.keys(pkg.dependencies)) expect(names).toContain(dependency);
  });

  it('runs through npx from the tarball (npm exec, as `npx gmailctl` does once published)', async () => {
    const result = await execa(
      'npm',
      ['exec', '--yes', '--registry', registry.url, '--cache', path.join(work, 'npx-cache'), '--package', tarball, '--', 'gmailctl', '--version'],
      {
        cwd: work,
        env: registryEnv(registry),
        extendEnv: false,
        reject: false,
        timeout: 100_000,
      },
    );
    expect(result.exitCode, String(result.stderr)).toBe(0);
    expect(String(result.stdout).trim()).toBe(pkg.version);
  }, 120_000);

  it('--version prints the package version', async () => {
    const result = await execa(installed, ['--version'], { env: { PATH: process.env.PATH ?? '' }, extendEnv: false, reject: false });
    expect(result.exitCode, String(result.stderr)).toBe(0);
    expect(String(result.stdout)).toBe(pkg.version);
  });

  it('logs in and lists the mailbox against the emulator', async () => {
    const run = (args: string[]) =>
      execa(installed, args, { env: sandbox.env, extendEnv: false, reject: false, timeout: 60_000, stdin: 'ignore' });
    const login = await run(['login', '--timeout', '20']);
    expect(login.exitCode, String(login.stderr)).toBe(0);
    expect(String(login.stderr)).toMatch(/Logged in as ada@example\.com/);

    const list = await run(['list', '--format', 'tsv']);
    expect(list.exitCode, String(list.stderr)).toBe(0);
    const ids = String(list.stdout)
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split('\t')[0]);
    const visible = emulator.mailbox('ada@example.com').filter((m) => !m.labelIds.includes('SPAM') && !m.labelIds.includes('TRASH'));
    expect(ids.length).toBeGreaterThan(0);
    expect(ids).toEqual(visible.map((m) => m.id));

    const json = await run(['list', '--json', '-n', '3']);
    expect(json.exitCode, String(json.stderr)).toBe(0);
    expect((JSON.parse(String(json.stdout)) as unknown[]).length).toBe(3);

    // The second listing was answered from the message cache: the native SQLite addon loads.
    expect(String(json.stderr)).toBe('');
    expect(await readdir(path.join(sandbox.dir, 'cache'))).toContain('ada%40example.com.cache.sqlite');
    const status = await run(['status', '--json']);
    expect(JSON.parse(String(status.stdout)).accounts[0].cache.messages).toBeGreaterThan(0);
  });
});

describe('what a user installs is what the tests ran against', () => {
  // npm applies package.json's `overrides` only in the root project, never when gmailctl is
  // installed globally or as a dependency. So a user's install must not need them: resolving
  // the runtime dependencies as for a user, from a registry holding exactly the locked
  // versions, must succeed. (It once did not: googleapis-common pinned gaxios 7.1.3 while the
  // overrides forced 7.3.1 for the tests; bundling Google's libraries into dist/ ended that.)
  it('resolves every runtime dependency to a locked version without the root-only overrides', async () => {
    const registry = await startLocalRegistry(path.join(ROOT, 'package-lock.json'), { files: await sqlitePrebuild() });
    try {
      const result = await installGlobally(registry, path.join(work, 'prefix-plain'), path.join(work, 'npm-cache-plain'));
      expect(result.exitCode, String(result.stderr)).toBe(0);
      expect(registry.misses.filter((miss) => !/keyring-(?!linux-x64-gnu)/.test(decodeURIComponent(miss)))).toEqual([]);
    } finally {
      await registry.close();
    }
  }, 120_000);
});
