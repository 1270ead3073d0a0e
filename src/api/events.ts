// GET /v1/events: Server-Sent Events. `transfer` on any change the caller may see (the scheduler already
// throttles progress to ~2/s per transfer), `removed` when one is deleted, `conditions` on every snapshot
// change. Events come from the queue after each change is committed, in order, each transfer carrying its
// `seq`; a comment line keeps idle streams alive through proxies and lets us notice dead clients.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ConditionsSource } from '../conditions/snapshot.js';
import type { Job } from '../model/job.js';
import { publicTransfer } from '../model/public-transfer.js';
import type { JobQueue } from '../queue/job-queue.js';

const KEEPALIVE_MS = 15_000;

export function openEventStream(
  req: IncomingMessage,
  res: ServerResponse,
  src: { queue: JobQueue; conditions: ConditionsSource; visible: (t: Job) => boolean },
): void {
  const write = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  // Subscribe before the client sees the head: a client that subscribes and then reads current
  // state must not miss a change made in between.
  const offQueue = src.queue.subscribe((e) => {
    if (!src.visible(e.job)) return;
    if (e.type === 'removed') write('removed', { id: e.job.id });
    else write('transfer', publicTransfer(e.job));
  });
  const offConditions = src.conditions.onChange((c) => write('conditions', c));
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  res.flushHeaders();
  write('conditions', src.conditions.current());
  const keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
  keepalive.unref();
  const cleanup = () => {
    clearInterval(keepalive);
    offQueue();
    offConditions();
  };
  req.on('close', cleanup);
  res.on('close', cleanup);
}
