// supabase-js through the Proxy, watching the boundary from the browser's side: which response headers
// reach the page (no upstream Set-Cookie, no CORS), which cookies the jar ends up with, and a page that
// tries to send its own Authorization. The .NET test checks the other side in the emulator's request log.
import { createClient } from '@supabase/supabase-js';
import WebSocket from 'ws';
import { env, CookieJar, browserFetch, memoryStorage, done, fail } from './lib/gateway-client.mjs';

try {
  const { email, password } = env.input;
  const jar = new CookieJar();
  const storage = memoryStorage();
  const leakedHeaders = [];
  const inner = browserFetch(jar);
  const watchingFetch = async (input, init) => {
    const response = await inner(input, init);
    for (const [name, value] of response.headers) {
      if (name.startsWith('access-control-')) leakedHeaders.push(`${name}: ${value}`);
    }
    for (const line of response.headers.getSetCookie?.() ?? []) {
      if (!line.startsWith('sb-session=')) leakedHeaders.push(`set-cookie: ${line}`);
    }
    return response;
  };
  const client = createClient(`${env.proxyUrl}/supabase`, env.anonKey, {
    auth: { storage, persistSession: true, autoRefreshToken: false, detectSessionInUrl: false },
    global: { fetch: watchingFetch },
    realtime: { transport: WebSocket }, // Node 20 has no global WebSocket; this script opens no socket
  });

  const signUp = await client.auth.signUp({ email, password });
  if (signUp.error) throw new Error('signUp: ' + signUp.error.message);
  await client.auth.signOut({ scope: 'local' });
  const signIn = await client.auth.signInWithPassword({ email, password });
  const insert = await client.from('notes').insert({ body: 'boundary note' });
  await client.from('notes').select('*');
  await client.auth.getUser();
  await client.auth.refreshSession();

  // A page that sets its own Authorization (e.g. a token an attacker planted): the Proxy must replace it.
  const forged = await watchingFetch(`${env.proxyUrl}/supabase/rest/v1/notes?select=*`, {
    headers: { apikey: env.anonKey, authorization: 'Bearer forged-by-page' },
  });

  done({
    signedIn: !!signIn.data.session,
    insertError: insert.error?.message ?? null,
    forgedStatus: forged.status,
    userId: signIn.data.user?.id ?? null,
    placeholderAccessToken: signIn.data.session?.access_token ?? null,
    leakedHeaders,
    cookieNames: [...jar.cookies.keys()],
  });
} catch (error) {
  fail(error);
}
