// Shared helpers for the Node scripts the .NET tests run: the official supabase-js client pointed at the
// Proxy, with a browser-like cookie jar (the gateway's session lives only in an HttpOnly cookie).
import { createClient } from '@supabase/supabase-js';
import WebSocket from 'ws';

export const env = {
  proxyUrl: process.env.PROXY_URL,
  emulatorUrl: process.env.EMULATOR_URL,
  origin: process.env.PUBLIC_ORIGIN,
  anonKey: process.env.ANON_KEY,
  serviceRoleKey: process.env.SERVICE_ROLE_KEY,
  input: JSON.parse(process.env.INPUT || '{}'),
};

/** A minimal cookie jar: enough for one origin, like a browser tab. */
export class CookieJar {
  constructor() { this.cookies = new Map(); }
  store(response) {
    for (const line of response.headers.getSetCookie?.() ?? []) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attrs.some(a => /^\s*max-age=0\s*$/i.test(a)) ||
        attrs.some(a => /^\s*expires=/i.test(a) && Date.parse(a.split('=')[1]) < Date.now());
      if (expired || value === '') this.cookies.delete(name); else this.cookies.set(name, value);
    }
  }
  header() { return [...this.cookies].map(([n, v]) => `${n}=${v}`).join('; '); }
}

/**
 * A fetch that behaves like a same-origin browser page: sends the jar's cookies and the page Origin,
 * and stores Set-Cookie answers. Records every request so scripts can report what they sent.
 */
export function browserFetch(jar, { origin = env.origin, log } = {}) {
  return async (input, init = {}) => {
    const request = new Request(input, init);
    const headers = new Headers(request.headers);
    const cookie = jar.header();
    if (cookie) headers.set('cookie', cookie);
    if (origin && !['GET', 'HEAD'].includes(request.method)) headers.set('origin', origin);
    const response = await fetch(new Request(request, { headers, redirect: 'manual' }));
    jar.store(response);
    log?.push({ method: request.method, url: request.url, status: response.status });
    return response;
  };
}

/** In-memory storage so the test can dump exactly what supabase-js kept (what a browser's localStorage would hold). */
export function memoryStorage() {
  const data = new Map();
  return {
    data,
    getItem: key => (data.has(key) ? data.get(key) : null),
    setItem: (key, value) => { data.set(key, value); },
    removeItem: key => { data.delete(key); },
  };
}

/** supabase-js pointed at <proxy>/supabase, exactly as an app would configure it. */
export function gatewayClient({ jar = new CookieJar(), storage = memoryStorage(), realtime = {}, origin = env.origin, proxyUrl = env.proxyUrl } = {}) {
  const client = createClient(`${proxyUrl}/supabase`, env.anonKey, {
    auth: { storage, persistSession: true, autoRefreshToken: false, detectSessionInUrl: false },
    global: { fetch: browserFetch(jar, { origin }) },
    realtime: {
      // Node has no browser WebSocket with cookies: ws lets us send the cookie and Origin a browser would.
      transport: class extends WebSocket {
        constructor(url, protocols) {
          super(url, protocols, { headers: { cookie: jar.header(), origin } });
        }
      },
      ...realtime,
    },
  });
  return { client, jar, storage };
}

/** Prints the script's result as the last stdout line (NodeScript parses it) and exits. */
export function done(result, code = 0) {
  process.stdout.write('\n' + JSON.stringify(result) + '\n');
  process.exit(code);
}

export function fail(error) {
  done({ error: String(error?.stack || error) }, 1);
}
