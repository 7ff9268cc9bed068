/**
 * A read-only npm registry on 127.0.0.1 built from package-lock.json and the local npm
 * cache, so that `npm install -g <tarball>` resolves gmailctl's runtime dependencies
 * exactly as it would from registry.npmjs.org — but offline.
 *
 * Why: `npm install --offline <tarball>` needs each dependency's packument (its list of
 * versions) to resolve the semver ranges in gmailctl's package.json, and `npm ci` only
 * caches tarballs (it installs from the lockfile's URLs), never packuments. So we serve
 * packuments listing the versions the lockfile locked (non-dev entries), with manifests
 * taken from the lockfile, and tarballs read from the npm cache by their integrity hash.
 * Every request is recorded; nothing is fetched from anywhere else.
 */
import { createServer, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';

interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  dev?: boolean;
  optional?: boolean;
  link?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, unknown>;
  bin?: Record<string, string> | string;
  engines?: Record<string, string>;
  os?: string[];
  cpu?: string[];
  libc?: string[];
  license?: string;
  hasInstallScript?: boolean;
}

export interface LocalRegistry {
  url: string;
  /** Every request path, in arrival order. */
  requests: string[];
  /** Requests that could not be answered (404). */
  misses: string[];
  close(): Promise<void>;
}

function cachePathOf(cacheDir: string, integrity: string): string {
  const first = integrity.split(/\s+/)[0] ?? '';
  const dash = first.indexOf('-');
  const algo = first.slice(0, dash);
  const hex = Buffer.from(first.slice(dash + 1), 'base64').toString('hex');
  return path.join(cacheDir, '_cacache', 'content-v2', algo, hex.slice(0, 2), hex.slice(2, 4), hex.slice(4));
}

function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/).map((p) => Number.parseInt(p, 10) || 0);
  const pb = b.split(/[.-]/).map((p) => Number.parseInt(p, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export interface RegistryOptions {
  npmCache?: string;
  /**
   * Dependency specs to rewrite in every served manifest (name → range), to mimic a
   * package.json's top-level `overrides` — which npm applies only in the root project,
   * never for a package installed as a dependency or globally.
   */
  overrides?: Record<string, string>;
  /**
   * Files served as they are (URL path → file): a native addon's prebuilt binary, which its
   * install script downloads from the host named in npm_config_<name>_binary_host.
   */
  files?: Record<string, string>;
}

export async function startLocalRegistry(lockfile: string, options: RegistryOptions = {}): Promise<LocalRegistry> {
  const npmCache = options.npmCache ?? path.join(homedir(), '.npm');
  const override = (deps: Record<string, string> | undefined): Record<string, string> | undefined =>
    deps && Object.fromEntries(Object.entries(deps).map(([name, range]) => [name, options.overrides?.[name] ?? range]));
  const lock = JSON.parse(await readFile(lockfile, 'utf8')) as { packages: Record<string, LockEntry> };
  // name → version → lock entry (runtime entries only: what a user's install can need)
  const byName = new Map<string, Map<string, LockEntry>>();
  for (const [key, entry] of Object.entries(lock.packages)) {
    if (!key || entry.dev || entry.link || !entry.version || !entry.integrity) continue;
    const name = key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length);
    if (!byName.has(name)) byName.set(name, new Map());
    byName.get(name)!.set(entry.version, entry);
  }

  const requests: string[] = [];
  const misses: string[] = [];
  let base = '';
  const tarballs = new Map<string, string>(); // url path → integrity

  const server: Server = createServer((request, response) => {
    void (async () => {
      const urlPath = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
      requests.push(`${request.method} ${urlPath}`);
      const file = options.files?.[urlPath];
      if (file) {
        const body = await readFile(file);
        response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
        response.end(body);
        return;
      }
      const integrity = tarballs.get(urlPath);
      if (integrity) {
        try {
          const body = await readFile(cachePathOf(npmCache, integrity));
          response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
          response.end(body);
          return;
        } catch {
          misses.push(urlPath);
          response.writeHead(404).end();
          return;
        }
      }
      const name = decodeURIComponent(urlPath.slice(1));
      const versions = byName.get(name);
      if (request.method !== 'GET' || !versions) {
        misses.push(urlPath);
        response.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"Not found"}');
        return;
      }
      const manifests: Record<string, unknown> = {};
      for (const [version, entry] of versions) {
        const tarballPath = `/-/tarballs/${encodeURIComponent(name)}/${version}.tgz`;
        tarballs.set(tarballPath, entry.integrity!);
        manifests[version] = {
          name,
          version,
          ...(entry.dependencies ? { dependencies: override(entry.dependencies) } : {}),
          ...(entry.optionalDependencies ? { optionalDependencies: override(entry.optionalDependencies) } : {}),
          ...(entry.peerDependencies ? { peerDependencies: entry.peerDependencies } : {}),
          ...(entry.peerDependenciesMeta ? { peerDependenciesMeta: entry.peerDependenciesMeta } : {}),
          ...(entry.bin ? { bin: entry.bin } : {}),
          ...(entry.engines ? { engines: entry.engines } : {}),
          ...(entry.os ? { os: entry.os } : {}),
          ...(entry.cpu ? { cpu: entry.cpu } : {}),
          ...(entry.libc ? { libc: entry.libc } : {}),
          ...(entry.hasInstallScript ? { hasInstallScript: true } : {}),
          dist: { tarball: `${base}${tarballPath.slice(1)}`, integrity: entry.integrity },
        };
      }
      const latest = [...versions.keys()].sort(compareVersions).at(-1)!;
      const body = JSON.stringify({ name, 'dist-tags': { latest }, versions: manifests });
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(body);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return {
    url: base,
    requests,
    misses,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
