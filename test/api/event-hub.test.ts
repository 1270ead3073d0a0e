// The event hub with a client that stops reading: events for the same transfer are coalesced (latest
// state wins) so a flip over 10 000 transfers sends a bounded number of events, and what finally arrives
// is each transfer's last state. A real HTTP server and a real socket; the queue's role is played by a
// plain event source of the same shape (subscribe → unsubscribe), which is all the hub sees of it.
import { createServer, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/load.js';
import { EventHub } from '../../src/api/events.js';
import { createLogger } from '../../src/log.js';
import { SseParser } from '../../src/cli/sse-parser.js';
import { MutableConditions } from '../support/mutable-conditions.js';
import type { QueueEvent } from '../../src/queue/job-queue.js';
import { record } from '../support/records.js';
import { makeTempDir } from '../support/tmp.js';
import { waitFor } from '../support/wait.js';

describe('event hub', () => {
  const dir = makeTempDir('ferry-hub-');
  let server: Server | null = null;
  afterEach(async () => {
    await new Promise((r) => server?.close(r));
  });

  it('coalesces a blocked client\'s events per transfer, latest state wins', async () => {
    const listeners = new Set<(e: QueueEvent) => void>();
    const queue = {
      subscribe(l: (e: QueueEvent) => void) {
        listeners.add(l);
        return () => listeners.delete(l);
      },
    };
    const cfg = defaultConfig();
    const hub = new EventHub({
      queue,
      conditions: new MutableConditions(),
      config: () => cfg,
      identify: (uid) => ({ name: 'root', uid, admin: true }),
      log: createLogger('silent'),
    });
    const path = join(dir.path, 'hub.sock');
    server = createServer((req, res) => hub.open({ name: 'root', uid: 0, admin: true }, 0, req, res));
    await new Promise<void>((r) => server!.listen(path, r));
    const client: Socket = connect(path);
    const parser = new SseParser();
    const events: Array<{ event: string; data: any }> = [];
    let head = true;
    client.on('data', (c: Buffer) => {
      let text = c.toString();
      if (head) {
        const i = text.indexOf('\r\n\r\n');
        if (i < 0) return;
        text = text.slice(i + 4);
        head = false;
      }
      events.push(...parser.push(text));
    });
    client.write('GET /v1/events HTTP/1.1\r\nhost: x\r\n\r\n');
    await waitFor(() => hub.size === 1 && events.length > 0, 5000, 'the stream to open');
    client.pause();
    const N = 10_000;
    const records = Array.from({ length: N }, (_, i) => record(`t${i}`, 'root', { tag: 'x'.repeat(200) }));
    const flips = ['waiting', 'queued', 'waiting'] as const;
    for (const state of flips) {
      for (const t of records) {
        const job = { ...t, state };
        for (const l of listeners) l({ type: 'changed', job });
      }
    }
    client.resume();
    const sent = flips.length * N;
    await waitFor(() => events.filter((e) => e.event === 'transfer').length >= N && idle(events), 20_000, 'the coalesced events');
    const transfers = events.filter((e) => e.event === 'transfer');
    console.log(`event hub: ${sent} transfer events emitted, ${transfers.length} delivered to a client that paused`);
    expect(transfers.length).toBeLessThan(sent / 2);
    const last = new Map<string, string>();
    for (const e of transfers) last.set(e.data.id, e.data.state);
    expect(last.size).toBe(N);
    expect([...last.values()].every((s) => s === 'waiting')).toBe(true);
    expect(listeners.size).toBe(1);
    client.destroy();
    await waitFor(() => hub.size === 0, 5000, 'the hub to forget the stream');
    expect(listeners.size).toBe(0);
  }, 60_000);
});

// True once no event arrived for 300 ms (the stream has drained).
let lastLen = -1;
let lastAt = 0;
function idle(events: unknown[]): boolean {
  if (events.length !== lastLen) {
    lastLen = events.length;
    lastAt = Date.now();
    return false;
  }
  return Date.now() - lastAt > 300;
}
