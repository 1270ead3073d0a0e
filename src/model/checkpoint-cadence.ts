// When a durable progress checkpoint is due (a download's part file fsynced and its size committed, an
// upload's row, the byte ledger's counts riding in that commit). Each costs an fsync or two and an
// SQLite commit on the main thread whatever the bytes behind it, so the cadence follows the bytes: one
// per `checkpointBytes` moved, never closer than `checkpointMs`, and at least every MAX_GAP_MS while
// bytes move. A power cut then re-fetches at most max(checkpointBytes, a checkpointMs's worth) of a
// download; a SIGKILL loses no part bytes (the same boot trusts the part file's size) and at most as
// much of the ledger's counts. Once a second whatever the rate cost a 2 MiB/s download ~8 % more CPU
// than one every 2 s, and a 50 KB/s cellular link a commit per 50 KB (BENCHMARKS.md).
export interface CheckpointCadence {
  checkpointBytes: number;
  checkpointMs: number;
}

/** A slow link still records where it got to this often. */
export const MAX_GAP_MS = 30_000;

/** `pace` 2: the same rule at half the pace, for a fallback that should act only when the regular checkpoints stop. */
export function checkpointDue(sinceMs: number, sinceBytes: number, c: CheckpointCadence, pace = 1): boolean {
  if (sinceBytes <= 0 || sinceMs < pace * c.checkpointMs) return false;
  return sinceBytes >= pace * c.checkpointBytes || sinceMs >= pace * MAX_GAP_MS;
}
