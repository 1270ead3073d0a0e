// The HTTP transfer engine: runs one attempt of a transfer (download, plain upload or tus upload)
// and always resolves to an AttemptResult — it never throws for transfer problems. Every request
// (downloads, uploads, tus, size probes) goes through ferry's own HTTP/1.1 client (http1/), one per
// engine, which keeps connections for the next GET or HEAD to an origin. Uploads were on undici until
// 2026-11-27: loading it cost ~15 MiB of RSS and ~0.2 CPU-s, and its uploads more CPU per byte
// (BENCHMARKS.md). TLS verification is always on; caFile adds a CA to the default roots.
import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import { FerryError, asFerryError } from '../errors.js';
import { redactUrl } from '../log.js';
import type { HttpJob } from '../model/job.js';
import type { AttemptCallbacks, AttemptResult, EngineDeps, RunContext } from './attempt.js';
import { createAttemptControl } from './attempt-control.js';
import { failureFromError, failureFromStatus, withBytes } from './classify-failure.js';
import { runDownload } from './download.js';
import { followRedirects, type SendOne } from './follow-redirects.js';
import { Http1Client, type BodySource } from './http1/http1-client.js';
import { openScope, openSource, type FileScope } from './file-scope.js';
import { checkUrl, resolveInsideRoot } from './request-checks.js';
import { baseHeaders, headerOf } from './request-headers.js';
import { runPlainUpload } from './upload-plain.js';
import { runTusUpload } from './upload-tus.js';
import { sendFileToSocket, setRcvLowat, waitSocketWritable } from '../system/native.js';

export type { AttemptCallbacks, AttemptResult, EngineDeps } from './attempt.js';

export interface Engine {
  runAttempt(t: HttpJob, signal: AbortSignal, cb: AttemptCallbacks): Promise<AttemptResult>;
  probe(t: HttpJob, signal: AbortSignal): Promise<{ totalBytes: number | null; acceptsRanges: boolean }>;
  close(): Promise<void>;
}

function trustedCas(caFile: string | null): string[] | undefined {
  if (!caFile) return undefined;
  try {
    // Node's `ca` option replaces the default roots, so they are listed again alongside the extra CA.
    return [...tls.rootCertificates, readFileSync(caFile, 'utf8')];
  } catch (e) {
    throw new FerryError('CONFIG_INVALID', `cannot read transfers.caFile: ${(e as Error).message}`, { field: 'transfers.caFile', cause: e });
  }
}

