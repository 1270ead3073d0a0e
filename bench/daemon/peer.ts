// The peer: curl (and coreutils sync) run by bash, with wall time measured here and CPU from bash's
// `times` (user+sys of its children, i.e. curl and sync, not bash itself).
import { spawn } from 'node:child_process';

export interface Measure {
  wallS: number;
  cpuS: number;
}

export function sh(script: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn('bash', ['-c', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (c) => (out += c));
    p.stderr.on('data', (c) => (err += c));
    p.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`bash exited ${code}: ${err.slice(0, 500)}`))));
  });
}

export const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** Runs `script` (curl commands) and measures it; the last output lines are bash's `times`. */
export async function measureShell(script: string): Promise<Measure> {
  const t0 = performance.now();
  const out = await sh(`${script}\ntimes`);
  const wallS = (performance.now() - t0) / 1000;
  const lines = out.trim().split('\n');
  const secs = (s: string): number => {
    const m = /(\d+)m([\d.]+)s/.exec(s);
    return m ? Number(m[1]) * 60 + Number(m[2]) : NaN;
  };
  const [u, s] = lines[lines.length - 1]!.trim().split(/\s+/);
  return { wallS, cpuS: secs(u!) + secs(s!) };
}

export const curlDownload = (url: string, file: string): Promise<Measure> =>
  measureShell(`curl -sS --fail -o ${q(file)} ${q(url)} && sync ${q(file)}`);

export const curlPut = (url: string, file: string): Promise<Measure> =>
  measureShell(`curl -sS --fail -o /dev/null -H 'Expect:' -T ${q(file)} ${q(url)}`);

/** tus creation then one PATCH with the whole file, as ferry does. */
export const curlTus = (url: string, file: string, size: number): Promise<Measure> =>
  measureShell(`set -e
loc=$(curl -sS --fail -i -X POST -H 'Tus-Resumable: 1.0.0' -H 'Upload-Length: ${size}' -H 'Content-Length: 0' ${q(url)} | tr -d '\\r' | sed -n 's/^[Ll]ocation: //p')
case "$loc" in http*) ;; *) loc=${q(new URL(url).origin)}"$loc" ;; esac
curl -sS --fail -o /dev/null -X PATCH -H 'Tus-Resumable: 1.0.0' -H 'Upload-Offset: 0' -H 'Content-Type: application/offset+octet-stream' -H 'Expect:' -T ${q(file)} "$loc"`);

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}
