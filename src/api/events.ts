// GET /v1/events: Server-Sent Events. `transfer` on any change the caller may see (the scheduler already
// throttles progress to ~2/s per transfer), `conditions` on every snapshot change; a comment line keeps idle
// streams alive through proxies and lets us notice dead clients.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ConditionsSource } from '../conditions/snapshot.js';
import { publicTransfer, type TransferRecord } from '../model/transfer.js';
import type { Scheduler } from '../scheduler/scheduler.js';

const KEEPALIVE_MS = 15_000;

export function openEventStream(
  req: IncomingMessage,
  res: ServerResponse,
  src: { scheduler: Scheduler; conditions: ConditionsSource; visible: (t: TransferRecord) => boolean },
): void {
  const write = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  const onTransfer = (t: TransferRecord) => {
    if (src.visible(t)) write('transfer', publicTransfer(t));
  };
  const onRemoved = (t: TransferRecord) => {
    if (src.visible(t)) write('removed', { id: t.id });
  };
  // Subscribe before the client sees the head: a client that subscribes and then reads current
  // state must not miss a change made in between.
  src.scheduler.on('transfer', onTransfer);
  src.scheduler.on('removed', onRemoved);
  const off = src.conditions.onChange((c) => write('conditions', c));
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  res.flushHeaders();
  write('conditions', src.conditions.current());
  const keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
  keepalive.unref();
  const cleanup = () => {
    clearInterval(keepalive);
    src.scheduler.off('transfer', onTransfer);
    src.scheduler.off('removed', onRemoved);
    off();
  };
  req.on('close', cleanup);
  res.on('close', cleanup);
}
