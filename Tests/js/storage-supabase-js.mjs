// supabase-js storage calls through the Proxy (issue 18): two users signed up through the gateway, each call's
// outcome reported for the .NET test to assert. Signed URLs and public URLs are fetched without any cookie.
import { env, done, fail, gatewayClient } from './lib/gateway-client.mjs';
import { signedUpUser } from './lib/storage-helpers.mjs';

const summary = error => (error ? { status: error.status ?? null, statusCode: error.statusCode ?? null, message: error.message } : null);

async function main() {
  const steps = {};
  const alice = await signedUpUser('alice');
  const bob = await signedUpUser('bob');
  const files = alice.client.storage.from('attachments');
  const own = `${alice.id}/notes/hello.txt`;

  let r = await files.upload(own, 'hello from alice', { contentType: 'text/plain', cacheControl: '120' });
  steps.upload = { error: summary(r.error), path: r.data?.path ?? null, fullPath: r.data?.fullPath ?? null, hasId: !!r.data?.id };
  r = await files.upload(own, 'second write', { contentType: 'text/plain' });
  steps.uploadDuplicate = { error: summary(r.error) };
  r = await files.upload(own, 'hello again (upsert)', { contentType: 'text/plain', upsert: true });
  steps.uploadUpsert = { error: summary(r.error) };
  r = await files.update(own, 'hello, updated', { contentType: 'text/plain' });
  steps.update = { error: summary(r.error) };
  r = await files.download(own);
  steps.download = { error: summary(r.error), text: r.data ? await r.data.text() : null, type: r.data?.type ?? null };

  const blobPath = `${alice.id}/blob.bin`;
  r = await files.upload(blobPath, new Blob([new Uint8Array([1, 2, 3, 4, 5])], { type: 'application/octet-stream' }), { cacheControl: '60' });
  steps.uploadBlob = { error: summary(r.error) };
  r = await files.download(blobPath);
  steps.downloadBlob = { error: summary(r.error), bytes: r.data ? [...new Uint8Array(await r.data.arrayBuffer())] : null };

  r = await files.list(alice.id);
  steps.listRoot = { error: summary(r.error), entries: (r.data ?? []).map(e => ({ name: e.name, folder: e.id === null, size: e.metadata?.size ?? null })) };
  r = await files.list(`${alice.id}/notes`);
  steps.listFolder = { error: summary(r.error), names: (r.data ?? []).map(e => e.name) };

  const moved = `${alice.id}/notes/moved.txt`;
  r = await files.move(own, moved);
  steps.move = { error: summary(r.error), message: r.data?.message ?? null };
  r = await files.download(own);
  steps.downloadAfterMove = { error: summary(r.error) };
  const copied = `${alice.id}/copy.txt`;
  r = await files.copy(moved, copied);
  steps.copy = { error: summary(r.error), path: r.data?.path ?? null };
  r = await files.download(copied);
  steps.downloadCopy = { text: r.data ? await r.data.text() : null };

  r = await files.createSignedUrl(moved, 60);
  steps.createSignedUrl = { error: summary(r.error), proxied: r.data?.signedUrl?.startsWith(`${env.proxyUrl}/supabase/storage/v1/object/sign/`) ?? false };
  if (r.data) {
    const url = r.data.signedUrl;
    const plain = await fetch(url); // no cookie, no apikey: the token alone authorizes
    const etag = plain.headers.get('etag');
    const ranged = await fetch(url, { headers: { range: 'bytes=0-4' } });
    const conditional = await fetch(url, { headers: { 'if-none-match': etag ?? '"none"' } });
    const tampered = await fetch(url.replace('moved.txt', 'blob.bin'));
    steps.signedUrlFetch = {
      status: plain.status, text: await plain.text(), cacheControl: plain.headers.get('cache-control'), etag,
      rangeStatus: ranged.status, rangeText: await ranged.text(), contentRange: ranged.headers.get('content-range'),
      conditionalStatus: conditional.status, tamperedStatus: tampered.status, tamperedBody: await tampered.text(),
    };
  }
  r = await files.createSignedUrls([moved, copied, `${alice.id}/missing.txt`], 60);
  steps.createSignedUrls = { error: summary(r.error), items: (r.data ?? []).map(i => ({ path: i.path, ok: !!i.signedUrl, error: i.error })) };

  const signedUploadPath = `${alice.id}/via-signed-url.txt`;
  r = await files.createSignedUploadUrl(signedUploadPath);
  steps.createSignedUploadUrl = { error: summary(r.error), hasToken: !!r.data?.token };
  if (r.data) {
    // Anyone holding the token may upload (here: a client with no session at all).
    const anonymous = gatewayClient().client; // a fresh jar: no cookie
    const up = await anonymous.storage.from('attachments').uploadToSignedUrl(signedUploadPath, r.data.token, 'sent with a signed upload URL', { contentType: 'text/plain' });
    steps.uploadToSignedUrl = { error: summary(up.error), fullPath: up.data?.fullPath ?? null };
    const back = await files.download(signedUploadPath);
    steps.downloadSignedUpload = { text: back.data ? await back.data.text() : null };
    const again = await anonymous.storage.from('attachments').uploadToSignedUrl(signedUploadPath, r.data.token, 'replay', { contentType: 'text/plain' });
    steps.uploadToSignedUrlReplay = { error: summary(again.error) };
  }

  const pub = alice.client.storage.from('public-files');
  const pubPath = `${alice.id}/readme.txt`;
  r = await pub.upload(pubPath, 'public text', { contentType: 'text/plain' });
  steps.uploadPublic = { error: summary(r.error) };
  const publicUrl = pub.getPublicUrl(pubPath).data.publicUrl;
  const publicFetch = await fetch(publicUrl);
  steps.getPublicUrl = { proxied: publicUrl.startsWith(`${env.proxyUrl}/supabase/storage/v1/object/public/`), status: publicFetch.status, text: await publicFetch.text() };
  r = await pub.upload(`${alice.id}/page.html`, '<script>alert(1)</script>', { contentType: 'text/html' });
  steps.uploadDisallowedType = { error: summary(r.error) };
  const privateAsPublic = await fetch(alice.client.storage.from('attachments').getPublicUrl(moved).data.publicUrl);
  steps.privateBucketPublicUrl = { status: privateAsPublic.status, body: await privateAsPublic.text() };

  // Bob against Alice's files: every refusal comes from RLS on storage.objects with Bob's minted JWT.
  const bobFiles = bob.client.storage.from('attachments');
  r = await bobFiles.download(moved);
  steps.bobDownload = { error: summary(r.error) };
  r = await bobFiles.upload(`${alice.id}/planted.txt`, 'from bob', { contentType: 'text/plain' });
  steps.bobUploadIntoAlice = { error: summary(r.error) };
  r = await bobFiles.upload(moved, 'overwrite by bob', { contentType: 'text/plain', upsert: true });
  steps.bobUpsertAlice = { error: summary(r.error) };
  r = await bobFiles.remove([moved]);
  steps.bobRemove = { error: summary(r.error), removed: r.data?.length ?? null };
  r = await bobFiles.move(moved, `${bob.id}/stolen.txt`);
  steps.bobMove = { error: summary(r.error) };
  r = await bobFiles.copy(moved, `${bob.id}/stolen.txt`);
  steps.bobCopy = { error: summary(r.error) };
  r = await bobFiles.createSignedUrl(moved, 60);
  steps.bobSignedUrl = { error: summary(r.error) };
  r = await bobFiles.list(alice.id);
  steps.bobList = { error: summary(r.error), count: r.data?.length ?? null };
  r = await bobFiles.upload(`${bob.id}/mine.txt`, 'bob own', { contentType: 'text/plain' });
  steps.bobOwnUpload = { error: summary(r.error) };
  r = await files.download(moved);
  steps.aliceStillHas = { text: r.data ? await r.data.text() : null };

  r = await files.upload(`${alice.id}/too-big.bin`, new Uint8Array(10 * 1024 * 1024 + 1), { contentType: 'application/octet-stream' });
  steps.uploadOverBucketLimit = { error: summary(r.error) };

  r = await alice.client.storage.listBuckets();
  steps.listBuckets = { error: summary(r.error), count: r.data?.length ?? null };

  r = await files.remove([moved, copied, blobPath]);
  steps.remove = { error: summary(r.error), removed: (r.data ?? []).map(o => o.name).sort() };
  r = await files.download(moved);
  steps.downloadAfterRemove = { error: summary(r.error) };

  done({ steps, users: { alice: alice.id, bob: bob.id } });
}

main().catch(fail);
