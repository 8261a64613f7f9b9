-- An emulator for the pg_net extension (not installed in the test PostgreSQL): the same net.http_post signature and
-- request queue; PgNetWorker plays pg_net's background worker and sends queued requests after commit. Skipped
-- where the real pg_net is installed.
do $$
begin
  if exists (select 1 from pg_extension where extname = 'pg_net') then
    return;
  end if;
  create schema if not exists net;
  create table if not exists net.http_request_queue (
    id bigserial primary key,
    method text not null,
    url text not null,
    headers jsonb not null,
    body bytea,
    timeout_milliseconds int not null,
    created timestamptz not null default now()
  );
  create table if not exists net._http_response (
    id bigint primary key,
    status_code int,
    content text,
    error_msg text,
    created timestamptz not null default now()
  );
  create or replace function net.http_post(
    url text,
    body jsonb default '{}'::jsonb,
    params jsonb default '{}'::jsonb,
    headers jsonb default '{"Content-Type": "application/json"}'::jsonb,
    timeout_milliseconds int default 5000
  ) returns bigint language plpgsql as $f$
  declare
    request_id bigint;
  begin
    -- Like pg_net: the body is sent as body::text; params are not modelled.
    insert into net.http_request_queue (method, url, headers, body, timeout_milliseconds)
    values ('POST', url, headers, convert_to(body::text, 'UTF8'), timeout_milliseconds)
    returning id into request_id;
    perform pg_notify('emulator_pg_net', request_id::text); -- delivered on commit, like pg_net's queue
    return request_id;
  end $f$;
end $$;
