// A pino logger whose lines a test can read back (to check "one log line", not to print).
import { createLogger, type Logger } from '../../src/log.js';

export interface CapturedLog {
  log: Logger;
  lines: Array<Record<string, unknown> & { msg: string; level: number }>;
  /** Lines whose message contains `text`. */
  matching(text: string): number;
}

export function captureLog(level = 'info'): CapturedLog {
  const lines: CapturedLog['lines'] = [];
  const log = createLogger(level, { write: (s: string) => void lines.push(JSON.parse(s)) });
  return { log, lines, matching: (text) => lines.filter((l) => l.msg.includes(text)).length };
}
