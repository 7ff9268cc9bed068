/**
 * The consent page in a real browser: Debian's headless Chromium, driven by playwright-core.
 * The CLI opens the URL through GMAILCTL_BROWSER, here a small launcher that hands the URL to
 * this test; the test clicks Allow (or Deny) as a person would, and the browser follows
 * Google's redirect to the CLI's loopback listener.
 */
import { access, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../emulator/index.js';
import { MAX_CONNECTIONS } from '../../src/auth/connection-guard.js';
import { startCli, startFlooder } from '../helpers/background.js';
import { createSandbox, type Sandbox } from '../helpers/sandbox.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = await access(CHROMIUM).then(
  () => true,
  () => false,
);

describe.runIf(hasChromium || process.env.CI === 'true')('the consent page in headless Chromium', () => {
  let emulator: Emulator;
  let browser: Browser;
  let inbox: Server;
  let inboxUrl: string;
  let nextUrl: (url: string) => void = () => undefined;

  beforeAll(async () => {
    emulator = await startEmulator({ accounts: ['ada@example.com', 'grace@example.com'], messages: 3, autoApprove: false });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'],
    });
    // The launcher posts the URL it was given here.
    inbox = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        response.end('ok');
        nextUrl(body);
      });
    });
    await new Promise<void>((resolve) => inbox.listen({ host: '127.0.0.1', port: 0 }, resolve));
    inboxUrl = `http://127.0.0.1:${(inbox.address() as { port: number }).port}/`;
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    inbox?.close();
    await emulator?.close();
  });

  async function withLauncher(s: Sandbox): Promise<Record<string, string>> {
    const launcher = path.join(s.dir, 'launcher.mjs');
    await writeFile(launcher, `await fetch(${JSON.stringify(inboxUrl)}, { method: 'POST', body: process.argv.at(-1) });\n`);
    return { ...s.env, GMAILCTL_BROWSER: `${process.execPath} ${launcher}` };
  }

  async function consentPage(s: Sandbox, args: string[] = []) {
    const opened = new Promise<string>((resolve) => (nextUrl = resolve));
    const run = startCli(['login', '--timeout', '30', ...args], await withLauncher(s), { stdin: 'ignore' });
    // gmailctl hands the browser a local page that forwards to the consent URL: Chromium follows it.
    const argument = await opened;
    const url = /^https?:/.test(argument) ? argument : pathToFileURL(argument).href;
    const page = await browser.newPage();
    await Promise.all([page.waitForURL(/\/o\/oauth2\/v2\/auth\?/), page.goto(url)]);
    return { run, page };
  }

  it('Allow on the consent page completes the login', async () => {
    const s = await createSandbox(emulator);
    try {
      const { run, page } = await consentPage(s, ['--account', 'grace@example.com']);
      // The consent page, with its Allow button, is what the browser shows (not an error page).
      expect(await page.locator('#allow').isVisible()).toBe(true);
      expect(await page.content()).toContain('grace@example.com');
      expect(await page.content()).toMatch(/gmail\.readonly|Read your email/i);
      await Promise.all([page.waitForURL(/^http:\/\/127\.0\.0\.1:\d+\//), page.click('#allow')]);
      expect(await page.textContent('body')).toMatch(/close this window/i);
      const result = await run.child;
      expect(result.exitCode, run.stderr()).toBe(0);
      expect(run.stderr()).toMatch(/Logged in as grace@example\.com/);
      await page.close();
    } finally {
      await s.cleanup();
    }
  });

  // Issue 23 item 4: another local user holding more connections than the listener keeps,
  // each having sent the start of a callback, made it drop the browser's connection instead.
  it('Allow completes the login while another user holds more connections to the listener than it keeps, each with a partial request', async () => {
    const s = await createSandbox(emulator);
    try {
      const { run, page } = await consentPage(s, ['--account', 'grace@example.com']);
      const redirectUri = new URL(new URL(page.url()).searchParams.get('redirect_uri') ?? '');
      const flooder = await startFlooder(redirectUri.port, MAX_CONNECTIONS + 8, `GET ${redirectUri.pathname}?state=`);
      try {
        await new Promise((resolve) => setTimeout(resolve, 1500)); // held, as an attacker's are
        await Promise.all([page.waitForURL(/^http:\/\/127\.0\.0\.1:\d+\//), page.click('#allow')]);
        expect(await page.textContent('body')).toMatch(/close this window/i);
        const result = await run.child;
        expect(result.exitCode, run.stderr()).toBe(0);
        expect(run.stderr()).toMatch(/Logged in as grace@example\.com/);
        expect(run.stderr()).toMatch(/opening many connections to the login listener/);
      } finally {
        await flooder.stop();
        run.child.kill('SIGINT');
        await page.close();
      }
    } finally {
      await s.cleanup();
    }
  });

  it('Deny on the consent page ends the login with exit 1', async () => {
    const s = await createSandbox(emulator);
    try {
      const { run, page } = await consentPage(s);
      await Promise.all([page.waitForURL(/^http:\/\/127\.0\.0\.1:\d+\//), page.click('#deny')]);
      const result = await run.child;
      expect(result.exitCode).toBe(1);
      expect(run.stderr()).toMatch(/Access was denied/);
      await page.close();
    } finally {
      await s.cleanup();
    }
  });
});
