// The conditions snapshot in words, one line per part:
// "network: cellular 4g via wwan0, metered, not roaming", "power: battery 62 %, not charging"…
import type { Conditions } from '../../conditions/snapshot.js';
import { formatBytes } from './units.js';

export function networkWords(n: Conditions['network']): string {
  if (!n || n.kind === 'none') return 'none';
  const parts = [[n.kind, n.kind === 'cellular' ? n.generation : null].filter(Boolean).join(' ')];
  if (n.interface) parts[0] += ` via ${n.interface}`;
  if (n.kind === 'cellular' && n.operator) parts[0] += ` (${n.operator})`;
  parts.push(n.metered ? 'metered' : 'not metered');
  if (n.kind === 'cellular') {
    parts.push(n.roaming ? 'roaming' : 'not roaming');
    if (typeof n.signalPercent === 'number') parts.push(`signal ${n.signalPercent} %`);
  }
  if (n.connectivity && n.connectivity !== 'full') parts.push(`connectivity ${n.connectivity}`);
  return parts.join(', ');
}

export function powerWords(p: Conditions['power']): string {
  if (!p) return 'unknown';
  const battery = typeof p.batteryPercent === 'number' ? `battery ${p.batteryPercent} %` : null;
  if (p.source === 'battery') return [battery ?? 'battery', p.charging ? 'charging' : 'not charging'].join(', ');
  return ['external', battery, battery ? (p.charging ? 'charging' : 'not charging') : null].filter(Boolean).join(', ');
}

export function dataPlanWords(d: Conditions['dataPlan']): string {
  if (!d) return 'unknown';
  const used =
    d.limitBytes === null || d.limitBytes === undefined
      ? `${formatBytes(d.usedBytes)} used, no limit`
      : `${formatBytes(d.usedBytes)} of ${formatBytes(d.limitBytes)}`;
  return `${d.state} (${used})`;
}

export function storageWords(s: Conditions['storage']): string {
  if (!s) return 'unknown';
  const free = s.freeBytes === null || s.freeBytes === undefined ? 'free space unknown' : `${formatBytes(s.freeBytes)} free`;
  return s.low ? `${free}, low` : free;
}

export function sourcesWords(s: Conditions['sources']): string {
  const entries = Object.entries(s ?? {});
  return entries.length === 0 ? 'none' : entries.map(([k, v]) => `${k} ${v}`).join(', ');
}

export function conditionsLines(c: Conditions): string[] {
  return [
    `network: ${networkWords(c.network)}`,
    `power: ${powerWords(c.power)}`,
    `data plan: ${dataPlanWords(c.dataPlan)}`,
    `storage: ${storageWords(c.storage)}`,
    `sources: ${sourcesWords(c.sources)}`,
  ];
}

/** One line for watch: "conditions: wifi via wlan0, not metered; external; data plan ok (…); 12 GB free". */
export function conditionsLine(c: Conditions): string {
  return `conditions: ${networkWords(c.network)}; power ${powerWords(c.power)}; data plan ${dataPlanWords(c.dataPlan)}; storage ${storageWords(c.storage)}`;
}