/** Throws CONFIG_INVALID when caFile cannot be read. */
export function createEngine(deps: EngineDeps): Engine {
  const cfg = deps.transfers;
  const now = deps.now ?? Date.now;
  const log = deps.log.child({ component: 'transfer' });
  const ca = trustedCas(cfg.caFile);
  const noProgressMs = cfg.noProgressTimeoutS * 1000;
  // No response timeouts: stalls are caught by the attempt's no-progress watchdog, uploads included.
  const http1 = new Http1Client({ connectTimeoutMs: cfg.connectTimeoutS * 1000, ...(ca ? { ca } : {}), setRcvLowat, fileSender: deps.fileSender ?? { sendFile: sendFileToSocket, waitWritable: waitSocketWritable } });
  const send: SendOne<BodySource> = (url, req) =>
    http1.request(url, { method: req.method, headers: req.headers, signal: req.signal, ...(req.body ? { body: req.body() } : {}) });

  async function runAttempt(t: HttpJob, signal: AbortSignal, cb: AttemptCallbacks): Promise<AttemptResult> {
    const started = now();
    const fields = { id: t.id, method: t.method, direction: t.direction, protocol: t.protocol, url: redactUrl(t.url) };
    log.info(fields, 'attempt start');
    const result = await attempt(t, signal, cb);
    const end: Record<string, unknown> = { id: t.id, outcome: result.outcome, ms: now() - started };
    if ('bytesTransferred' in result) end['bytes'] = result.bytesTransferred;
    if ('error' in result) end['code'] = result.error.code;
    log.info(end, 'attempt end');
    return result;
  }

  async function attempt(t: HttpJob, signal: AbortSignal, cb: AttemptCallbacks): Promise<AttemptResult> {
    if (signal.aborted) return { outcome: 'aborted', bytesTransferred: t.bytesTransferred };
    let abs: string;
    let scope: FileScope;
    try {
      checkUrl(t.url);
      ({ abs } = await resolveInsideRoot(deps.transfersRoot, t.path));
      scope = openScope(deps.transfersRoot, t.access);
    } catch (e) {
      return { outcome: 'failed', error: asFerryError(e) };
    }
    const ctl = createAttemptControl(signal, noProgressMs);
    const pace = deps.throttle?.pacer(t) ?? null;
    const ctx: RunContext = { send, transfers: cfg, now, abs, scope, pace };
    try {
      if (t.direction === 'download') return await runDownload(t, ctx, ctl, cb);
      return t.protocol === 'tus' ? await runTusUpload(t, ctx, ctl, cb) : await runPlainUpload(t, ctx, ctl, cb);
    } catch (e) {
      // Runners map transfer problems themselves; this catches local surprises (mkdir, open...).
      if (ctl.stopReason() === 'external') return { outcome: 'aborted', bytesTransferred: t.bytesTransferred };
      return withBytes(failureFromError(e), t.bytesTransferred);
    } finally {
      ctl.dispose();
      scope.close();
      pace?.end();
    }
  }

  async function probe(t: HttpJob, signal: AbortSignal): Promise<{ totalBytes: number | null; acceptsRanges: boolean }> {
    if (t.direction === 'upload') {
      const scope = openScope(deps.transfersRoot, t.access);
      try {
        const { file, stat } = openSource(scope, t.path);
        await file.close();
        return { totalBytes: stat.size, acceptsRanges: t.protocol === 'tus' };
      } catch (e) {
        throw new FerryError('FILE_NOT_FOUND', `upload source ${t.path} cannot be read`, { cause: e });
      } finally {
        scope.close();
      }
    }
    // POST answers are not resources we can ask about without side effects.
    if (t.method !== 'GET') return { totalBytes: null, acceptsRanges: false };
    const ctl = createAttemptControl(signal, noProgressMs);
    try {
      const follow = { maxRedirects: cfg.maxRedirects, signal: ctl.signal, allowPrivate: cfg.allowPrivateRedirects };
      let res = await followRedirects(send, t.url, { method: 'HEAD', headers: baseHeaders(t, cfg) }, follow);
      await res.body.dump().catch(() => undefined);
      if (res.statusCode === 405 || res.statusCode === 501) {
        // Some servers refuse HEAD; a one-byte range answers the same questions.
        res = await followRedirects(send, t.url, { method: 'GET', headers: { ...baseHeaders(t, cfg), range: 'bytes=0-0' } }, follow);
        res.body.destroy();
        if (res.statusCode === 206) {
          const total = /\/(\d+)$/.exec(headerOf(res.headers, 'content-range') ?? '');
          return { totalBytes: total ? Number(total[1]) : null, acceptsRanges: true };
        }
      }
      if (res.statusCode < 200 || res.statusCode >= 300) throw failureFromStatus(res.statusCode, res.headers, now()).error;
      const length = headerOf(res.headers, 'content-length');
      return {
        totalBytes: length !== undefined && /^\d+$/.test(length) ? Number(length) : null,
        acceptsRanges: /\bbytes\b/i.test(headerOf(res.headers, 'accept-ranges') ?? ''),
      };
    } catch (e) {
      if (ctl.stopReason() === 'external') throw new FerryError('UNAVAILABLE', 'probe aborted', { cause: e });
      if (ctl.stopReason() === 'no-progress') throw new FerryError('NO_PROGRESS', 'probe got no answer within the no-progress timeout', { cause: e });
      throw failureFromError(e).error;
    } finally {
      ctl.dispose();
    }
  }

  return {
    runAttempt,
    probe,
    close: async () => {
      http1.close();
    },
  };
}
