// OAuth (PKCE), email OTP, magic link (token_hash) and the PKCE email link, each driven by the official
// supabase-js against the Proxy, with "browser navigations" followed by hand through the gateway and the
// emulator's fake OAuth provider. INPUT: { flow, email, password, marker }. Prints what each step saw.
import { createClient } from '@supabase/supabase-js';
import WebSocket from 'ws';
import { env, CookieJar, browserFetch, memoryStorage, done, fail } from './lib/gateway-client.mjs';

function browserClient(flowType) {
  const jar = new CookieJar();
  const storage = memoryStorage();
  const client = createClient(`${env.proxyUrl}/supabase`, env.anonKey, {
    auth: { storage, persistSession: true, autoRefreshToken: false, detectSessionInUrl: false, flowType },
    global: { fetch: browserFetch(jar) },
    realtime: { transport: WebSocket }, // Node 20 has no global WebSocket; these flows never open one
  });
  return { client, jar, storage };
}

/**
 * Follows redirects like a browser tab: through the Proxy's /supabase routes and the fake provider, stopping at
 * the first app page (which is what a real browser would then load and hand the code to supabase-js).
 */
async function navigate(jar, url) {
  const hops = [];
  for (let i = 0; i < 8; i++) {
    const target = new URL(url);
    const viaGateway = url.startsWith(env.proxyUrl) && target.pathname.startsWith('/supabase/');
    const atProvider = url.startsWith(env.emulatorUrl) && target.pathname.startsWith('/__emulator/oauth/');
    if (!viaGateway && !atProvider) return { landed: url, hops };
    const started = performance.now();
    const response = await fetch(url, { redirect: 'manual', headers: jar.header() ? { cookie: jar.header() } : {} });
    jar.store(response);
    hops.push({ url: target.origin + target.pathname, status: response.status, ms: Math.round(performance.now() - started) });
    const location = response.headers.get('location');
    if (!location) return { landed: null, hops, status: response.status, body: await response.text() };
    url = new URL(location, url).toString();
  }
  throw new Error('too many redirects');
}

async function edgeSession(jar) {
  const response = await fetch(`${env.proxyUrl}/edge/v1/session`, { headers: { cookie: jar.header() } });
  const body = response.ok ? await response.json() : null;
  return { status: response.status, email: body?.user?.email ?? null, amr: body?.aal ?? null };
}

/** The tokens supabase-js keeps (what localStorage would hold in a browser). */
function storedTokens(storage) {
  const tokens = [];
  for (const value of storage.data.values()) {
    try {
      const parsed = JSON.parse(value);
      for (const field of ['access_token', 'refresh_token', 'provider_token']) {
        if (typeof parsed?.[field] === 'string') tokens.push(parsed[field]);
      }
    } catch { tokens.push(value); }
  }
  return tokens;
}

async function lastMail(email) {
  const response = await fetch(`${env.emulatorUrl}/__emulator/outbox?email=${encodeURIComponent(email)}`);
  const mails = await response.json();
  if (mails.length === 0) throw new Error(`no mail for ${email}`);
  return mails[mails.length - 1];
}

async function signUp(email, password) {
  const other = browserClient('implicit');
  const { error } = await other.client.auth.signUp({ email, password });
  if (error) throw new Error(`signUp: ${error.message}`);
}

