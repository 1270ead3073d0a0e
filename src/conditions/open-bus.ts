// Opens the D-Bus system bus (DBUS_SYSTEM_BUS_ADDRESS or the standard socket) for the live readers.
// No bus is not an error for ferry: the result is null and one log line, and the readers fall back to sysfs.
import dbus from 'dbus-next';
import type { Logger } from '../log.js';
import type { MessageBus } from './dbus-call.js';

export async function openSystemBus(log: Logger, timeoutMs = 3000): Promise<MessageBus | null> {
  let bus: MessageBus;
  try {
    bus = dbus.systemBus();
  } catch (e) {
    log.warn({ err: (e as Error).message }, 'no D-Bus system bus');
    return null;
  }
  const ok = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => done(false, new Error('timed out connecting')), timeoutMs);
    function done(connected: boolean, err?: unknown): void {
      clearTimeout(timer);
      bus.removeListener('connect', onConnect);
      bus.removeListener('error', onError);
      if (!connected) log.warn({ err: err instanceof Error ? err.message : String(err) }, 'no D-Bus system bus');
      resolve(connected);
    }
    const onConnect = () => done(true);
    const onError = (err: unknown) => done(false, err);
    bus.on('connect', onConnect);
    bus.on('error', onError);
  });
  // An 'error' event without a listener would throw out of the event loop.
  bus.on('error', (err: unknown) => log.warn({ err: err instanceof Error ? err.message : String(err) }, 'D-Bus system bus error'));
  if (!ok) {
    try {
      bus.disconnect();
    } catch {
      // the socket never opened
    }
    return null;
  }
  return bus;
}
