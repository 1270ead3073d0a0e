// The chaos test's client: a seeded random mix of downloads (pooled contents, some throttled), plain PUT
// and tus uploads, and pause/resume/cancel/delete, remembering what the agent acknowledged (2xx) and what
// may have happened without an answer (the agent was killed mid-request).
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ApiAnswer } from '../support/agent.js';
import type { Origin, SinkRoute } from '../support/origin.js';

export const MiB = 1024 * 1024;
export const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** mulberry32: small, fast and good enough to replay a run from its seed. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Kind = 'download' | 'put' | 'tus' | 'device';

export interface Tracked {
  id: string;
  kind: Kind;
  /** Path under the transfers root (download target or upload source). */
  path: string;
  /** Origin path (download source or PUT sink); the tus file name for tus. */
  remote: string;
  size: number;
  sha: string;
  cancelAcked: boolean;
  deleteAcked: boolean;
  /** A cancel or delete was sent but its answer was lost in a kill. */
  maybeGone: boolean;
}

export interface WorkloadDeps {
  rng: () => number;
  origin: Origin;
  tusUrl: string;
  root: string;
  api: (method: string, path: string, body?: unknown) => Promise<ApiAnswer>;
  /** A configured device whose pull (`remote` → `path`) the client may start: the SMP simulator. */
  device?: { id: string; remote: string; path: string; sha: string; size: number };
}

const POOL_MIB = [1, 2, 4, 6, 8, 12, 16, 24];

export class ChaosWorkload {
  readonly tracked: Tracked[] = [];
  readonly pool: Buffer[];
  /** PUT sinks by origin path (asking the origin again would make a new, empty sink). */
  readonly sinks = new Map<string, SinkRoute>();
  private n = 0;
  actions: Record<string, number> = {};

  constructor(private readonly d: WorkloadDeps) {
    this.pool = POOL_MIB.map((m) => randomBytes(m * MiB));
  }

  private pick<T>(list: T[]): T | undefined {
    return list.length === 0 ? undefined : list[Math.floor(this.d.rng() * list.length)];
  }

  private live(): Tracked[] {
    return this.tracked.filter((t) => !t.cancelAcked && !t.deleteAcked && !t.maybeGone);
  }

  private count(what: string): void {
    this.actions[what] = (this.actions[what] ?? 0) + 1;
  }

  /** One random client action; errors (the agent died mid-request) are the caller's to ignore. */
  async step(maxOpen: number): Promise<void> {
    const r = this.d.rng();
    if (r < 0.08 && this.d.device) return this.syncDevice(this.d.device);
    if (r < 0.45 && this.live().length < maxOpen) return this.enqueue();
    const t = this.pick(this.live());
    if (!t) return;
    if (r < 0.65) return this.act(t, 'pause');
    if (r < 0.87) return this.act(t, 'resume');
    if (r < 0.94) return this.act(t, 'cancel');
    return this.act(t, 'delete');
  }

  private async act(t: Tracked, what: 'pause' | 'resume' | 'cancel' | 'delete'): Promise<void> {
    if (what === 'cancel' || what === 'delete') t.maybeGone = true;
    const res = what === 'delete' ? await this.d.api('DELETE', `/v1/transfers/${t.id}`) : await this.d.api('POST', `/v1/transfers/${t.id}/${what}`);
    this.count(`${what} ${res.status}`);
    if (res.status >= 200 && res.status < 300) {
      if (what === 'cancel') t.cancelAcked = true;
      if (what === 'delete') t.deleteAcked = true;
    } else if (what === 'cancel' || what === 'delete') {
      t.maybeGone = false; // refused (e.g. already completed): nothing happened
    }
  }

  /** A device sync: the pull job it queued (or the one already outstanding) is tracked once. */
  private async syncDevice(dev: NonNullable<WorkloadDeps['device']>): Promise<void> {
    const res = await this.d.api('POST', `/v1/devices/${dev.id}/sync`, {});
    this.count(`device sync ${res.status}`);
    if (res.status >= 300) return;
    for (const t of (res.body.transfers ?? []) as Array<{ id: string; direction: string }>) {
      if (t.direction !== 'download' || this.tracked.some((x) => x.id === t.id)) continue;
      this.tracked.push({ id: t.id, kind: 'device', path: dev.path, remote: dev.remote, size: dev.size, sha: dev.sha, cancelAcked: false, deleteAcked: false, maybeGone: false });
    }
  }

  private async enqueue(): Promise<void> {
    const i = this.n++;
    const r = this.d.rng();
    let t: Omit<Tracked, 'id'>;
    let body: Record<string, unknown>;
    if (r < 0.6) {
      const content = this.pool[Math.floor(this.d.rng() * this.pool.length)]!;
      const remote = `/f/${i}.bin`;
      this.d.origin.file(remote, content, this.d.rng() < 0.35 ? { throttleBytesPerSec: 3 * MiB } : {});
      t = { kind: 'download', path: `dl/${i}.bin`, remote, size: content.length, sha: sha256(content), cancelAcked: false, deleteAcked: false, maybeGone: false };
      body = { url: this.d.origin.url(remote), path: t.path, ...(this.d.rng() < 0.5 ? { sha256: t.sha } : {}) };
    } else {
      const content = randomBytes(Math.ceil((0.5 + this.d.rng() * 5.5) * MiB));
      const tus = r >= 0.8;
      const path = `up/${i}.bin`;
      mkdirSync(join(this.d.root, 'up'), { recursive: true });
      writeFileSync(join(this.d.root, path), content);
      const remote = tus ? `${i}.bin` : `/sink/${i}`;
      if (!tus) this.sinks.set(remote, this.d.origin.sink(remote));
      t = { kind: tus ? 'tus' : 'put', path, remote, size: content.length, sha: sha256(content), cancelAcked: false, deleteAcked: false, maybeGone: false };
      body = tus
        ? { url: this.d.tusUrl, method: 'POST', direction: 'upload', protocol: 'tus', path }
        : { url: this.d.origin.url(remote), method: 'PUT', direction: 'upload', path };
    }
    const res = await this.d.api('POST', '/v1/transfers', { ...body, retry: { initialDelayS: 1, maxDelayS: 2, maxAttempts: 1000 } });
    this.count(`enqueue ${res.status}`);
    if (res.status === 201) this.tracked.push({ id: String(res.body.id), ...t });
  }
}