const flows = {
  async oauthPkce({ email }) {
    const tab = browserClient('pkce');
    const started = performance.now();
    const { data, error } = await tab.client.auth.signInWithOAuth({
      provider: 'emulator',
      options: { redirectTo: `${env.origin}/auth/callback?next=%2Fnotes`, skipBrowserRedirect: true, queryParams: { login_hint: email } },
    });
    if (error) throw new Error(`signInWithOAuth: ${error.message}`);
    const authorizeUrl = new URL(data.url);
    const nav = await navigate(tab.jar, data.url);
    const code = nav.landed ? new URL(nav.landed).searchParams.get('code') : null;
    const exchange = await tab.client.auth.exchangeCodeForSession(code ?? '');
    const totalMs = Math.round(performance.now() - started);
    return {
      authorize: { origin: authorizeUrl.origin + authorizeUrl.pathname, codeChallengeMethod: authorizeUrl.searchParams.get('code_challenge_method') },
      hops: nav.hops,
      landed: nav.landed,
      exchange: { error: exchange.error?.message ?? null, email: exchange.data?.session?.user?.email ?? null, provider: exchange.data?.session?.user?.app_metadata?.provider ?? null },
      cookie: tab.jar.header().length > 0,
      edge: await edgeSession(tab.jar),
      user: (await tab.client.auth.getUser()).data.user?.email ?? null,
      stored: storedTokens(tab.storage),
      totalMs,
    };
  },

  async openRedirect({ marker, email }) {
    const tab = browserClient('pkce');
    const targets = [
      `https://evil.example/${marker}`,
      `${env.origin}@evil.example/${marker}`,
      `//evil.example/${marker}`,
      `${env.origin.replace('http://', 'http:\\\\')}/${marker}`,
      `javascript:alert('${marker}')`,
    ];
    const results = [];
    for (const redirectTo of targets) {
      const oauth = await tab.client.auth.signInWithOAuth({ provider: 'emulator', options: { redirectTo, skipBrowserRedirect: true } });
      const response = await fetch(oauth.data.url, { redirect: 'manual' });
      const body = await response.json().catch(() => null);
      const otp = await tab.client.auth.signInWithOtp({ email, options: { emailRedirectTo: redirectTo } });
      results.push({
        redirectTo,
        authorize: { status: response.status, code: body?.error_code ?? body?.code ?? null, location: response.headers.get('location') },
        otp: { status: otp.error?.status ?? 200, code: otp.error?.code ?? null },
      });
    }
    return { results };
  },

  async emailOtp({ email }) {
    const tab = browserClient('implicit');
    const sent = await tab.client.auth.signInWithOtp({ email, options: { emailRedirectTo: `${env.origin}/welcome` } });
    if (sent.error) throw new Error(`signInWithOtp: ${sent.error.message}`);
    const mail = await lastMail(email);
    const verified = await tab.client.auth.verifyOtp({ email, token: mail.otp, type: 'email' });
    const replay = await browserClient('implicit').client.auth.verifyOtp({ email, token: mail.otp, type: 'email' });
    return {
      mailRedirectTo: mail.redirectTo,
      verify: { error: verified.error?.message ?? null, email: verified.data?.session?.user?.email ?? null },
      replay: { code: replay.error?.code ?? null },
      edge: await edgeSession(tab.jar),
      stored: storedTokens(tab.storage),
    };
  },

  async magicLinkHash({ email, password }) {
    await signUp(email, password);
    const tab = browserClient('implicit');
    const sent = await tab.client.auth.signInWithOtp({ email, options: { shouldCreateUser: false, emailRedirectTo: `${env.origin}/welcome` } });
    if (sent.error) throw new Error(`signInWithOtp: ${sent.error.message}`);
    const mail = await lastMail(email);
    const verified = await tab.client.auth.verifyOtp({ token_hash: mail.tokenHash, type: mail.type });
    return {
      mailType: mail.type,
      verify: { error: verified.error?.message ?? null, email: verified.data?.session?.user?.email ?? null },
      edge: await edgeSession(tab.jar),
      stored: storedTokens(tab.storage),
    };
  },

  async pkceEmailLink({ email, password, marker }) {
    await signUp(email, password);
    const tab = browserClient('pkce');
    const sent = await tab.client.auth.signInWithOtp({ email, options: { shouldCreateUser: false, emailRedirectTo: `${env.origin}/auth/confirm` } });
    if (sent.error) throw new Error(`signInWithOtp: ${sent.error.message}`);
    const mail = await lastMail(email);
    // A tampered link (redirect_to swapped for a foreign site) is refused by the gateway before GoTrue sees it.
    const tampered = new URL(mail.link);
    tampered.searchParams.set('redirect_to', `https://evil.example/${marker}`);
    const refused = await fetch(tampered, { redirect: 'manual' });
    const nav = await navigate(tab.jar, mail.link);
    const code = nav.landed ? new URL(nav.landed).searchParams.get('code') : null;
    const exchange = await tab.client.auth.exchangeCodeForSession(code ?? '');
    return {
      link: new URL(mail.link).origin + new URL(mail.link).pathname,
      tamperedStatus: refused.status,
      hops: nav.hops,
      landed: nav.landed,
      exchange: { error: exchange.error?.message ?? null, email: exchange.data?.session?.user?.email ?? null },
      edge: await edgeSession(tab.jar),
      stored: storedTokens(tab.storage),
    };
  },
};

try {
  const flow = flows[env.input.flow];
  if (!flow) throw new Error(`unknown flow ${env.input.flow}`);
  done(await flow(env.input));
} catch (error) {
  fail(error);
}
