// One download attempt: streams the response into the transfer's own part file (part-file.ts) and
// renames it into the target's held folder when whole. Invariant: the part file only ever holds a
// prefix of ONE representation, the one whose validators were last given to onResumeState; the
// resume offset is its size, cut back to the last fsynced size recorded (`partBytes`).
import { createHash, type Hash } from 'node:crypto';
import type { ResumeState, HttpJob } from '../model/job.js';
import { FerryError } from '../errors.js';
import type { AttemptCallbacks, AttemptResult, RunContext } from './attempt.js';
import type { AttemptControl } from './attempt-control.js';
import { failureFromError, failureFromStatus, withBytes } from './classify-failure.js';
import { followRedirects, type FinalResponse } from './follow-redirects.js';
import type { BodySource } from './http1/http1-client.js';
import { checkReplace, openFolder, type Folder } from './file-scope.js';
import { currentBootId, openPartsDir, PartFile, trustedPartSize } from './part-file.js';
import { createPartWriter, type PartWriter } from './part-writer.js';
import type { Pacer } from './throttle.js';
import { baseHeaders, headerOf } from './request-headers.js';

// POLICY.md §3: over this size a server should honour Range; without it we warn.
const RANGE_EXPECTED_ABOVE = 5 * 1024 * 1024;
// Received bytes are reported at most this often (each report is work in the scheduler); each
// completed write reports too.
const REPORT_MS = 100;

interface ContentRange {
  start: number;
  total: number | null;
}

function parseContentRange(v: string | undefined): ContentRange | null {
  const m = v ? /^bytes\s+(\d+)-(\d+)\/(\d+|\*)$/i.exec(v.trim()) : null;
  if (!m) return null;
  return { start: Number(m[1]), total: m[3] === '*' ? null : Number(m[3]) };
}

function parseLength(v: string | undefined): number | null {
  return v !== undefined && /^\d+$/.test(v.trim()) ? Number(v) : null;
}

const isStrong = (etag: string | undefined): etag is string => !!etag && !etag.startsWith('W/');

/** Did the representation change since the stored validators? Only compares what both sides have. */
function validatorChanged(t: HttpJob, res: FinalResponse<BodySource>): boolean {
  const etag = headerOf(res.headers, 'etag');
  if (isStrong(t.resume.etag)) return etag !== t.resume.etag;
  const lm = headerOf(res.headers, 'last-modified');
  return !!t.resume.lastModified && lm !== t.resume.lastModified;
}

type Pass = { restart: true } | { result: AttemptResult };

export async function runDownload(t: HttpJob, ctx: RunContext, ctl: AttemptControl, cb: AttemptCallbacks): Promise<AttemptResult> {
  // The target's folder is held from here to the rename; a refused target fails before any request.
  const folder = openFolder(ctx.scope, t.path, 'create')!;
  let parts;
  try {
    checkReplace(ctx.scope, folder, t.path);
    parts = openPartsDir(ctx.scope.root);
  } catch (e) {
    folder.close();
    throw e;
  }
  const part = new PartFile(parts, t.id);
  try {
    let offset = part.size();
    const validator = isStrong(t.resume.etag) ? t.resume.etag : t.resume.lastModified;
    // Range is meaningful for GET only; without a validator a resumed part could splice two versions.
    if (offset > 0 && (t.method !== 'GET' || !validator)) offset = 0;
    // Bytes past the last recorded fsync may be zeros after a power cut: never resume onto them.
    offset = trustedPartSize(offset, t.resume);
    if (offset !== part.size()) await part.truncate(offset);
    // At most one restart inside an attempt: a server that ignored If-Range on a 206.
    for (let pass = 0; pass < 2; pass++) {
      const r = await downloadPass(t, { ...ctx, folder }, ctl, cb, part, offset, offset > 0 ? validator : undefined);
      // A failed transfer is over: nothing will resume from the part file.
      if ('result' in r && r.result.outcome === 'failed') {
        try {
          part.remove();
        } catch {
          // best effort: the discard at removal tries again
        }
      }
      if ('result' in r) return r.result;
      await part.truncate(0);
      offset = 0;
    }
    return { outcome: 'retry', error: new FerryError('PROTOCOL_ERROR', 'server keeps answering ranges inconsistently'), retryAfterMs: null, bytesTransferred: 0 };
  } finally {
    folder.close();
    parts.close();
  }
}

type PassContext = RunContext & { folder: Folder };

