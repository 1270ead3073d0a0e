// GET /v1/metrics in the Prometheus text format: queue by state, bytes moved, the conditions that matter.
import type { Conditions } from '../conditions/snapshot.js';
import type { Job } from '../model/job.js';

const STATES = ['queued', 'waiting', 'running', 'paused', 'completed', 'failed', 'cancelled'] as const;

export function renderMetrics(transfers: readonly Job[], c: Conditions, startedAtMs: number, nowMs: number): string {
  const byState = new Map<string, number>(STATES.map((s) => [s, 0]));
  const reasons = new Map<string, number>();
  let bytes = 0;
  for (const t of transfers) {
    byState.set(t.state, (byState.get(t.state) ?? 0) + 1);
    bytes += t.bytesTransferred;
    for (const r of t.reasons) reasons.set(r.code, (reasons.get(r.code) ?? 0) + 1);
  }
  const out: string[] = [];
  out.push('# HELP ferry_transfers Transfers held by the agent, by state.', '# TYPE ferry_transfers gauge');
  for (const [s, n] of byState) out.push(`ferry_transfers{state="${s}"} ${n}`);
  out.push('# HELP ferry_waiting_reasons Transfers waiting for each policy reason.', '# TYPE ferry_waiting_reasons gauge');
  for (const [r, n] of reasons) out.push(`ferry_waiting_reasons{reason="${r}"} ${n}`);
  out.push('# HELP ferry_transfer_bytes Bytes moved by the transfers currently held.', '# TYPE ferry_transfer_bytes gauge');
  out.push(`ferry_transfer_bytes ${bytes}`);
  out.push('# HELP ferry_network_metered 1 when the active link is metered.', '# TYPE ferry_network_metered gauge');
  out.push(`ferry_network_metered{kind="${c.network.kind}"} ${c.network.metered ? 1 : 0}`);
  out.push('# HELP ferry_on_battery 1 when running on battery.', '# TYPE ferry_on_battery gauge');
  out.push(`ferry_on_battery ${c.power.source === 'battery' ? 1 : 0}`);
  if (c.power.batteryPercent !== null) {
    out.push('# TYPE ferry_battery_percent gauge', `ferry_battery_percent ${c.power.batteryPercent}`);
  }
  if (c.storage.freeBytes !== null) {
    out.push('# TYPE ferry_storage_free_bytes gauge', `ferry_storage_free_bytes ${c.storage.freeBytes}`);
  }
  out.push('# TYPE ferry_data_plan_used_bytes gauge', `ferry_data_plan_used_bytes ${c.dataPlan.usedBytes}`);
  out.push('# TYPE ferry_uptime_seconds gauge', `ferry_uptime_seconds ${Math.round((nowMs - startedAtMs) / 1000)}`);
  const mem = process.memoryUsage();
  out.push('# HELP ferry_process_memory_bytes Memory of the agent process by kind (rss, heapUsed, heapTotal, external).');
  out.push('# TYPE ferry_process_memory_bytes gauge');
  for (const k of ['rss', 'heapUsed', 'heapTotal', 'external', 'arrayBuffers'] as const) out.push(`ferry_process_memory_bytes{kind="${k}"} ${mem[k]}`);
  return out.join('\n') + '\n';
}
