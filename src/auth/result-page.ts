/**
 * The small pages the browser sees after the redirect. They are fixed texts: nothing from
 * the request is ever put on them, so there is nothing to escape and nothing to inject.
 */

export type ResultPageKind = 'success' | 'denied' | 'refused' | 'not-found' | 'already-done';

const TEXTS: Record<ResultPageKind, { title: string; body: string }> = {
  success: {
    title: 'gmailctl is signed in',
    body: 'The authorization reached gmailctl. You can close this window and return to the terminal.',
  },
  denied: {
    title: 'gmailctl was not authorized',
    body: 'The sign-in was cancelled or refused. You can close this window; the terminal says what happened.',
  },
  refused: {
    title: 'Not a valid sign-in response',
    body: 'This request does not belong to the sign-in that gmailctl is waiting for. It was ignored.',
  },
  'not-found': { title: 'Not found', body: 'There is nothing here.' },
  'already-done': {
    title: 'Sign-in already completed',
    body: 'gmailctl has already received an answer for this sign-in. You can close this window.',
  },
};

export function resultPage(kind: ResultPageKind): string {
  const { title, body } = TEXTS[kind];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#202124}</style>
</head><body><h1>${title}</h1><p>${body}</p></body></html>
`;
}
