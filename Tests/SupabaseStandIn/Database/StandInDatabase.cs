using Npgsql;
using TestSupport;

namespace SupabaseStandIn.Database;

/// <summary>
/// The database: a faithful miniature of Supabase's auth schema (users, sessions, refresh tokens, auth.uid()/
/// auth.jwt() reading PostgREST's GUCs, roles anon/authenticated/service_role) with the repo's schema.sql on top.
/// </summary>
public sealed class StandInDatabase(NpgsqlDataSource dataSource)
{
    public NpgsqlDataSource DataSource { get; } = dataSource;

    private const string AuthSchema = """
        create extension if not exists pgcrypto;
        do $$ begin
          if not exists (select 1 from pg_roles where rolname = 'anon') then create role anon nologin noinherit; end if;
          if not exists (select 1 from pg_roles where rolname = 'authenticated') then create role authenticated nologin noinherit; end if;
          if not exists (select 1 from pg_roles where rolname = 'service_role') then create role service_role nologin noinherit bypassrls; end if;
        end $$;
        create schema if not exists auth;
        create table if not exists auth.users (
          id uuid primary key default gen_random_uuid(),
          aud text not null default 'authenticated',
          role text not null default 'authenticated',
          email text unique,
          encrypted_password text,
          email_confirmed_at timestamptz,
          confirmation_sent_at timestamptz,
          phone text,
          raw_app_meta_data jsonb not null default '{"provider":"email","providers":["email"]}',
          raw_user_meta_data jsonb not null default '{}',
          banned_until timestamptz,
          deleted_at timestamptz,
          is_anonymous boolean not null default false,
          last_sign_in_at timestamptz,
          created_at timestamptz not null default now(),
          updated_at timestamptz not null default now()
        );
        create table if not exists auth.sessions (
          id uuid primary key default gen_random_uuid(),
          user_id uuid not null references auth.users (id) on delete cascade,
          aal text not null default 'aal1',
          amr jsonb not null default '[]',
          created_at timestamptz not null default now(),
          refreshed_at timestamptz
        );
        create table if not exists auth.refresh_tokens (
          id bigserial primary key,
          token text not null unique,
          session_id uuid not null references auth.sessions (id) on delete cascade,
          parent text,
          revoked boolean not null default false,
          created_at timestamptz not null default now(),
          updated_at timestamptz not null default now()
        );
        create or replace function auth.uid() returns uuid language sql stable as $f$
          select coalesce(nullif(current_setting('request.jwt.claim.sub', true), ''),
                          (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub'))::uuid
        $f$;
        create or replace function auth.role() returns text language sql stable as $f$
          select coalesce(nullif(current_setting('request.jwt.claim.role', true), ''),
                          (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role'))::text
        $f$;
        create or replace function auth.jwt() returns jsonb language sql stable as $f$
          select coalesce(nullif(current_setting('request.jwt.claims', true), ''), '{}')::jsonb
        $f$;
        grant usage on schema auth to anon, authenticated, service_role;
        grant execute on function auth.uid(), auth.role(), auth.jwt() to anon, authenticated, service_role;
        grant usage on schema public to anon, authenticated, service_role;
        """;

    public async Task InitializeAsync(string schemaPath, CancellationToken ct)
    {
        await using var connection = await DataSource.OpenConnectionAsync(ct);
        await using (var command = new NpgsqlCommand(AuthSchema, connection))
        {
            await command.ExecuteNonQueryAsync(ct);
        }
        await using (var command = new NpgsqlCommand(await File.ReadAllTextAsync(schemaPath, ct), connection))
        {
            await command.ExecuteNonQueryAsync(ct);
        }
    }

    public static string DefaultSchemaPath => Path.Combine(RepoPaths.Root, "schema.sql");
}
