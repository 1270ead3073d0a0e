// Runs a simulator behind the far end of a real tty (a socat pty): SMP console framing both ways,
// with the device-side quirks — its TX frame size, an RX line buffer that drops longer frames,
// corrupted CRCs on answers — and an unplug hook when the simulator "disconnects".
import { createRequire } from 'node:module';
import { encodeSerialFrames, SerialFrameDecoder, type DropReason } from '../../../drivers/serial/serial-framing.js';
import type { SerialBindingLike, SerialPortLike } from '../../../drivers/serial/serial-port-link.js';
import type { SmpDeviceSim } from './smp-device-sim.js';

export interface SerialFrontendOptions {
  /** Frame size the device sends (default 127). */
  lineLength?: number;
  /** Device RX line buffer incl. marker and newline; longer frames are lost (default 127). */
  maxRxLineLength?: number;
  /** Corrupt the CRC of the next N answers. */
  crcErrors?: number;
  /** Called when the simulator disconnects (pass the pty pair's unplug). */
  onDisconnect?: () => void | Promise<void>;
  binding?: SerialBindingLike;
}

export interface SerialFrontend {
  /** Mutable: set to inject more CRC errors. */
  knobs: { crcErrors: number };
  readonly counters: { rxBytes: number; txBytes: number; drops: { reason: DropReason; detail: string }[] };
  close(): Promise<void>;
}

export function defaultBinding(): SerialBindingLike {
  const require = createRequire(import.meta.url);
  return (require('@serialport/bindings-cpp') as { autoDetect(): SerialBindingLike }).autoDetect();
}

function corruptCrc(frames: Uint8Array[]): void {
  // The last raw byte of the last frame is the CRC's low byte; each frame is base64 on its own.
  const i = frames.length - 1;
  const f = frames[i]!;
  const raw = Buffer.from(Buffer.from(f.subarray(2, f.length - 1)).toString('latin1'), 'base64');
  raw[raw.length - 1]! ^= 0xff;
  const b64 = Buffer.from(raw.toString('base64'), 'latin1');
  const out = new Uint8Array(b64.length + 3);
  out.set(f.subarray(0, 2), 0);
  out.set(b64, 2);
  out[out.length - 1] = 0x0a;
  frames[i] = out;
}

export async function attachSerial(ptyPath: string, sim: SmpDeviceSim, opts: SerialFrontendOptions = {}): Promise<SerialFrontend> {
  const binding = opts.binding ?? defaultBinding();
  const port: SerialPortLike = await binding.open({ path: ptyPath, baudRate: 115200 });
  const knobs = { crcErrors: opts.crcErrors ?? 0 };
  const counters: SerialFrontend['counters'] = { rxBytes: 0, txBytes: 0, drops: [] };
  let closed = false;
  let writes: Promise<void> = Promise.resolve();
  const write = (frames: Uint8Array[]) => {
    writes = writes.then(async () => {
      for (const f of frames) {
        if (closed) return;
        counters.txBytes += f.length;
        await port.write(Buffer.from(f));
      }
    }).catch(() => undefined);
  };
  const decoder = new SerialFrameDecoder(
    {
      onPacket: (pkt) => {
        void sim.handle(pkt).then((rsps) => {
          for (const r of rsps) {
            const frames = encodeSerialFrames(r, opts.lineLength ?? 127);
            if (knobs.crcErrors > 0) {
              knobs.crcErrors--;
              corruptCrc(frames);
            }
            write(frames);
          }
        });
      },
      onDrop: (reason, detail) => counters.drops.push({ reason, detail }),
    },
    { maxLineLength: (opts.maxRxLineLength ?? 127) - 1 },
  );
  const onDisconnect = () => void opts.onDisconnect?.();
  sim.on('disconnect', onDisconnect);
  void (async () => {
    const buf = Buffer.alloc(4096);
    while (!closed) {
      try {
        const { bytesRead } = await port.read(buf, 0, buf.length);
        counters.rxBytes += bytesRead;
        decoder.push(buf.subarray(0, bytesRead));
      } catch {
        return; // port closed or pty gone
      }
    }
  })();
  return {
    knobs,
    counters,
    close: async () => {
      if (closed) return;
      closed = true;
      sim.off('disconnect', onDisconnect);
      await port.close().catch(() => undefined);
    },
  };
}
