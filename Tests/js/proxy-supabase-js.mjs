// The official supabase-js, unchanged, against the Proxy: sign-up, sign-in, session, user, RLS-scoped
// reads and writes, refresh and sign-out. Reports what the client stored so the test can try every stored
// value as a credential against Supabase directly.
import { env, gatewayClient, memoryStorage, done, fail } from './lib/gateway-client.mjs';

try {
  const { email, password, otherEmail } = env.input;
  const steps = {};

  const alice = gatewayClient();
  const signUp = await alice.client.auth.signUp({ email, password });
  steps.signUp = { error: signUp.error?.message ?? null, hasSession: !!signUp.data.session, userEmail: signUp.data.user?.email };

  const bob = gatewayClient();
  await bob.client.auth.signUp({ email: otherEmail, password });
  await bob.client.from('notes').insert({ body: 'bob private note' });

  await alice.client.auth.signOut({ scope: 'local' });
  const signIn = await alice.client.auth.signInWithPassword({ email, password });
  steps.signIn = { error: signIn.error?.message ?? null, hasSession: !!signIn.data.session, cookie: alice.jar.header().length > 0 };

  const session = await alice.client.auth.getSession();
  steps.getSession = { email: session.data.session?.user?.email ?? null };
  const user = await alice.client.auth.getUser();
  steps.getUser = { error: user.error?.message ?? null, email: user.data.user?.email ?? null };

  const insertPost = await alice.client.from('posts').insert({ title: 'hello from supabase-js', body: 'via the gateway' }).select().single();
  steps.insertPost = { error: insertPost.error?.message ?? null, owner: insertPost.data?.user_id ?? null };
  const insertNote = await alice.client.from('notes').insert({ body: 'alice private note' }).select();
  steps.insertNote = { error: insertNote.error?.message ?? null };
  const notes = await alice.client.from('notes').select('*');
  steps.selectNotes = { error: notes.error?.message ?? null, bodies: (notes.data ?? []).map(n => n.body) };

  const refreshed = await alice.client.auth.refreshSession();
  steps.refresh = { error: refreshed.error?.message ?? null, hasSession: !!refreshed.data.session };

  // What a browser's localStorage would hold after all this.
  const stored = Object.fromEntries(alice.storage.data);

  // Sign out scopes: others keeps this session, local ends it, global ends every session.
  const second = gatewayClient();
  await second.client.auth.signInWithPassword({ email, password });
  const others = await alice.client.auth.signOut({ scope: 'others' });
  const secondAfterOthers = await second.client.auth.getUser();
  const aliceAfterOthers = await alice.client.auth.getUser();
  steps.signOutOthers = { error: others.error?.message ?? null, otherStillValid: !secondAfterOthers.error, selfStillValid: !aliceAfterOthers.error };

  const third = gatewayClient();
  await third.client.auth.signInWithPassword({ email, password });
  const local = await alice.client.auth.signOut({ scope: 'local' });
  const aliceAfterLocal = await fetch(`${env.proxyUrl}/edge/v1/session`, { headers: { cookie: alice.jar.header() } });
  const thirdAfterLocal = await third.client.auth.getUser();
  steps.signOutLocal = { error: local.error?.message ?? null, selfStatus: aliceAfterLocal.status, otherStillValid: !thirdAfterLocal.error };

  const global = await third.client.auth.signOut({ scope: 'global' });
  const bobStill = await bob.client.auth.getUser();
  const fourth = await fetch(`${env.proxyUrl}/edge/v1/session`, { headers: { cookie: third.jar.header() } });
  steps.signOutGlobal = { error: global.error?.message ?? null, selfStatus: fourth.status, otherUserUnaffected: !bobStill.error };

  done({ steps, stored });
} catch (error) {
  fail(error);
}
