// Resumable (TUS) uploads through the Proxy with the real tus-js-client. INPUT: { mode, size, chunkMiB }.
//   bulk:   one upload of `size` bytes, then a signed URL for the .NET test to download through the Proxy;
//   resume: the connection drops mid-PATCH, then tus-js-client resumes the same upload from the server's offset;
//   revoke: the user's session is revoked from another device mid-upload; the next chunk must be refused.
import http from 'node:http';
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
    const headers = { cookie: user.jar.header(), origin: env.origin, 'tus-resumable': '1.0.0' };
    const b64 = text => Buffer.from(text).toString('base64');
    // A client creates the upload and starts sending; the connection drops after 40% of the body.
    const created = await fetch(`${env.proxyUrl}/supabase/storage/v1/upload/resumable`, {
      method: 'POST',
      headers: { ...headers, 'upload-length': String(size), 'upload-metadata': `bucketName ${b64('attachments')},objectName ${b64(path)},contentType ${b64('application/octet-stream')}` },
    });
    const location = created.headers.get('location');
    const brokenAt = Math.floor(size * 0.4);
    await new Promise(resolve => {
      const request = http.request(location, {
        method: 'PATCH',
        headers: { ...headers, 'upload-offset': '0', 'content-type': 'application/offset+octet-stream', 'content-length': String(size) },
      });
      request.on('error', () => resolve());
      request.write(bytes.subarray(0, brokenAt), () => setTimeout(() => { request.destroy(); resolve(); }, 300));
    });
    let serverOffset = 0;
    for (let i = 0; i < 20; i++) { // the server notices the broken connection shortly after
      await sleep(100);
      const head = await fetch(location, { method: 'HEAD', headers });
      const offset = Number(head.headers.get('upload-offset'));
      if (offset > 0 && offset === serverOffset) break;
      serverOffset = offset;
    }
    // tus-js-client resumes the same upload URL: HEAD for the offset, then only the missing bytes.
    const { finished, log } = tusUpload({ jar: user.jar, bucket: 'attachments', objectName: path, bytes, chunkSize, uploadUrl: location });
    const url = await finished;
    const patches = log.filter(e => e.method === 'PATCH' && !('status' in e)).map(e => Number(e.offset));
    return {
      url, location, size, brokenAt, serverOffset, createStatus: created.status, patchOffsets: patches, sha256: sha256(bytes),
      downloaded: await downloadHash(user, path), objectExists: await objectExists(path), log,
    };
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
