
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
