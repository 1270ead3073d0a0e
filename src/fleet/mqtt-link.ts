// The one outbound MQTT connection (MQTT.js). MQTT.js's fixed reconnect period is off: after each loss the
// link waits min(max, min·2^n) with equal jitter, so a fleet does not reconnect in one wave after a broker
// restart. Credential files are re-read at every attempt (rotated certificates need no restart).
// Counts the bytes it moves: TCP payload bytes for mqtt/mqtts (TLS records included), MQTT packet bytes
// over WebSocket.
import type { Socket } from 'node:net';
import mqtt, { MqttClient, type IClientOptions } from 'mqtt';
import type { FleetMqttConfig } from '../config/sections/fleet.js';
import type { Logger } from '../log.js';
import { readSecrets } from './fleet-config.js';
import { tlsStreamBuilder } from './tls-stream.js';

export type LinkState = 'connecting' | 'connected' | 'disconnected';

export interface LinkHealth {
  state: LinkState;
  since: string;
  lastError: string | null;
}

export interface MqttLinkDeps {
  cfg: FleetMqttConfig;
  clientId: string;
  subscriptions: string[];
  will: { topic: string; payload: string };
  log: Logger;
  /** Resolves once the message's effect is durable: only then does the broker get its PUBACK. */
  onMessage(topic: string, payload: Buffer): Promise<void>;
  onConnect(): void;
  random?: () => number;
  now?: () => number;
}

const MAX_TOPIC_BYTES = 65_535;
/** MQTT 5: the broker sends no packet larger than this (a job document is far smaller; 3.1.1 has no such limit: set the broker's message_size_limit). */
export const MAX_INBOUND_PACKET = 1024 * 1024;

interface Counted {
  bytesRead: number;
  bytesWritten: number;
}

/** MQTT.js types its stream as a plain Duplex; a net/tls socket underneath also counts its bytes. */
function isCounted(s: unknown): s is Counted {
  const c = s as Partial<Counted> | null | undefined;
  return typeof c?.bytesRead === 'number' && typeof c.bytesWritten === 'number';
}

export class MqttLink {
  private client: MqttClient | null = null;
  private state: LinkState = 'disconnected';
  private since: number;
  private lastError: string | null = null;
  private failures = 0;
  private retry: NodeJS.Timeout | null = null;
  private stopped = false;
  private bytes = { sent: 0, received: 0 };
  private live: () => { sent: number; received: number } = () => ({ sent: 0, received: 0 });
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(private readonly deps: MqttLinkDeps) {
    this.now = deps.now ?? Date.now;
    this.random = deps.random ?? Math.random;
    this.since = this.now();
  }

  start(): void {
    this.connect();
  }

  get connected(): boolean {
    return this.state === 'connected';
  }

  health(): LinkHealth {
    return { state: this.state, since: new Date(this.since).toISOString(), lastError: this.lastError };
  }

  /** Bytes sent and received over the broker connection since the agent started. */
  traffic(): { sent: number; received: number } {
    const l = this.live();
    return { sent: this.bytes.sent + l.sent, received: this.bytes.received + l.received };
  }

  /**
   * QoS 1 publish; `done` runs on the broker's PUBACK (never, if the connection drops first). Never
   * throws: it runs from MQTT.js's own events (connect, acks), where a throw would end the agent.
   */
  publish(topic: string, payload: string, retain: boolean, done?: () => void): void {
    // MQTT topics are at most 65 535 bytes; MQTT.js writes a longer one as a broken packet and throws.
    if (Buffer.byteLength(topic) > MAX_TOPIC_BYTES) {
      this.deps.log.warn({ component: 'fleet', topicBytes: Buffer.byteLength(topic) }, 'not published: topic too long');
      return;
    }
    try {
      this.client?.publish(topic, payload, { qos: 1, retain }, (err) => {
        if (err) return;
        try {
          done?.();
        } catch (e) {
          this.deps.log.warn({ component: 'fleet', topic, err: (e as Error)?.message }, 'could not record the broker\'s acknowledgement; the message is sent again at the next connect');
        }
      });
    } catch (e) {
      this.deps.log.warn({ component: 'fleet', topic, err: (e as Error)?.message }, 'publish failed');
    }
  }

