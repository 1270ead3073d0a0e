// Follows one D-Bus service: who owns its name (NameOwnerChanged), its signals, and a full re-read on
// each relevant signal. Invariant: current() is null exactly while the service is gone or unreadable,
// and never throws; reads are serialised, so a stale read can never overwrite a newer one.
import { isDeepStrictEqual } from 'node:util';
import type { Logger } from '../log.js';
import { addMatch, getNameOwner, removeMatch, DBUS_NAME, type DbusMessage, type MessageBus } from './dbus-call.js';
import { Published } from './published.js';

const SIGNAL = 4; // dbus-next MessageType.SIGNAL

export interface ServiceReaderOptions<T> {
  bus: MessageBus;
  /** Well-known bus name, e.g. org.freedesktop.NetworkManager. */
  name: string;
  /** Signals from the service under this object path namespace are followed. */
  pathNamespace: string;
  log: Logger;
  /** Full read of what this reader needs; throws when the service cannot answer. */
  read(): Promise<T>;
  /** Which signals (from the service, in the namespace) deserve a re-read. */
  relevant(msg: DbusMessage): boolean;
  /** Retry delay after a failed read while the service is on the bus. */
  retryMs?: number;
}

export interface ServiceReader<T> {
  /** Last good read, or null while the service is unavailable. */
  current(): T | null;
  onChange(listener: (value: T | null) => void): () => void;
  close(): Promise<void>;
}

/** Starts following the service; resolves after the first read attempt (found or not). */
export async function startServiceReader<T>(opts: ServiceReaderOptions<T>): Promise<ServiceReader<T>> {
  const { bus, name, log } = opts;
  const retryMs = opts.retryMs ?? 5000;
  const value = new Published<T | null>(null, isDeepStrictEqual);
  let owner: string | null = null;
  let generation = 0; // bumped on every owner change: reads started before it are discarded
  let reading: Promise<void> | null = null;
  let again = false;
  let closed = false;
  let unavailableLogged = false;
  let retryTimer: NodeJS.Timeout | null = null;

  const rules = [
    `type='signal',sender='${name}',path_namespace='${opts.pathNamespace}'`,
    `type='signal',sender='${DBUS_NAME}',interface='${DBUS_NAME}',member='NameOwnerChanged',arg0='${name}'`,
  ];

  function set(next: T | null): void {
    value.set(next);
  }

  function markUnavailable(why: string, err?: unknown): void {
    if (!unavailableLogged) {
      unavailableLogged = true;
      log.warn({ service: name, err: err instanceof Error ? err.message : err }, `${name} unavailable: ${why}`);
    }
    set(null);
  }

  function scheduleRetry(): void {
    if (closed || retryTimer || owner === null) return;
    retryTimer = setTimeout(() => {
      retryTimer = null;
      refresh();
    }, retryMs);
    retryTimer.unref?.();
  }

  function refresh(): void {
    if (closed) return;
    if (reading) {
      again = true;
      return;
    }
    reading = (async () => {
      do {
        again = false;
        const gen = generation;
        if (owner === null) break;
        try {
          const next = await opts.read();
          if (closed || gen !== generation || owner === null) continue;
          if (unavailableLogged) log.info({ service: name }, `${name} available again`);
          unavailableLogged = false;
          set(next);
        } catch (e) {
          if (closed || gen !== generation) continue;
          markUnavailable('read failed', e);
          scheduleRetry();
        }
      } while (again && !closed);
    })().finally(() => {
      reading = null;
    });
  }

  function onMessage(msg: DbusMessage): void {
    if (closed || msg.type !== SIGNAL) return;
    if (msg.sender === DBUS_NAME && msg.member === 'NameOwnerChanged' && msg.body[0] === name) {
      const next = (msg.body[2] as string) || null;
      if (next === owner) return;
      owner = next;
      generation += 1;
      if (owner === null) markUnavailable('left the bus');
      else refresh();
      return;
    }
    if (owner === null || msg.sender !== owner) return;
    const path = msg.path ?? '';
    if (path !== opts.pathNamespace && !path.startsWith(`${opts.pathNamespace}/`)) return;
    if (!opts.relevant(msg)) return;
    refresh();
  }

  bus.on('message', onMessage);
  try {
    for (const r of rules) await addMatch(bus, r);
    const found = await getNameOwner(bus, name);
    if (owner === null && found !== null) {
      owner = found;
      generation += 1;
    }
    if (owner === null) markUnavailable('not on the bus');
    else {
      refresh();
      await reading;
    }
  } catch (e) {
    markUnavailable('bus error', e);
  }

  return {
    current: () => value.current(),
    onChange: (listener) => value.onChange(listener),
    async close() {
      if (closed) return;
      closed = true;
      if (retryTimer) clearTimeout(retryTimer);
      bus.removeListener('message', onMessage);
      value.clear();
      await Promise.allSettled(rules.map((r) => removeMatch(bus, r)));
    },
  };
}
