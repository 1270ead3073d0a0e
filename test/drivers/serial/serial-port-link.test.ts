// SerialPortLink notices an unplug even when no read or write fails: bindings-cpp's read spins on the
// 0-byte reads of a hung-up tty, so the link also watches its device node.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { TransportError } from '../../../drivers/transport.js';
import { SerialPortLink, type SerialBindingLike } from '../../../drivers/serial/serial-port-link.js';
import { makeTempDir } from '../../support/tmp.js';
import { waitFor } from '../../support/wait.js';

/** A port whose reads never end, like bindings-cpp's read on a hung-up tty. */
function silentBinding(): SerialBindingLike & { closed: number } {
  const b = {
    closed: 0,
    open: async () => ({
      read: () => new Promise<never>(() => undefined),
      write: async () => undefined,
      drain: async () => undefined,
      close: async () => void b.closed++,
    }),
  };
  return b;
}

describe('SerialPortLink', () => {
  const dir = makeTempDir('ferry-link-');
  afterEach(() => rmSync(join(dir.path, 'tty'), { force: true }));

  it('closes with DISCONNECTED and releases the port when its device node is removed', async () => {
    const node = join(dir.path, 'tty');
    writeFileSync(node, '');
    const binding = silentBinding();
    const closes: Array<TransportError | undefined> = [];
    const link = new SerialPortLink(binding, { path: node, nodeCheckMs: 20 }, { onData: () => undefined, onClose: (r) => closes.push(r) });
    await link.open();
    await new Promise((r) => setTimeout(r, 60));
    expect(closes).toEqual([]);
    rmSync(node);
    await waitFor(() => closes.length > 0, 2000, 'close');
    expect({ closes, isOpen: link.isOpen, released: binding.closed }).toEqual({
      closes: [expect.objectContaining({ code: 'DISCONNECTED', message: `${node} went away: the device node was removed` })],
      isOpen: false,
      released: 1,
    });
  });

  it('stops watching the node once closed', async () => {
    const node = join(dir.path, 'tty');
    writeFileSync(node, '');
    const closes: Array<TransportError | undefined> = [];
    const link = new SerialPortLink(silentBinding(), { path: node, nodeCheckMs: 20 }, { onData: () => undefined, onClose: (r) => closes.push(r) });
    await link.open();
    await link.close();
    rmSync(node);
    await new Promise((r) => setTimeout(r, 100));
    expect(closes).toEqual([undefined]);
  });
});