  /** Publishes `last` (e.g. offline) if connected, then closes the connection. */
  async stop(last?: { topic: string; payload: string }): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    const c = this.client;
    if (!c) return;
    if (last && this.connected) {
      await new Promise<void>((r) => {
        const t = setTimeout(r, 2000);
        c.publish(last.topic, last.payload, { qos: 1, retain: true }, () => (clearTimeout(t), r()));
      });
    }
    await new Promise<void>((r) => c.end(false, {}, () => r()));
    this.setState('disconnected');
  }

  /** Delay before the next attempt: exponential in the failures since the last success, equal jitter. */
  nextDelayMs(): number {
    const { reconnectMinS, reconnectMaxS } = this.deps.cfg;
    const base = Math.min(reconnectMaxS, reconnectMinS * 2 ** Math.min(this.failures, 30)) * 1000;
    return base / 2 + (this.random() * base) / 2;
  }

  private setState(s: LinkState): void {
    if (s === this.state) return;
    this.state = s;
    this.since = this.now();
  }

  private connect(): void {
    if (this.stopped) return;
    const cfg = this.deps.cfg;
    this.setState('connecting');
    let opts: IClientOptions;
    let secrets: ReturnType<typeof readSecrets>;
    try {
      secrets = readSecrets(cfg);
      opts = {
        clientId: this.deps.clientId,
        protocolVersion: cfg.protocolVersion,
        // A persistent session: a withdrawal published while the gateway is offline waits for it.
        clean: false,
        ...(cfg.protocolVersion === 5 ? { properties: { sessionExpiryInterval: cfg.sessionExpiryS, maximumPacketSize: MAX_INBOUND_PACKET } } : {}),
        keepalive: cfg.keepaliveS,
        reconnectPeriod: 0,
        connectTimeout: cfg.connectTimeoutS * 1000,
        resubscribe: false,
        queueQoSZero: false,
        rejectUnauthorized: true,
        will: { topic: this.deps.will.topic, payload: Buffer.from(this.deps.will.payload), qos: 1, retain: true },
        ...(cfg.username ? { username: cfg.username } : {}),
        ...secrets,
      };
    } catch (e) {
      this.fail(`cannot read credentials: ${(e as Error).message}`);
      return;
    }
    const url = new URL(cfg.url);
    let wire: Socket | null = null;
    const client =
      url.protocol === 'mqtts:'
        ? new MqttClient(tlsStreamBuilder(url, secrets, (tcp) => (wire = tcp)), opts)
        : mqtt.connect(cfg.url, opts);
    this.client = client;
    const packets = { sent: 0, received: 0 };
    const size = (p: { length?: number }) => (p.length ?? 0) + 2;
    client.on('packetsend', (p) => (packets.sent += size(p)));
    client.on('packetreceive', (p) => (packets.received += size(p)));
    const counted = (): { sent: number; received: number } => {
      const s: unknown = wire ?? client.stream;
      if (isCounted(s)) return { sent: s.bytesWritten, received: s.bytesRead };
      return packets;
    };
    this.live = counted;
    client.handleMessage = (packet, cb) => {
      const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
      this.deps.onMessage(packet.topic, payload).then(
        () => cb(),
        (e: unknown) => {
          // Not acknowledged. MQTT.js's packet pump goes on only once cb is called; the broker redelivers
          // an unacknowledged message on the next connection, so the link restarts (after its backoff).
          this.deps.log.error({ component: 'fleet', topic: packet.topic, err: (e as Error)?.message }, 'job message not applied; reconnecting for its redelivery');
          cb(e instanceof Error ? e : new Error(String(e)));
          this.lastError = `job message not applied: ${(e as Error)?.message ?? String(e)}`;
          client.end(true);
        },
      );
    };
    client.on('connect', () => {
      this.failures = 0;
      this.lastError = null;
      this.setState('connected');
      this.deps.log.info({ component: 'fleet', url: cfg.url }, 'broker connected');
      client.subscribe(this.deps.subscriptions, { qos: 1 }, (err) => {
        if (err) this.lastError = `subscribe: ${err.message}`;
      });
      try {
        this.deps.onConnect();
      } catch (e) {
        // Inside MQTT.js's 'connect' event a throw would end the agent; the outbox is sent again next time.
        this.deps.log.warn({ component: 'fleet', err: (e as Error)?.message }, 'could not send what waited for the connection');
      }
    });
    client.on('error', (e) => {
      this.lastError = e.message;
    });
    let closed = false;
    client.on('close', () => {
      if (closed || client !== this.client) return;
      closed = true;
      const c = counted();
      this.bytes.sent += c.sent;
      this.bytes.received += c.received;
      this.live = () => ({ sent: 0, received: 0 });
      client.removeAllListeners('connect');
      client.end(true);
      if (this.stopped) return;
      if (this.state === 'connected') this.deps.log.warn({ component: 'fleet', err: this.lastError }, 'broker connection lost');
      this.fail(this.lastError ?? 'connection closed');
    });
  }

  private fail(why: string): void {
    this.lastError = why;
    this.setState('disconnected');
    const delay = this.nextDelayMs();
    this.failures += 1;
    this.deps.log.info({ component: 'fleet', err: why, retryInS: Math.round(delay / 100) / 10 }, 'broker unavailable; retrying');
    this.retry = setTimeout(() => this.connect(), delay);
    this.retry.unref();
  }
}
