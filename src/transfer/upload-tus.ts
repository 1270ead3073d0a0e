// One tus 1.0 upload attempt: create the upload (POST, Upload-Length) and persist its URL at once,
// or ask the server where an earlier one stands (HEAD, Upload-Offset); then PATCH from that offset.
// Invariant: progress reported to the caller on retry/abort is the last offset the SERVER confirmed,
// and an upload is only continued for the same source file (dev:ino:size:mtime) it was created for.
// The Location is held to the redirect rules (origin-rules.ts); credentials stay with the client's origin.
import path from 'node:path';
import type { HttpJob } from '../model/job.js';
import { FerryError } from '../errors.js';
import type { AttemptCallbacks, AttemptResult, RunContext } from './attempt.js';
import type { AttemptControl } from './attempt-control.js';
import { failureFromError, failureFromStatus, withBytes, type Failure } from './classify-failure.js';
import { followRedirects, type HopRequest } from './follow-redirects.js';
import { checkNextPlace, crossOriginHeaders } from './origin-rules.js';
import { baseHeaders, headerOf } from './request-headers.js';
import { sourceHops, withSource, type Source } from './upload-source.js';

const TUS_VERSION = '1.0.0';
// The upload is gone (expired, deleted, or never ours): start a new one.
const GONE = new Set([403, 404, 410]);

class Stop {
  constructor(readonly failure: Failure) {}
}

export async function runTusUpload(t: HttpJob, ctx: RunContext, ctl: AttemptControl, cb: AttemptCallbacks): Promise<AttemptResult> {
  return withSource(t, ctx, ctl, (src) => upload(t, ctx, ctl, cb, src));
}

async function upload(t: HttpJob, ctx: RunContext, ctl: AttemptControl, cb: AttemptCallbacks, src: Source): Promise<AttemptResult> {
  const { size } = src;
  let confirmed = 0;
  const creation = new URL(t.url);
  const rules = { allowPrivate: ctx.transfers.allowPrivateRedirects };
  const send = async (url: string, req: HopRequest) => {
    const base = baseHeaders(t, ctx.transfers);
    const own = new URL(url).origin === creation.origin ? base : crossOriginHeaders(base);
    const headers = { ...own, ...req.headers, 'tus-resumable': TUS_VERSION };
    const res = await followRedirects(ctx.send, url, { ...req, headers }, { maxRedirects: ctx.transfers.maxRedirects, signal: ctl.signal, allowPrivate: rules.allowPrivate });
    await res.body.dump().catch(() => undefined);
    ctl.touch();
    return res;
  };
  try {
    // An upload made for another version of the file (rewritten, even at the same size) is not continued.
    let uploadUrl = t.resume.tusUrl !== undefined && t.resume.tusSource === src.identity ? t.resume.tusUrl : null;
    if (uploadUrl !== null) {
      await checkNextPlace(creation, creation, new URL(uploadUrl), rules, 'tus Location');
      const res = await send(uploadUrl, { method: 'HEAD', headers: {} });
      const offset = Number(headerOf(res.headers, 'upload-offset'));
      const length = headerOf(res.headers, 'upload-length');
      if (GONE.has(res.statusCode)) uploadUrl = null;
      else if (res.statusCode < 200 || res.statusCode >= 300) throw new Stop(failureFromStatus(res.statusCode, res.headers, ctx.now()));
      // A different Upload-Length means the local file changed since: never splice two versions.
      else if (!Number.isInteger(offset) || offset < 0 || offset > size || (length !== undefined && Number(length) !== size)) uploadUrl = null;
      else confirmed = offset;
    }
    if (uploadUrl === null) {
      const meta = `filename ${Buffer.from(path.basename(ctx.abs)).toString('base64')}`;
      const res = await send(t.url, { method: 'POST', headers: { 'upload-length': String(size), 'upload-metadata': meta } });
      const location = headerOf(res.headers, 'location');
      if (res.statusCode !== 201 || location === undefined) {
        if (res.statusCode >= 200 && res.statusCode < 300) throw new Stop({ outcome: 'failed', error: new FerryError('PROTOCOL_ERROR', `tus creation answered ${res.statusCode} without a Location`) });
        throw new Stop(failureFromStatus(res.statusCode, res.headers, ctx.now()));
      }
      const at = new URL(location, res.url);
      // The upload lives where it was created: a Location elsewhere would get the file (and, before
      // this check, the client's credentials) without the client ever naming that origin.
      if (at.origin !== creation.origin && at.origin !== res.url.origin) {
        throw new FerryError('INSECURE_REDIRECT', `refused a tus Location on another origin (${at.origin})`);
      }
      await checkNextPlace(creation, res.url, at, rules, 'tus Location');
      uploadUrl = at.href;
      confirmed = 0;
      cb.onResumeState({ etag: undefined, lastModified: undefined, tusUrl: uploadUrl, tusSource: src.identity });
    }
    cb.onProgress(confirmed, size);
    while (confirmed < size) {
      const hops = sourceHops(src, confirmed, ctx, ctl, (b, total) => cb.onProgress(b, total));
      const res = await send(uploadUrl, {
        method: 'PATCH',
        headers: {
          'content-type': 'application/offset+octet-stream',
          'upload-offset': String(confirmed),
        },
        body: hops.body,
      });
      // The server's Upload-Offset says what it kept; waiting for the writer keeps a late completion (sendfile
      // on the thread pool) from reporting progress after the PATCH, or the attempt, is over.
      await hops.written();
      if (GONE.has(res.statusCode)) {
        cb.onResumeState({ tusUrl: undefined });
        throw new Stop({ outcome: 'retry', error: new FerryError('PROTOCOL_ERROR', `the tus upload disappeared (HTTP ${res.statusCode}); it will be created anew`), retryAfterMs: null });
      }
      if (res.statusCode === 409) {
        throw new Stop({ outcome: 'retry', error: new FerryError('PROTOCOL_ERROR', 'tus offset conflict; the next attempt asks the server for its offset'), retryAfterMs: null });
      }
      if (res.statusCode < 200 || res.statusCode >= 300) throw new Stop(failureFromStatus(res.statusCode, res.headers, ctx.now()));
      const next = Number(headerOf(res.headers, 'upload-offset'));
      if (!Number.isInteger(next) || next <= confirmed || next > size) {
        throw new Stop({ outcome: 'retry', error: new FerryError('PROTOCOL_ERROR', `tus PATCH answered an unusable Upload-Offset`), retryAfterMs: null });
      }
      confirmed = next;
    }
    return { outcome: 'completed', bytesTransferred: size, totalBytes: size };
  } catch (e) {
    if (e instanceof Stop) return withBytes(e.failure, confirmed);
    const why = ctl.stopReason();
    if (why === 'external') return { outcome: 'aborted', bytesTransferred: confirmed };
    if (why === 'no-progress') {
      return { outcome: 'retry', error: new FerryError('NO_PROGRESS', 'no byte sent or answered within the no-progress timeout', { cause: e }), retryAfterMs: null, bytesTransferred: confirmed };
    }
    return withBytes(failureFromError(e), confirmed);
  }
}
