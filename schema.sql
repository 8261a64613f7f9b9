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

-- User changes reach live sessions: after a row of auth.users changes, pg_net posts the Database-Webhooks body
-- {type, table, schema, record, old_record} to the gateway's /edge/v1/hooks/user, signed Standard-Webhooks style
-- (webhook-id, webhook-timestamp, webhook-signature = v1,base64(HMAC-SHA256(secret, "id.timestamp.body"))).
-- Configure it once per project (the URL must be reachable from the database; locally that is
-- http://host.docker.internal:5080), with the same secret as the Proxy's Gateway:UserWebhook:Secret:
--   insert into private.gateway_webhook (url, secret) values ('https://app.example.com/edge/v1/hooks/user', 'whsec_...')
--   on conflict (id) do update set url = excluded.url, secret = excluded.secret;
-- Without a row, or where pg_net is not installed, user changes are not sent and nothing fails.
do $$
begin
  if exists (select 1 from pg_available_extensions where name = 'pg_net') then
    create extension if not exists pg_net;
  end if;
end $$;

create schema if not exists private;
revoke all on schema private from public;
create table if not exists private.gateway_webhook (
  id boolean primary key default true check (id),  -- one row
  url text not null check (url ~ '^https?://'),
  secret text not null check (secret ~ '^whsec_[A-Za-z0-9+/]+={0,2}$')
);
alter table private.gateway_webhook enable row level security;
revoke all on private.gateway_webhook from public;
do $$
begin
  -- The API roles exist on every Supabase project; the secret must never be readable through PostgREST.
  execute 'revoke all on schema private from anon, authenticated, service_role';
  execute 'revoke all on private.gateway_webhook from anon, authenticated, service_role';
exception when undefined_object then null;
end $$;

create or replace function private.notify_gateway_of_user_change() returns trigger
language plpgsql security definer set search_path = extensions, public, pg_temp as $$
declare
  hook private.gateway_webhook;
  hidden constant text[] := array['encrypted_password', 'confirmation_token', 'recovery_token', 'email_change_token_new',
    'email_change_token_current', 'phone_change_token', 'reauthentication_token'];
  ignored constant text[] := array['last_sign_in_at', 'updated_at', 'confirmation_sent_at', 'recovery_sent_at',
    'email_change_sent_at', 'phone_change_sent_at', 'reauthentication_sent_at'];
  message_id text := gen_random_uuid()::text;
  sent_at text := floor(extract(epoch from clock_timestamp()))::bigint::text;
  body jsonb;
begin
  -- Sign-ins and token refreshes touch timestamps only: nothing a live session shows changes.
  if tg_op = 'UPDATE' and (to_jsonb(new) - hidden - ignored) = (to_jsonb(old) - hidden - ignored) then
    return null;
  end if;
  select * into hook from private.gateway_webhook limit 1;
  if hook.url is null or to_regprocedure('net.http_post(text, jsonb, jsonb, jsonb, integer)') is null then
    return null;
  end if;
  body := jsonb_build_object('type', tg_op, 'table', tg_table_name, 'schema', tg_table_schema,
    'record', case when tg_op = 'DELETE' then null else to_jsonb(new) - hidden end,
    'old_record', case when tg_op = 'INSERT' then null else to_jsonb(old) - hidden end);
  begin
    -- pg_net sends body::text; that exact text is what is signed.
    perform net.http_post(
      url := hook.url,
      body := body,
      headers := jsonb_build_object(
        'Content-Type', 'application/json',
        'webhook-id', message_id,
        'webhook-timestamp', sent_at,
        'webhook-signature', 'v1,' || encode(hmac(convert_to(message_id || '.' || sent_at || '.' || body::text, 'UTF8'),
          decode(substr(hook.secret, 7), 'base64'), 'sha256'), 'base64')),
      timeout_milliseconds := 5000);
  exception when others then
    -- A user change must never fail because the gateway cannot be told about it.
    raise warning 'gateway user webhook not queued: %', sqlerrm;
  end;
  return null;
end $$;
revoke all on function private.notify_gateway_of_user_change() from public;

drop trigger if exists gateway_user_changed on auth.users;
create trigger gateway_user_changed after insert or update or delete on auth.users
  for each row execute function private.notify_gateway_of_user_change();

-- Authors on posts and comments: the name the author gave at sign-up (user_metadata.display_name in their JWT),
-- copied onto the row when it is written, so readers see who wrote it without any access to auth.users (emails
-- stay private). Clients cannot choose it: the trigger sets it on insert and keeps it on update. Null when the
-- author gave no name.
alter table public.posts add column if not exists author_name text check (char_length(author_name) <= 100);
alter table public.comments add column if not exists author_name text check (char_length(author_name) <= 100);

create schema if not exists private;
create or replace function private.set_author_name() returns trigger
language plpgsql set search_path = '' as $$
begin
  if tg_op = 'UPDATE' then
    new.author_name := old.author_name;
  else
    new.author_name := nullif(left(btrim(coalesce(auth.jwt() -> 'user_metadata' ->> 'display_name', '')), 100), '');
  end if;
  return new;
end $$;
revoke all on function private.set_author_name() from public;

drop trigger if exists posts_author_name on public.posts;
create trigger posts_author_name before insert or update on public.posts
  for each row execute function private.set_author_name();
drop trigger if exists comments_author_name on public.comments;
create trigger comments_author_name before insert or update on public.comments
  for each row execute function private.set_author_name();
