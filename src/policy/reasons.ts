// Every policy reason (POLICY.md §4) with its message template, in one module, so the API, CLI, logs and
// tests speak the same words. Reasons are data, not errors: a stable kebab-case `code` plus a human sentence.
// Sizes are shown in binary units written the familiar way ("48 MB" = 48 MiB), rates in kbit/s (1000 bit/s).
import type { Reason } from '../model/job.js';

/** Why a transfer waits (or is paused by the policy). */
export const WAIT_CODES = [
  'no-network',
  'roaming',
  'slow-network-2g',
  'over-data-plan',
  'needs-wifi',
  'too-large-for-cellular',
  'metered',
  'unknown-size',
  'needs-external-power',
  'too-large-for-battery',
  'needs-charging',
  'battery-low',
  'storage-low',
  'backoff-until',
  'slow-transfer',
  'window-exhausted',
  'concurrency-limit',
  'device-disconnected',
  'outside-window',
  'client-quota',
  'storage-floor',
  'state-storage-full',
] as const;

/** Why a transfer fails (or is rejected at enqueue): no change of conditions could let it run. */
export const FAIL_CODES = ['too-large-for-any-cap', 'needs-preferences-none'] as const;

export type WaitCode = (typeof WAIT_CODES)[number];
export type FailCode = (typeof FAIL_CODES)[number];
export type ReasonCode = WaitCode | FailCode;
export const REASON_CODES: readonly ReasonCode[] = [...WAIT_CODES, ...FAIL_CODES];

/** What a template may use; each code reads only the fields it names in REASON_TEMPLATES. */
export interface ReasonParams {
  /** Size of the transfer in bytes (known or bytes seen so far). */
  sizeBytes?: number;
  /** The cap the size is compared with. */
  capBytes?: number;
  /** backoff-until: when the next attempt may start, as epoch ms or as an ISO string (used as given). */
  untilMs?: number;
  untilIso?: string;
  /** slow-transfer: measured and minimum rate. */
  rateBitsPerS?: number;
  floorBitsPerS?: number;
  /** slow-transfer: measuring window; window-exhausted: the time slice. */
  windowS?: number;
  /** slow-transfer: the network the floor belongs to. */
  network?: string;
  /** battery-low */
  batteryPercent?: number;
  thresholdPercent?: number;
  /** storage-low */
  freeBytes?: number | null;
  /** concurrency-limit */
  limit?: number;
  /** outside-window: the window's name; client-quota: the client's name. */
  windowName?: string;
  client?: string;
  /** outside-window, client-quota: when it may run again (epoch ms), null when not within a week. */
  opensAtMs?: number | null;
  /** client-quota: bytes the client moved today on this network, and its daily allowance. */
  usedBytes?: number;
  limitBytes?: number;
  /** storage-floor: which file system is under the floor. */
  fileSystem?: string;
  /** state-storage-full: the store's error code (STORAGE_FULL or STORAGE_ERROR). */
  errorCode?: string;
}

type Template = (p: ReasonParams) => string;

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

/** "48 MB", "5.5 MB", "1.2 GB", "300 KB", "12 bytes": binary units, at most one decimal. */
export function formatSize(bytes: number): string {
  if (bytes >= GiB) return `${oneDecimal(bytes / GiB)} GB`;
  if (bytes >= MiB) return `${oneDecimal(bytes / MiB)} MB`;
  if (bytes >= KiB) return `${oneDecimal(bytes / KiB)} KB`;
  return `${bytes} bytes`;
}

function oneDecimal(x: number): string {
  const r = Math.round(x * 10) / 10;
  return Number.isInteger(r) ? String(r) : r.toFixed(1);
}

// "5 MB is over the 5 MB cap" reads like a bug: when rounding hides the difference, show exact bytes.
function sizeVsCap(p: ReasonParams): { size: string; cap: string } {
  const cap = formatSize(p.capBytes ?? 0);
  let size = formatSize(p.sizeBytes ?? 0);
  if (size === cap) size = `${p.sizeBytes ?? 0} bytes`;
  return { size, cap };
}

function formatRate(bitsPerS: number): string {
  const k = bitsPerS / 1000;
  return `${k < 10 ? oneDecimal(k) : Math.round(k)} kbit/s`;
}

function formatDuration(s: number): string {
  if (s >= 120 && s % 60 === 0) return `${s / 60} min`;
  return `${s} s`;
}

const hasSize = (p: ReasonParams) => p.sizeBytes !== undefined && p.capBytes !== undefined;

