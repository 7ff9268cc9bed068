/** package.json's version, written into the bundle at build time (esbuild.config.mjs). */
declare const GMAILCTL_VERSION: string;

export function packageVersion(): string {
  return GMAILCTL_VERSION;
}
