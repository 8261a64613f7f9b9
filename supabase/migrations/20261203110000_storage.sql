
-- Storage: note attachments in a private bucket (each user reads and writes only the files under their own user
-- id folder), and a public bucket anyone can read through /storage/v1/object/public/... (written the same way).
-- Objects' paths are "<user id>/<file>"; storage sets owner_id to the uploader's JWT sub.
insert into storage.buckets (id, name, public, file_size_limit, allowed_mime_types)
values ('attachments', 'attachments', false, 10485760, null),
       ('public-files', 'public-files', true, 5242880, array['image/*', 'text/plain', 'application/pdf'])
on conflict (id) do nothing;

drop policy if exists "attachments: read own" on storage.objects;
create policy "attachments: read own" on storage.objects for select to authenticated
  using (bucket_id = 'attachments' and owner_id = (select auth.uid()::text));
drop policy if exists "attachments: upload into own folder" on storage.objects;
create policy "attachments: upload into own folder" on storage.objects for insert to authenticated
  with check (bucket_id = 'attachments' and (storage.foldername(name))[1] = (select auth.uid()::text));
drop policy if exists "attachments: update own" on storage.objects;
create policy "attachments: update own" on storage.objects for update to authenticated
  using (bucket_id = 'attachments' and owner_id = (select auth.uid()::text))
  with check (bucket_id = 'attachments' and (storage.foldername(name))[1] = (select auth.uid()::text));
drop policy if exists "attachments: delete own" on storage.objects;
create policy "attachments: delete own" on storage.objects for delete to authenticated
  using (bucket_id = 'attachments' and owner_id = (select auth.uid()::text));

drop policy if exists "public-files: read all" on storage.objects;
create policy "public-files: read all" on storage.objects for select to anon, authenticated
  using (bucket_id = 'public-files');
drop policy if exists "public-files: upload into own folder" on storage.objects;
create policy "public-files: upload into own folder" on storage.objects for insert to authenticated
  with check (bucket_id = 'public-files' and (storage.foldername(name))[1] = (select auth.uid()::text));
drop policy if exists "public-files: update own" on storage.objects;
create policy "public-files: update own" on storage.objects for update to authenticated
  using (bucket_id = 'public-files' and owner_id = (select auth.uid()::text))
  with check (bucket_id = 'public-files' and (storage.foldername(name))[1] = (select auth.uid()::text));
drop policy if exists "public-files: delete own" on storage.objects;
create policy "public-files: delete own" on storage.objects for delete to authenticated
  using (bucket_id = 'public-files' and owner_id = (select auth.uid()::text));
