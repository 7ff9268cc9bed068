import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { CALLBACK_PATH, startLoopbackListener, type LoopbackListener } from '../../src/auth/loopback.js';
import { resultPage, type ResultPageKind } from '../../src/auth/result-page.js';

const KINDS: ResultPageKind[] = ['success', 'denied', 'refused', 'not-found', 'already-done'];
const STATE = 'expected-state-0123456789abcdefghijklmnop';
const MARK = 'MARKER7c1e';

function get(port: number, path: string, host = `127.0.0.1:${port}`, method = 'GET'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers: { host } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('result pages', () => {
  it('each kind is a complete, fixed HTML page with its own title', () => {
    const titles = new Set<string>();
    for (const kind of KINDS) {
      const page = resultPage(kind);
      expect(page).toMatch(/^<!doctype html>/);
      expect(page).toContain('</html>');
      const title = /<title>([^<]*)<\/title>/.exec(page)?.[1];
      expect(title).toBeTruthy();
      titles.add(title as string);
      expect(resultPage(kind)).toBe(page);
    }
    expect(titles.size).toBe(KINDS.length);
  });

  it('no page loads anything from elsewhere (no script, image, link or URL)', () => {
    for (const kind of KINDS) {
      expect(resultPage(kind)).not.toMatch(/<script|<img|<link|src=|href=|https?:\/\//i);
    }
  });
});

describe('what the loopback listener answers never contains a value from the request', () => {
  let listener: LoopbackListener | undefined;
  afterEach(async () => {
    await listener?.close();
    listener = undefined;
  });

  it('for refused, not-found, wrong-method, denied and successful callbacks alike', async () => {
    listener = await startLoopbackListener({ port: 0, expectedState: STATE });
    const port = listener.port;
    const html = encodeURIComponent(`<script>alert("${MARK}")</script>`);
    const answers = [
      await get(port, `/elsewhere-${MARK}?x=${MARK}`),
      await get(port, `${CALLBACK_PATH}?state=wrong-${MARK}&code=${MARK}`),
      await get(port, `${CALLBACK_PATH}?code=${MARK}`),
      await get(port, `${CALLBACK_PATH}?state=${STATE}&code=${MARK}`, `evil-${MARK}.example:${port}`),
      await get(port, `${CALLBACK_PATH}?state=${STATE}&code=${MARK}`, undefined, 'POST'),
      await get(port, `${CALLBACK_PATH}?state=${STATE}&error=access_denied&error_description=${html}`),
      await get(port, `${CALLBACK_PATH}?state=${STATE}&code=${MARK}`),
    ];
    expect(answers.map((a) => a.status)).toEqual([404, 400, 400, 400, 405, 200, 409]);
    for (const { body } of answers) {
      expect(body).not.toContain(MARK);
      expect(body).not.toContain(STATE);
      expect(body).not.toContain('<script');
    }
    await expect(listener.accepted).resolves.toMatchObject({ kind: 'denied', error: 'access_denied' });
  });

  it('the page for an accepted code does not echo the code or the state', async () => {
    listener = await startLoopbackListener({ port: 0, expectedState: STATE });
    const answer = await get(listener.port, `${CALLBACK_PATH}?state=${STATE}&code=${MARK}`);
    expect(answer.status).toBe(200);
    expect(answer.body).toBe(resultPage('success'));
    await expect(listener.accepted).resolves.toEqual({ kind: 'code', code: MARK });
  });
});
