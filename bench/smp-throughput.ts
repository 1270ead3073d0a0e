// SMP file transfer throughput and efficiency: fs download/upload through the serial console framing
// on a real pty against the simulator, and BLE (ATT MTU 247) efficiency computed from the same
// packets. Run: npx tsx bench/smp-throughput.ts [KiB]. A pty has no baud limit, so B/s here is CPU
// bound; the "@115200" column converts wire efficiency into what a real 115200-baud UART would give.
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { SmpClient } from '../src/sync/smp/smp-client.js';
import { SerialTransport } from '../drivers/serial/serial-transport.js';
import { rawBytesPerFrame } from '../drivers/serial/serial-framing.js';
import { openPtyPair } from '../test/support/pty.js';
import { attachSerial, defaultBinding } from '../test/support/smp-sim/serial-frontend.js';
import { LoopbackTransport } from '../test/support/smp-sim/loopback-transport.js';
import { SmpDeviceSim } from '../test/support/smp-sim/smp-device-sim.js';

const SIZE = Number(process.argv[2] ?? 64) * 1024;
const UART_BYTES_PER_S = 115200 / 10; // 8N1: 10 bits per byte

interface Row {
  link: string;
  dir: 'download' | 'upload';
  bufSize: number;
  payload: number;
  ms: number | undefined;
  wire: number;
  limit: number;
}

function framingLimit(lineLength: number): number {
  const raw = rawBytesPerFrame(lineLength);
  return raw / ((raw / 3) * 4 + 3);
}

async function serialRun(lineLength: number, bufSize: number): Promise<Row[]> {
  const pty = await openPtyPair();
  const sim = new SmpDeviceSim({ bufSize, downloadChunkSize: bufSize });
  const device = await attachSerial(pty.b, sim, { lineLength, maxRxLineLength: lineLength });
  const transport = new SerialTransport(defaultBinding(), { path: pty.a, lineLength, mtu: bufSize });
  await transport.open();
  const client = new SmpClient(transport, { timeoutMs: 2000, retries: 1 });
  const file = new Uint8Array(randomBytes(SIZE));
  sim.files.set('/lfs/bench.bin', file);
  const rows: Row[] = [];
  try {
    await client.os.params(); // warm-up and cache params outside the timed part
    for (const dir of ['download', 'upload'] as const) {
      const before = device.counters.rxBytes + device.counters.txBytes;
      const t0 = performance.now();
      if (dir === 'download') await client.fs.download('/lfs/bench.bin', { onChunk: () => undefined });
      else await client.fs.upload('/lfs/up.bin', file);
      const ms = performance.now() - t0;
      const wire = device.counters.rxBytes + device.counters.txBytes - before;
      rows.push({ link: `serial L=${lineLength}`, dir, bufSize, payload: SIZE, ms, wire, limit: framingLimit(lineLength) });
    }
  } finally {
    await transport.close();
    await device.close();
    await pty.close();
  }
  return rows;
}

// BLE: SMP packets go unframed into GATT writes/notifications of at most ATT_MTU - 3 bytes; each
// PDU also costs the ATT opcode + handle (3) and the L2CAP header (4). Link-layer overhead excluded.
async function bleRun(attMtu: number, bufSize: number): Promise<Row[]> {
  const sim = new SmpDeviceSim({ bufSize, downloadChunkSize: bufSize });
  const transport = new LoopbackTransport(sim, bufSize, 'ble');
  await transport.open();
  const client = new SmpClient(transport, { timeoutMs: 2000 });
  const file = new Uint8Array(randomBytes(SIZE));
  sim.files.set('/lfs/bench.bin', file);
  await client.os.params();
  const per = attMtu - 3;
  const onAir = (pkts: Uint8Array[]) => pkts.reduce((n, p) => n + p.length + Math.ceil(p.length / per) * 7, 0);
  const rows: Row[] = [];
  for (const dir of ['download', 'upload'] as const) {
    const s0 = transport.sent.length;
    const r0 = transport.received.length;
    if (dir === 'download') await client.fs.download('/lfs/bench.bin', { onChunk: () => undefined });
    else await client.fs.upload('/lfs/up.bin', file);
    const wire = onAir(transport.sent.slice(s0)) + onAir(transport.received.slice(r0));
    rows.push({ link: `BLE ATT MTU ${attMtu}`, dir, bufSize, payload: SIZE, ms: undefined, wire, limit: per / (per + 7) });
  }
  await transport.close();
  return rows;
}

function print(rows: Row[]): void {
  const head = ['link', 'dir', 'dev buf', 'payload B', 'B/s (pty)', 'wire B', 'payload/wire', 'framing limit', 'of limit', 'B/s @115200'];
  const lines = rows.map((r) => {
    const eff = r.payload / r.wire;
    return [
      r.link,
      r.dir,
      String(r.bufSize),
      String(r.payload),
      r.ms === undefined ? '-' : Math.round((r.payload / r.ms) * 1000).toString(),
      String(r.wire),
      `${(eff * 100).toFixed(1)} %`,
      `${(r.limit * 100).toFixed(1)} %`,
      `${((eff / r.limit) * 100).toFixed(1)} %`,
      r.link.startsWith('serial') ? Math.round(eff * UART_BYTES_PER_S).toString() : '-',
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i]!)).join('  ');
  console.log(fmt(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const l of lines) console.log(fmt(l));
}

const rows: Row[] = [];
for (const [lineLength, bufSize] of [[127, 384], [127, 2048], [512, 2048]] as const) rows.push(...(await serialRun(lineLength, bufSize)));
for (const bufSize of [384, 2048]) rows.push(...(await bleRun(247, bufSize)));
console.log(`SMP fs transfer of ${SIZE} bytes (simulator; serial over a socat pty)\n`);
print(rows);
