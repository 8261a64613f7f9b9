// Revocation reaches sockets on another Proxy instance: sign in through proxy A, hold a subscribed channel through
// proxy B (same cookie), revoke through A, and measure when B's socket closes.
// INPUT: { email?, cookie?, socketProxyUrl, socketOrigin, revokeProxyUrl?, revokeOrigin?, revokeUrl? }
//   revokeUrl: POST this URL instead of signing out through supabase-js (for tests that own the session store).
import { env, done, fail, CookieJar, browserFetch } from './lib/gateway-client.mjs';
import { realtimeClient, subscribe, sleep, uniqueName } from './realtime-common.mjs';

try {
  const input = env.input;
  const jar = new CookieJar();
  const revokeProxyUrl = input.revokeProxyUrl ?? env.proxyUrl;
  const revokeOrigin = input.revokeOrigin ?? env.origin;
  const signer = await realtimeClient({ email: input.email, cookie: input.cookie, jar, proxyUrl: revokeProxyUrl, origin: revokeOrigin });
  // The socket holder keeps its own copy of the cookie (as a second tab would after the other one signs out),
  // so its reconnect presents the revoked session instead of no session.
  const holderJar = new CookieJar();
  for (const [name, value] of jar.cookies) holderJar.cookies.set(name, value);
  const holder = await realtimeClient({ jar: holderJar, proxyUrl: input.socketProxyUrl, origin: input.socketOrigin });

  const statuses = [];
  const channel = holder.client.channel(uniqueName('revocation'));
  await subscribe(channel, statuses);
  await sleep(300);
  const socket = holder.sockets[0];

  const requestedAt = Date.now();
  let revokeStatus;
  if (input.revokeUrl) {
    revokeStatus = (await browserFetch(jar, { origin: revokeOrigin })(input.revokeUrl, { method: 'POST' })).status;
  } else {
    const { error } = await signer.client.auth.signOut();
    revokeStatus = error ? `error: ${error.message}` : 'signed out';
  }
  const answeredAt = Date.now();

  while (!socket.closed && Date.now() - requestedAt < 5000) await sleep(5);
  const closed = socket.closed;
  // realtime-js reconnects after an unexpected close; with the session gone the Proxy must refuse (401).
  const reconnectDeadline = Date.now() + 4000;
  while (!holder.sockets.slice(1).some(s => s.errors.length || s.closed) && Date.now() < reconnectDeadline) await sleep(20);
  done({
    revokeStatus,
    closeCode: closed?.code ?? null,
    closeReason: closed?.reason ?? null,
    latencyFromRequestMs: closed ? closed.at - requestedAt : null,
    latencyFromAnswerMs: closed ? closed.at - answeredAt : null,
    revokeRequestMs: answeredAt - requestedAt,
    statuses: statuses.map(s => s.status),
    reconnectErrors: holder.sockets.slice(1).flatMap(s => s.errors),
    sockets: holder.sockets,
  });
} catch (error) {
  fail(error);
}
