// CPU per byte of a throttled download: ferry's engine under its token bucket against curl --limit-rate
// at the same rate, same file, same loopback origin, measured in the same run (the machine is noisy).
// ferry runs in a child process so its CPU is its own; curl's comes from the shell's `times`.
// Usage: npx tsx bench/throttle-cpu.ts [--rate-kib 1024] [--size-mib 16] [--runs 1]
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startOrigin } from '../test/support/origin.js';
import { run } from './run-command.js';

const here = dirname(fileURLToPath(import.meta.url));
const arg = (name: string, def: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : def;
};
const rate = Number(arg('rate-kib', '1024')) * 1024;
const size = Number(arg('size-mib', '16')) * 1024 * 1024;
const runs = Number(arg('runs', '1'));

const secs = (s: string): number => {
  const m = /(\d+)m([\d.]+)s/.exec(s);
  return m ? Number(m[1]) * 60 + Number(m[2]) : NaN;
};

const origin = await startOrigin();
const dest = mkdtempSync(join(tmpdir(), 'ferry-throttle-bench-'));
try {
  origin.file('/f.bin', randomBytes(size));
  const url = origin.url('/f.bin');
  const rows: Array<{ who: string; wallS: number; cpuS: number }> = [];
  const curl = async (who: string, limit: number | null): Promise<void> => {
    const lr = limit === null ? '' : `--limit-rate ${limit}`;
    const out = await run('bash', ['-c', `curl -sS --fail ${lr} -o '${join(dest, 'curl.bin')}' -w '%{time_total}\\n' '${url}' && times`]);
    const lines = out.trim().split('\n');
    const [u, s] = lines[2]!.trim().split(/\s+/);
    if (statSync(join(dest, 'curl.bin')).size !== size) throw new Error('curl download incomplete');
    rows.push({ who, wallS: Number(lines[0]), cpuS: secs(u!) + secs(s!) });
  };
  const ferry = async (who: string, limit: number, i: number): Promise<void> => {
    const f = JSON.parse((await run(process.execPath, ['--import', 'tsx', join(here, 'throttle-child.ts'), url, dest, `${who}-${i}.bin`, String(limit)])).trim().split('\n').pop()!);
    if (f.outcome !== 'completed' || f.bytes !== size) throw new Error(`ferry: ${JSON.stringify(f)}`);
    rows.push({ who, wallS: f.wallS, cpuS: f.cpuS });
  };
  for (let i = 0; i < runs; i++) {
    // Unlimited runs first: the fixed cost (connection, first-request JIT) shows there, not per byte.
    await curl('curl-full', null);
    await ferry('ferry-full', 1e12, i);
    await curl('curl', rate);
    await ferry('ferry', rate, i);
  }
  const mib = size / 1024 / 1024;
  console.log(`\n${mib} MiB at ${rate / 1024} KiB/s over loopback, ${runs} run(s)`);
  console.log(`${'client'.padEnd(8)} ${'wall s'.padStart(7)} ${'KiB/s'.padStart(8)} ${'CPU s'.padStart(7)} ${'CPU ns/B'.padStart(9)}`);
  for (const r of rows) {
    console.log(`${r.who.padEnd(8)} ${r.wallS.toFixed(2).padStart(7)} ${(size / 1024 / r.wallS).toFixed(0).padStart(8)} ${r.cpuS.toFixed(3).padStart(7)} ${((r.cpuS * 1e9) / size).toFixed(1).padStart(9)}`);
  }
  const sum = (who: string, k: 'cpuS' | 'wallS') => rows.filter((r) => r.who === who).reduce((n, r) => n + r[k], 0);
  console.log(`throttled, ferry/curl CPU per byte: ${(sum('ferry', 'cpuS') / sum('curl', 'cpuS')).toFixed(2)}x (ferry: the attempt alone, measured in its child; curl: the whole process)`);
  console.log(`cost of being throttled (limited − unlimited CPU): ferry ${(sum('ferry', 'cpuS') - sum('ferry-full', 'cpuS')).toFixed(3)} s, curl ${(sum('curl', 'cpuS') - sum('curl-full', 'cpuS')).toFixed(3)} s`);
} finally {
  await origin.close();
  rmSync(dest, { recursive: true, force: true });
}
