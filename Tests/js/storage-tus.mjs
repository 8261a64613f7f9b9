// Resumable (TUS) uploads through the Proxy with the real tus-js-client. INPUT: { mode, size, chunkMiB }.
//   bulk:   one upload of `size` bytes, then a signed URL for the .NET test to download through the Proxy;
//   resume: the connection is broken mid-upload (abort), then the same upload resumes from the server's offset;
//   revoke: the user's session is revoked from another device mid-upload; the next chunk must be refused.
import { env, done, fail } from './lib/gateway-client.mjs';
import { patternBytes, sha256, signedUpUser, tusUpload } from './lib/storage-helpers.mjs';

const { mode, size = 8 * 1024 * 1024, chunkMiB } = env.input;
const chunkSize = chunkMiB ? chunkMiB * 1024 * 1024 : Infinity;
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

/** Whether the object's row exists, asked of Storage directly with the service key (RLS does not hide it). */
async function objectExists(path) {
  const response = await fetch(`${env.emulatorUrl}/storage/v1/object/info/attachments/${path}`, {
    headers: { apikey: env.serviceRoleKey, authorization: `Bearer ${env.serviceRoleKey}` },
  });
  return response.status === 200;
}

async function downloadHash(user, path) {
  const { data, error } = await user.client.storage.from('attachments').download(path);
  return error ? { error: error.message } : { sha256: sha256(Buffer.from(await data.arrayBuffer())), size: data.size };
}

const modes = {
  async bulk() {
    const user = await signedUpUser('bulk');
    const bytes = patternBytes(size, 11);
    const path = `${user.id}/bulk.bin`;
    const started = performance.now();
    const { finished, log } = tusUpload({ jar: user.jar, bucket: 'attachments', objectName: path, bytes, chunkSize });
    const url = await finished;
    const seconds = (performance.now() - started) / 1000;
    const signed = await user.client.storage.from('attachments').createSignedUrl(path, 600);
    return { url, seconds, sha256: sha256(bytes), size, signedUrl: signed.data?.signedUrl ?? null, requests: log.filter(e => e.status).length };
  },

  async resume() {
    const user = await signedUpUser('resume');
    const bytes = patternBytes(size, 23);
    const path = `${user.id}/resumed.bin`;
    let aborted = false;
    let abortedAt = 0;
    const { upload, finished, log } = tusUpload({
      jar: user.jar, bucket: 'attachments', objectName: path, bytes, chunkSize,
      onProgress: (sent, total, current) => {
        if (!aborted && sent > total * 0.4) {
          aborted = true;
          abortedAt = sent;
          current.abort(); // breaks the connection mid-PATCH, like a dropped network
        }
      },
    });
    while (!aborted) await sleep(20);
    await sleep(500);
    const head = await fetch(upload.url, { method: 'HEAD', headers: { cookie: user.jar.header(), 'tus-resumable': '1.0.0' } });
    const serverOffset = Number(head.headers.get('upload-offset'));
    upload.start(); // tus-js-client asks the server for the offset (HEAD) and sends only the rest
    const url = await finished;
    const patches = log.filter(e => e.method === 'PATCH' && !('status' in e)).map(e => Number(e.offset));
    return { url, size, abortedAt, serverOffset, patchOffsets: patches, sha256: sha256(bytes), downloaded: await downloadHash(user, path), objectExists: await objectExists(path), log };
  },

  async revoke() {
    const user = await signedUpUser('revoke');
    const otherDevice = await (async () => {
      const { gatewayClient } = await import('./lib/gateway-client.mjs');
      const device = gatewayClient();
      const { error } = await device.client.auth.signInWithPassword({ email: user.email, password: 'correct-horse-battery' });
      if (error) throw new Error(`second sign-in: ${error.message}`);
      return device;
    })();
    const bytes = patternBytes(size, 31);
    const path = `${user.id}/revoked.bin`;
    let revokedAt = null;
    let revokeStatus = null;
    const { finished, log } = tusUpload({
      jar: user.jar, bucket: 'attachments', objectName: path, bytes, chunkSize, retryDelays: [],
      beforeRequest: async req => {
        const offset = Number(req.getHeader('Upload-Offset') ?? 0);
        if (revokedAt === null && req.getMethod() === 'PATCH' && offset >= size * 0.3) {
          revokedAt = offset;
          // "Sign out other devices" from the second device while this upload is part-way through.
          const response = await fetch(`${env.proxyUrl}/edge/v1/sessions?scope=others`, {
            method: 'DELETE', headers: { cookie: otherDevice.jar.header(), origin: env.origin },
          });
          revokeStatus = response.status;
        }
      },
    });
    let outcome;
    try {
      await finished;
      outcome = { completed: true };
    } catch (error) {
      outcome = { completed: false, status: error.originalResponse?.getStatus?.() ?? null, body: error.originalResponse?.getBody?.() ?? String(error) };
    }
    const acceptedPatches = log.filter(e => e.method === 'PATCH' && e.status === 204).length;
    return { size, revokedAt, revokeStatus, outcome, acceptedPatches, objectExists: await objectExists(path), log };
  },
};

modes[mode]().then(result => done(result)).catch(fail);
