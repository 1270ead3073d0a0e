// Shared set-up for engine tests: an engine over a temp transfers root (stall tests pass a short
// noProgressTimeoutS; the default is long enough for a loaded CI machine), a callback recorder, and a runner that folds resume state back into the record as the
// scheduler does (so a second attempt sees what the first one persisted).
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { defaultConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import type { ResumeState, HttpJob, Warning } from '../../src/model/job.js';
import { createEngine, type AttemptResult, type EngineDeps } from '../../src/transfer/engine.js';
import { makeTempDir } from '../support/tmp.js';
import { record } from '../support/records.js';

export interface Harness {
  root: string;
  engine: ReturnType<typeof createEngine>;
  cleanup(): Promise<void>;
}

export function makeHarness(over: Partial<Config['transfers']> = {}, now?: () => number, extra: Pick<EngineDeps, 'fileSender'> = {}): Harness {
  const tmp = makeTempDir('ferry-engine-');
  const root = join(tmp.path, 'root');
  mkdirSync(root);
  const engine = createEngine({
    transfers: { ...defaultConfig().transfers, noProgressTimeoutS: 10, connectTimeoutS: 5, ...over },
    transfersRoot: root,
    log: pino({ level: 'silent' }),
    ...(now ? { now } : {}),
    ...extra,
  });
  return {
    root,
    engine,
    cleanup: async () => {
      await engine.close();
      tmp.cleanup();
    },
  };
}

export interface Recorded {
  progress: Array<[number, number | null]>;
  resumes: ResumeState[];
  warnings: Warning[];
}

/** Runs one attempt; onResumeState is merged into `t.resume` like the scheduler does. */
export async function attempt(h: Harness, t: HttpJob, signal = new AbortController().signal): Promise<AttemptResult & { rec: Recorded }> {
  const rec: Recorded = { progress: [], resumes: [], warnings: [] };
  const result = await h.engine.runAttempt(t, signal, {
    onProgress: (b, total) => rec.progress.push([b, total]),
    onResumeState: (r) => {
      rec.resumes.push(r);
      t.resume = { ...t.resume, ...r };
    },
    onWarning: (w) => rec.warnings.push(w),
  });
  if ('bytesTransferred' in result) t.bytesTransferred = result.bytesTransferred;
  return { ...result, rec };
}

export function download(url: string, path = 'out/file.bin', over: Partial<HttpJob> = {}): HttpJob {
  return record(`t-${randomBytes(4).toString('hex')}`, 'a', { url, path, method: 'GET', direction: 'download', ...over });
}

export const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
/** Where a download's part file lives: ferry's private part folder, one file per transfer id. */
export const partOf = (h: Harness, t: TransferRecord): string => join(h.root, '.ferry-parts', `${t.id}.part`);
export const readOut = (h: Harness, rel: string): Buffer => readFileSync(join(h.root, rel));