async function downloadPass(
  t: HttpJob,
  ctx: PassContext,
  ctl: AttemptControl,
  cb: AttemptCallbacks,
  part: PartFile,
  offset: number,
  validator: string | undefined,
): Promise<Pass> {
  const headers = baseHeaders(t, ctx.transfers);
  if (validator !== undefined) {
    headers['range'] = `bytes=${offset}-`;
    headers['if-range'] = validator;
  }
  let hash: Hash | null = null;
  if (t.sha256) {
    // Hashing what is already on disk is local work, not a network stall.
    ctl.pauseWatchdog();
    hash = await part.hashPrefix(offset);
    ctl.touch();
  }
  let res: FinalResponse<BodySource>;
  try {
    res = await followRedirects(ctx.send, t.url, { method: t.method, headers }, {
      maxRedirects: ctx.transfers.maxRedirects,
      signal: ctl.signal,
      allowPrivate: ctx.transfers.allowPrivateRedirects,
    });
  } catch (e) {
    return { result: await settle(e, ctl, part) };
  }
  ctl.touch();
  const status = res.statusCode;
  if (status === 416 && offset > 0) {
    await res.body.dump().catch(() => undefined);
    // Already whole (e.g. killed between the last byte and the rename): finish it.
    const cr = /\*\/(\d+)/.exec(headerOf(res.headers, 'content-range') ?? '');
    if (cr && Number(cr[1]) === offset) return { result: await finish(t, ctx, ctl, part, offset, hash) };
    return { restart: true };
  }
  if (status < 200 || status >= 300) {
    await res.body.dump().catch(() => undefined);
    return { result: withBytes(failureFromStatus(status, res.headers, ctx.now()), offset) };
  }
  const length = parseLength(headerOf(res.headers, 'content-length'));
  let total: number | null;
  let fresh: ResumeState | null = null;
  if (status === 206) {
    const cr = parseContentRange(headerOf(res.headers, 'content-range'));
    if (!cr || cr.start !== offset || (offset > 0 && validatorChanged(t, res))) {
      res.body.destroy();
      return { restart: true };
    }
    total = cr.total ?? (length === null ? null : offset + length);
  } else {
    // A full answer: a new representation or a server that ignores Range. Start over with it.
    const rangesOk = /\bbytes\b/i.test(headerOf(res.headers, 'accept-ranges') ?? '');
    if (offset > 0) {
      if (!validatorChanged(t, res)) {
        cb.onWarning({ code: 'no-range-support', message: 'the server ignored the Range request; the download restarted from zero' });
      }
      offset = 0;
      if (hash) hash = createHash('sha256');
    } else if (t.method === 'GET' && !rangesOk && (length === null || length > RANGE_EXPECTED_ABOVE)) {
      cb.onWarning({ code: 'no-range-support', message: 'the server does not accept byte ranges; an interruption restarts this download from zero' });
    }
    total = length;
  }
  if (offset === 0) {
    const etag = headerOf(res.headers, 'etag');
    const lastModified = headerOf(res.headers, 'last-modified');
    // Explicit undefined: a caller that merges resume state must also drop the old validators.
    fresh = { etag: isStrong(etag) ? etag : undefined, lastModified: lastModified || undefined, partBytes: 0, partBoot: currentBootId() };
  }
  cb.onProgress(offset, total);
  // The body is consumed from now on (no await before the listeners), so a connection that drops
  // right away still leaves what arrived; the writer holds it until released.
  const writer = createPartWriter({
    open: () => part.open(offset === 0),
    startOffset: offset,
    // The part file's fsync follows the configured progress cadence (model/checkpoint-cadence.ts).
    checkpointBytes: ctx.transfers.checkpointBytes,
    checkpointMs: ctx.transfers.checkpointMs,
    onDurable: (partBytes) => cb.onResumeState({ partBytes, partBoot: currentBootId() }),
  });
  const pumped = pumpBody(res, writer, offset, total, hash, ctl, cb, ctx.pace);
  if (fresh) {
    await writer.opened;
    // Persist once the old bytes are gone and before the first new byte lands: the part file
    // always belongs to the stored validators.
    cb.onResumeState(fresh);
  }
  writer.release();
  const received = await pumped;
  if ('error' in received) return { result: await settle(received.error, ctl, part, length, received.bytes) };
  if ((length !== null && received.bytes !== length) || (total !== null && offset + received.bytes !== total)) {
    return {
      result: {
        outcome: 'retry',
        error: new FerryError('LENGTH_MISMATCH', `body had ${received.bytes} bytes, headers announced ${length ?? total}`),
        retryAfterMs: null,
        bytesTransferred: part.size(),
      },
    };
  }
  return { result: await finish(t, ctx, ctl, part, offset + received.bytes, hash) };
}

