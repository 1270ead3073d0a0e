// The OS side the hw tests drive: systemctl/journalctl/nmcli/sysfs, run as plain commands so the
// tests read like what an operator would type.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

export async function sh(cmd: string, args: string[], timeoutMs = 60_000): Promise<string> {
  const { stdout } = await run(cmd, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 });
  return stdout.trim();
}

/** `systemctl show` properties as a record. */
export async function unitProps(unit: string, props: string[]): Promise<Record<string, string>> {
  const out = await sh('systemctl', ['show', unit, ...props.map((p) => `-p${p}`)]);
  return Object.fromEntries(out.split('\n').filter(Boolean).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

export async function journalSince(unit: string, cursorOrSince: string): Promise<string> {
  return sh('journalctl', ['-u', unit, '--no-pager', '-o', 'cat', '--since', cursorOrSince]);
}

/** The journal's clock for --since: local time, second precision (the guest runs in UTC). */
export function journalStamp(d = new Date(Date.now() - 1000)): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** test_power's knobs (/sys/module/test_power/parameters/*): ac_online, battery_capacity… */
export function setTestPower(param: string, value: string): void {
  writeFileSync(`/sys/module/test_power/parameters/${param}`, value);
}

/** A systemd time span as `systemctl show` prints it ("10s", "1min 30s", "500ms", "infinity") in ms. */
export function spanMs(span: string): number {
  if (span === 'infinity') return Infinity;
  const units: Record<string, number> = { us: 0.001, ms: 1, s: 1000, min: 60_000, h: 3_600_000, d: 86_400_000 };
  let total = 0;
  for (const [, n, u] of span.matchAll(/([\d.]+)\s*(us|ms|min|s|h|d)/g)) total += Number(n) * units[u!]!;
  return /^\d+$/.test(span) ? Number(span) / 1000 : total;
}
