// The fleet bridge: one MQTT link, the job topics it subscribes to, the jobs engine, the durable outbox of
// status messages (one per job, the latest; deleted on the broker's PUBACK, flushed on every connect),
// the online/will messages and the conditions reports. Loaded by main.ts only when fleet.mqtt is set.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { FleetMqttConfig } from '../config/sections/fleet.js';
import type { Conditions } from '../conditions/snapshot.js';
import type { Logger } from '../log.js';
import type { Db } from '../queue/store.js';
import { fleetIdentity } from './fleet-config.js';
import { FleetJobs } from './fleet-jobs.js';
import { FLEET_OWNER, type FleetQueue } from './fleet-queue.js';
import { createFleetStore, type FleetStore } from './fleet-store.js';
import { createConditionsReporter } from './conditions-report.js';
import type { JobStatus } from './job-status.js';
import { MqttLink, type LinkHealth } from './mqtt-link.js';

export interface FleetBridgeDeps {
  cfg: FleetMqttConfig;
  queue: FleetQueue;
  db: Db;
  conditions: { current(): Conditions; onChange(l: (c: Conditions) => void): () => void };
  transfersRoot: string;
  version: string;
  log: Logger;
  now?: () => number;
}

export class FleetBridge {
  private readonly store: FleetStore;
  private readonly jobs: FleetJobs;
  private readonly link: MqttLink;
  private readonly topics: { base: string; online: string; conditions: string; jobPrefixes: string[] };
  private readonly startedAt: string;
  private offConditions: (() => void) | null = null;
  private readonly reporter: ReturnType<typeof createConditionsReporter>;

  private constructor(private readonly deps: FleetBridgeDeps) {
    const id = fleetIdentity(deps.cfg);
    const base = `${id.prefix}/${id.gatewayId}`;
    this.topics = {
      base,
      online: `${base}/online`,
      conditions: `${base}/conditions`,
      jobPrefixes: [`${base}/jobs/`, ...id.groups.map((g) => `${id.prefix}/groups/${g}/jobs/`)],
    };
    this.startedAt = new Date((deps.now ?? Date.now)()).toISOString();
    this.store = createFleetStore(deps.db);
    this.jobs = new FleetJobs({ queue: deps.queue, store: this.store, log: deps.log, report: (s) => this.report(s), ...(deps.now ? { now: deps.now } : {}) });
    this.reporter = createConditionsReporter({
      current: () => deps.conditions.current(),
      minIntervalMs: deps.cfg.conditionsMinIntervalS * 1000,
      send: (c) => {
        if (!this.link.connected) return false;
        this.link.publish(this.topics.conditions, JSON.stringify(c), true);
        return true;
      },
      ...(deps.now ? { now: deps.now } : {}),
    });
    this.link = new MqttLink({
      cfg: deps.cfg,
      clientId: `ferry-${id.gatewayId}`,
      subscriptions: this.topics.jobPrefixes.map((p) => `${p}+`),
      will: { topic: this.topics.online, payload: JSON.stringify({ online: false }) },
      log: deps.log,
      onMessage: (topic, payload) => this.onMessage(topic, payload),
      onConnect: () => this.onConnect(),
      ...(deps.now ? { now: deps.now } : {}),
    });
  }

  static async start(deps: FleetBridgeDeps): Promise<FleetBridge> {
    await mkdir(join(deps.transfersRoot, FLEET_OWNER), { recursive: true, mode: 0o750 });
    const b = new FleetBridge(deps);
    await b.jobs.start();
    b.offConditions = deps.conditions.onChange(() => b.reporter.check());
    b.link.start();
    return b;
  }

  health(): LinkHealth {
    return this.link.health();
  }

  /** MQTT bytes on the wire since start: for the data-plan usage (a counter the agent can add in). */
  traffic(): { sent: number; received: number } {
    return this.link.traffic();
  }

  /** GET /v1/fleet. */
  view() {
    const id = fleetIdentity(this.deps.cfg);
    return {
      ...this.health(),
      broker: this.deps.cfg.url,
      gatewayId: id.gatewayId,
      groups: id.groups,
      topicPrefix: id.prefix,
      bytes: this.traffic(),
      outbox: this.store.outbox().length,
      jobs: this.jobs.jobs().map((j) => ({
        job: j.jobId,
        state: j.state,
        source: j.source,
        transfers: j.transfers,
        error: j.error,
        notBefore: j.notBefore === null ? null : new Date(j.notBefore).toISOString(),
        notAfter: j.notAfter === null ? null : new Date(j.notAfter).toISOString(),
        updatedAt: j.updatedAt,
      })),
    };
  }

  async stop(): Promise<void> {
    this.offConditions?.();
    this.reporter.stop();
    this.jobs.stop();
    await this.link.stop({ topic: this.topics.online, payload: JSON.stringify({ online: false }) });
  }

  private onMessage(topic: string, payload: Buffer): Promise<void> {
    const prefix = this.topics.jobPrefixes.find((p) => topic.startsWith(p));
    const jobId = prefix === undefined ? '' : topic.slice(prefix.length);
    if (!prefix || jobId.includes('/')) return Promise.resolve();
    return this.jobs.handle(topic, jobId, payload);
  }

  private onConnect(): void {
    this.link.publish(this.topics.online, JSON.stringify({ online: true, version: this.deps.version, startedAt: this.startedAt }), true);
    for (const m of this.store.outbox()) this.link.publish(m.topic, m.payload, true, () => this.store.ackOutbox(m.jobId, m.seq));
    this.reporter.check();
  }

  private report(status: JobStatus): void {
    const topic = `${this.topics.base}/jobs/${status.job}/status`;
    const payload = JSON.stringify(status);
    const seq = this.store.putOutbox(status.job, topic, payload);
    if (this.link.connected) this.link.publish(topic, payload, true, () => this.store.ackOutbox(status.job, seq));
  }
}
