// Helpers shared by the storage scripts: signed-up users with their gateway cookie jar, deterministic file
// contents and their SHA-256, and a TUS upload through the Proxy with the real tus-js-client.
import { createHash } from 'node:crypto';
import * as tus from 'tus-js-client';
import { env, gatewayClient } from './gateway-client.mjs';

/** A new user signed up through the Proxy (autoconfirm gives a session): its client, jar and user id. */
export async function signedUpUser(label) {
  const user = gatewayClient();
  const email = `${label}-${Math.random().toString(36).slice(2)}@example.com`;
  const { data, error } = await user.client.auth.signUp({ email, password: 'correct-horse-battery' });
  if (error || !data.session) throw new Error(`signUp ${label}: ${error?.message ?? 'no session'}`);
  return { ...user, email, id: data.user.id };
}

/** Bytes that differ at every offset (so a resumed upload stitched at the wrong place is detected). */
export function patternBytes(size, seed = 7) {
  const bytes = Buffer.allocUnsafe(size);
  let x = seed >>> 0;
  for (let i = 0; i < size; i += 4) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    bytes.writeUInt32LE(x, i <= size - 4 ? i : size - 4);
  }
  return bytes;
}

export const sha256 = bytes => createHash('sha256').update(bytes).digest('hex');

/**
 * Starts a TUS upload through the gateway as the jar's user. Records every request tus-js-client sends (method,
 * Upload-Offset) and every answer (status, Upload-Offset), so the caller can show where a resume started.
 */
export function tusUpload({ jar, bucket, objectName, bytes, chunkSize = Infinity, contentType = 'application/octet-stream', upsert = false,
  onProgress, beforeRequest, uploadUrl, retryDelays = [200, 500, 1000, 2000] }) {
  const log = [];
  let upload;
  const finished = new Promise((resolve, reject) => {
    upload = new tus.Upload(bytes, {
      endpoint: `${env.proxyUrl}/supabase/storage/v1/upload/resumable`,
      uploadUrl, // set: resume an upload created earlier (tus-js-client asks the server for its offset first)
      chunkSize,
      retryDelays,
      removeFingerprintOnSuccess: true,
      storeFingerprintForResuming: false,
      headers: { 'x-upsert': String(upsert), origin: env.origin },
      metadata: { bucketName: bucket, objectName, contentType, cacheControl: '3600' },
      onBeforeRequest: async req => {
        await beforeRequest?.(req);
        // The cookie is read at send time: a revoked or refreshed session shows up on the next request.
        req.setHeader('cookie', jar.header());
        log.push({ method: req.getMethod(), offset: req.getHeader('Upload-Offset') ?? null });
      },
      onAfterResponse: (req, res) => {
        log.push({ method: req.getMethod(), status: res.getStatus(), offset: res.getHeader('Upload-Offset') ?? null, location: res.getHeader('Location') ?? null });
      },
      onProgress: (sent, total) => onProgress?.(sent, total, upload),
      onError: reject,
      onSuccess: () => resolve(upload.url),
    });
  });
  upload.start();
  return { upload, finished, log };
}
