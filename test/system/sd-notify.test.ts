// The notifier's messages follow sd_notify(3) and free text cannot inject extra assignments.
import { describe, expect, it } from 'vitest';
import { FerryError, isFerryError } from '../../src/errors.js';
import { createNotifier, statusLine } from '../../src/system/sd-notify.js';

function recorder() {
  const sent: string[] = [];
  return { sent, send: (state: string) => (sent.push(state), true) };
}

describe('createNotifier', () => {
  it('sends the standard state assignments', () => {
    const r = recorder();
    const n = createNotifier(r.send);
    n.ready();
    n.status('3 transfers running');
    n.reloading();
    n.watchdog();
    n.stopping();
    expect(r.sent).toEqual(['READY=1', 'STATUS=3 transfers running', 'RELOADING=1', 'WATCHDOG=1', 'STOPPING=1']);
  });

  it('can announce readiness and a status in one datagram', () => {
    const r = recorder();
    createNotifier(r.send).ready('listening');
    expect(r.sent).toEqual(['READY=1\nSTATUS=listening']);
  });

  it('flattens newlines in status text so it cannot smuggle in READY=1 or MAINPID=', () => {
    const r = recorder();
    createNotifier(r.send).status('bad\nREADY=1\r\nMAINPID=1');
    expect(r.sent).toEqual(['STATUS=bad READY=1 MAINPID=1']);
    expect(r.sent[0]?.split('\n')).toHaveLength(1);
    expect(statusLine('  a\tb\u0000c  ')).toBe('a b c');
  });

  it('passes through false when no manager listens', () => {
    expect(createNotifier(() => false).ready()).toBe(false);
  });

  it('throws a FerryError when the send fails and no error handler is given', () => {
    const n = createNotifier(() => {
      throw new Error('sendto: Connection refused (ECONNREFUSED)');
    });
    let err: unknown;
    try {
      n.watchdog();
    } catch (e) {
      err = e;
    }
    expect(isFerryError(err) && err.code).toBe('INTERNAL');
  });

  it('reports a failed send to the error handler and returns false instead of throwing', () => {
    const seen: FerryError[] = [];
    const n = createNotifier(() => {
      throw new FerryError('INTERNAL', 'sd_notify to /run/x failed');
    }, (e) => seen.push(e));
    expect(n.status('x')).toBe(false);
    expect(seen.map((e) => e.message)).toEqual(['sd_notify to /run/x failed']);
  });
});
