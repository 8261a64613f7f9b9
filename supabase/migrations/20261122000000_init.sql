-- Schema of the cookie-session gateway and its sample app.
-- Hosted projects: run it in the SQL editor. Local CLI stack: supabase/migrations/ holds the same text split into
-- migrations, applied by `supabase start` / `supabase db reset` (a test checks they concatenate to this file).
--
-- Supabase grants every new table in public to anon, authenticated and service_role; row level security is
-- the real gate. Each table below enables RLS and then narrows those grants to what the app needs, so a
-- missing policy and a missing grant would both have to go wrong before data leaks.

-- Sessions of the gateway, mirrored by the SessionApi with the service role. Users can list only their own.
create table if not exists public.sessions (
  id uuid primary key,                    -- the gateway's public session id (never the cookie value)
  user_id uuid not null references auth.users (id) on delete cascade,
  created_at timestamptz not null default now(),
  last_seen_at timestamptz not null default now(),
  expires_at timestamptz not null,
  ip text,
  user_agent text,
  aal text,
  revoked_at timestamptz
);
create index if not exists sessions_user_id_idx on public.sessions (user_id);
alter table public.sessions enable row level security;
drop policy if exists "sessions: read own" on public.sessions;
create policy "sessions: read own" on public.sessions for select to authenticated using (auth.uid() = user_id);
-- No write policy: only service_role (which bypasses RLS) writes.

-- Sample app: posts everyone can read, written by their authors.
create table if not exists public.posts (
  id bigint generated always as identity primary key,
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  title text not null check (char_length(title) between 1 and 200),
  body text not null default '' check (char_length(body) <= 10000),
  created_at timestamptz not null default now()
);
alter table public.posts enable row level security;
drop policy if exists "posts: read all" on public.posts;
create policy "posts: read all" on public.posts for select to anon, authenticated using (true);
drop policy if exists "posts: insert own" on public.posts;
create policy "posts: insert own" on public.posts for insert to authenticated with check (auth.uid() = user_id);
drop policy if exists "posts: update own" on public.posts;
create policy "posts: update own" on public.posts for update to authenticated using (auth.uid() = user_id) with check (auth.uid() = user_id);
drop policy if exists "posts: delete own" on public.posts;
create policy "posts: delete own" on public.posts for delete to authenticated using (auth.uid() = user_id);

-- Comments on posts: everyone reads, authors write their own.
create table if not exists public.comments (
  id bigint generated always as identity primary key,
  post_id bigint not null references public.posts (id) on delete cascade,
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  body text not null check (char_length(body) between 1 and 5000),
  created_at timestamptz not null default now()
);
create index if not exists comments_post_id_idx on public.comments (post_id);
alter table public.comments enable row level security;
drop policy if exists "comments: read all" on public.comments;
create policy "comments: read all" on public.comments for select to anon, authenticated using (true);
drop policy if exists "comments: insert own" on public.comments;
create policy "comments: insert own" on public.comments for insert to authenticated with check (auth.uid() = user_id);
drop policy if exists "comments: update own" on public.comments;
create policy "comments: update own" on public.comments for update to authenticated using (auth.uid() = user_id) with check (auth.uid() = user_id);
drop policy if exists "comments: delete own" on public.comments;
create policy "comments: delete own" on public.comments for delete to authenticated using (auth.uid() = user_id);

-- Private notes: the server-rendered page reads them with the user's own JWT; RLS shows only their rows.
create table if not exists public.notes (
  id bigint generated always as identity primary key,
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  body text not null check (char_length(body) between 1 and 5000),
  created_at timestamptz not null default now()
);
create index if not exists notes_user_id_idx on public.notes (user_id);
alter table public.notes enable row level security;
drop policy if exists "notes: own only" on public.notes;
create policy "notes: own only" on public.notes for all to authenticated using (auth.uid() = user_id) with check (auth.uid() = user_id);

-- Grants: start from nothing for the API roles, then give each exactly what the policies above expect.
grant usage on schema public to anon, authenticated, service_role;
revoke all on public.sessions, public.posts, public.comments, public.notes from anon, authenticated;
grant select on public.posts, public.comments to anon;
grant select, insert, update, delete on public.posts, public.comments, public.notes to authenticated;
grant select on public.sessions to authenticated;
grant all on public.sessions, public.posts, public.comments, public.notes to service_role;
