#!/usr/bin/env node
// The bare baseline for the benchmarks: plain Node, no dependencies, Node's own fetch.
//   node bare-client.mjs first URL            one request (its status does not matter), then exit
//   node bare-client.mjs pages URL N SIZE     N pages of messages.list, SIZE ids each, one after
//                                             another on one keep-alive connection; prints each
//                                             round trip in ms as JSON. Bearer token: $BENCH_TOKEN.
const [mode, url, n, size] = process.argv.slice(2);
if (mode === 'first') {
  const response = await fetch(url);
  await response.arrayBuffer();
} else if (mode === 'pages') {
  const headers = { authorization: `Bearer ${process.env.BENCH_TOKEN}` };
  const times = [];
  let pageToken = '';
  for (let i = 0; i < Number(n); i++) {
    const target = new URL('gmail/v1/users/me/messages', url);
    target.searchParams.set('maxResults', size);
    if (pageToken) target.searchParams.set('pageToken', pageToken);
    const started = performance.now();
    const response = await fetch(target, { headers });
    const body = await response.json();
    times.push(performance.now() - started);
    if (!response.ok) throw new Error(`messages.list answered ${response.status}`);
    pageToken = body.nextPageToken ?? '';
    if (!pageToken) break;
  }
  process.stdout.write(`${JSON.stringify(times)}\n`);
} else {
  throw new Error(`unknown mode ${mode}`);
}
