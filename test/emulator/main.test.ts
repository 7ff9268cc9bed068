import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
const run = (args: string[]) => execa(process.execPath, ['--import', 'tsx', MAIN, ...args], { reject: false, timeout: 20_000 });

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'emulator-main-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('npm run emulator', () => {
  it('serves, prints the env, writes the client file 0600, and stops cleanly on SIGTERM', async () => {
    const credentials = path.join(dir, 'client.json');
    const child = run(['--port', '0', '--messages', '7', '--accounts', 'a@example.com,b@example.com', '--print-env', '--write-credentials', credentials]);
    const stderrLine = await new Promise<string>((resolve) => {
      let text = '';
      child.stderr!.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        if (text.includes('\n')) resolve(text);
      });
    });
    const url = /http:\/\/127\.0\.0\.1:\d+\//.exec(stderrLine)![0];
    expect(stderrLine).toContain(`GMAILCTL_API_ROOT=${url}`);
    const file = JSON.parse(await readFile(credentials, 'utf8')) as { installed: { token_uri: string } };
    expect(file.installed.token_uri).toBe(`${url}token`);
    expect((await stat(credentials)).mode & 0o777).toBe(0o600);
    expect((await fetch(`${url}__emulator/requests`)).status).toBe(200);
    child.kill('SIGTERM');
    const result = await child;
    expect(result.exitCode).toBe(0);
    // Issue #24: also the token URI (a login from the environment against the emulator) and a
    // config dir, token store and cache dir of its own, beside the client file.
    expect(result.stdout).toBe(
      [
        `export GMAILCTL_API_ROOT=${url}`,
        `export GMAILCTL_TOKEN_URI=${url}token`,
        `export GMAILCTL_CREDENTIALS=${credentials}`,
        `export GMAILCTL_CONFIG_DIR=${path.join(dir, 'config')}`,
        'export GMAILCTL_TOKEN_STORE=file',
        `export GMAILCTL_CACHE_DIR=${path.join(dir, 'cache')}`,
      ].join('\n'),
    );
  });

  // Found trying the packed tarball (issue #24): the README's --port 8085 taken by another
  // emulator printed Node's EADDRINUSE stack trace.
  it('a port in use: one line saying so and what to do, exit 1, no stack trace', async () => {
    const { createServer } = await import('node:net');
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      const result = await run(['--port', String(port), '--messages', '1']);
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toBe(`emulator: port ${port} on 127.0.0.1 is in use (another emulator?). Stop it, or choose another port: --port 0 picks a free one.`);
    } finally {
      taken.close();
    }
  });

  it.each([['--port', 'x'], ['--quota', '1999'], ['--quota-time-scale', '10'], ['--accounts', 'not-an-email'], ['--bogus']])('exits 2 for %s %s', async (...args) => {
    const result = await run(args.filter((arg): arg is string => arg !== undefined));
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/^emulator: .+\nusage:/);
  });
});
