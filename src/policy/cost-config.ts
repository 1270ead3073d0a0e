// Cross-field checks of the cost settings that the schema cannot say: window names that are referred
// to exist, spans are valid wall times, the time zone is known. Used by config loading (and so by
// --check-config and SIGHUP reloads).
import type { Config } from '../config/schema.js';
import { isKnownZone, windowProblems } from './windows.js';

export interface CostConfigIssue {
  path: string;
  message: string;
}

export function costConfigIssues(cfg: Pick<Config, 'policy' | 'devices'>): CostConfigIssue[] {
  const p = cfg.policy;
  const out: CostConfigIssue[] = [];
  const known = (name: string) => Object.hasOwn(p.windows, name);
  for (const [name, spec] of Object.entries(p.windows)) {
    for (const m of windowProblems(spec)) out.push({ path: `policy.windows.${name}${m.slice(0, m.indexOf(':'))}`, message: m.slice(m.indexOf(':') + 2) });
  }
  for (const [kind, name] of Object.entries(p.networkWindows)) {
    if (name !== undefined && !known(name)) out.push({ path: `policy.networkWindows.${kind}`, message: `no window "${name}" in policy.windows` });
  }
  p.bandwidth.forEach((b, i) => {
    if (b.window !== null && !known(b.window)) out.push({ path: `policy.bandwidth[${i}].window`, message: `no window "${b.window}" in policy.windows` });
  });
  cfg.devices.forEach((d, i) => {
    if (d.when.window !== null && !known(d.when.window)) out.push({ path: `devices[${i}].when.window`, message: `no window "${d.when.window}" in policy.windows` });
  });
  if (p.timeZone !== null && !isKnownZone(p.timeZone)) out.push({ path: 'policy.timeZone', message: `"${p.timeZone}" is not a time zone this system knows` });
  return out;
}
