// `ferryctl devices`: the agent's devices (GET /v1/devices) as a table — transport, presence, what it
// is doing and its last sync — followed by serial ports seen that no device claims.
import { renderTable } from '../format/table.js';
import { shortId } from '../format/transfer.js';
import type { Command } from './command.js';
import { EXIT, printJson } from './command.js';

export interface ApiDevice {
  id: string;
  protocol: string;
  transport: string;
  state: string;
  reason: string | null;
  activity: string;
  jobs: { outstanding: number; running: number; ids: string[] };
  lastSync: { at: string; state: string; transferId: string; op: string; remote: string; error: { code: string; message: string } | null } | null;
  capture?: { capturing: boolean; lines: number; filesRotated: number; droppedLines: number };
}

export interface ApiSeenPort {
  transport: string;
  vendorId: string | null;
  productId: string | null;
  product: string | null;
}

function lastSyncWords(d: ApiDevice): string {
  if (d.capture) return `${d.capture.lines} lines, ${d.capture.filesRotated} files${d.capture.droppedLines ? `, ${d.capture.droppedLines} dropped` : ''}`;
  const l = d.lastSync;
  if (!l) return 'never';
  const what = `${l.op} ${l.remote} ${l.state} ${l.at.replace('T', ' ').replace(/\.\d+Z$/, 'Z')} (${shortId(l.transferId)})`;
  return l.error ? `${what}: ${l.error.code}` : what;
}

export const devicesCommand: Command = {
  name: 'devices',
  summary: 'list connected devices: transport, presence, activity and last sync',
  args: '',
  options: {},
  positionals: { min: 0, max: 0 },
  async run({ client, io, json }) {
    const r = await client.json<{ devices: ApiDevice[]; seen: ApiSeenPort[] }>('GET', '/v1/devices');
    if (json) {
      printJson(io, r);
      return EXIT.OK;
    }
    if (r.devices.length === 0) io.stdout.write('no devices configured\n');
    else {
      const rows = r.devices.map((d) => [
        d.id,
        d.protocol,
        d.transport,
        d.reason && d.state !== 'present' ? `${d.state} (${d.reason})` : d.state,
        d.jobs.outstanding ? `${d.activity} (${d.jobs.outstanding} jobs)` : d.activity,
        lastSyncWords(d),
      ]);
      io.stdout.write(renderTable(['ID', 'PROTOCOL', 'TRANSPORT', 'STATE', 'ACTIVITY', 'LAST SYNC'], rows) + '\n');
    }
    if (r.seen.length > 0) {
      io.stdout.write('\nserial ports not configured:\n');
      const rows = r.seen.map((p) => [p.transport, [p.vendorId, p.productId].filter(Boolean).join(':') || '-', p.product ?? '']);
      io.stdout.write(renderTable(['TRANSPORT', 'USB ID', 'PRODUCT'], rows) + '\n');
    }
    return EXIT.OK;
  },
};
