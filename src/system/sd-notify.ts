// The daemon's side of the systemd notify protocol (Type=notify): READY, STATUS, RELOADING,
// STOPPING and WATCHDOG messages. Every message is one datagram of KEY=VALUE lines, so free text is
// flattened to one line: a newline in a status could otherwise smuggle in "READY=1" or "MAINPID=".
import { asFerryError, type FerryError } from '../errors.js';
import { sdNotify } from './native.js';

/** Sends one notify datagram; false when no manager listens (see native.ts `sdNotify`). */
export type NotifySend = (state: string) => boolean;

export interface Notifier {
  /** Start-up finished: sockets are listening and the queue is loaded. Optional status text. */
  ready(status?: string): boolean;
  /** Free-text status shown by `systemctl status`. */
  status(text: string): boolean;
  /** A SIGHUP reload began; call ready() when it is done. */
  reloading(): boolean;
  /** Orderly shutdown began; systemd then waits up to TimeoutStopSec. */
  stopping(): boolean;
  /** Watchdog keep-alive; see watchdog.ts for when it may be sent. */
  watchdog(): boolean;
}

/** One-line, control-character-free text for STATUS=. */
export function statusLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
}

/**
 * Builds a notifier over `send`. Without `onError`, a failing send throws (FerryError); with it,
 * the error is reported there and the call returns false — systemd notification is best effort, and
 * the daemon should log rather than die because the manager's socket went away.
 */
export function createNotifier(send: NotifySend = (state) => sdNotify(state), onError?: (e: FerryError) => void): Notifier {
  const notify = (state: string): boolean => {
    try {
      return send(state);
    } catch (e) {
      if (!onError) throw asFerryError(e);
      onError(asFerryError(e));
      return false;
    }
  };
  return {
    ready: (status) => notify(status === undefined ? 'READY=1' : `READY=1\nSTATUS=${statusLine(status)}`),
    status: (text) => notify(`STATUS=${statusLine(text)}`),
    reloading: () => notify('RELOADING=1'),
    stopping: () => notify('STOPPING=1'),
    watchdog: () => notify('WATCHDOG=1'),
  };
}
