// Throttles what progress costs: a durable row when model/checkpoint-cadence.ts says one is due (never
// per chunk), and a `transfer` event at most once a second per job (each event is serialised for every
// open stream). A row is an fsynced SQLite commit on the main thread, which stalls the socket while it
// lasts; it only says how far the transfer got (a download resumes from its part file's size). An upload
// never resumes from its row, but the row is still written: the byte ledger's counts ride in these commits
// (queue/usage-ledger.ts), and without them a SIGKILL would lose twice as much of a metered link's count.
import { checkpointDue, type CheckpointCadence } from '../model/checkpoint-cadence.js';

const EMIT_MS = 1000;

export class ProgressTracker {
  private persistedBytes: number;
  private persistedAt: number;
  private emittedAt = 0;
  /** The runner checkpoints by itself (resume rows carry the bytes): this tracker's rows are only a fallback. */
  private selfCheckpointing = false;

  constructor(
    startBytes: number,
    private readonly cfg: CheckpointCadence,
    private readonly now: () => number,
  ) {
    this.persistedBytes = startBytes;
    this.persistedAt = now();
  }

  observe(bytes: number): { persist: boolean; emit: boolean } {
    const t = this.now();
    // With the runner's own checkpoints on the same cadence, a row of ours would be a second commit each
    // time: ours then come at half the pace, so only when the runner's stop (a stall, a slow disk).
    // A count that went back (a download restarted from zero) is a change of its size too.
    const persist = checkpointDue(t - this.persistedAt, Math.abs(bytes - this.persistedBytes), this.cfg, this.selfCheckpointing ? 2 : 1);
    if (persist) {
      this.persistedBytes = bytes;
      this.persistedAt = t;
    }
    // A checkpoint announces its own event: ours then only fill a gap of 2 s in them.
    const emit = t - this.emittedAt >= (this.selfCheckpointing ? 2 * EMIT_MS : EMIT_MS);
    if (emit) this.emittedAt = t;
    return { persist, emit };
  }

  /**
   * `bytes` was committed along with another durable change (a resume checkpoint), which was announced as
   * an event too: nothing to add for now, and the next progress event waits its turn after that one.
   */
  persisted(bytes: number): void {
    this.persistedBytes = bytes;
    this.persistedAt = this.now();
    this.emittedAt = this.persistedAt;
    this.selfCheckpointing = true;
  }
}

/** Adds a rate sample at most once a second, keeping `keepMs` of history (the slow-transfer window). */
export function recordSample(stats: { samples: Array<{ atMs: number; bytes: number }> }, now: number, bytes: number, keepMs: number): void {
  const last = stats.samples[stats.samples.length - 1];
  if (last && now - last.atMs < 1000) return;
  stats.samples.push({ atMs: now, bytes });
  while (stats.samples.length > 2 && stats.samples[1]!.atMs < now - keepMs) stats.samples.shift();
}
