// One plain upload attempt (PUT, or POST with direction upload): the whole file streamed with a
// Content-Length. Nothing survives an interruption, so a retry always starts from byte 0.
import type { HttpJob } from '../model/job.js';
import { FerryError } from '../errors.js';
import type { AttemptCallbacks, AttemptResult, RunContext } from './attempt.js';
import type { AttemptControl } from './attempt-control.js';
import { failureFromError, failureFromStatus, withBytes } from './classify-failure.js';
import { followRedirects } from './follow-redirects.js';
import { baseHeaders } from './request-headers.js';
import { sourceHops, withSource, type Source } from './upload-source.js';

export async function runPlainUpload(t: HttpJob, ctx: RunContext, ctl: AttemptControl, cb: AttemptCallbacks): Promise<AttemptResult> {
  return withSource(t, ctx, ctl, (src) => send(t, ctx, ctl, cb, src));
}

async function send(t: HttpJob, ctx: RunContext, ctl: AttemptControl, cb: AttemptCallbacks, src: Source): Promise<AttemptResult> {
  const { size } = src;
  const headers = baseHeaders(t, ctx.transfers);
  if (!Object.keys(headers).some((k) => k.toLowerCase() === 'content-type')) headers['content-type'] = 'application/octet-stream';
  cb.onProgress(0, size);
  // Every redirect hop re-reads the same descriptor from 0, never the path.
  const hops = sourceHops(src, 0, ctx, ctl, (b, total) => cb.onProgress(b, total));
  try {
    const res = await followRedirects(ctx.send, t.url, { method: t.method, headers, body: hops.body }, {
      maxRedirects: ctx.transfers.maxRedirects,
      signal: ctl.signal,
      allowPrivate: ctx.transfers.allowPrivateRedirects,
    });
    await res.body.dump().catch(() => undefined);
    // The answer can be read before the last write's completion (sendfile completes on the thread pool):
    // what was sent is counted once the writer stopped, which it does at once now that the connection is done.
    const took = await hops.written();
    // 303 after an upload: accepted, the result lives elsewhere (see follow-redirects).
    if ((res.statusCode >= 200 && res.statusCode < 300) || res.statusCode === 303) {
      if (took !== size) {
        // The server answered before reading everything: it did not store our file.
        return { outcome: 'retry', error: new FerryError('LENGTH_MISMATCH', `server answered after ${took} of ${size} bytes`), retryAfterMs: null, bytesTransferred: 0 };
      }
      return { outcome: 'completed', bytesTransferred: size, totalBytes: size };
    }
    return withBytes(failureFromStatus(res.statusCode, res.headers, ctx.now()), 0);
  } catch (e) {
    const why = ctl.stopReason();
    if (why === 'external') return { outcome: 'aborted', bytesTransferred: 0 };
    if (why === 'no-progress') {
      return { outcome: 'retry', error: new FerryError('NO_PROGRESS', 'no byte sent or answered within the no-progress timeout', { cause: e }), retryAfterMs: null, bytesTransferred: 0 };
    }
    return withBytes(failureFromError(e), 0);
  }
}
