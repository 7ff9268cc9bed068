/**
 * gmailctl's cache directory: GMAILCTL_CACHE_DIR, else $XDG_CACHE_HOME/gmailctl (an absolute
 * XDG_CACHE_HOME only, as the XDG spec says: a relative one is ignored), else the platform's
 * cache directory (~/.cache/gmailctl on Linux). Everything in it is safe to lose.
 */
import path from 'node:path';
import envPaths from 'env-paths';

export function resolveCacheDir(env: NodeJS.ProcessEnv): string | undefined {
  if (env.GMAILCTL_CACHE_DIR) return path.resolve(env.GMAILCTL_CACHE_DIR);
  const xdg = env.XDG_CACHE_HOME;
  if (xdg && path.isAbsolute(xdg)) return path.join(xdg, 'gmailctl');
  if (process.platform !== 'darwin' && process.platform !== 'win32' && env.HOME && path.isAbsolute(env.HOME)) {
    return path.join(env.HOME, '.cache', 'gmailctl');
  }
  // With no usable home (HOME empty), env-paths would answer a path under the current directory.
  const platform = envPaths('gmailctl', { suffix: '' }).cache;
  return path.isAbsolute(platform) ? platform : undefined;
}

/**
 * The V8 code cache's own subdirectory (src/entry/code-cache.ts), or none when the login comes from
 * the environment (GMAILCTL_REFRESH_TOKEN or GMAILCTL_ACCESS_TOKEN: CI jobs, containers),
 * where gmailctl leaves no file behind.
 */
export function codeCacheDir(env: NodeJS.ProcessEnv): string | undefined {
  if (env.GMAILCTL_REFRESH_TOKEN || env.GMAILCTL_ACCESS_TOKEN) return undefined;
  const dir = resolveCacheDir(env);
  return dir === undefined ? undefined : path.join(dir, 'code-cache');
}