export const REASON_TEMPLATES: Readonly<Record<ReasonCode, Template>> = {
  'no-network': () => 'waits for a network connection',
  roaming: () => 'waits: the cellular link is roaming, transfers pause while roaming',
  'slow-network-2g': () => 'waits for 3G or better: on 2G only user-initiated transfers run',
  'over-data-plan': () => 'waits: the cellular data plan is used up, only user-initiated transfers run',
  'needs-wifi': (p) => {
    if (!hasSize(p)) return 'waits for Wi-Fi or Ethernet: its preferences do not allow cellular';
    const { size, cap } = sizeVsCap(p);
    return `waits for Wi-Fi or Ethernet: ${size} is over the ${cap} cellular cap`;
  },
  'too-large-for-cellular': (p) => {
    const { size, cap } = sizeVsCap(p);
    return `waits for Wi-Fi or Ethernet: ${size} is over the ${cap} cellular upload cap`;
  },
  metered: () => 'waits for an unmetered network (constraint unmetered)',
  'unknown-size': () => 'waits for Wi-Fi or Ethernet and external power: the size is not known and may be large',
  'needs-external-power': () => 'waits for external power: its preferences do not allow running on battery',
  'too-large-for-battery': (p) => {
    const { size, cap } = sizeVsCap(p);
    return `waits for external power: ${size} is over the ${cap} upload cap on battery`;
  },
  'needs-charging': () => 'waits for external power or charging (constraint charging)',
  'battery-low': (p) =>
    p.batteryPercent === undefined
      ? 'waits: the battery is low (constraint batteryNotLow)'
      : `waits: the battery is at ${p.batteryPercent} %, at or under ${p.thresholdPercent ?? '?'} % (constraint batteryNotLow)`,
  'storage-low': (p) =>
    p.freeBytes === undefined || p.freeBytes === null
      ? 'waits: storage is low (constraint storageNotLow)'
      : `waits: storage is low, ${formatSize(p.freeBytes)} free (constraint storageNotLow)`,
  'backoff-until': (p) =>
    `waits until ${p.untilIso ?? (p.untilMs === undefined ? 'later' : new Date(p.untilMs).toISOString())} before the next attempt (backoff)`,
  'slow-transfer': (p) =>
    `paused: ${formatRate(p.rateBitsPerS ?? 0)} over the last ${formatDuration(p.windowS ?? 0)} is under the ` +
    `${formatRate(p.floorBitsPerS ?? 0)} floor for ${p.network ?? 'this network'}; retries later with backoff`,
  'window-exhausted': (p) =>
    `paused so others get a turn: it used its ${formatDuration(p.windowS ?? 0)} time slice; it resumes where it stopped`,
  'concurrency-limit': (p) =>
    `waits for a free slot: ${p.limit ?? '?'} transfer${p.limit === 1 ? '' : 's'} already running (the limit)`,
  'device-disconnected': () => 'waits for the device to connect',
  'outside-window': (p) =>
    `waits for the window "${p.windowName ?? '?'}"` +
    (p.network ? ` (${p.network} background work runs only inside it)` : '') +
    `: ${p.opensAtMs == null ? 'it does not open within a week' : `it opens at ${new Date(p.opensAtMs).toISOString()}`}`,
  'client-quota': (p) =>
    `waits: client "${p.client ?? '?'}" moved ${formatSize(p.usedBytes ?? 0)} of its ${formatSize(p.limitBytes ?? 0)} daily ` +
    `${p.network ?? ''} allowance today; background work resumes ${p.opensAtMs == null ? 'tomorrow' : `at ${new Date(p.opensAtMs).toISOString()}`}`,
  'storage-floor': (p) =>
    `waits: the ${p.fileSystem ?? 'transfers'} file system has ${formatSize(p.freeBytes ?? 0)} free, under the ` +
    `${formatSize(p.capBytes ?? 0)} floor the agent keeps (no client can lift it)`,
  'state-storage-full': (p) =>
    p.errorCode === 'STORAGE_ERROR'
      ? 'waits: the agent cannot write its state database (I/O error); resumes when writes succeed again'
      : 'waits: the disk of the agent\'s state database is full; resumes when writes succeed again',
  'too-large-for-any-cap': (p) => {
    const { size, cap } = sizeVsCap(p);
    return `cannot run: ${size} is over the largest upload cap (${cap}, Wi-Fi or Ethernet on external power)`;
  },
  'needs-preferences-none': (p) => {
    const { size, cap } = sizeVsCap(p);
    return (
      `cannot run: ${size} is over the ${cap} download cap without external power; ` +
      'a download this large needs preferences "none" (Wi-Fi or Ethernet and external power)'
    );
  },
};

// Reasons without parameters never change: build each once (frozen, shared) so that re-deciding
// thousands of waiting transfers allocates nothing for them.
const FIXED: Partial<Record<ReasonCode, Reason>> = {};
for (const code of [
  'no-network',
  'roaming',
  'slow-network-2g',
  'over-data-plan',
  'metered',
  'unknown-size',
  'needs-external-power',
  'needs-charging',
  'device-disconnected',
] as const) {
  FIXED[code] = Object.freeze({ code, message: REASON_TEMPLATES[code]({}) });
}
const NO_PARAMS: ReasonParams = Object.freeze({});
const PLAIN_NEEDS_WIFI: Reason = Object.freeze({ code: 'needs-wifi', message: REASON_TEMPLATES['needs-wifi']({}) });

/** A reason with its human sentence. Codes that take no parameters return a shared frozen object. */
export function reason(code: ReasonCode, params?: ReasonParams): Reason {
  const fixed = FIXED[code];
  if (fixed) return fixed;
  if (code === 'needs-wifi' && (!params || !hasSize(params))) return PLAIN_NEEDS_WIFI;
  return { code, message: REASON_TEMPLATES[code](params ?? NO_PARAMS) };
}

export function isFailCode(code: string): code is FailCode {
  return (FAIL_CODES as readonly string[]).includes(code);
}

/** Two reason lists say the same (same codes and messages, in order). */
export function sameReasons(a: readonly Reason[], b: readonly Reason[]): boolean {
  return a.length === b.length && a.every((r, i) => r.code === b[i]!.code && r.message === b[i]!.message);
}
