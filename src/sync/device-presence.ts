// Which configured devices are there right now, as each kind's provider watch reports it (serial: the
// node exists; usb: hotplug; ble and udp: optimistically, a connect attempt is the probe). A device a job
// just lost stays `absent` until it is seen to come back (or a recheck period passes), so a
// dead-but-present tty does not make a job flap. Emits 'change' (id, DevicePresence) on every state change.
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { DeviceConfig } from '../config/sections/devices.js';
import type { DeviceHardware } from './device-hardware.js';
import { describeTransport, deviceProblems } from './device-config.js';
import { providerFor, TRANSPORT_PROVIDERS } from './transports/providers.js';
import type { PresenceSink, PresenceWatch } from './transports/transport-provider.js';

export type PresenceState = 'present' | 'absent' | 'unknown' | 'unavailable' | 'invalid';

export interface DevicePresence {
  id: string;
  kind: DeviceConfig['transport']['kind'];
  transport: string;
  state: PresenceState;
  /** Why it is absent / unavailable / invalid, in words. */
  reason: string | null;
  since: string;
  lastSeenAt: string | null;
}

export interface PresenceOptions {
  devices: readonly DeviceConfig[];
  hw: DeviceHardware;
  log: Logger;
  now?: () => number;
  /** After a job lost a device whose node stays, try it again after this long (default 10 s). */
  recheckMs?: number;
}

interface Entry extends DevicePresence {
  config: DeviceConfig;
  /** Set when a job lost the device: it comes back only when its node reappears or the recheck is due. */
  lostAt: number | null;
  sawGone: boolean;
}

export class DevicePresenceTracker extends EventEmitter {
  private readonly entries = new Map<string, Entry>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly watches: PresenceWatch[] = [];
  private readonly now: () => number;
  private readonly log: Logger;
  private readonly recheckMs: number;
  private closed = false;

  constructor(private readonly opts: PresenceOptions) {
    super();
    this.now = opts.now ?? Date.now;
    this.log = opts.log.child({ component: 'device-presence' });
    this.recheckMs = opts.recheckMs ?? 10_000;
    const problems = deviceProblems(opts.devices);
    for (const d of opts.devices) {
      if (this.entries.has(d.id)) continue;
      const problem = problems.get(d.id);
      this.entries.set(d.id, {
        id: d.id, kind: d.transport.kind, transport: describeTransport(d.transport), config: d,
        state: problem ? 'invalid' : 'unknown', reason: problem ?? null, since: this.iso(), lastSeenAt: null, lostAt: null, sawGone: false,
      });
      if (problem) this.log.warn({ device: d.id, problem }, 'device config is invalid; device ignored');
    }
  }

  /** Looks once at every device (so the first decision pass knows), then keeps watching. */
  async start(): Promise<void> {
    const valid = [...this.entries.values()].filter((e) => e.state !== 'invalid');
    for (const provider of Object.values(TRANSPORT_PROVIDERS)) {
      const mine = valid.filter((e) => e.kind === provider.kind).map((e) => e.config);
      if (mine.length === 0) continue;
      const watch = await provider.watch(mine, this.sink, { hw: this.opts.hw, log: this.log });
      if (this.closed) watch.stop();
      else this.watches.push(watch);
    }
    const t = setInterval(() => this.recheck(), Math.min(this.recheckMs, 5000));
    t.unref();
    this.timers.push(t);
  }

  get(id: string): DevicePresence | undefined {
    const e = this.entries.get(id);
    return e ? publicView(e) : undefined;
  }

  all(): DevicePresence[] {
    return [...this.entries.values()].map(publicView);
  }

  /** For the conditions snapshot: devices whose presence is known (unknown and invalid ones are left out). */
  snapshot(): Record<string, { present: boolean; transport: string }> {
    const out: Record<string, { present: boolean; transport: string }> = {};
    for (const e of this.entries.values()) {
      if (e.state === 'unknown' || e.state === 'invalid') continue;
      out[e.id] = { present: e.state === 'present', transport: e.kind };
    }
    return out;
  }

  /** A job lost the device (link dropped, node gone): hold its jobs until it is seen again. */
  markAbsent(id: string, reason: string): void {
    const e = this.entries.get(id);
    if (!e || e.state === 'invalid' || e.state === 'unavailable') return;
    e.lostAt = this.now();
    // Already seen gone by the poller: the next sighting of the node is a replug.
    if (e.state !== 'absent') e.sawGone = false;
    this.set(e, 'absent', reason);
  }

  /** A job reached the device: it is there whatever the watchers thought. */
  markPresent(id: string): void {
    const e = this.entries.get(id);
    if (!e || e.state === 'invalid' || e.state === 'unavailable') return;
    e.lostAt = null;
    e.lastSeenAt = this.iso();
    this.set(e, 'present', null);
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    for (const w of this.watches.splice(0)) w.stop();
    this.removeAllListeners();
  }

  /** What the providers' watches report. */
  private readonly sink: PresenceSink = {
    seen: (id) => {
      const e = this.watched(id);
      if (!e) return;
      e.lastSeenAt = this.iso();
      // Lost by a job while the node stayed: wait for it to come back, or for the recheck.
      if (e.lostAt !== null && !e.sawGone && this.now() - e.lostAt < this.recheckMs) return;
      e.lostAt = null;
      if (e.state !== 'present') this.set(e, 'present', null);
    },
    arrived: (id) => {
      const e = this.watched(id);
      if (!e) return;
      e.lostAt = null;
      e.lastSeenAt = this.iso();
      this.set(e, 'present', null);
    },
    gone: (id, reason) => {
      const e = this.watched(id);
      if (!e) return;
      e.sawGone = true;
      if (e.state !== 'absent') this.set(e, 'absent', reason);
    },
    unavailable: (id, reason) => {
      const e = this.watched(id);
      if (e) this.set(e, 'unavailable', reason);
    },
  };

  private watched(id: string): Entry | undefined {
    const e = this.entries.get(id);
    return this.closed || e === undefined || e.state === 'invalid' ? undefined : e;
  }

  /** Kinds without a watcher: after a loss, let jobs probe again once the recheck period passed. */
  private recheck(): void {
    for (const e of this.entries.values()) {
      if (e.state !== 'absent' || e.lostAt === null || this.now() - e.lostAt < this.recheckMs) continue;
      const after = providerFor(e.kind).afterLoss;
      if (after === null) continue;
      e.lostAt = null;
      this.set(e, after, null);
    }
  }

  private set(e: Entry, state: PresenceState, reason: string | null): void {
    if (e.state === state && e.reason === reason) return;
    const from = e.state;
    e.state = state;
    e.reason = reason;
    e.since = this.iso();
    if (state === 'present') e.lastSeenAt = e.since;
    if (from !== state) this.log.info({ device: e.id, from, state, reason }, 'device presence');
    this.emit('change', e.id, publicView(e));
  }

  private iso(): string {
    return new Date(this.now()).toISOString();
  }
}

function publicView(e: Entry): DevicePresence {
  return { id: e.id, kind: e.kind, transport: e.transport, state: e.state, reason: e.reason, since: e.since, lastSeenAt: e.lastSeenAt };
}
