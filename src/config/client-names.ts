// Client names the agent gives itself or its callers: `root` (uid 0), `uid-N` (an unlisted peer),
// `device-sync` (jobs the agent queues for devices) and `fleet` (jobs from the fleet bridge). A configured
// client with one of them would own, and see, what the agent or another caller owns.
import type { ConfigIssue } from './load.js';

const RESERVED = new Set(['root', 'device-sync', 'fleet']);

export function isReservedClientName(name: string): boolean {
  const n = name.toLowerCase();
  return RESERVED.has(n) || /^uid-\d+$/.test(n);
}

export function reservedNameIssues(config: { clients: { list: Array<{ name: string }> } }): ConfigIssue[] {
  return config.clients.list.flatMap((c, i) =>
    isReservedClientName(c.name)
      ? [{ path: `clients.list[${i}].name`, message: `"${c.name}" is reserved (root, device-sync, fleet and uid-N name the agent's own callers)` }]
      : [],
  );
}
