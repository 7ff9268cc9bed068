#!/usr/bin/env node
// The peer for "metadata without quota": a listing done the way Google's Node.js quickstart
// for Gmail does it — the googleapis meta-package, users.messages.list with the default page
// size, then one users.messages.get after another. Pointed at the emulator (rootUrl), with
// the access token the sandbox's login stored ($BENCH_TOKEN). Prints one JSON line a message.
import { google } from 'googleapis';

const [rootUrl] = process.argv.slice(2);
const auth = new google.auth.OAuth2();
auth.setCredentials({ access_token: process.env.BENCH_TOKEN });
const gmail = google.gmail({ version: 'v1', auth, rootUrl });

let pageToken;
do {
  // includeSpamTrash only so that it lists the same 1,000 messages as gmailctl --include-spam-trash.
  const res = await gmail.users.messages.list({ userId: 'me', includeSpamTrash: true, pageToken });
  for (const { id } of res.data.messages ?? []) {
    const { data } = await gmail.users.messages.get({
      userId: 'me',
      id,
      format: 'metadata',
      metadataHeaders: ['From', 'To', 'Subject', 'Date'],
    });
    const header = (name) => data.payload?.headers?.find((h) => h.name === name)?.value ?? '';
    process.stdout.write(`${JSON.stringify({ id: data.id, from: header('From'), subject: header('Subject'), snippet: data.snippet })}\n`);
  }
  pageToken = res.data.nextPageToken;
} while (pageToken);