/** Feeds the body to the writer; on error, flushes what arrived (a valid prefix) and reports it. */
async function pumpBody(
  res: FinalResponse<BodySource>,
  writer: PartWriter,
  offset: number,
  total: number | null,
  hash: Hash | null,
  ctl: AttemptControl,
  cb: AttemptCallbacks,
  pace: Pacer | null,
): Promise<{ bytes: number } | { bytes: number; error: unknown }> {
  const body = res.body;
  let bytes = 0;
  let failure: unknown = null;
  // Two reasons to hold the body: the writer's backpressure and the bandwidth limit; both must clear.
  let writerFull = false;
  let throttled = false;
  const resume = (): void => {
    if (!writerFull && !throttled && body.isPaused()) body.resume();
  };
  const unthrottle = (): void => {
    throttled = false;
    resume();
  };
  // 'data' events rather than async iteration: measurably less CPU per 64 KiB chunk at LAN speeds.
  writer.onReady = () => {
    if (writer.error !== null) return void body.destroy(writer.error as Error);
    writerFull = false;
    resume();
  };
  let reportedAt = 0;
  let reported = -1;
  const report = (n: number): void => {
    if (n <= reported) return;
    reported = n;
    reportedAt = performance.now();
    cb.onProgress(offset + n, total);
  };
  writer.onWritten = report;
  // Each chunk is a view of the client's read buffer or of the writer's ring (reads go straight into the
  // ring when it has room): the writer takes it and the hash reads it before returning.
  body.onData((chunk: Buffer) => {
    bytes += chunk.length;
    hash?.update(chunk);
    ctl.touch();
    if (!writer.write(chunk)) {
      writerFull = true;
      body.pause();
    }
    if (pace !== null && !pace.take(chunk.length) && !throttled) {
      throttled = true;
      body.pause();
      pace.ready(unthrottle);
    }
    if (performance.now() - reportedAt >= REPORT_MS) report(bytes);
  });
  body.readInto((max) => writer.span(max));
  try {
    // Settles also for a body that already ended or failed.
    await body.ended();
  } catch (e) {
    failure = e;
  }
  // The final fsync is local work, not a network stall.
  if (failure === null) ctl.pauseWatchdog();
  try {
    // Whatever arrived is a valid prefix: it reaches the disk (fsync, then recorded) before we report.
    await writer.close(true);
    report(bytes);
  } catch (e) {
    failure ??= e;
  }
  return failure === null ? { bytes } : { bytes, error: failure };
}

/** Maps an error to the attempt result, with the part size on disk as the progress kept. */
async function settle(e: unknown, ctl: AttemptControl, part: PartFile, length: number | null = null, got = 0): Promise<AttemptResult> {
  let bytesTransferred = 0;
  try {
    bytesTransferred = part.size();
  } catch {
    // the size is only reported
  }
  const why = ctl.stopReason();
  if (why === 'external') return { outcome: 'aborted', bytesTransferred };
  if (why === 'no-progress') {
    return { outcome: 'retry', error: new FerryError('NO_PROGRESS', 'no byte received within the no-progress timeout', { cause: e }), retryAfterMs: null, bytesTransferred };
  }
  const code = (e as { code?: string } | null)?.code;
  if (length !== null && got < length && (code === 'UND_ERR_SOCKET' || code === 'ECONNRESET')) {
    const error = new FerryError('LENGTH_MISMATCH', `connection closed after ${got} of ${length} body bytes`, { cause: e });
    return { outcome: 'retry', error, retryAfterMs: null, bytesTransferred };
  }
  return withBytes(failureFromError(e), bytesTransferred);
}

async function finish(t: HttpJob, ctx: PassContext, ctl: AttemptControl, part: PartFile, size: number, hash: Hash | null): Promise<AttemptResult> {
  ctl.pauseWatchdog();
  try {
    if (hash && t.sha256) {
      const got = hash.digest('hex');
      if (got !== t.sha256.toLowerCase()) {
        part.remove();
        return { outcome: 'failed', error: new FerryError('CHECKSUM_MISMATCH', `sha256 of the downloaded file is ${got}, expected ${t.sha256}`) };
      }
    }
    // Checked again right before the rename: the folder may have changed during the download.
    checkReplace(ctx.scope, ctx.folder, t.path);
    await part.promote(ctx.folder.dir, ctx.folder.name, ctx.scope.owner);
    return { outcome: 'completed', bytesTransferred: size, totalBytes: size };
  } catch (e) {
    let kept = 0;
    try {
      kept = part.size();
    } catch {
      // only reported
    }
    return withBytes(failureFromError(e), kept);
  }
}
