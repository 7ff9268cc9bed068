/**
 * The HTML Google shows in the browser during sign-in: the consent screen (when auto-approve
 * is off) and the "Error 400: invalid_request" page for a malformed authorization request.
 * Everything interpolated is escaped: client ids, scopes, state and hints come from the URL.
 */

import { escapeHtml } from './html.js';

/** What Google's consent screen says for the scopes a CLI asks for. */
const SCOPE_DESCRIPTIONS: Record<string, string> = {
  'https://www.googleapis.com/auth/gmail.readonly': 'View your email messages and settings',
  'https://www.googleapis.com/auth/gmail.modify': 'Read, compose, and send emails from your Gmail account',
  'https://www.googleapis.com/auth/gmail.metadata': 'View your email message metadata such as labels and headers, but not the email body',
  'https://mail.google.com/': 'Read, compose, send, and permanently delete all your email from Gmail',
  openid: 'Associate you with your personal info on Google',
  email: 'See your primary Google Account email address',
  'https://www.googleapis.com/auth/userinfo.email': 'See your primary Google Account email address',
  profile: 'See your personal info, including any personal info you\u2019ve made publicly available',
  'https://www.googleapis.com/auth/userinfo.profile': 'See your personal info, including any personal info you\u2019ve made publicly available',
};

function page(title: string, content: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:Roboto,Arial,sans-serif;max-width:32rem;margin:3rem auto;color:#202124}li{margin:.4rem 0}button{margin-right:.5rem;padding:.5rem 1.5rem}</style>
</head>
<body>
${content}
</body>
</html>
`;
}

export interface ConsentRequest {
  /** The validated authorization request, re-sent as hidden fields with the decision. */
  fields: Record<string, string>;
  clientId: string;
  accounts: readonly string[];
  selectedAccount: string;
  scopes: string[];
  decisionPath: string;
}

export function consentPage(request: ConsentRequest): string {
  const hidden = Object.entries(request.fields)
    .map(([name, value]) => `  <input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('\n');
  const options = request.accounts
    .map((account) => `<option value="${escapeHtml(account)}"${account === request.selectedAccount ? ' selected' : ''}>${escapeHtml(account)}</option>`)
    .join('');
  const scopes = request.scopes.map((scope) => `<li title="${escapeHtml(scope)}">${escapeHtml(SCOPE_DESCRIPTIONS[scope] ?? scope)}</li>`).join('\n');
  return page(
    'Sign in - Google Accounts',
    `<h1>Sign in with Google</h1>
<p><strong id="app">${escapeHtml(request.clientId)}</strong> wants access to your Google Account</p>
<form method="POST" action="${escapeHtml(request.decisionPath)}">
${hidden}
  <label>Account <select name="account">${options}</select></label>
  <p>This will allow the app to:</p>
  <ul id="scopes">
${scopes}
  </ul>
  <button id="deny" type="submit" name="decision" value="deny">Deny</button>
  <button id="allow" type="submit" name="decision" value="allow">Allow</button>
</form>`,
  );
}

/** Google's error page for a bad authorization request: it never redirects to the client. */
export function authErrorPage(status: number, error: string, detail: string): string {
  return page(
    'Error - Google Accounts',
    `<h1>Access blocked: Authorization Error</h1>
<p id="detail">${escapeHtml(detail)}</p>
<p id="error">Error ${status}: ${escapeHtml(error)}</p>`,
  );
}
