// Helpers shared by the realtime-*.mjs scripts: supabase-js clients whose websocket (ws) sends the cookie and
// Origin a browser page would, and records how each socket ended.
import WebSocket from 'ws';
import { env, gatewayClient, CookieJar } from './lib/gateway-client.mjs';

export const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

/** A ws transport that behaves like the page's WebSocket and logs open/close/error of every socket it makes. */
export function recordingTransport(jar, origin, sockets) {
  return class extends WebSocket {
    constructor(url, protocols) {
      super(url, protocols, { headers: { cookie: jar.header(), origin } });
      const record = { url: String(url).replace(/apikey=[^&]+/, 'apikey=…'), openedAt: null, closed: null, errors: [] };
      sockets.push(record);
      this.on('open', () => { record.openedAt = Date.now(); });
      this.on('close', (code, reason) => { record.closed = { code, reason: reason.toString(), at: Date.now() }; });
      this.on('error', error => { record.errors.push(String(error.message)); });
    }
  };
}

/**
 * supabase-js against the Proxy at proxyUrl. Signs up (or in) when an email is given; a raw cookie value can be
 * preset instead (used when a test provides the session itself).
 */
export async function realtimeClient({ email, password = 'correct-horse-battery-staple', cookie, cookieName = 'sb-session',
  vsn, proxyUrl = env.proxyUrl, origin = env.origin, jar = new CookieJar() } = {}) {
  if (cookie) jar.cookies.set(cookieName, cookie);
  const sockets = [];
  const realtime = { transport: recordingTransport(jar, origin, sockets), heartbeatIntervalMs: 5000 };
  if (vsn) realtime.vsn = vsn;
  const { client } = gatewayClient({ jar, proxyUrl, origin, realtime });
  let user = null;
  if (email) {
    let { data, error } = await client.auth.signUp({ email, password });
    if (error || !data.session) ({ data, error } = await client.auth.signInWithPassword({ email, password }));
    if (error) throw new Error(`sign-in of ${email} failed: ${error.message}`);
    user = data.user?.id ?? null;
  }
  return { client, jar, sockets, user };
}

/** Subscribes and resolves once SUBSCRIBED; every status the channel reports afterwards is appended to statuses. */
export function subscribe(channel, statuses, timeoutMs = 10000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`channel ${channel.topic} not subscribed after ${timeoutMs} ms: ${JSON.stringify(statuses)}`)), timeoutMs);
    channel.subscribe((status, error) => {
      statuses.push({ status, at: Date.now(), error: error ? String(error.message ?? error) : undefined });
      if (status === 'SUBSCRIBED') { clearTimeout(timer); resolve(); }
      if (status === 'CHANNEL_ERROR' || status === 'TIMED_OUT') { clearTimeout(timer); reject(new Error(`${status}: ${error?.message ?? ''}`)); }
    });
  });
}

export const uniqueName = prefix => `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
